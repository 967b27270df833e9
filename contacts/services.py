"""Write side of contact books. Keyword-only `<entity>_<verb>` functions (STYLE.md)."""

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts.audit import audit, named_ids
from accounts.models import AuditEvent
from contacts.contact_changes import contact_renumbered, contacts_leaving
from contacts.importing.rejects import rejects_transcode
from contacts.importing.runner import ImportOptions, run_import
from contacts.importing.sources import max_import_bytes
from contacts.job_claim import job_claim
from contacts.job_files import import_upload_release, stored_files_delete_on_commit
from contacts.models import (
    EARLIEST_DAY,
    Contact,
    ContactGroup,
    CustomField,
    GroupMembership,
    ImportJob,
    StopListEntry,
    validate_group_name,
)
from contacts.numbering import zone_for_phone
from contacts.phone import InvalidPhone, NormalizedPhone, normalize_phone
from contacts.statistics import statistics_refresh
from contacts.stop_listed import stop_listed_announce
from contacts.timezones import UnknownTimeZone, parse_time_zone
from smsportal.exceptions import ApplicationError
from smsportal.lib.hooks import Hooks
from smsportal.lib.textcheck import remove_invisible
from smsportal.outage import send_or_leave_queued
from smsportal.shared_files import (
    stored_file_missing,
    upload_missing_here_message,
    upload_unreachable_message,
)
from smsportal.textguard import (
    check_field_sendable,
    check_one_line,
    check_sendable,
)
from smsportal.versioning import require_version

logger = logging.getLogger(__name__)
CONTACT_FIELDS = (
    "first_name", "last_name", "middle_name", "nickname", "birthday", "email",
    "attributes", "consent_source", "consent_at",
)  # fmt: skip


def phone_normalize_or_error(*, phone: str, where: str = "phone") -> Any:
    """normalize_phone, with the reason as an ApplicationError naming the field."""
    try:
        return normalize_phone(phone)
    except InvalidPhone as exc:
        raise ApplicationError(
            _("“%(phone)s” is not a valid phone number: %(reason)s")
            % {"phone": phone, "reason": exc.reason},
            where=where,
        ) from None


def plan_zone(normalized: NormalizedPhone) -> str:
    """The numbering plan's zone of a number: libphonenumber's for a landline code,
    else its range's in the loaded registry (contacts.numbering); "" when unknown."""
    return normalized.time_zone or zone_for_phone(normalized.e164)


def plan_time_zone(phone: str) -> str:
    """plan_zone of a stored number ("" if it no longer reads as one)."""
    try:
        return plan_zone(normalize_phone(phone))
    except InvalidPhone:
        return ""


def time_zone_or_error(value: str) -> str:
    """The IANA name of a zone as people write it, or an ApplicationError saying why."""
    try:
        return parse_time_zone(value)
    except UnknownTimeZone as exc:
        raise ApplicationError(
            _("“%(value)s”: %(reason)s") % {"value": value, "reason": exc},
            where="time_zone",
        ) from None


def _check_email(fields: dict[str, Any]) -> None:
    email = fields.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                _("“%(email)s” is not an email address.") % {"email": email},
                where="email",
            ) from None


def _check_birthday(fields: dict[str, Any]) -> None:
    birthday_check(fields.get("birthday"))


# How far ahead of our clock a client's may run before "now" is in the future.
CLOCK_SKEW = timedelta(minutes=5)


def _earliest_text() -> str:
    return date_format(EARLIEST_DAY, "SHORT_DATE_FORMAT")


def birthday_check(birthday: object) -> None:
    """ApplicationError for a birthday that has not happened yet, or before 1900."""
    if not isinstance(birthday, date):
        return
    if birthday > timezone.localdate():
        raise ApplicationError(
            _("The birthday %(date)s is in the future.")
            % {"date": date_format(birthday, "SHORT_DATE_FORMAT")},
            where="birthday",
        )
    if birthday < EARLIEST_DAY:
        raise ApplicationError(
            _("The birthday cannot be earlier than %(date)s.")
            % {"date": _earliest_text()},
            where="birthday",
        )


