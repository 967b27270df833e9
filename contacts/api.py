"""REST API of contact books, mounted at /api/v1/ (see smsportal.api)."""

import base64
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import AfterValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts import bulk_jobs, exporting, selectors, services
from contacts.importing.fields import field_choices, field_label
from contacts.importing.reasons import report_for_reader
from contacts.importing.rejects import rejects_missing, rejects_response
from contacts.importing.runner import ImportOptions
from contacts.importing.sources import DELIMITER_CHOICES, ENCODING_CHOICES
from contacts.job_files import rejects_removed_message
from contacts.models import Contact, ContactGroup, CustomField, ImportJob
from smsportal.api import permission_required, require_perm
from smsportal.api_input import (
    MAX_ID,
    InputSchema,
    ObjectId,
    PageSize,
    RecordId,
    cursor_refused,
)
from smsportal.api_versions import (
    expected_version_field,
    if_match_openapi,
    locked_for_patch,
)
from smsportal.exceptions import ApplicationError
from smsportal.filtering import FIRST_DAY, LAST_DAY
from smsportal.shared_files import rejects_unreachable_message
from smsportal.textguard import check_one_line, check_sendable

PREFIX = ""
router = Router(tags=["contacts"])


def _no_nul(value: str, info: ValidationInfo) -> str:
    """PostgreSQL text cannot hold NUL: refused as a contact's text is, a 400 naming
    the field and the place (not a 500, nor a 422 of another shape). The
    ApplicationError is no ValueError: pydantic lets it through to the API's handler."""
    if "\x00" in value:
        check_sendable(value, where=info.field_name or "")
    return value


def _at_most(limit: int) -> tuple[AfterValidator, WithJsonSchema]:
    """A length limit counted in Python, said the way pydantic says its own."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    return AfterValidator(check), WithJsonSchema({"type": "string", "maxLength": limit})


Text = Annotated[str, AfterValidator(_no_nul)]
# Checked by the services like a contact's text (below): NUL and the like get a 400.
Name = Annotated[str, *_at_most(100)]
# A contact's text is checked by the services instead: NUL, like every character no
# gateway can carry, comes back as their 400 naming the field and the place. The length
# is counted in Python: pydantic-core would read the string as UTF-8 and answer a lone
# surrogate with a 422 of its own (and, behind a validator, speak of "items").
ContactName = Annotated[str, *_at_most(100)]
ContactEmail = Annotated[str, *_at_most(254)]
ContactConsent = Annotated[str, *_at_most(200)]
ContactPhone = Annotated[str, *_at_most(40)]


class ContactOut(Schema):
    id: int
    phone: str
    first_name: str
    last_name: str
    middle_name: str
    nickname: str
    birthday: date | None
    email: str
    time_zone: str
    is_mobile: bool | None
    attributes: dict[str, Any]
    consent_source: str
    consent_at: datetime | None
    is_stopped: bool = False
    groups: list[int]
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description="Raised by every change: give it to PATCH as expected_version"
    )

    @staticmethod
    def resolve_groups(contact: Contact) -> list[int]:
        return [group.pk for group in contact.groups.all()]


class ContactIn(InputSchema):
    answer_schema = ContactOut

    phone: ContactPhone
    first_name: ContactName = ""
    last_name: ContactName = ""
    middle_name: ContactName = ""
    nickname: ContactName = ""
    birthday: date | None = None
    email: ContactEmail = ""
    # Custom field values by key (Settings: Custom fields), checked as the contact
    # page checks them: a Number is a number, a Date "YYYY-MM-DD", no unknown keys.
    attributes: dict[str, Any] = {}
    consent_source: ContactConsent = ""
    consent_at: datetime | None = None
    # "Asia/Vladivostok", "МСК+7", "UTC+10"; empty: the numbering plan's (a mobile's
    # once the registry is loaded, see contacts.numbering).
    time_zone: str = ""
    groups: list[RecordId] = []


class ContactPatch(InputSchema):
    answer_schema = ContactOut

    phone: ContactPhone | None = None
    first_name: ContactName | None = None
    last_name: ContactName | None = None
    middle_name: ContactName | None = None
    nickname: ContactName | None = None
    birthday: date | None = None
    email: ContactEmail | None = None
    attributes: dict[str, Any] | None = None
    consent_source: ContactConsent | None = None
    consent_at: datetime | None = None
    time_zone: str | None = None  # "": back to the numbering plan's
    groups: list[RecordId] | None = Field(
        None,
        description="The contact's groups as a whole: those left out are left. "
        "Memberships are no part of the version (bulk actions and imports change "
        "them without raising it): to add or take out a contact without undoing "
        "a change made meanwhile, use /groups/{id}/members.",
    )
    expected_version: int | None = expected_version_field()


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactQuery(Schema):
    """Which contacts: the contact page's filters, for the list and the export."""

    q: Text | None = None
    group: int | None = None
    stopped: bool | None = None
    birthday: Literal["today", "tomorrow", "week", "month"] | None = None
    created_after: date | None = None
    created_before: date | None = None

    def as_filters(self) -> dict[str, Any]:
        """The set ones, keyed as ContactFilterSet reads them."""
        params = {"q": self.q, "group": self.group, "stopped": self.stopped,
                  "birthday": self.birthday, "created_min": self.created_after,
                  "created_max": self.created_before}  # fmt: skip
        return {k: v for k, v in params.items() if v is not None}

    def refused_param(self, where: str | None) -> str | None:
        """The parameter a refusal of the filterset's `where` is about: its one
        `created` range is two parameters here."""
        if where != "created":
            return where
        if self.created_after is None:
            return "created_before"
        before = self.created_before
        if before is not None and not FIRST_DAY <= before <= LAST_DAY:
            return "created_before"
        return "created_after"  # off the calendar, or after created_before


