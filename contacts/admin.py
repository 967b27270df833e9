"""Django admin for contact books; actions call the same services as the pages."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from contacts import admin_deletion, exporting, selectors, services
from contacts.admin_bulk import queued_for_worker
from contacts.admin_export import admin_export_query
from contacts.admin_imports import import_options_html, import_report_html
from contacts.admin_paging import FirstRowsChangeList, FirstRowsPaginator
from contacts.contact_changes import contact_renumbered
from contacts.custom_field_users import (
    custom_field_in_use,
    custom_field_in_use_message,
)
from contacts.filters import search_contacts
from contacts.forms import attributes_clean
from contacts.models import (
    Contact,
    ContactGroup,
    CustomField,
    GroupMembership,
    ImportJob,
    NumberRange,
    StopListEntry,
)
from contacts.phone import InvalidPhone, normalize_phone
from smsportal.admin_forms import AccusativeTitles, InlineAddText
from smsportal.admin_versions import VersionedAdmin
from smsportal.exceptions import ApplicationError
from smsportal.textguard import CODE, guard_fields, one_line_fields

KEY_FIXED_HELP = _(
    "The key cannot be changed: contacts' values are stored under it and message "
    "texts use it as a placeholder. Change the label instead, or add a new field."
)
KIND_FIXED_HELP = _(
    "The kind cannot be changed while contacts hold values of this field: they were "
    "checked as this kind. Add a new field of the other kind instead."
)


class PhoneAdminForm(forms.ModelForm):
    """Normalises the phone to E.164 before uniqueness is checked."""

    # Longer than the stored E.164 so "+7 (912) 345-67-89" can be typed.
    phone = forms.CharField(label=_("Phone"), max_length=40)

    def clean_phone(self) -> str:
        try:
            self.normalized = normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.reason) from None
        return self.normalized.e164


class ContactAdminForm(PhoneAdminForm):
    """The services' rule on the admin's fields: no character a gateway cannot carry."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, services.TEXT_FIELDS)
        one_line_fields(self.fields, services.PLACEHOLDER_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # As the page and the API store them: no invisible characters in names.
        services.remove_invisible_characters(data)
        return data

    def clean_birthday(self) -> Any:
        birthday = self.cleaned_data["birthday"]
        try:
            services.birthday_check(birthday)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return birthday

    def clean_consent_at(self) -> Any:
        consent_at = self.cleaned_data.get("consent_at")
        try:
            services.consent_at_check(consent_at)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return consent_at

    def clean_attributes(self) -> Any:
        attributes = self.cleaned_data["attributes"]
        try:
            services.attributes_check_sendable(attributes=attributes)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=CODE) from None
        # The contact page's rules for each field's kind (a Number takes a number).
        return attributes_clean(
            attributes,
            custom_fields=list(CustomField.objects.all()),
            previous=self.instance.attributes if self.instance.pk else None,
        )


class MembershipInline(admin.TabularInline):
    model = Contact.groups.through
    extra = 0
    autocomplete_fields = ["group"]
    verbose_name = _("group")
    verbose_name_plural = _("groups")
    add_another_text = _("Add another group")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row shows the membership's name, which reads its contact and group.
        return super().get_queryset(request).select_related("contact", "group")


class GroupListFilter(admin.SimpleListFilter):
    """Contacts of a group by EXISTS: Django's filter over the many-to-many joined the
    memberships and made every row DISTINCT, about 0.8 s for a 50,000-contact group
    of a million-contact book."""

    title = _("group")
    parameter_name = "group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        return list(ContactGroup.objects.order_by("name").values_list("id", "name"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value or not str(value).isdigit():
            return queryset
        members = GroupMembership.objects.filter(
            contact=OuterRef("pk"), group_id=int(value)
        )
        return queryset.filter(Exists(members))