def consent_at_check(consent_at: object) -> None:
    """ApplicationError for a consent time in the future (consent is given before it
    is recorded), before 1900, or past what a date can hold in UTC."""
    if not isinstance(consent_at, datetime):
        return
    future = ApplicationError(
        _("The consent time is in the future: give the moment the person agreed."),
        where="consent_at",
    )
    early = ApplicationError(
        _("The consent time cannot be earlier than %(date)s.")
        % {"date": _earliest_text()},
        where="consent_at",
    )
    if timezone.is_naive(consent_at):
        consent_at = consent_at.replace(tzinfo=timezone.get_current_timezone())
    try:
        instant = consent_at.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset that leaves the calendar
        raise (early if consent_at.year < 1900 else future) from None
    if instant > timezone.now() + CLOCK_SKEW:
        raise future
    if instant < datetime.combine(EARLIEST_DAY, datetime.min.time(), tzinfo=UTC):
        raise early


def _check_consent_at(fields: dict[str, Any]) -> None:
    consent_at_check(fields.get("consent_at"))


# Fields that placeholders put into messages (with the custom fields): they must hold
# only characters a gateway can carry.
PLACEHOLDER_FIELDS = ("first_name", "last_name", "middle_name", "nickname")
# The rest of a contact's text is held to the same rule, before its own (phone, email):
# NUL cannot be stored, the other characters are debris there too (the importer removes
# them from every column), and one rule gives one answer naming the field and the place.
TEXT_FIELDS = ("phone", *PLACEHOLDER_FIELDS, "email", "consent_source")


def _check_sendable(fields: dict[str, Any]) -> None:
    for name in TEXT_FIELDS:
        if value := fields.get(name):
            check_field_sendable(Contact, name, value)
    for name in PLACEHOLDER_FIELDS:
        # Taken in before the names are stripped: an inner line break only.
        if value := (fields.get(name) or "").strip():
            label = capfirst(Contact._meta.get_field(name).verbose_name)
            check_one_line(value, where=name, label=label)
    if attributes := fields.get("attributes"):
        attributes_check_sendable(attributes=attributes)


def _check_attributes(fields: dict[str, Any], *, previous: dict) -> None:
    """Custom field values as the contact page takes them (a Number field's "много"
    came in through the API and was stored), stored as that page stores them;
    ApplicationError naming each wrong field and value."""
    if fields.get("attributes") is None:
        return
    from contacts.forms import attributes_clean  # the page's rules, one place

    try:
        fields["attributes"] = attributes_clean(
            fields["attributes"],
            custom_fields=list(CustomField.objects.all()),
            previous=previous,
        )
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), where="attributes") from exc


def remove_invisible_characters(fields: dict[str, Any]) -> None:
    """Names and custom text values without invisible formatting characters (a
    zero-width space pasted with a name made its every message UCS-2)."""
    for name in PLACEHOLDER_FIELDS:
        if isinstance(fields.get(name), str):
            fields[name] = remove_invisible(fields[name]).strip()
    attributes = fields.get("attributes")
    if isinstance(attributes, dict):
        fields["attributes"] = {
            key: remove_invisible(value).strip() if isinstance(value, str) else value
            for key, value in attributes.items()
        }


def attributes_check_sendable(*, attributes: Any) -> None:
    """Custom field values (and keys, at any depth) hold only characters a gateway can
    carry; ApplicationError naming the key and the place."""
    label = capfirst(Contact._meta.get_field("attributes").verbose_name)
    _check_json(attributes, label=label)


def _check_json(value: Any, *, label: str) -> None:
    if isinstance(value, str):
        check_sendable(value, where="attributes", label=label)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_sendable(str(key), where="attributes", label=label)
            _check_json(item, label=str(key))
    elif isinstance(value, list):
        for item in value:
            _check_json(item, label=label)