def _contacts_under(query: ContactQuery) -> QuerySet[Contact]:
    """selectors.contact_list under the query, a refusal naming its parameter."""
    try:
        return selectors.contact_list(filters=query.as_filters())
    except ApplicationError as exc:
        exc.where = query.refused_param(exc.where)
        raise


class ContactFilters(ContactQuery):
    cursor: Text | None = None
    limit: PageSize = 100


class GroupOut(Schema):
    id: int
    name: str
    description: str
    member_count: int  # always answered: required in the schema, no default
    version: int = Field(
        description="Raised by every change: give it to PATCH as expected_version"
    )

    @staticmethod
    def resolve_member_count(group: ContactGroup) -> int:
        # The list's groups carry the count; a group just created has no members.
        return getattr(group, "member_count", 0)


class GroupIn(InputSchema):
    answer_schema = GroupOut

    name: Name
    # Checked by the services, labelled as the page labels it (NUL included).
    description: str = ""


class StopListOut(Schema):
    phone: str
    reason: str
    source: str
    created_at: datetime


class StopListIn(InputSchema):
    answer_schema = StopListOut

    # Checked in stoplist_add, as a contact's texts are: a 400 naming the place.
    phone: ContactPhone
    reason: Annotated[str, *_at_most(255)] = ""


class StopListPage(Schema):
    items: list[StopListOut]
    next_cursor: str | None


class ImportJobOut(Schema):
    id: int
    kind: str
    status: str
    original_name: str
    percent: int
    rows_done: int
    report: dict[str, Any]
    error: str
    rejects_url: str | None
    # Rows were rejected, but their file was removed SMSPORTAL_IMPORT_FILES_DAYS
    # after the import (contacts.job_files).
    rejects_removed: bool

    @staticmethod
    def resolve_report(job: ImportJob) -> dict[str, Any]:
        # Reasons in the request's language, with their problems' stable codes.
        report = report_for_reader(job.report, codes=True)
        report.pop("reason_records", None)
        return report

    @staticmethod
    def resolve_rejects_url(job: ImportJob) -> str | None:
        # The API's own download, which takes the token (the page's link needs a
        # session).
        return reverse("api:import_rejects", args=[job.pk]) if job.rejects else None


def _encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise cursor_refused() from None


