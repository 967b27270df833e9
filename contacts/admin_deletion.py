"""Deleting contacts and groups in the admin without listing every membership.

Django's delete pages load and list every related row: "delete selected" across a
book of 110,000 contacts built a page of 220,000 lines (28 MB, 11 s; a million
hung). Here memberships are counted, never loaded, and the contacts themselves are
only counted on the confirmation page.
"""

from typing import Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import NestedObjects, quote
from django.core.exceptions import PermissionDenied
from django.db import router
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts import services
from contacts.admin_bulk import queued_for_worker
from contacts.models import Contact, ContactGroup, GroupMembership


def contacts_delete_counts(contacts: QuerySet[Contact]) -> dict[str, int]:
    """How many contacts the selection holds and how many memberships go with them
    (the only rows deleted with a contact; messages and replies keep their history:
    their link to it is cleared)."""
    ids = contacts.order_by().values("pk")
    return {
        "contacts": contacts.order_by().count(),
        "memberships": GroupMembership.objects.filter(contact__in=ids).count(),
    }


def delete_contacts(modeladmin: Any, request: HttpRequest, queryset: QuerySet):
    """The admin action: a page of counts to confirm, then contacts_delete."""
    if not modeladmin.has_delete_permission(request):
        raise PermissionDenied
    if request.POST.get("post") == "yes":
        if queued_for_worker(modeladmin, request, queryset, action="delete"):
            return None  # back to the list, which says it runs
        deleted = services.contacts_delete(contacts=queryset)
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)s contact deleted.", "%(count)s contacts deleted.", deleted
            )
            % {"count": number_format(deleted, force_grouping=True)},
            messages.SUCCESS,
        )
        return None  # back to the list
    counts = contacts_delete_counts(queryset)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Delete contacts"),
        "subtitle": None,
        "opts": modeladmin.model._meta,
        "media": modeladmin.media,
        "question": ngettext(
            "Delete %(count)s contact?",
            "Delete %(count)s contacts?",
            counts["contacts"],
        )
        % {"count": number_format(counts["contacts"], force_grouping=True)},
        "memberships": ngettext(
            # "with them" read wrong for one contact: said without a pronoun.
            "%(count)s group membership is deleted too.",
            "%(count)s group memberships are deleted too.",
            counts["memberships"],
        )
        % {"count": number_format(counts["memberships"], force_grouping=True)},
        # What the list's form sent, sent again: the page's ticked ids and whether
        # the whole filtered list was chosen (the filters are in the URL).
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": "delete_contacts",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request, "contacts/admin/delete_contacts_confirmation.html", context
    )


class _MembershipsCounted(NestedObjects):
    """The delete page's collector with memberships counted instead of loaded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memberships = 0

    def related_objects(self, related_model, related_fields, objs):
        found = super().related_objects(related_model, related_fields, objs)
        if related_model is GroupMembership:
            self.memberships += found.count()
            return found.none()
        return found


def deleted_objects(modeladmin: Any, objs: Any, request: HttpRequest) -> tuple:
    """ModelAdmin.get_deleted_objects as Django builds it (django.contrib.admin.utils
    get_deleted_objects), except that group memberships are one count."""
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    admin_site = modeladmin.admin_site
    collector = _MembershipsCounted(
        using=router.db_for_write(objs[0]._meta.model), origin=objs
    )
    collector.collect(objs)
    perms_needed = set()

    def format_callback(obj):
        opts = obj._meta
        if opts.auto_created:
            return _group_link(obj)
        if admin_site.is_registered(obj.__class__):
            model_admin = admin_site.get_model_admin(obj.__class__)
            if not model_admin.has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)
            try:
                url = reverse(
                    f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(obj.pk)],
                )
            except NoReverseMatch:
                pass
            else:
                return format_html(
                    '{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj
                )
        return f"{capfirst(opts.verbose_name)}: {obj}"

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count = {
        _links_name(model): len(found) for model, found in collector.model_objs.items()
    }
    if collector.memberships:
        name = GroupMembership._meta.verbose_name_plural
        model_count[name] = collector.memberships
    return to_delete, model_count, perms_needed, protected


def _group_link(link: Any) -> str:
    """A row of a many-to-many table to groups (a campaign's, a greeting's), as
    "Рассылка «Осень»: связь с группой": Django's own name for it read
    "Campaign_include_groups object (3)"."""
    field = _owner_field(link._meta)
    if field is None:
        return f"{capfirst(link._meta.verbose_name)}: {link}"
    owner = getattr(link, field.name)
    return _("%(model)s “%(object)s”: link to the group") % {
        "model": capfirst(owner._meta.verbose_name),
        "object": owner,
    }


def _links_name(model: Any) -> str:
    """The summary's name of a model's rows; a many-to-many table to groups by what
    links through it ("Рассылки, связанные с группой")."""
    opts = model._meta
    field = _owner_field(opts) if opts.auto_created else None
    if field is None:
        return opts.verbose_name_plural
    return _("%(models)s linked to the group") % {
        "models": capfirst(field.related_model._meta.verbose_name_plural)
    }


def _owner_field(opts: Any) -> Any:
    """A link row's field for its other end: the campaign or greeting, not the
    group."""
    return next(
        (
            f
            for f in opts.fields
            if f.is_relation and f.related_model not in (None, ContactGroup)
        ),
        None,
    )