@transaction.atomic
def contact_create(
    *, phone: str, groups: list[ContactGroup] | None = None, **fields: Any
) -> Contact:
    """A new contact; ApplicationError if the phone is invalid or already in the book."""
    _check_sendable({"phone": phone, **fields})
    normalized = phone_normalize_or_error(phone=phone)
    _check_email(fields)
    _check_birthday(fields)
    _check_consent_at(fields)
    _check_attributes(fields, previous={})
    remove_invisible_characters(fields)
    # A zone given by hand wins; else the numbering plan's (a mobile's: its range's).
    stated = fields.pop("time_zone", "") or ""
    zone = time_zone_or_error(stated) if stated.strip() else plan_zone(normalized)
    if Contact.objects.filter(phone=normalized.e164).exists():
        raise ApplicationError(
            _("%(phone)s is already in the book.") % {"phone": normalized.e164},
            where="phone",
        )
    contact = Contact(
        phone=normalized.e164,
        is_mobile=normalized.is_mobile,
        time_zone=zone,
        **{k: v for k, v in fields.items() if k in CONTACT_FIELDS},
    )
    try:
        with transaction.atomic():
            # Held to the commit: a group deleted meanwhile is said, not left out.
            groups_held({"groups": groups or []})
            contact.save()
            if groups:
                contact.groups.set(groups)
    except IntegrityError:
        raise ApplicationError(
            _("%(phone)s is already in the book.") % {"phone": normalized.e164},
            where="phone",
        ) from None
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    groups: list[ContactGroup] | None = None,
    add_to_groups: Iterable[ContactGroup] = (),
    remove_from_groups: Iterable[int] = (),
    expected_version: int | None = None,
    **fields: Any,
) -> Contact:
    """Change a contact; a new phone is normalised and must not belong to another.

    The fields given are applied to the row as it is now, read under a lock held to
    the commit: a change of other fields at the same time is kept. Given
    `expected_version` (the one a page was opened at), a contact changed since is
    refused (StaleVersion). `groups` replaces the contact's groups; the page gives
    `add_to_groups` and `remove_from_groups` (ids) instead, what its user changed:
    memberships are not versioned (contacts.forms.ContactForm._groups_change).
    """
    contact.refresh_from_db(from_queryset=Contact.objects.select_for_update())
    require_version(contact, expected_version)
    # Held to the commit: a group deleted meanwhile is said, not left out.
    add_to_groups = list(add_to_groups)
    groups_held({"groups": [*(groups or []), *add_to_groups]})
    as_it_was = _row_values(contact)
    _check_sendable(fields)
    phone = fields.pop("phone", None)
    _check_email(fields)
    _check_birthday(fields)
    _check_consent_at(fields)
    _check_attributes(fields, previous=contact.attributes or {})
    remove_invisible_characters(fields)
    stated = fields.pop("time_zone", None)  # None: not given; "": the plan's
    renumbered_from = ""
    if phone is not None and phone != contact.phone:
        normalized = phone_normalize_or_error(phone=phone)
        if (
            Contact.objects.filter(phone=normalized.e164)
            .exclude(pk=contact.pk)
            .exists()
        ):
            raise ApplicationError(
                _("%(phone)s is already in the book.") % {"phone": normalized.e164},
                where="phone",
            )
        renumbered_from = contact.phone
        contact.phone = normalized.e164
        contact.is_mobile = normalized.is_mobile
        contact.time_zone = plan_zone(normalized)
    if stated is not None:
        contact.time_zone = (
            time_zone_or_error(stated)
            if stated.strip()
            else plan_time_zone(contact.phone)
        )
    for name, value in fields.items():
        if name in CONTACT_FIELDS:
            setattr(contact, name, value)
    with transaction.atomic():
        # A form saved as it was opened changes nothing: no new version (which
        # would refuse another person's edit opened at the old one), no new time.
        if _row_values(contact) != as_it_was:
            contact.updated_at = timezone.now()
            contact.save()
        if renumbered_from:
            contact_renumbered(contact.pk, renumbered_from, contact.phone)
        if groups is not None:
            contact.groups.set(groups)
        if add_to_groups:
            contact.groups.add(*add_to_groups)
        if remove_from_groups:
            contact.groups.remove(*remove_from_groups)
    return contact


def _row_values(contact: Contact) -> dict[str, Any]:
    return {
        f.attname: getattr(contact, f.attname) for f in Contact._meta.concrete_fields
    }


def contacts_delete(*, contacts: QuerySet[Contact], audited: bool = True) -> int:
    """Delete the contacts (their memberships go with them; messages and replies
    keep their history, unlinked); the number deleted. Not `audited`: the caller
    records the event (a worker deleting a book in chunks records one, at the end).

    Messages still waiting to be sent to them are not sent (one UPDATE over the
    waiting messages, in the same transaction: campaigns.contact_follow).

    Set-based, whatever the selection's size: Django's delete loaded every contact
    and its relations into memory first (200,000 contacts: 13.2 s and 480 MB; a
    million would take gigabytes). On PostgreSQL one statement, so the rows
    unlinked are exactly those of the contacts deleted (bench/bench_export.py: 2.4 s).
    The foreign keys are checked at the statement's end (Django makes them
    DEFERRABLE INITIALLY DEFERRED), when the memberships are gone too.
    """
    with transaction.atomic():
        # What waits to be sent to them is not sent (campaigns.contact_follow).
        contacts_leaving(contacts)
        return _contacts_delete(contacts, audited=audited)


