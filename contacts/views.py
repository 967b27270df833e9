"""Contact book pages. Thin: forms in, one service or selector call, a template out."""

import contextlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.paginators import LazyPaginator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from accounts.permissions import PermissionRequired
from contacts import bulk_jobs, exporting, numbering_jobs, selectors, services
from contacts.bulk_confirm import COUNT_LIMIT, bulk_confirmations
from contacts.filters import ContactFilterSet
from contacts.forms import (
    BulkActionForm,
    ContactForm,
    ContactGroupForm,
    CustomFieldForm,
    ImportMappingForm,
    ImportUploadForm,
    NumberingPlanUploadForm,
    StopListAddForm,
)
from contacts.import_samples import sample_table
from contacts.importing.preview import Preview, preview_job
from contacts.importing.reasons import report_for_reader
from contacts.importing.rejects import rejects_missing, rejects_response
from contacts.importing.runner import ImportOptions
from contacts.job_files import rejects_removed_message
from contacts.models import (
    Contact,
    ContactBulkJob,
    ContactGroup,
    CustomField,
    ImportJob,
    NumberingPlanLoad,
)
from contacts.stoplist_export import stream_stoplist_export
from contacts.tables import (
    ContactGroupTable,
    ContactTable,
    ImportJobTable,
    StopListTable,
)
from smsportal.exceptions import ApplicationError
from smsportal.lib.downloads import file_name_part
from smsportal.shared_files import rejects_unreachable_message
from smsportal.tables import NothingMatchesMixin, nothing_matches_text
from smsportal.unique import save_unique
from smsportal.uploads import refused_upload_shown
from smsportal.versioning import StaleVersion, form_reloaded, refuse_stale, reload_asked

# The campaigns app provides this partial once it exists; until then the block is empty.
CONTACT_HISTORY_TEMPLATE = "campaigns/_contact_history.html"
PAGE_SIZE = 50


class ContactListView(
    PermissionRequired, NothingMatchesMixin, SingleTableMixin, FilterView
):
    permission_required = "contacts.view_contact"
    table_class = ContactTable
    filterset_class = ContactFilterSet
    template_name = "contacts/contact_list.html"
    # No COUNT(*) over a million rows per page view: pages know only "is there more".
    table_pagination = {"paginator_class": LazyPaginator, "per_page": PAGE_SIZE}

    def get_queryset(self):
        return selectors.contact_list()

    @cached_property
    def bulk_actions(self) -> list[tuple[str, str]]:
        return BulkActionForm.actions_for(self.request.user)

    def get_table_kwargs(self) -> dict:
        # Row checkboxes serve only the bulk actions.
        return {} if self.bulk_actions else {"exclude": ("selection",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["book_size"] = selectors.contact_book_size()
        context["matching"] = self._matching(context["table"])
        context["matching_limit"] = COUNT_LIMIT
        context["bulk_actions"] = self.bulk_actions
        if self.bulk_actions:
            context["bulk_confirmations"] = self._bulk_confirmations(
                context["book_size"], context["matching"]
            )
        context["groups"] = ContactGroup.objects.all()
        context["bulk_jobs"] = bulk_jobs.contacts_bulk_jobs_shown()
        context["query"] = self.request.GET.urlencode()
        context["export_formats"] = exporting.FORMATS
        return context

    def _matching(self, table) -> int | None:
        """How many contacts the filter matches, counted up to one past COUNT_LIMIT
        (more is said as "more than"); None when the list is not filtered, where the
        book's size (exact, or estimated for a big book) says it. The heading and
        the bulk questions share this one count."""
        form = self.filterset.form
        filtered = form.is_valid() and any(
            value not in (None, "") for value in form.cleaned_data.values()
        )
        if not filtered:
            return None
        # A filtered list that ends on this page needs no count: a search for a rare
        # name (a few matches, the whole book read) would be read twice.
        matching = _total_if_last_page(table)
        if matching is None:
            matching = (
                self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1].count()
            )
        return matching

    def _bulk_confirmations(
        self, book_size: selectors.BookSize, matching: int | None
    ) -> list:
        filtered = matching is not None
        return bulk_confirmations(
            self.bulk_actions,
            matching=matching if filtered else book_size.count,
            filtered=filtered,
            exact=filtered or book_size.exact,
            at_least=not filtered and book_size.at_least,
        )


def _total_if_last_page(table) -> int | None:
    """The number of rows a paginated table lists in all, when its page is the last
    (no count needed); None otherwise."""
    page = getattr(table, "page", None)
    if page is None or page.has_next():
        return None
    return (page.number - 1) * page.paginator.per_page + len(page.object_list)


@permission_required("contacts.view_contact", raise_exception=True)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.with_stop_flag(), pk=pk)
    fields = {f.key: f for f in CustomField.objects.all()}
    attributes = [
        (fields[key].label if key in fields else key, _shown(fields.get(key), value))
        for key, value in (contact.attributes or {}).items()
    ]
    context = {
        "contact": contact,
        "groups": contact.groups.all(),
        "attributes": attributes,
        "history_template": _optional_template(CONTACT_HISTORY_TEMPLATE),
    }
    return render(request, "contacts/contact_detail.html", context)