def _page(
    queryset, *, cursor: str | None, limit: int, key: str = "id"
) -> tuple[list, str | None]:
    """Keyset pagination on `key` descending: stable under inserts, no COUNT."""
    after = _decode_cursor(cursor)
    if after is not None:
        queryset = queryset.filter(**{f"{key}__lt": after})
    items = list(queryset.order_by(f"-{key}")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, _encode_cursor(getattr(items[-1], key)) if more else None


@router.get("/contacts", response=ContactPage)
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> dict:
    """Contacts, newest first; pass next_cursor back as cursor for the next page."""
    require_perm(request, "contacts.view_contact")
    queryset = _contacts_under(filters).prefetch_related("groups")
    items, next_cursor = _page(queryset, cursor=filters.cursor, limit=filters.limit)
    return {"items": items, "next_cursor": next_cursor}


# Atomic with the answer's read: a contact stored but unreadable (a value the
# checks missed) is not left behind an error answer.
@router.post("/contacts", response={201: ContactOut})
@permission_required("contacts.add_contact")
@transaction.atomic
def contact_create(request: HttpRequest, payload: ContactIn) -> Status:
    data = payload.dict()
    groups = _existing_groups(data.pop("groups"))
    contact = services.contact_create(groups=groups, **data)
    return Status(201, _contact(contact.pk))


def _existing_groups(ids: list[int]) -> list[ContactGroup]:
    """The groups of these ids; a 400 naming the ids that are no group's, rather than
    a contact quietly left out of (or taken out of) its groups."""
    groups = list(ContactGroup.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {group.pk for group in groups})
    if missing:
        raise ApplicationError(
            ngettext(
                "There is no group %(ids)s.", "There are no groups %(ids)s.",
                len(missing),
            ) % {"ids": ", ".join(map(str, missing))},
            where="groups",
        )  # fmt: skip
    return groups


def _contact(pk: int) -> Contact:
    return get_object_or_404(
        Contact.objects.with_stop_flag().prefetch_related("groups"), pk=pk
    )


def _export_format(key: str) -> exporting.ExportFormat:
    """The download format `key` names; 400 naming the ones there are."""
    if key not in exporting.FORMATS:
        raise ApplicationError(
            _("format must be one of %(formats)s")
            % {"formats": ", ".join(exporting.FORMATS)},
            where="format",
        )
    return exporting.FORMATS[key]


@router.get("/contacts/export")
def contact_export(
    request: HttpRequest, query: Query[ContactQuery], format: str = "csv"
) -> HttpResponse:
    """Contacts as CSV (format=csv or csv-1251) or XLSX (format=xlsx), under the same
    filters as the list."""
    from contacts.views import export_response

    require_perm(request, "contacts.view_contact")
    contacts = _contacts_under(query)
    return export_response(
        contacts,
        fmt=_export_format(format),
        filters=query.as_filters(),
    )


# Before /contacts/{contact_id}, which would take "import" for an id (a 404).
@router.post("/contacts/import", response={202: ImportJobOut})
# Either import, before the file is read: a reader is told it may not import, not
# that the upload lacks a file. The kind's own permission is checked below.
@permission_required("contacts.add_contact", "contacts.add_stoplistentry", any_of=True)
def contact_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str] = "contacts",
    groups: Form[list[int]] = None,  # noqa: B008 - ninja reads the default as "optional"
    update: Form[bool] = False,
    encoding: Form[str] = "auto",
    delimiter: Form[str] = "auto",
    mapping: Form[str] = "",
) -> Status:
    """Upload a CSV/XLSX file and queue its import; poll GET /imports/{id}.

    `mapping` is optional: one field name per column, comma-separated ("" to ignore a
    column); without it columns are mapped by their header names.
    """
    if kind not in ("contacts", "stoplist"):
        raise ApplicationError(_("kind must be contacts or stoplist"), where="kind")
    # Before the form is checked: a reader is told it may not import, not what to
    # change in a request it may not make.
    require_perm(
        request,
        "contacts.add_contact" if kind == "contacts" else "contacts.add_stoplistentry",
    )
    _known_form_fields_only(request)
    for name, value in (("encoding", encoding), ("delimiter", delimiter),
                        ("mapping", mapping)):  # fmt: skip
        if "\x00" in value:
            raise ApplicationError(
                _("form fields must not contain NUL characters"), where=name
            )
    if encoding not in ENCODING_CHOICES:
        raise ApplicationError(
            _("encoding must be one of %(encodings)s")
            % {"encodings": ", ".join(ENCODING_CHOICES)},
            where="encoding",
        )
    if delimiter not in DELIMITER_CHOICES:
        raise ApplicationError(
            _("delimiter must be auto, ',', ';' or tab"), where="delimiter"
        )
    columns = [m.strip() for m in mapping.split(",")] if mapping else None
    if columns is not None:
        custom_fields = list(CustomField.objects.all())
        allowed = {value for value, _label in field_choices(
            kind=kind, custom_fields=custom_fields
        )}  # fmt: skip
        unknown = sorted({c for c in columns if c not in allowed})
        if unknown:
            raise ApplicationError(
                _("mapping names unknown fields: %(fields)s")
                % {"fields": ", ".join(unknown)},
                where="mapping",
            )
        # As the mapping page refuses it: one column's values would be dropped.
        twice = next((c for c in columns if c and columns.count(c) > 1), None)
        if twice is not None:
            raise ApplicationError(
                _("“%(field)s” is chosen for more than one column.")
                % {"field": field_label(twice, custom_fields)},
                where="mapping",
            )
    chosen = _existing_groups(groups or [])
    group_ids = [group.pk for group in chosen]
    job = services.import_job_create(upload=file, kind=kind, user=request.user)
    options = ImportOptions(
        kind=kind,
        encoding=encoding,
        delimiter=DELIMITER_CHOICES[delimiter],
        mapping=columns,
        group_ids=group_ids,
        update=update,
    )
    with transaction.atomic():
        # Held to the commit: the queued import keeps them from deletion after it.
        services.groups_held({"groups": chosen})
        services.import_job_start(job=job, options=options)
    job.refresh_from_db()
    return Status(202, job)