def _contacts_delete(contacts: QuerySet[Contact], *, audited: bool) -> int:
    ids_sql, params = contacts.order_by().values("id").query.sql_with_params()
    cascaded, unlinked = _contact_relations()
    if connection.vendor == "postgresql":
        steps = [
            *(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM gone)"
              for table, column in cascaded),
            *(f"UPDATE {table} SET {column} = NULL"
              f" WHERE {column} IN (SELECT id FROM gone)"
              for table, column in unlinked),
        ]  # fmt: skip
        ctes = ", ".join(f"step{n} AS ({sql})" for n, sql in enumerate(steps))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH gone AS (DELETE FROM {Contact._meta.db_table}"
                f" WHERE id IN ({ids_sql}) RETURNING id, phone), {ctes}"
                " SELECT count(*), min(phone) FROM gone",
                params,
            )
            count, phone = cursor.fetchone()
        if audited:
            contacts_delete_audit(count, phone)
        return count
    with transaction.atomic():  # SQLite (the demo): the ids, then each table
        ids = list(contacts.order_by().values_list("id", flat=True))
        phone = (
            Contact.objects.filter(pk=ids[0]).values_list("phone", flat=True).first()
            if len(ids) == 1
            else None
        )
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            with connection.cursor() as cursor:
                for table, column in cascaded:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk
                    )
                for table, column in unlinked:
                    cursor.execute(
                        f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({marks})",
                        chunk,
                    )
                cursor.execute(
                    f"DELETE FROM {Contact._meta.db_table} WHERE id IN ({marks})", chunk
                )
        if audited:
            contacts_delete_audit(len(ids), phone)
        return len(ids)


def contacts_delete_audit(count: int, phone: str | None, *, actor: Any = None) -> None:
    """One event for a delete of any size: a contact by its number, many by their
    count (a whole book deleted at once left no trace)."""
    if not count:
        return
    audit(
        AuditEvent.Action.DELETED,
        actor=actor,
        model=Contact,
        object_repr=phone if count == 1 else "",
        count=count,
    )