def _shown(field: CustomField | None, value: Any) -> Any:
    """A custom field's value as the page shows it: a date (kept as ISO text) in the
    language's short form, 01.11.2026 in Russian."""
    if field is not None and field.kind == CustomField.Kind.DATE:
        with contextlib.suppress(TypeError, ValueError):
            return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    return value


def _optional_template(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


@permission_required("contacts.add_contact", raise_exception=True)
def contact_create(request: HttpRequest) -> HttpResponse:
    custom_fields = list(CustomField.objects.all())
    form = ContactForm(request.POST or None, custom_fields=custom_fields)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(**form.service_fields())
        except ApplicationError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
        else:
            messages.success(
                request, _("Contact %(phone)s added.") % {"phone": contact.phone}
            )
            return redirect("contacts:detail", pk=contact.pk)
    return render(request, "contacts/contact_form.html", {"form": form})


@permission_required("contacts.change_contact", raise_exception=True)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    custom_fields = list(CustomField.objects.all())
    form = ContactForm(
        request.POST or None, contact=contact, custom_fields=custom_fields
    )
    if reload_asked(request):
        form = form_reloaded(form)
    elif request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact,
                expected_version=form.opened_version,
                **form.service_fields(previous=contact.attributes),
            )
        except StaleVersion as exc:
            refuse_stale(form, exc)
        except ApplicationError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:detail", pk=contact.pk)
    return render(
        request, "contacts/contact_form.html", {"form": form, "contact": contact}
    )


@require_POST
@permission_required("contacts.delete_contact", raise_exception=True)
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    services.contacts_delete(contacts=Contact.objects.filter(pk=contact.pk))
    messages.success(
        request, _("Contact %(phone)s deleted.") % {"phone": contact.phone}
    )
    return redirect("contacts:list")


@require_POST
@permission_required("contacts.view_contact", raise_exception=True)
def contacts_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    back = reverse("contacts:list") + "?" + request.POST.get("query", "")
    if not form.is_valid():
        missing = [_("Choose an action.")] if "action" in form.errors else []
        for error in missing + form.errors.get("__all__", []):
            messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    if not request.user.has_perm(BulkActionForm.PERMISSIONS[data["action"]]):
        messages.error(request, _("You do not have permission to do this."))
        return redirect(back)
    if data["select_all"]:
        try:
            contacts = selectors.contact_list(filters=QueryDict(data["query"]))
        except ApplicationError as exc:  # never the whole book for a broken filter
            messages.error(request, exc.message)  # it names the filter itself
            return redirect(back)
        if bulk_jobs.is_large(contacts):
            _bulk_queue(request, data)
            return redirect(back)
    else:
        contacts = Contact.objects.filter(pk__in=[c.pk for c in data["ids"]])
    try:
        done = _bulk_apply(request, data, contacts)
    except services.GroupsGone as exc:  # deleted by someone meanwhile
        messages.error(request, exc.message)
        return redirect(back)
    # Grouped as the list shows its counts: "109 959" in Russian, "109,959" in English.
    if isinstance(done, services.GroupAddition):
        message = bulk_jobs.bulk_result_message(count=done.added, already=done.already)
    else:
        message = bulk_jobs.bulk_result_message(count=done)
    messages.success(request, message)
    return redirect(back)