IMPORT_FIELDS = ("delimiter", "encoding", "file", "groups", "kind", "mapping", "update")


def _known_form_fields_only(request: HttpRequest) -> None:
    """Refuse a form field the import does not know, as a JSON body's is refused
    (smsportal.api_input): a misspelt "group" would import the whole file into no
    group and answer 202."""
    for name in [*request.POST, *request.FILES]:
        # A session's form may carry its CSRF token as a field (Django reads it).
        if name not in IMPORT_FIELDS and name != "csrfmiddlewaretoken":
            raise ApplicationError(
                _("%(field)s: there is no such field here. The fields are: %(fields)s.")
                % {"field": name, "fields": ", ".join(IMPORT_FIELDS)},
                where=name,
            )


@router.get("/contacts/{contact_id}", response=ContactOut)
def contact_get(request: HttpRequest, contact_id: ObjectId) -> Contact:
    require_perm(request, "contacts.view_contact")
    return _contact(contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response=ContactOut,
    openapi_extra=if_match_openapi("contact"),
)
@permission_required("contacts.change_contact")
def contact_update(
    request: HttpRequest, contact_id: ObjectId, payload: ContactPatch
) -> Contact:
    """Change a contact; fields left out keep their values. With expected_version
    (or If-Match), a contact changed since that version is refused with 409."""
    with locked_for_patch(
        request, Contact.objects, contact_id, payload.expected_version
    ) as contact:
        data = payload.dict(exclude_unset=True, exclude={"expected_version"})
        for name in ("phone", "first_name", "last_name", "middle_name", "nickname",
                     "email", "consent_source", "attributes", "time_zone"):  # fmt: skip
            if name in data and data[name] is None:
                # null on a field that cannot be null: "" (or {}), except the phone.
                if name == "phone":
                    del data[name]
                else:
                    data[name] = {} if name == "attributes" else ""
        groups = data.pop("groups", None)
        if groups is not None:
            groups = _existing_groups(groups)
        services.contact_update(contact=contact, groups=groups, **data)
        return _contact(contact.pk)