def _contact_relations() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The tables that point at a contact: (table, column) deleted with it, and
    (table, column) whose link is cleared. Read from the models, so a relation
    added later is not forgotten; one this cannot handle fails loudly."""
    cascaded, unlinked = [], []
    for relation in Contact._meta.related_objects:
        if relation.many_to_many:
            continue  # its through table is a relation of its own
        table = relation.related_model._meta.db_table
        column = relation.field.column
        if relation.on_delete is models.CASCADE and not (
            relation.related_model._meta.related_objects
        ):
            cascaded.append((table, column))
        elif relation.on_delete is models.SET_NULL:
            unlinked.append((table, column))
        else:
            raise NotImplementedError(f"deleting contacts: {relation} not handled")
    return cascaded, unlinked


@dataclass(frozen=True)
class GroupAddition:
    added: int  # memberships made
    already: int  # contacts chosen that were in the group already


def contacts_add_to_group(
    *, contacts: QuerySet[Contact], group: ContactGroup, analyze: bool = True
) -> GroupAddition:
    """Add every contact of the queryset to the group in one INSERT ... SELECT, and
    count those already in it: "108 done" of 111 chosen left the user to guess.
    Not `analyze`: the caller refreshes the statistics (once, after its chunks)."""
    try:
        ids_sql, params = contacts.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # `pk__in=[]`: the API's numbers and ids of no contact
        return GroupAddition(added=0, already=0)

    def insert_from(ids: str) -> str:
        return f"""
            INSERT INTO {GroupMembership._meta.db_table} (contact_id, group_id, added_at)
            SELECT ids.id, %s, %s FROM {ids} AS ids
            WHERE true
            ON CONFLICT (contact_id, group_id) DO NOTHING
        """

    made = [group.pk, timezone.now()]
    with transaction.atomic(), connection.cursor() as cursor:
        # Held to the commit: memberships have no database key to refuse a group
        # deleted meanwhile, and would point at nothing.
        groups_held({"group": [group]})
        if connection.vendor == "postgresql":
            # One statement: the chosen ids counted as they are inserted.
            cursor.execute(
                f"""
                WITH chosen AS ({ids_sql}),
                added AS ({insert_from("chosen")} RETURNING 1)
                SELECT (SELECT count(*) FROM chosen), (SELECT count(*) FROM added)
                """,
                [*params, *made],
            )
            chosen, added = cursor.fetchone()
        else:  # SQLite (the embedded demo): no INSERT within WITH
            chosen = contacts.order_by().count()
            cursor.execute(insert_from(f"({ids_sql})"), [*made, *params])
            added = cursor.rowcount
    if analyze:
        statistics_refresh(tables=[GroupMembership], changed=added)
    return GroupAddition(added=added, already=chosen - added)


def contacts_remove_from_group(
    *, contacts: QuerySet[Contact], group: ContactGroup, analyze: bool = True
) -> int:
    """Take the contacts out of the group; how many were in it."""
    deleted, _per_model = GroupMembership.objects.filter(
        group=group, contact__in=contacts.order_by().values("id")
    ).delete()
    if analyze:
        statistics_refresh(tables=[GroupMembership], changed=deleted)
    return deleted


def contacts_opt_out(
    *,
    contacts: QuerySet[Contact],
    reason: str,
    source: str = StopListEntry.Source.MANUAL,
    user: Any = None,
) -> int:
    """Put the contacts' phones on the stop list in one INSERT ... SELECT."""
    phones_sql, params = contacts.order_by().values("phone").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {StopListEntry._meta.db_table}
                (phone, reason, source, created_by_id, created_at)
            SELECT phones.phone, %s, %s, %s, %s FROM ({phones_sql}) AS phones
            WHERE true
            ON CONFLICT (phone) DO NOTHING
            RETURNING phone
            """,
            [reason, source, getattr(user, "pk", None), timezone.now(), *params],
        )
        added = [phone for (phone,) in cursor.fetchall()]
    stop_listed_announce(added)
    return len(added)


def contact_opt_out(
    *,
    phone: str,
    reason: str = "",
    source: str = StopListEntry.Source.MANUAL,
    user: Any = None,
) -> StopListEntry:
    """Put a phone on the stop list (idempotent); the contact, if any, stays in the book."""
    entry, _created = stoplist_add(phone=phone, reason=reason, source=source, user=user)
    return entry


def stoplist_add(
    *,
    phone: str,
    reason: str = "",
    source: str = StopListEntry.Source.MANUAL,
    user: Any = None,
) -> tuple[StopListEntry, bool]:
    """contact_opt_out, saying whether the entry is new (False: the number was
    already listed, its entry unchanged)."""
    normalized = phone_normalize_or_error(phone=phone)
    entry, created = StopListEntry.objects.get_or_create(
        phone=normalized.e164,
        defaults={
            "reason": reason[:255],
            "source": source,
            "created_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    if created:
        stop_listed_announce([entry.phone])
    return entry, created


# Rows per INSERT: two parameters a row, well inside SQLite's and PostgreSQL's limits.
OPT_OUT_CHUNK = 1000


def phones_opt_out(*, reasons: Mapping[str, str], source: str) -> list[str]:
    """Put E.164 phones on the stop list, each with its reason, in one INSERT a
    thousand; a phone already there keeps its entry (reason, source, date). Only the
    phones newly listed are announced (and returned): a STOP sent again, or a reply
    fetched twice, must not queue the withdrawal of the number's messages again."""
    rows = sorted(reasons.items())
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    added: list[str] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), OPT_OUT_CHUNK):
            chunk = rows[start : start + OPT_OUT_CHUNK]
            values = ", ".join(["(%s, %s, %s, NULL, %s)"] * len(chunk))
            cursor.execute(
                f"""
                INSERT INTO {StopListEntry._meta.db_table}
                    (phone, reason, source, created_by_id, created_at)
                VALUES {values}
                ON CONFLICT (phone) DO NOTHING
                RETURNING phone
                """,
                [
                    value
                    for phone, reason in chunk
                    for value in (phone, reason[:255], source, now)
                ],
            )
            added += [phone for (phone,) in cursor.fetchall()]
    stop_listed_announce(added)
    return added


def stoplist_remove(*, phone: str) -> int:
    """Take a phone off the stop list; the number of entries removed (0 or 1)."""
    if "\x00" in phone:
        # On no entry, and PostgreSQL refuses it in a parameter (the page's form
        # answered 500).
        return 0
    with contextlib.suppress(InvalidPhone):
        phone = normalize_phone(phone).e164
    deleted, _per_model = StopListEntry.objects.filter(phone=phone).delete()
    return deleted


def stoplist_remove_entries(*, entries: QuerySet[StopListEntry]) -> int:
    """Take the chosen entries off the stop list; how many. One query finds them and
    one deletes them, where a phone at a time cost a lookup and a delete each; the
    audit log still gets an event per number (its post_delete signal)."""
    deleted, _per_model = StopListEntry.objects.filter(
        pk__in=entries.values("pk")
    ).delete()
    return deleted