def _bulk_queue(request: HttpRequest, data: dict) -> None:
    """Hand a selection too large for the request to a worker and say so; refused
    while the same action on the same contacts still runs (a double submit)."""
    try:
        job = bulk_jobs.contacts_bulk_job_start(
            action=data["action"],
            query=data["query"],
            group=data.get("group"),
            reason=_("Added from the contact list"),
            user=request.user,
        )
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        return
    messages.info(
        request,
        _(
            "%(action)s: more than %(count)s contacts, so it runs in the background. "
            "Its progress and result are shown above the list; you may leave the "
            "page meanwhile."
        )
        % {"action": job.description, "count": intcomma(bulk_jobs.in_request_max())},
    )


@permission_required("contacts.view_contact", raise_exception=True)
def contacts_bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One bulk action's progress and result (the contact list polls it)."""
    job = get_object_or_404(ContactBulkJob.objects.select_related("created_by"), pk=pk)
    if not request.headers.get("HX-Request"):
        return redirect("contacts:list")
    return render(request, "contacts/_bulk_job.html", {"job": job})


@require_POST
def contacts_bulk_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue a failed bulk action after the contacts it went through."""
    job = get_object_or_404(ContactBulkJob, pk=pk)
    if not request.user.has_perm(BulkActionForm.PERMISSIONS[job.action]):
        raise PermissionDenied
    back = reverse("contacts:list") + "?" + job.query
    try:
        with transaction.atomic():
            retried = bulk_jobs.contacts_bulk_job_retry(job=job)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        return redirect(back)
    if retried:
        messages.info(
            request,
            _("%(action)s goes on after the contacts it went through.")
            % {"action": job.description},
        )
    return redirect(back)


def _bulk_apply(
    request: HttpRequest, data: dict, contacts
) -> "int | services.GroupAddition":
    action, group = data["action"], data.get("group")
    if action == "add_to_group":
        return services.contacts_add_to_group(contacts=contacts, group=group)
    if action == "remove_from_group":
        return services.contacts_remove_from_group(contacts=contacts, group=group)
    if action == "opt_out":
        return services.contacts_opt_out(
            contacts=contacts,
            reason=_("Added from the contact list"),
            user=request.user,
        )
    return services.contacts_delete(contacts=contacts)


@permission_required("contacts.view_contact", raise_exception=True)
def contacts_export(request: HttpRequest) -> HttpResponse:
    """The filtered contacts as CSV (streamed) or XLSX."""
    try:
        contacts = selectors.contact_list(filters=request.GET)
        return export_response(
            contacts, fmt=exporting.format_from(request.GET), filters=request.GET
        )
    except ApplicationError as exc:  # never the whole book for a broken filter
        # Each refusal names its field itself (a filter's by its label).
        messages.error(request, exc.message)
        shown = request.GET.copy()
        shown.pop("format", None)
        return redirect(f"{reverse('contacts:list')}?{shown.urlencode()}")


def export_response(
    contacts, *, fmt: exporting.ExportFormat, filters: Mapping[str, Any] | None = None
) -> HttpResponse:
    """A download of the contacts; shared with the admin and the API. The audit log
    records who took it, in what format, under which filters. A Windows-1251 export
    that would lose characters is refused (ApplicationError, where "format")."""
    custom_fields = list(CustomField.objects.all())
    if fmt.key == "csv-1251" and (
        problem := exporting.cp1251_problem(contacts, custom_fields)
    ):
        raise ApplicationError(problem, where="format")
    return exporting.audited_download(
        exporting.stream_export(contacts, fmt=fmt, custom_fields=custom_fields),
        name=f"{_export_subject(filters or {})}-{timezone.localdate().isoformat()}",
        fmt=fmt,
        filters=filters or {},
    )


def _export_subject(filters: Mapping[str, Any]) -> str:
    """What the download is named after: the group filtered on, else "contacts" (the
    exports of several groups on one day were told apart by nothing but a number
    the downloads folder added), in the reader's language."""
    group_id = str(filters.get("group") or "")
    name = (
        ContactGroup.objects.filter(pk=group_id).values_list("name", flat=True).first()
        if group_id.isdigit()
        else None
    )
    if not name:
        return pgettext("file name", "contacts")
    return file_name_part(name)