@router.delete("/contacts/{contact_id}", response={204: None})
def contact_delete(request: HttpRequest, contact_id: ObjectId) -> Status:
    require_perm(request, "contacts.delete_contact")
    contact = get_object_or_404(Contact, pk=contact_id)
    services.contacts_delete(contacts=Contact.objects.filter(pk=contact.pk))
    return Status(204, None)


@router.get("/groups", response=list[GroupOut])
def group_list(request: HttpRequest) -> Any:
    require_perm(request, "contacts.view_contactgroup")
    return selectors.contact_groups_with_counts()


@router.post("/groups", response={201: GroupOut})
@permission_required("contacts.add_contactgroup")
def group_create(request: HttpRequest, payload: GroupIn) -> Status:
    group = services.group_create(name=payload.name, description=payload.description)
    return Status(201, group)


class GroupPatch(InputSchema):
    answer_schema = GroupOut

    name: Name | None = None
    description: str | None = None
    expected_version: int | None = expected_version_field()


class MembersIn(InputSchema):
    """Contacts by id, by phone (written any common way), or both."""

    contact_ids: list[RecordId] = []
    phones: list[ContactPhone] = []


class MembersAdded(Schema):
    added: int  # put in the group now
    already: int  # were in it
    not_found: list[str]  # ids and numbers of no contact in the book


class MembersRemoved(Schema):
    removed: int  # taken out of the group
    not_found: list[str]


def _group(pk: int) -> ContactGroup:
    return get_object_or_404(selectors.contact_groups_with_counts(), pk=pk)


@router.get("/groups/{group_id}", response=GroupOut)
def group_get(request: HttpRequest, group_id: ObjectId) -> ContactGroup:
    require_perm(request, "contacts.view_contactgroup")
    return _group(group_id)


@router.patch(
    "/groups/{group_id}", response=GroupOut, openapi_extra=if_match_openapi("group")
)
@permission_required("contacts.change_contactgroup")
def group_update(request: HttpRequest, group_id: ObjectId, payload: GroupPatch) -> Any:
    """Rename or describe a group. With expected_version (or If-Match), a group
    changed since that version is refused with 409."""
    with locked_for_patch(
        request, ContactGroup.objects, group_id, payload.expected_version
    ) as group:
        # What is left out keeps the value the row holds under the update's lock.
        services.group_update(
            group=group, name=payload.name, description=payload.description
        )
    return _group(group.pk)


@router.post("/groups/{group_id}/members", response=MembersAdded)
@permission_required("contacts.change_contact")
def group_members_add(
    request: HttpRequest, group_id: ObjectId, payload: MembersIn
) -> dict[str, Any]:
    """Put contacts in the group (those already in it stay, counted as such)."""
    group = get_object_or_404(ContactGroup, pk=group_id)
    contacts, not_found = _members(payload)
    addition = services.contacts_add_to_group(contacts=contacts, group=group)
    return {"added": addition.added, "already": addition.already,
            "not_found": not_found}  # fmt: skip


@router.post("/groups/{group_id}/members/remove", response=MembersRemoved)
@permission_required("contacts.change_contact")
def group_members_remove(
    request: HttpRequest, group_id: ObjectId, payload: MembersIn
) -> dict[str, Any]:
    """Take contacts out of the group (they stay in the book)."""
    group = get_object_or_404(ContactGroup, pk=group_id)
    contacts, not_found = _members(payload)
    removed = services.contacts_remove_from_group(contacts=contacts, group=group)
    return {"removed": removed, "not_found": not_found}