def _group_fields(name: str, description: str) -> tuple[str, str]:
    """The name stripped and required, both free of characters no text should hold."""
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the group a name."), where="name")
    try:
        validate_group_name(name)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], where="name") from None
    check_field_sendable(ContactGroup, "name", name)
    label = capfirst(ContactGroup._meta.get_field("name").verbose_name)
    check_one_line(name, where="name", label=label)
    check_field_sendable(ContactGroup, "description", description, multiline=True)
    return name, description


def group_create(*, name: str, description: str = "") -> ContactGroup:
    name, description = _group_fields(name, description)
    if ContactGroup.objects.filter(name__iexact=name).exists():
        raise ApplicationError(
            _("A group named “%(name)s” already exists.") % {"name": name}, where="name"
        )
    try:
        with transaction.atomic():
            return ContactGroup.objects.create(name=name, description=description)
    except IntegrityError:  # a twin request created it since the check above
        raise ApplicationError(
            _("A group named “%(name)s” already exists.") % {"name": name}, where="name"
        ) from None


@transaction.atomic
def group_update(
    *,
    group: ContactGroup,
    name: str | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> ContactGroup:
    """Rename or describe a group; None keeps the value the row holds now (read under
    a lock held to the commit). Given `expected_version`, a group changed since is
    refused (StaleVersion)."""
    group.refresh_from_db(from_queryset=ContactGroup.objects.select_for_update())
    require_version(group, expected_version)
    name, description = _group_fields(
        group.name if name is None else name,
        group.description if description is None else description,
    )
    if ContactGroup.objects.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise ApplicationError(
            _("A group named “%(name)s” already exists.") % {"name": name}, where="name"
        )
    group.name, group.description = name, description
    group.save(update_fields=["name", "description", "version"])
    return group


# Who still reads a group's members: other apps register a check that names them
# (campaigns: those yet to build their audience, and greetings); contacts knows none.
GroupUsers = Callable[[ContactGroup], list[str]]
_group_users: Hooks[GroupUsers] = Hooks()
group_users_register = _group_users.register


def group_in_use(group: ContactGroup) -> list[str]:
    """What still reads the group's members, named for the user (none: deletable)."""
    return [user for check in _group_users for user in check(group)]


def group_delete(*, group: ContactGroup) -> None:
    """Delete the group; its contacts stay in the book. ApplicationError while
    something still reads its members: gone, a campaign it was to exclude would send
    to them, and one it was the audience of would send to nobody.

    The group's row is locked before the check: a draft saved with it meanwhile
    (groups_hold) either committed first, and is seen by the check, or waits and
    finds the group gone. Unlocked, the delete took the group out of a draft saved
    between the check and the delete without a word."""
    with transaction.atomic():
        locked = ContactGroup.objects.select_for_update().filter(pk=group.pk).first()
        if locked is None:
            return  # deleted meanwhile by someone else: done all the same
        users = group_in_use(locked)
        if users:
            raise ApplicationError(group_in_use_message(group, users), where="group")
        locked.delete()


def groups_hold(ids: Iterable[int]) -> set[int]:
    """Lock the groups (in the caller's transaction) against a group_delete until
    it commits; which of them are still there. Shared: saves of two drafts with
    one group do not wait for each other."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    if connection.vendor != "postgresql":  # SQLite writes one at a time anyway
        return set(
            ContactGroup.objects.filter(pk__in=wanted).values_list("pk", flat=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {ContactGroup._meta.db_table} WHERE id = ANY(%s) "
            "FOR KEY SHARE",
            [wanted],
        )
        return {row[0] for row in cursor.fetchall()}


class GroupsGone(ApplicationError):
    """A group chosen (in a form, on a campaign being copied) was deleted meanwhile;
    `where` is the field that chose it."""


def groups_held(chosen: Mapping[str, Iterable[ContactGroup]]) -> None:
    """Hold the groups of each field (name: groups) against a delete until the
    caller's transaction commits (groups_hold); GroupsGone naming those of the first
    field deleted meanwhile, in that field."""
    for where, groups in chosen.items():
        gone = groups_gone(groups)
        if gone:
            raise GroupsGone(groups_gone_message(gone), where=where)


def groups_gone(groups: Iterable[ContactGroup]) -> list[ContactGroup]:
    """Hold the groups (groups_hold); those of them deleted meanwhile."""
    groups = list(groups)
    there = groups_hold(group.pk for group in groups)
    return [group for group in groups if group.pk not in there]


def groups_gone_message(gone: Iterable[ContactGroup]) -> str:
    names = [group.name for group in gone]
    return ngettext(
        "The group %(names)s was deleted meanwhile: choose the groups again.",
        "The groups %(names)s were deleted meanwhile: choose the groups again.",
        len(names),
    ) % {"names": quoted_names(names)}


def quoted_names(names: Iterable[str]) -> str:
    """“A”, “B”: names quoted as the language quotes them."""
    return ", ".join(
        pgettext("a quoted name", "“%(name)s”") % {"name": n} for n in names
    )


def group_import_users(group: ContactGroup) -> list[str]:
    """Imports queued or running into the group («Add to groups»): gone before the
    worker reached them, the file's contacts went in without it (or the import
    failed on the database's check), with nothing said at the delete."""
    waiting = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).only("original_name", "options")
    # Few at a time; in Python, as SQLite's JSON has no "contains".
    return [
        _("the import of “%(name)s”") % {"name": job.original_name}
        for job in waiting
        if group.pk in (job.options or {}).get("group_ids", [])
    ]