@permission_required("contacts.view_stoplistentry", raise_exception=True)
def stoplist_export(request: HttpRequest) -> HttpResponse:
    """The stop list (the search applies) as CSV or XLSX, streamed."""
    return stoplist_export_response(
        search=request.GET.get("q", ""),
        fmt=exporting.format_from(request.GET),
        filters=request.GET,
    )


def stoplist_export_response(
    *, search: str, fmt: exporting.ExportFormat, filters: Mapping[str, Any]
) -> HttpResponse:
    """A download of the stop list; shared with the API. Audited like the contacts'."""
    return exporting.audited_download(
        stream_stoplist_export(selectors.stoplist_list(search=search), fmt=fmt),
        # Not in an f-string: makemessages does not look inside one.
        name=pgettext("file name", "stop-list-%(date)s")
        % {"date": timezone.localdate().isoformat()},
        fmt=fmt,
        filters=filters,
    )


@permission_required("contacts.view_contactgroup", raise_exception=True)
def group_list(request: HttpRequest) -> HttpResponse:
    table = ContactGroupTable(
        selectors.contact_groups_with_counts(),
        can_edit=request.user.has_perm("contacts.change_contactgroup"),
    )
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(request, "contacts/group_list.html", {"table": table})


@permission_required("contacts.add_contactgroup", raise_exception=True)
def group_create(request: HttpRequest) -> HttpResponse:
    return _group_form(request, None)


@permission_required("contacts.change_contactgroup", raise_exception=True)
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _group_form(request, get_object_or_404(ContactGroup, pk=pk))


def _group_form(request: HttpRequest, group: ContactGroup | None) -> HttpResponse:
    form = ContactGroupForm(request.POST or None, instance=group)
    if group is not None and reload_asked(request):
        form = form_reloaded(form)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if group is None:
                services.group_create(
                    name=data["name"], description=data["description"]
                )
            else:
                services.group_update(
                    group=group,
                    name=data["name"],
                    description=data["description"],
                    expected_version=form.opened_version,
                )
        except StaleVersion as exc:
            refuse_stale(form, exc)
        except ApplicationError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Group saved."))
            return redirect("contacts:group_list")
    return render(request, "contacts/group_form.html", {"form": form, "group": group})


@require_POST
@permission_required("contacts.delete_contactgroup", raise_exception=True)
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ContactGroup, pk=pk)
    try:
        services.group_delete(group=group)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("contacts:group_edit", pk=group.pk)
    messages.success(
        request,
        _("Group “%(name)s” deleted; its contacts stay.") % {"name": group.name},
    )
    return redirect("contacts:group_list")