def _members(payload: MembersIn) -> tuple[QuerySet[Contact], list[str]]:
    """The contacts named by id or phone, and the ids and numbers of none (an
    unreadable number is a 400 naming it: its contact cannot be told)."""
    limit = bulk_jobs.in_request_max()
    if len(payload.contact_ids) + len(payload.phones) > limit:
        raise ApplicationError(
            _("At most %(limit)s contacts per request; send the rest in another.")
            % {"limit": intcomma(limit)},
            where="contact_ids" if payload.contact_ids else "phones",
        )
    phones = []
    for index, raw in enumerate(payload.phones):
        check_sendable(raw, where=f"phones[{index}]", label=_("Phone"))
        phones.append(
            services.phone_normalize_or_error(phone=raw, where=f"phones[{index}]").e164
        )
    ids = set(payload.contact_ids)
    # An id no row can have (0, past bigint) is simply no contact's.
    found = Contact.objects.filter(
        pk__in=[pk for pk in ids if 1 <= pk <= MAX_ID]
    ) | Contact.objects.filter(phone__in=phones)
    known = set(found.values_list("pk", "phone"))
    known_ids = {pk for pk, _phone in known}
    known_phones = {phone for _pk, phone in known}
    not_found = [str(pk) for pk in sorted(ids - known_ids)]
    not_found += [
        raw
        for raw, phone in zip(payload.phones, phones, strict=True)
        if phone not in known_phones
    ]
    return Contact.objects.filter(pk__in=known_ids), not_found


@router.delete("/groups/{group_id}", response={204: None})
def group_delete(request: HttpRequest, group_id: ObjectId) -> Status:
    require_perm(request, "contacts.delete_contactgroup")
    services.group_delete(group=get_object_or_404(ContactGroup, pk=group_id))
    return Status(204, None)


@router.get("/stoplist", response=StopListPage)
def stoplist(
    request: HttpRequest,
    q: Text = "",
    cursor: Text | None = None,
    limit: PageSize = 100,
) -> dict:
    require_perm(request, "contacts.view_stoplistentry")
    items, next_cursor = _page(
        selectors.stoplist_list(search=q), cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/stoplist/export")
def stoplist_export(request: HttpRequest, format: str = "csv", q: Text = "") -> Any:
    """The stop list as CSV (format=csv or csv-1251) or XLSX (format=xlsx)."""
    from contacts.views import stoplist_export_response

    require_perm(request, "contacts.view_stoplistentry")
    return stoplist_export_response(
        search=q, fmt=_export_format(format), filters={"q": q}
    )


def _entry_answer(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/StopListOut"}
    return {"description": description,
            "content": {"application/json": {"schema": schema}}}  # fmt: skip


@router.post(
    "/stoplist",
    response={200: StopListOut, 201: StopListOut},
    openapi_extra={"responses": {
        # Int keys, as django-ninja's own: "200" beside 200 was a second key.
        200: _entry_answer("The number was already listed: its entry, unchanged"),
        201: _entry_answer("The number is now on the stop list"),
    }},
)  # fmt: skip
@permission_required("contacts.add_stoplistentry")
def stoplist_add(request: HttpRequest, payload: StopListIn) -> Status:
    check_sendable(payload.phone, where="phone", label=_("Phone"))
    check_sendable(payload.reason, where="reason", label=_("Reason"))
    check_one_line(payload.reason.strip(), where="reason", label=_("Reason"))
    entry, created = services.stoplist_add(
        phone=payload.phone, reason=payload.reason, user=request.user
    )
    return Status(201 if created else 200, entry)


@router.delete("/stoplist/{phone}", response={204: None})
def stoplist_remove(request: HttpRequest, phone: Text) -> Status:
    require_perm(request, "contacts.delete_stoplistentry")
    if not services.stoplist_remove(phone=phone):
        raise HttpError(404, _("This number is not on the stop list."))
    return Status(204, None)


@router.get("/imports/{job_id}", response=ImportJobOut)
def import_get(request: HttpRequest, job_id: ObjectId) -> ImportJob:
    """Progress and, once done, the report of an import."""
    require_perm(request, "contacts.view_importjob")
    return get_object_or_404(ImportJob, pk=job_id)


@router.get("/imports/{job_id}/rejected.csv", url_name="import_rejects")
def import_rejects(request: HttpRequest, job_id: ObjectId) -> HttpResponse:
    """The rows not imported, each with its row number and why, in the file's own
    encoding and delimiter; 404 when there were none, 410 once their file was
    removed (SMSPORTAL_IMPORT_FILES_DAYS after the import)."""
    require_perm(request, "contacts.view_importjob")
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.rejects_removed:
        raise HttpError(410, rejects_removed_message())
    if not job.rejects:
        raise Http404
    if rejects_missing(job):
        raise HttpError(404, rejects_unreachable_message())
    return rejects_response(job)