def group_in_use_message(group: ContactGroup, users: list[str]) -> str:
    return _(
        "The group “%(name)s” is still used by %(users)s: take it out of their "
        "audience (or let them finish) before deleting it."
    ) % {"name": group.name, "users": ", ".join(users)}


def import_job_create(
    *, upload: UploadedFile, kind: str, user: Any = None
) -> ImportJob:
    """Store an uploaded file for import; ApplicationError when it is too big."""
    limit = max_import_bytes()
    if upload.size > limit:
        from django.template.defaultfilters import filesizeformat

        raise ApplicationError(
            _(
                "The file is %(size)s; the largest file that can be imported is "
                "%(limit)s. Split it into smaller files."
            )
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            where=upload.name,
        )
    job = ImportJob(
        kind=kind,
        original_name=upload.name[:255],
        bytes_total=upload.size,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    from contacts.importing.preview import preview_store  # imports the runner's peers

    preview_store(job)
    return job


# An upload whose columns nobody chose within this long was left: its file goes.
UPLOAD_ABANDONED_AFTER = timedelta(days=1)


def import_job_discard(*, job: ImportJob) -> bool:
    """Delete an upload still waiting for its columns, and its stored file; False
    when it has started (or gone) meanwhile."""
    with transaction.atomic():
        locked = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk, status=ImportJob.Status.UPLOADED)
            .first()
        )
        if locked is None:
            return False
        # Its file goes after the commit (contacts.job_files, on every delete).
        locked.delete()
    return True


def import_uploads_expire(*, now: datetime | None = None) -> int:
    """Discard uploads left at the column step for longer than
    UPLOAD_ABANDONED_AFTER (the beat runs it hourly); how many went. They stayed in
    "Recent imports" as "waiting for column mapping" for ever, their files too."""
    cutoff = (now or timezone.now()) - UPLOAD_ABANDONED_AFTER
    stale = ImportJob.objects.filter(
        status=ImportJob.Status.UPLOADED, created_at__lt=cutoff
    )
    return sum(import_job_discard(job=job) for job in stale.only("pk").iterator())


def import_job_start(*, job: ImportJob, options: ImportOptions) -> ImportJob:
    """Save the chosen options and queue the import once this transaction commits."""
    from contacts.tasks import contacts_import as contacts_import_task

    options.created_by_id = job.created_by_id
    started = {
        "options": options.as_dict(),
        "status": ImportJob.Status.QUEUED,
        "error": "",
        "language": translation.get_language() or "",  # the uploader's, for the report
        "enqueued_at": timezone.now(),
    }
    # Only an upload waiting for its columns starts: the same mapping sent twice (two
    # tabs, a retried request) queued the import twice and audited it twice.
    if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
        **started
    ):
        job.refresh_from_db()
        return job
    for name, value in started.items():
        setattr(job, name, value)
    audit(
        AuditEvent.Action.IMPORTED,
        job,
        object_repr=job.original_name,
        kind=job.kind,
        groups=named_ids("contacts.ContactGroup", [str(i) for i in options.group_ids]),
        update=options.update,
    )
    language = job.language or None
    transaction.on_commit(
        lambda: send_or_leave_queued(contacts_import_task, job.pk, language=language)
    )
    return job