@admin.register(Contact)
class ContactAdmin(InlineAddText, VersionedAdmin, admin.ModelAdmin):
    form = ContactAdminForm
    list_display = (
        "phone",
        "last_name",
        "first_name",
        "email",
        "is_mobile",
        "created_at",
    )
    list_filter = (GroupListFilter, "is_mobile", "created_at")
    search_fields = ("phone", "last_name", "first_name", "email")
    readonly_fields = (
        "is_mobile", "time_zone", "former_numbers", "created_at", "updated_at"
    )  # fmt: skip
    inlines = [MembershipInline]
    actions = [
        "opt_out", "export_csv", "export_csv_1251", "export_xlsx", "delete_contacts",
    ]  # fmt: skip
    # A million contacts: no count of the whole book on a search's page, and the
    # list itself read once and counted only as far as it pages (admin_paging).
    show_full_result_count = False
    paginator = FirstRowsPaginator
    change_list_template = "contacts/admin/change_list.html"

    def get_changelist_links(self, request: HttpRequest) -> dict:
        # Importing takes the right to add (contacts.views.IMPORT_PERMISSIONS): a
        # viewer was offered a link that answered 403.
        links = {"export": "contacts:export"}
        if self.has_add_permission(request):
            links["import"] = "contacts:import"
        return links

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The contact page's search: "8 (912) 345-67-89" finds +79123456789, where
        # Django's would look for each of its words in every field.
        return search_contacts(queryset, search_term), False

    def get_changelist(self, request: HttpRequest, **kwargs) -> type:
        return FirstRowsChangeList

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        links = self.get_changelist_links(request)
        # The export links take the list's search and filters: they exported the
        # whole book under a filtered list.
        export = admin_export_query(request.GET)
        extra = {
            **(extra_context or {}),
            "contacts_links": links,
            "export_query": export.query,
            "export_unsupported": [self._filter_title(n) for n in export.unsupported],
        }
        response = super().changelist_view(request, extra)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if getattr(changelist, "count_capped", False):
            # "All 10000 selected" would be wrong: selecting across the pages takes
            # every contact found, however many there are.
            context["selection_note_all"] = gettext(
                "All contacts found selected (more than %(count)s)"
            ) % {"count": intcomma(changelist.result_count)}
        return response

    @staticmethod
    def _filter_title(param: str) -> str:
        """A filter's name as the list's sidebar shows it ("is_mobile__exact")."""
        name = param.split("__", 1)[0]
        try:
            return str(Contact._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return param

    def save_model(self, request, obj, form, change) -> None:
        # A new number brings the plan's zone; other edits keep the one it has (set
        # by hand on the contact's page, say).
        if not change or "phone" in form.changed_data:
            obj.is_mobile = form.normalized.is_mobile
            obj.time_zone = services.plan_zone(form.normalized)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and "phone" in form.changed_data:
                # Messages waiting for the old number follow the contact's new one.
                contact_renumbered(obj.pk, form.initial["phone"], obj.phone)

    @admin.display(description=_("former numbers"))
    def former_numbers(self, contact: Contact) -> str:
        """Numbers the contact had (kept by a number change, for its history)."""
        return ", ".join(contact.former_phones.values_list("phone", flat=True)) or "—"

    def get_actions(self, request: HttpRequest) -> dict:
        # Django's own lists every contact and membership before deleting them.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request: HttpRequest) -> tuple:
        return admin_deletion.deleted_objects(self, objs, request)

    @admin.action(description=_("Delete selected contacts"), permissions=["delete"])
    def delete_contacts(self, request: HttpRequest, queryset: QuerySet):
        return admin_deletion.delete_contacts(self, request, queryset)

    @admin.action(description=_("Add to the stop list"), permissions=["change"])
    def opt_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queued_for_worker(self, request, queryset, action="opt_out"):
            return
        count = services.contacts_opt_out(
            contacts=queryset, reason=str(_("Added in the admin")), user=request.user
        )
        self.message_user(
            request,
            _("%(count)s numbers added to the stop list.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export to CSV (UTF-8, commas)"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(request, queryset, "csv")

    # The one Russian Excel opens in columns with a double click: UTF-8 with commas
    # came up as one column of whole lines.
    @admin.action(
        description=_("Export to CSV (Windows-1251, semicolons)"), permissions=["view"]
    )
    def export_csv_1251(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        return self._export(request, queryset, "csv-1251")

    @admin.action(description=_("Export to Excel (.xlsx)"), permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(request, queryset, "xlsx")

    def _export(
        self, request: HttpRequest, queryset: QuerySet, key: str
    ) -> HttpResponse | None:
        from contacts.views import export_response

        try:
            return export_response(
                queryset,
                fmt=exporting.FORMATS[key],
                filters={"selected": queryset.count()},
            )
        except ApplicationError as exc:  # Windows-1251 lacks a character
            self.message_user(request, exc.message, messages.ERROR)
            return None


class RefusingDeletion:
    """An admin whose objects may be refused deletion while something uses them
    (`_refused` says so, as a message). The bulk action leaves the refused out
    before its confirmation page, so that page lists, and its message counts, only
    what is deleted; with every one refused, the list comes back with the reasons."""

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions[name] = (_delete_the_unused, name, description)
        return actions

    def _refused(self, request: HttpRequest, obj) -> bool:
        raise NotImplementedError


def _delete_the_unused(modeladmin, request: HttpRequest, queryset: QuerySet):
    refused = [obj.pk for obj in queryset if modeladmin._refused(request, obj)]
    deletable = queryset.exclude(pk__in=refused)
    if not deletable.exists():
        return None
    return delete_selected(modeladmin, request, deletable)


@admin.register(ContactGroup)
class ContactGroupAdmin(
    RefusingDeletion, VersionedAdmin, AccusativeTitles, admin.ModelAdmin
):
    accusative_name = pgettext_lazy("accusative", "group")
    list_display = ("name", "description", "member_count", "created_at")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.contact_groups_with_counts(super().get_queryset(request))

    @admin.display(description=_("Contacts"), ordering="member_count")
    def member_count(self, group: ContactGroup) -> str:
        return intcomma(group.member_count)

    def get_deleted_objects(self, objs, request: HttpRequest) -> tuple:
        # A group of 100,000 contacts: its memberships counted, not listed.
        return admin_deletion.deleted_objects(self, objs, request)

    # The admin deletes without the service: the same refusal, said as a message.
    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        group = self.get_object(request, object_id)
        # Who may not delete gets Django's 403, not the reason it is in use.
        if (
            group is not None
            and self.has_delete_permission(request, group)
            and self._refused(request, group)
        ):
            return redirect("admin:contacts_contactgroup_changelist")
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        refused = [group.pk for group in queryset if self._refused(request, group)]
        super().delete_queryset(request, queryset.exclude(pk__in=refused))

    def _refused(self, request: HttpRequest, group: ContactGroup) -> bool:
        users = services.group_in_use(group)
        if users:
            message = services.group_in_use_message(group, users)
            self.message_user(request, message, messages.ERROR)
        return bool(users)


class StopListEntryAdminForm(PhoneAdminForm):
    """The contact book's rule for every text: no character a gateway cannot carry,
    refused with the place (NUL included, which the database cannot store)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["phone", "reason"])


@admin.register(StopListEntry)
class StopListEntryAdmin(admin.ModelAdmin):
    form = StopListEntryAdminForm
    list_display = ("phone", "reason", "source", "created_by", "created_at")
    list_filter = ("source", "created_at")
    search_fields = ("phone", "reason")
    readonly_fields = ("created_by", "created_at")
    actions = ["remove_from_stoplist"]
    change_list_template = "contacts/admin/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        links = (
            {"import": "contacts:stoplist_import"}
            if self.has_add_permission(request)
            else {}
        )
        extra = {**(extra_context or {}), "contacts_links": links}
        return super().changelist_view(request, extra)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return selectors.search_stoplist(queryset, search_term), False

    # An entry is added or removed, never renumbered: a number edited here left the
    # stop list as silently as "changed phone" in the log says, and the new one got
    # on it with the old one's reason, date and author. Removal (the delete page,
    # the actions) is logged as "removed from the stop list", as on the stop list
    # page (accounts.audit_signals).
    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if obj is None else ("phone", *readonly)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Take off the stop list"), permissions=["delete"])
    def remove_from_stoplist(self, request: HttpRequest, queryset: QuerySet) -> None:
        removed = services.stoplist_remove_entries(entries=queryset)
        self.message_user(
            request,
            _("%(count)s numbers taken off the stop list.") % {"count": removed},
            messages.SUCCESS,
        )


@admin.register(CustomField)
class CustomFieldAdmin(RefusingDeletion, admin.ModelAdmin):
    list_display = ("label", "key", "kind")
    search_fields = ("label", "key")

    # The key is fixed once the field exists: contacts' values are stored under it
    # and message texts, greetings, templates, import mappings and API clients name
    # it ({city}). Renamed, every value and placeholder would point at nothing; the
    # label, which is what people read, stays editable.
    # The kind too, once values are stored: "Москва" under a field turned Number
    # would be a number nobody can read, in exports and messages.
    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        return (*readonly, "key", *(("kind",) if _has_values(obj) else ()))

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["help_texts"] = {"key": KEY_FIXED_HELP, "kind": KIND_FIXED_HELP}
        return super().get_form(request, obj, change, **kwargs)

    # Deleted, the field would leave {key} naming nothing in the texts that use it.
    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        field = self.get_object(request, object_id)
        if (
            field is not None
            and self.has_delete_permission(request, field)
            and self._refused(request, field)
        ):
            return redirect("admin:contacts_customfield_changelist")
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        refused = [field.pk for field in queryset if self._refused(request, field)]
        super().delete_queryset(request, queryset.exclude(pk__in=refused))

    def _refused(self, request: HttpRequest, field: CustomField) -> bool:
        users = custom_field_in_use(field)
        if users:
            message = custom_field_in_use_message(field, users)
            self.message_user(request, message, messages.ERROR)
        return bool(users)


def _has_values(field: CustomField) -> bool:
    return Contact.objects.filter(attributes__has_key=field.key).exists()


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "kind",
        "status",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status")
    # The options and the report read as labelled rows, not as their stored JSON;
    # the stored first rows of a workbook (preview) are the wizard's, not shown. The
    # files are no links to /media/, which nothing serves: the uploaded one is named
    # (original_name), the rejected rows are the import page's download, which
    # checks who may read them.
    fields = [
        *(
            f.name
            for f in ImportJob._meta.fields
            if f.name not in ("id", "options", "report", "preview", "file", "rejects")
        ),
        "options_shown",
        "report_shown",
        "rejects_shown",
    ]
    readonly_fields = fields

    @admin.display(description=_("Options"))
    def options_shown(self, job: ImportJob) -> str:
        return import_options_html(job.options)

    @admin.display(description=_("Report"))
    def report_shown(self, job: ImportJob) -> str:
        return import_report_html(job.report)

    @admin.display(description=ImportJob._meta.get_field("rejects").verbose_name)
    def rejects_shown(self, job: ImportJob) -> str:
        if not job.rejects:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">{}</a>',
            reverse("contacts:import_rejects", args=[job.pk]),
            _("Download the rows that were not imported (CSV)"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(NumberRange)
class NumberRangeAdmin(admin.ModelAdmin):
    """The loaded registry, to look a number's region up; `load_numbering_plan` is
    the only writer, so nothing here changes it."""

    list_display = ("code", "first", "last", "region", "time_zone", "operator")
    list_filter = ("time_zone",)
    search_fields = ("region", "operator", "=code")
    ordering = ("code", "first")
    list_per_page = 200

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