@permission_required("contacts.view_stoplistentry", raise_exception=True)
def stoplist(request: HttpRequest) -> HttpResponse:
    form = StopListAddForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("contacts.add_stoplistentry"):
            raise PermissionDenied
        if form.is_valid():
            asked_at = timezone.now()
            try:
                entry = services.contact_opt_out(
                    phone=form.cleaned_data["phone"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            except ApplicationError as exc:
                form.add_error("phone", exc.message)
            else:
                if entry.created_at < asked_at:  # there before: its entry is kept
                    messages.info(
                        request,
                        _("%(phone)s has been on the stop list since %(date)s.")
                        % {
                            "phone": entry.phone,
                            "date": date_format(
                                timezone.localtime(entry.created_at),
                                "SHORT_DATETIME_FORMAT",
                            ),
                        },
                    )
                else:
                    messages.success(
                        request,
                        _("%(phone)s is on the stop list.") % {"phone": entry.phone},
                    )
                return redirect("contacts:stoplist")
    search = request.GET.get("q", "")
    table = StopListTable(selectors.stoplist_list(search=search))
    if search.strip():
        table.empty_text = nothing_matches_text(request.path)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(
        request,
        "contacts/stoplist.html",
        {
            "table": table,
            "form": form,
            "search": search,
            "export_query": urlencode({"q": search}) if search else "",
        },
    )


@require_POST
@permission_required("contacts.delete_stoplistentry", raise_exception=True)
def stoplist_remove(request: HttpRequest) -> HttpResponse:
    phone = request.POST.get("phone", "")
    if services.stoplist_remove(phone=phone):
        messages.success(
            request, _("%(phone)s is off the stop list.") % {"phone": phone}
        )
    return redirect("contacts:stoplist")


@permission_required("contacts.view_customfield", raise_exception=True)
def custom_fields(request: HttpRequest) -> HttpResponse:
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("contacts.add_customfield"):
            raise PermissionDenied
        if form.is_valid() and save_unique(form) is not None:
            messages.success(request, _("Custom field added."))
            return redirect("contacts:custom_fields")
    # Renamed and deleted in the admin (its checks refuse deleting a field in use).
    can_edit = request.user.is_staff and request.user.has_perm(
        "contacts.change_customfield"
    )
    context = {"form": form, "fields": CustomField.objects.all(), "can_edit": can_edit}
    return render(request, "contacts/custom_fields.html", context)


IMPORT_PERMISSIONS = {
    "contacts": "contacts.add_contact",
    "stoplist": "contacts.add_stoplistentry",
}
IMPORT_PAGES = {"contacts": "contacts:import", "stoplist": "contacts:stoplist_import"}


def import_upload(request: HttpRequest, kind: str = "contacts") -> HttpResponse:
    if not request.user.has_perm(IMPORT_PERMISSIONS[kind]):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if refused_upload_shown(request, form, "file"):
        pass  # stopped at the limit as it arrived: the form says so
    elif request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                upload=form.cleaned_data["file"], kind=kind, user=request.user
            )
        except ApplicationError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("contacts:import_mapping", pk=job.pk)
    jobs = ImportJobTable(
        ImportJob.objects.filter(kind=kind).select_related("created_by")[:20]
    )
    return render(
        request,
        "contacts/import_upload.html",
        {"form": form, "kind": kind, "jobs": jobs},
    )


def import_sample(request: HttpRequest, kind: str = "contacts") -> HttpResponse:
    """A file to start an import from, in the format asked for (?format=)."""
    if not request.user.has_perm(IMPORT_PERMISSIONS[kind]):
        raise PermissionDenied
    fmt = exporting.format_from(request.GET)
    headers, rows = sample_table(kind, list(CustomField.objects.all()))
    title = _("Stop list") if kind == "stoplist" else _("Contacts")
    name = (
        pgettext("file name", "stop-list-import-sample")
        if kind == "stoplist"
        else pgettext("file name", "contacts-import-sample")
    )
    return exporting.attachment(
        exporting.table_export(title, headers, rows, fmt=fmt),
        filename=fmt.filename(name),
        fmt=fmt,
    )


def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not request.user.has_perm(IMPORT_PERMISSIONS[job.kind]):
        raise PermissionDenied
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("contacts:import_detail", pk=job.pk)
    if missing := services.import_upload_missing(job=job):
        return render(
            request,
            "contacts/import_failed.html",
            {"job": job, "error": missing},
            status=400,
        )
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    try:
        preview, encoding_problem = _read_preview(job, source)
    except ApplicationError as exc:
        if "encoding" not in source:
            # Read as it came, with nothing on the page to read it otherwise: the
            # job is over, not left "waiting for column mapping" among the imports.
            ImportJob.objects.filter(
                pk=job.pk, status=ImportJob.Status.UPLOADED
            ).update(
                status=ImportJob.Status.FAILED,
                error=str(exc),
                finished_at=timezone.now(),
            )
        return render(
            request,
            "contacts/import_failed.html",
            {"job": job, "error": str(exc)},
            status=400,
        )
    # The columns were chosen on a preview read with other settings than those now on
    # the page: show the file as now read instead of importing it so.
    changed = posted and _reading_changed(source)
    reread = changed or (posted and "reread" in source)
    form = ImportMappingForm(
        source if posted and not reread else None,
        initial=preview.initial,
        kind=job.kind,
        width=preview.width,
        custom_fields=preview.custom_fields,
    )
    if reread:
        form.keep_choices(source, columns=not changed)
    elif posted and form.is_valid() and not preview.header_problem:
        try:
            return _import_start(job, preview, form.cleaned_data)
        except services.GroupsGone as exc:  # deleted by someone meanwhile
            form.add_error(exc.where, exc.message)
    context = {
        "job": job,
        "preview": preview,
        "form": form,
        "columns": list(zip(form.column_fields(), preview.columns, strict=True)),
        "read_again": changed and "reread" not in source,
        "encoding_problem": encoding_problem,
    }
    return render(request, "contacts/import_mapping.html", context)


def _read_preview(job: ImportJob, source: QueryDict) -> tuple[Preview, str]:
    """The preview read as `source` asks, and what to warn of how it was read. A file
    that is neither UTF-8 nor windows-1251 throughout (pasted together from two) is
    read as UTF-8 for the user to choose otherwise: UTF-8 names each row it cannot
    decode, where windows-1251 would garble the UTF-8 letters without a word."""
    asked = {
        "encoding": source.get("encoding", "auto"),
        "delimiter": source.get("delimiter", "auto"),
        "header": _header_choice(source),
    }
    try:
        return preview_job(job, **asked), ""
    except ApplicationError as exc:
        code = exc.extra.get("code")
        if code not in ENCODING_MISFITS and code != "encoding":
            raise
        if code in ENCODING_MISFITS:
            # The encoding chosen cannot read the file at all: shown as detected, for
            # the user to see why and choose again.
            preview, problem = _read_preview(job, _detected(source))
            shown = problem or _("Below, it is read in the encoding detected.")
            return preview, f"{exc.message} {shown}"
    problem = _(
        "Could not tell the file's encoding: it is neither UTF-8 nor windows-1251 "
        "throughout (parts of it may have been saved in different encodings). It is "
        "shown below as UTF-8: rows with bytes that are not valid UTF-8 will not be "
        "imported and will be listed among the rejected rows. If most letters look "
        "wrong, choose another encoding and read the file again."
    )
    return preview_job(job, **{**asked, "encoding": "utf-8"}), problem


# csvio codes of an encoding chosen by hand that does not fit the file.
ENCODING_MISFITS = ("not_utf16",)


def _detected(source: QueryDict) -> QueryDict:
    """`source` with the encoding left to detection."""
    detected = source.copy()
    detected["encoding"] = "auto"
    return detected


def _import_start(job: ImportJob, preview: Preview, data: dict) -> HttpResponse:
    options = ImportOptions(
        kind=job.kind,
        encoding=preview.encoding or "auto",
        delimiter=preview.delimiter or "auto",
        header=data["header"],
        mapping=data["mapping"],
        group_ids=[g.pk for g in data.get("groups") or []],
        update=data.get("update", False),
        consent_source=data.get("consent_source", ""),
        stop_reason=data.get("stop_reason", ""),
    )
    with transaction.atomic():
        # Held to the commit: the queued import keeps them from deletion after it.
        services.groups_held({"groups": data.get("groups") or []})
        services.import_job_start(job=job, options=options)
    return redirect("contacts:import_detail", pk=job.pk)


def _header_choice(source) -> bool | None:
    if "encoding" not in source:
        return None
    return _checked(source.get("header"))


def _checked(value: str | None) -> bool:
    return value in ("on", "true", "1")


def _reading_changed(data: QueryDict) -> bool:
    """Whether the reading settings submitted differ from those the page's preview was
    read with (its read_* fields); a form without them is taken as it comes."""
    if "read_encoding" not in data:
        return False
    return (
        data.get("encoding") != data.get("read_encoding")
        or data.get("delimiter") != data.get("read_delimiter")
        or _checked(data.get("header")) != _checked(data.get("read_header"))
    )


# An import's result is read by whoever may read what it imported (a viewer too);
# running one needs IMPORT_PERMISSIONS.
IMPORT_READ_PERMISSIONS = {
    "contacts": "contacts.view_contact",
    "stoplist": "contacts.view_stoplistentry",
}


def _job_for(request: HttpRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if (
        not request.user.has_perm(IMPORT_READ_PERMISSIONS[job.kind])
        and job.created_by_id != request.user.pk
    ):
        raise PermissionDenied
    return job


@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop an upload that waits for its columns, file and all."""
    job = get_object_or_404(ImportJob, pk=pk)
    if not request.user.has_perm(IMPORT_PERMISSIONS[job.kind]):
        raise PermissionDenied
    if services.import_job_discard(job=job):
        messages.success(
            request,
            _("The upload “%(name)s” was discarded.") % {"name": job.original_name},
        )
    else:
        messages.error(
            request,
            _("The import of “%(name)s” has started: it can no longer be discarded.")
            % {"name": job.original_name},
        )
    return redirect(IMPORT_PAGES[job.kind])


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    template = (
        "contacts/_import_progress.html"
        if request.headers.get("HX-Request")
        else "contacts/import_detail.html"
    )
    # The reasons in the reader's language (stored as records, reasons.py).
    report = report_for_reader(job.report)
    return render(request, template, {"job": job, "report": report})


@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a failed import again with the columns chosen for it."""
    job = get_object_or_404(ImportJob, pk=pk)
    if not request.user.has_perm(IMPORT_PERMISSIONS[job.kind]):
        raise PermissionDenied
    with transaction.atomic():
        retried = services.import_job_retry(job=job)
    if not retried and job.upload_removed:
        messages.warning(
            request,
            ngettext(
                "The uploaded file has been removed (an import's files are kept "
                "%(days)s day): upload it again.",
                "The uploaded file has been removed (an import's files are kept "
                "%(days)s days): upload it again.",
                settings.SMSPORTAL_IMPORT_FILES_DAYS,
            )
            % {"days": settings.SMSPORTAL_IMPORT_FILES_DAYS},
        )
    elif not retried:
        messages.warning(
            request, _("Only a failed import whose columns were chosen can run again.")
        )
    return redirect("contacts:import_detail", pk=job.pk)


def import_rejects(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.rejects_removed:  # an old link: its page says so too
        messages.warning(request, rejects_removed_message())
        return redirect("contacts:import_detail", pk=job.pk)
    if not job.rejects:
        raise Http404
    if rejects_missing(job):
        messages.error(request, rejects_unreachable_message())
        return redirect("contacts:import_detail", pk=job.pk)
    return rejects_response(job)


# Numbering plan ------------------------------------------------------------------------


@permission_required("contacts.view_numberrange", raise_exception=True)
def numbering_plan(request: HttpRequest) -> HttpResponse:
    """What registry is loaded, its recent loads, and (for managers) a new upload."""
    can_load = request.user.has_perm("contacts.add_numberrange")
    posted = request.method == "POST"
    form = NumberingPlanUploadForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    if posted:
        if not can_load:
            raise PermissionDenied
        if refused_upload_shown(request, form, "files"):
            pass  # stopped at the limit as it arrived: the form says so
        elif form.is_valid():
            try:
                numbering_jobs.numbering_plan_upload(
                    uploads=form.cleaned_data["files"], user=request.user
                )
            except ApplicationError as exc:
                form.add_error("files", exc.message)
            else:
                messages.success(request, _("The registry is loading."))
                return redirect("contacts:numbering_plan")
    context = {
        "form": form,
        "can_load": can_load,
        "loads": NumberingPlanLoad.objects.all()[:5],
        "summary": numbering_jobs.numbering_plan_summary(),
    }
    # 200 with the errors shown, as every page form answers.
    return render(request, "contacts/numbering_plan.html", context)


@permission_required("contacts.view_numberrange", raise_exception=True)
def numbering_plan_load_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One load's status and report (the page polls it while it runs)."""
    job = get_object_or_404(NumberingPlanLoad, pk=pk)
    return render(request, "contacts/_numbering_plan_load.html", {"job": job})