def contacts_import(*, job_id: int) -> ImportJob:
    """Run a queued import job: report, rejects file, status. Called by the task."""
    job = ImportJob.objects.get(pk=job_id)
    # Not from running: a worker that stopped mid-import leaves it to the sweep
    # (smsportal.job_sweep), which fails it for a person to run again.
    if not job_claim(
        job, startable=(ImportJob.Status.QUEUED, ImportJob.Status.UPLOADED)
    ):
        return job

    def progress(fraction: float, rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            bytes_done=int(job.bytes_total * fraction), rows_done=rows
        )

    if stored_file_missing(
        storage=job.file.storage, name=job.file.name, what=f"upload of import {job.pk}"
    ):
        # Retrying here cannot help: the file is on another machine's disk.
        return _import_job_fail(
            job, upload_unreachable_message(file_name=job.original_name)
        )
    options = ImportOptions.from_dict(job.options)
    with tempfile.NamedTemporaryFile(
        "w+", encoding="utf-8", newline="", suffix=".csv"
    ) as rejects:
        try:
            with job.file.open("rb") as raw:
                report = run_import(
                    raw,
                    name=job.original_name,
                    options=options,
                    rejects=rejects,
                    progress=progress,
                )
        except ApplicationError as exc:
            return _import_job_fail(job, str(exc))
        except Exception:
            logger.exception("import job %s failed", job.pk)
            _import_job_fail(
                job, _("The import stopped on an internal error; nothing was imported.")
            )
            raise
        job.report = report.as_dict()
        if report.rejected:
            _import_job_save_rejects(job, rejects, file_encoding=report.encoding)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.bytes_done = job.bytes_total
    job.rows_done = report.rows
    if not _import_job_still_ours(job).update(
        status=job.status, finished_at=job.finished_at, bytes_done=job.bytes_done,
        rows_done=job.rows_done, report=job.report, rejects=job.rejects.name or "",
    ):  # fmt: skip
        # The sweep gave the job to another run while this worker was thought gone:
        # that run's outcome and its upload stay; this run's rejected rows go.
        logger.warning("import job %s: taken over, outcome left", job.pk)
        stored_files_delete_on_commit(job.rejects.storage, [job.rejects.name])
        return job
    # Its rows are in the book now: the whole file, personal data, need not stay.
    import_upload_release(job)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    return job


def _import_job_still_ours(job: ImportJob) -> QuerySet[ImportJob]:
    """The job while no later run has claimed it (`attempts` counts the claims)."""
    return ImportJob.objects.filter(pk=job.pk, attempts=job.attempts)


def import_job_retry(*, job: ImportJob) -> bool:
    """Queue a failed import again, with the columns chosen for it, once this
    commits; False when it is not failed (any more: a double click) or never got as
    far as its columns (nothing to run again)."""
    from contacts.tasks import contacts_import as contacts_import_task

    language = translation.get_language() or ""
    retried = (
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED)
        .exclude(options={})
        .exclude(file="")  # removed after SMSPORTAL_IMPORT_FILES_DAYS
        .update(
            status=ImportJob.Status.QUEUED,
            error="",
            report={},
            bytes_done=0,
            rows_done=0,
            started_at=None,
            finished_at=None,
            language=language,
            enqueued_at=timezone.now(),
        )
    )
    if not retried:
        return False
    audit(
        AuditEvent.Action.IMPORTED,
        job,
        object_repr=job.original_name,
        kind=job.kind,
        retry=True,
    )
    transaction.on_commit(
        lambda: send_or_leave_queued(
            contacts_import_task, job.pk, language=language or None
        )
    )
    return True


def _import_job_save_rejects(
    job: ImportJob, rejects: TextIO, *, file_encoding: str
) -> None:
    """Store the rejects in the uploaded file's encoding (contacts.importing.rejects)."""
    rejects.flush()
    rejects.seek(0)
    with tempfile.TemporaryFile() as encoded:
        rejects_transcode(rejects, encoded, file_encoding=file_encoding)
        encoded.seek(0)
        # Bytes, so the storage writes them as they are (a text file is re-encoded).
        job.rejects.save(f"rejected-{job.pk}.csv", File(encoded), save=False)


def import_upload_missing(*, job: ImportJob) -> str:
    """Why an uploaded job's file cannot be read on this machine ("" when it can);
    the job is then over (failed with that message), for the user to upload again,
    not left waiting for its columns."""
    if not stored_file_missing(
        storage=job.file.storage, name=job.file.name, what=f"upload of import {job.pk}"
    ):
        return ""
    message = upload_missing_here_message(file_name=job.original_name)
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
        status=ImportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )
    return message


def _import_job_fail(job: ImportJob, message: str) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.finished_at = timezone.now()
    if not _import_job_still_ours(job).update(
        status=job.status, error=job.error, finished_at=job.finished_at
    ):
        logger.warning("import job %s: taken over, failure left", job.pk)
    return job
