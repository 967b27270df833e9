"""How checked rows go into the book, all of a file in one transaction.

The runner already knows which numbers are in the book (it loads them first), so each
chunk arrives split into new and existing rows.

PostgreSQL: the file is parsed in a helper thread while this thread writes each chunk:
new contacts are COPYed straight into the contact table with ids taken from its
sequence, and their group memberships straight after; existing contacts go through a
temporary table for the set-based UPDATE ... FROM and INSERT ... ON CONFLICT. Parsing is
Python on one core, the server works on the other; waiting on the socket frees the GIL.
If someone adds one of the "new" numbers while the import runs, COPY hits the unique
constraint and the import stops with a message to run it again (it is idempotent).
The stop list, small and rarely imported, always goes through the temporary table.

Any other database (the embedded SQLite of a first `make run`): rows wait in a temporary
file, then go in with bulk_create / bulk_update, a chunk at a time. That fallback is
simple rather than fast; big books belong on PostgreSQL.
"""

import contextlib
import json
import pickle
import queue
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts.importing.groups import GroupResolver
from contacts.importing.rows import CONTACT_COLUMNS, NAME_FIELDS, NULL
from contacts.models import Contact, GroupMembership, StopListEntry
from contacts.stop_listed import stop_listed_announce
from smsportal.exceptions import ApplicationError

ORM_CHUNK = 500
SWITCH_INTERVAL = 0.0005
CONTACT_TEXT_FIELDS = (*NAME_FIELDS, "email")
# Fields an import may change on an existing contact (the phone-derived ones never do).
UPDATABLE = (*NAME_FIELDS, "birthday", "email", "time_zone", "attributes")
# Staged values of an existing contact, after its id (from the time zone on: the phone
# and its type are what found the contact).
EXISTING_FROM = CONTACT_COLUMNS.index("time_zone")
EXISTING_COLUMNS = CONTACT_COLUMNS[EXISTING_FROM:]

Values = list[str]


@dataclass
class Chunk:
    """Checked rows, split by whether their phone is already in the book."""

    new: list[Values] = field(default_factory=list)
    # (contact or stop list entry id, staged values)
    existing: list[tuple[int, Values]] = field(default_factory=list)
    # With a "Groups" column: each row's group names (groups.JOINED between them),
    # in the order of `new` and of `existing`.
    new_groups: list[str] = field(default_factory=list)
    existing_groups: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.new) + len(self.existing)


@dataclass(frozen=True)
class ApplyPlan:
    """What to do with the checked rows."""

    kind: str
    # Built-in contact fields the file fills.
    fields: frozenset[str] = frozenset()
    # (key, kind) of the custom fields the file fills.
    attributes: tuple[tuple[str, str], ...] = ()
    update: bool = False
    group_ids: tuple[int, ...] = ()
    # Rows name groups of their own (Chunk.new_groups, existing_groups).
    group_column: bool = False
    consent_source: str = ""
    stop_source: str = StopListEntry.Source.IMPORT
    stop_reason: str = ""
    created_by_id: int | None = None

    @property
    def updatable(self) -> list[str]:
        """The fields an update changes: those the file fills."""
        filled = set(self.fields) | ({"attributes"} if self.attributes else set())
        return [name for name in UPDATABLE if name in filled]


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    # Contacts already in the book whose only change was joining a group.
    grouped: int = 0
    unchanged: int = 0
    groups_created: list[str] = field(default_factory=list)

    def add(self, other: "Applied") -> None:
        self.created += other.created
        self.updated += other.updated
        self.grouped += other.grouped
        self.unchanged += other.unchanged


def apply_rows(plan: ApplyPlan, chunks: Iterable[Chunk]) -> Applied:
    """Put every chunk of checked rows into the book; nothing at all if one fails."""
    if connection.vendor == "postgresql":
        return PostgresStage(plan).run(chunks)
    return FileStage(plan).run(chunks)


@dataclass
class CopyText:
    """A chunk as COPY text: new rows (without their ids yet) and staged existing ones."""

    new: list[str]
    existing: str
    existing_count: int
    new_groups: list[str] = field(default_factory=list)
    existing_groups: list[tuple[int, str]] = field(default_factory=list)


class PostgresStage:
    table = "contacts_import_stage"

    def __init__(self, plan: ApplyPlan) -> None:
        self.plan = plan
        now = timezone.now().isoformat()
        consent_at = now if plan.consent_source else NULL
        consent = _escape(plan.consent_source)
        # Columns after the staged ones, the same for every new contact.
        self.new_suffix = f"\t{consent}\t{consent_at}\t{now}\t{now}\n"
        self.now = now
        self.membership_suffixes = [f"\t{g}\t{now}\n" for g in plan.group_ids]
        self.groups: GroupResolver | None = None  # made in the transaction

    def run(self, chunks: Iterable[Chunk]) -> Applied:
        applied = Applied()
        with transaction.atomic(), connection.cursor() as cursor:
            self.groups = GroupResolver() if self.plan.group_column else None
            cursor.execute(self._create_stage_sql())
            for text in in_background(self._copy_texts(chunks)):
                if self.plan.kind == "stoplist":
                    applied.add(self._apply_stoplist(cursor, text))
                else:
                    applied.add(self._apply_new(cursor, text))
                    applied.add(self._apply_existing(cursor, text))
            cursor.execute(f"DROP TABLE {self.table}")
        if self.groups is not None:
            applied.groups_created = self.groups.created
        return applied

    def _row_group_ids(self, joined: str) -> list[int]:
        """A row's own groups, without those the whole import adds it to."""
        assert self.groups is not None  # noqa: S101 - only with a "Groups" column
        return [g for g in self.groups.ids_of(joined) if g not in self.plan.group_ids]

    def _create_stage_sql(self) -> str:
        if self.plan.kind == "stoplist":
            columns = 'id bigint, phone text COLLATE "C", reason text'
        else:
            types = {"birthday": "date", "attributes": "jsonb"}
            columns = ", ".join(
                [
                    "id bigint",
                    *(f"{c} {types.get(c, 'text')}" for c in EXISTING_COLUMNS),
                ]
            )
        return f"CREATE TEMPORARY TABLE {self.table} ({columns}) ON COMMIT DROP"

    def _copy_texts(self, chunks: Iterable[Chunk]) -> Iterator[CopyText]:
        """Runs in the helper thread: the chunk's COPY text."""
        if self.plan.kind == "stoplist":
            for chunk in chunks:
                new = [f"{values[1]}\t{values[2]}\n" for values in chunk.new]
                yield CopyText(new, "", len(chunk.existing))
            return
        suffix = self.new_suffix
        update = bool(self.plan.update and self.plan.updatable)
        for chunk in chunks:
            new = ["\t".join(values[1:]) + suffix for values in chunk.new]
            existing = ""
            if update:
                # An empty cell never erases: it is NULL in the UPDATE's COALESCE.
                existing = "".join(
                    [
                        f"{pk}\t"
                        + "\t".join([v or NULL for v in values[EXISTING_FROM:]])
                        + "\n"
                        for pk, values in chunk.existing
                    ]
                )
            elif self.plan.group_ids:
                existing = "".join([f"{pk}\n" for pk, _values in chunk.existing])
            existing_groups = []
            if chunk.existing_groups:
                existing_groups = [
                    (pk, joined)
                    for (pk, _values), joined in zip(
                        chunk.existing, chunk.existing_groups, strict=True
                    )
                    if joined
                ]
            yield CopyText(
                new, existing, len(chunk.existing), chunk.new_groups, existing_groups
            )

    def _apply_new(self, cursor, text: CopyText) -> Applied:
        lines = text.new
        if not lines:
            return Applied()
        contacts = Contact._meta.db_table
        # One text value, not a row per id: the ids go straight into COPY text.
        cursor.execute(
            "SELECT string_agg(nextval(pg_get_serial_sequence(%s, 'id'))::text, ' ') "
            "FROM generate_series(1, %s)",
            [contacts, len(lines)],
        )
        ids = cursor.fetchone()[0].split(" ")
        columns = ", ".join(["id", *CONTACT_COLUMNS[1:], "consent_source", "consent_at",
                             "created_at", "updated_at"])  # fmt: skip
        try:
            with transaction.atomic():
                with cursor.cursor.copy(
                    f"COPY {contacts} ({columns}) FROM STDIN"
                ) as copy:
                    copy.write(
                        "".join(
                            [
                                f"{pk}\t{line}"
                                for pk, line in zip(ids, lines, strict=True)
                            ]
                        )
                    )
                if self.plan.group_ids or text.new_groups:
                    self._copy_memberships(cursor, ids, text.new_groups)
        except IntegrityError:
            raise ApplicationError(
                _(
                    "Some numbers of this file were added to the book by someone else "
                    "while it was being imported. Nothing was imported; run the "
                    "import again."
                )
            ) from None
        return Applied(created=len(lines))

    def _copy_memberships(self, cursor, ids: list[str], row_groups: list[str]) -> None:
        table = GroupMembership._meta.db_table
        # Resolved before the COPY opens: creating a group the book lacks is a
        # statement of its own, and none can run while a COPY is open.
        now = self.now
        own = "".join(
            [
                f"{pk}\t{group}\t{now}\n"
                for pk, joined in zip(ids, row_groups, strict=True)
                if joined
                for group in self._row_group_ids(joined)
            ]
            if row_groups
            else []
        )
        sql = f"COPY {table} (contact_id, group_id, added_at) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for suffix in self.membership_suffixes:
                copy.write("".join([pk + suffix for pk in ids]))
            copy.write(own)

    def _stage(self, cursor, text: str, columns: str) -> None:
        cursor.execute(f"TRUNCATE {self.table}")
        with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
            copy.write(text)

    def _apply_existing(self, cursor, text: CopyText) -> Applied:
        """Existing contacts: update what changed, add them to the groups."""
        count = text.existing_count
        if not count:
            return Applied()
        updatable = self.plan.updatable if self.plan.update else []
        pairs = [
            (pk, group)
            for pk, joined in text.existing_groups
            for group in self._row_group_ids(joined)
        ]
        if not updatable and not self.plan.group_ids and not pairs:
            return Applied(unchanged=count)
        if updatable or self.plan.group_ids:
            columns = ["id", *EXISTING_COLUMNS] if updatable else ["id"]
            self._stage(cursor, text.existing, ", ".join(columns))
        updated = grouped = 0
        if self.plan.group_ids or pairs:
            # Before the update, which it looks at to leave out the contacts it changes.
            grouped = self._add_to_groups(cursor, updatable, pairs)
        if updatable:
            # A chunk is a few thousand rows of a table of millions: look each one up by
            # its primary key. Left to itself the planner, knowing nothing of the
            # temporary table, scans the whole book once per chunk.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute(self._update_sql(updatable))
            updated = cursor.rowcount
            cursor.execute("RESET enable_hashjoin")
            cursor.execute("RESET enable_mergejoin")
        return Applied(
            updated=updated, grouped=grouped, unchanged=count - updated - grouped
        )

    def _add_to_groups(
        self, cursor, updatable: list[str], pairs: list[tuple[int, int]]
    ) -> int:
        """Add the staged contacts to the plan's groups, and each contact of `pairs`
        (contact id, group id) to its row's; how many joined one and will not be
        updated (those count as updated)."""
        not_updated = ""
        if updatable:
            not_updated = f"""
                WHERE NOT EXISTS (
                    SELECT 1 FROM {Contact._meta.db_table} AS c
                    JOIN {self.table} AS s ON s.id = c.id
                    WHERE c.id = added.contact_id AND ({_changed_sql(updatable)})
                )"""
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {GroupMembership._meta.db_table}
                    (contact_id, group_id, added_at)
                SELECT s.id, g.id, now() FROM {self.table} AS s,
                    unnest(%s::bigint[]) AS g(id)
                UNION ALL
                SELECT p.contact_id, p.group_id, now()
                FROM unnest(string_to_array(%s, ',')::bigint[],
                            string_to_array(%s, ',')::bigint[]) AS p(contact_id, group_id)
                ON CONFLICT (contact_id, group_id) DO NOTHING
                RETURNING contact_id
            )
            SELECT count(DISTINCT contact_id) FROM added{not_updated}
            """,
            [
                list(self.plan.group_ids),
                # As text: the driver took three times as long to send a chunk's
                # pairs as Python lists (56 ms against 18 ms per 24,000).
                ",".join([str(pk) for pk, _group in pairs]),
                ",".join([str(group) for _pk, group in pairs]),
            ],
        )
        return cursor.fetchone()[0]

    def _update_sql(self, updatable: list[str]) -> str:
        sets = []
        for name in updatable:
            if name == "attributes":
                sets.append("attributes = c.attributes || s.attributes")
            else:
                sets.append(f"{name} = COALESCE(s.{name}, c.{name})")
        return f"""
            UPDATE {Contact._meta.db_table} AS c
            SET {", ".join(sets)}, updated_at = now(), version = c.version + 1
            FROM {self.table} AS s
            WHERE c.id = s.id AND ({_changed_sql(updatable)})
        """

    def _apply_stoplist(self, cursor, text: CopyText) -> Applied:
        count = len(text.new)
        if not count:
            return Applied(unchanged=text.existing_count)
        self._stage(cursor, "".join(text.new), "phone, reason")
        plan = self.plan
        cursor.execute(
            f"""
            INSERT INTO {StopListEntry._meta.db_table}
                (phone, reason, source, created_by_id, created_at)
            SELECT phone, COALESCE(reason, %s), %s, %s, now() FROM {self.table}
            ON CONFLICT (phone) DO NOTHING
            RETURNING phone
            """,
            [plan.stop_reason, plan.stop_source, plan.created_by_id],
        )
        added = [phone for (phone,) in cursor.fetchall()]
        stop_listed_announce(added)
        created = len(added)
        return Applied(created=created, unchanged=count - created + text.existing_count)


def _changed_sql(updatable: list[str]) -> str:
    """Whether the staged row `s` would change the contact `c` (an empty cell never
    erases, so it changes nothing)."""
    changed = []
    for name in updatable:
        if name == "attributes":
            changed.append("NOT c.attributes @> s.attributes")
        else:
            changed.append(
                f"(s.{name} IS NOT NULL AND s.{name} IS DISTINCT FROM c.{name})"
            )
    return " OR ".join(changed)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("\t", " ")
        .replace("\n", " ")
        .replace("\r", " ")
    )


def in_background(items: Iterator, *, ahead: int = 2) -> Iterator:
    """Yield what `items` yields, computing it in a helper thread a few items ahead.

    Exceptions of the helper come out here; stopping early stops the helper.
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    done = object()
    # Translations are per thread: the helper writes reasons in the caller's language.
    language = translation.get_language()

    def produce() -> None:
        translation.activate(language)
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(("item", item), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(("end", done))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            handoff.put(("error", exc))
        finally:
            # The helper may have used the ORM (progress); its connection is its own.
            connections.close_all()

    thread = threading.Thread(target=produce, name="contacts-import-parse", daemon=True)
    # The consumer mostly waits on the database; a short switch interval lets it take
    # the GIL back from the CPU-bound helper soon after the server answers.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        thread.join()
        sys.setswitchinterval(switch_interval)


class FileStage:
    """Chunks pickled to a temporary file, then applied with the ORM."""

    def __init__(self, plan: ApplyPlan) -> None:
        self.plan = plan
        self.groups: GroupResolver | None = None  # made in the transaction

    def run(self, chunks: Iterable[Chunk]) -> Applied:
        applied = Applied()
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                pickle.dump(chunk, spool)
            spool.seek(0)
            with transaction.atomic():
                self.groups = GroupResolver() if self.plan.group_column else None
                for chunk in _unpickled(spool):
                    for start in range(
                        0, max(len(chunk.new), len(chunk.existing)), ORM_CHUNK
                    ):
                        end = start + ORM_CHUNK
                        part = Chunk(
                            chunk.new[start:end],
                            chunk.existing[start:end],
                            chunk.new_groups[start:end],
                            chunk.existing_groups[start:end],
                        )
                        if self.plan.kind == "stoplist":
                            applied.add(self._stoplist(part))
                        else:
                            applied.add(self._contacts(part))
        if self.groups is not None:
            applied.groups_created = self.groups.created
        return applied

    def _stoplist(self, chunk: Chunk) -> Applied:
        entries = [
            StopListEntry(
                phone=_unescape(values[1]),
                reason=(None if values[2] == NULL else _unescape(values[2]))
                or self.plan.stop_reason,
                source=self.plan.stop_source,
                created_by_id=self.plan.created_by_id,
            )
            for values in chunk.new
        ]
        StopListEntry.objects.bulk_create(entries)
        stop_listed_announce([entry.phone for entry in entries])
        return Applied(created=len(entries), unchanged=len(chunk.existing))

    def _contacts(self, chunk: Chunk) -> Applied:
        now = timezone.now()
        consent_at = now if self.plan.consent_source else None
        new = []
        for values in chunk.new:
            fields = self._fields(values)
            for name in CONTACT_TEXT_FIELDS:
                fields[name] = fields[name] or ""
            new.append(
                Contact(
                    **fields,
                    consent_source=self.plan.consent_source,
                    consent_at=consent_at,
                    created_at=now,
                    updated_at=now,
                )
            )
        Contact.objects.bulk_create(new)
        changed = []
        # As on PostgreSQL: only the fields the file fills change (a zone the number
        # implies does not replace one set by hand), and with none of them mapped the
        # runner stages no values at all.
        updatable = self.plan.updatable if self.plan.update else []
        if updatable and chunk.existing:
            staged = {pk: self._fields(values) for pk, values in chunk.existing}
            for contact in Contact.objects.filter(pk__in=list(staged)):
                if self._merge(contact, staged[contact.pk], updatable):
                    contact.updated_at = now
                    contact.version += 1  # a page opened before it saves no more
                    changed.append(contact)
            Contact.objects.bulk_update(changed, [*updatable, "updated_at", "version"])
        joined = self._add_to_groups(new, chunk)
        grouped = len(joined - {contact.pk for contact in changed})
        return Applied(
            created=len(new),
            updated=len(changed),
            grouped=grouped,
            unchanged=len(chunk.existing) - len(changed) - grouped,
        )

    def _add_to_groups(self, new: list[Contact], chunk: Chunk) -> set[int]:
        """Add the new and existing contacts to the plan's groups and to their rows'
        own; the existing ones that joined a group they were not in."""
        plan_groups = set(self.plan.group_ids)
        if not plan_groups and not self.plan.group_column:
            return set()
        ids = [c.pk for c in new]
        if new and new[0].pk is None:  # a backend that does not return ids
            by_phone = dict(
                Contact.objects.filter(phone__in=[c.phone for c in new]).values_list(
                    "phone", "pk"
                )
            )
            ids = [by_phone[c.phone] for c in new]
        existing = [pk for pk, _values in chunk.existing]
        wanted = {pk: set(plan_groups) for pk in ids + existing}
        if self.groups is not None:
            rows = zip(ids, chunk.new_groups, strict=True)
            for pk, joined in [
                *rows,
                *zip(existing, chunk.existing_groups, strict=True),
            ]:
                wanted[pk].update(self.groups.ids_of(joined))
        had: dict[int, set[int]] = {}
        for pk, group in GroupMembership.objects.filter(
            contact_id__in=existing
        ).values_list("contact_id", "group_id"):
            had.setdefault(pk, set()).add(group)
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(contact_id=pk, group_id=group)
                for pk, groups in wanted.items()
                for group in groups
            ],
            ignore_conflicts=True,
        )
        return {pk for pk in existing if wanted[pk] - had.get(pk, set())}

    @staticmethod
    def _fields(values: Values) -> dict:
        """Model field values of staged values; None where the file says nothing."""
        fields = {
            name: None if value in ("", NULL) else _unescape(value)
            for name, value in zip(CONTACT_COLUMNS, values, strict=True)
        }
        del fields["row_no"]
        fields["is_mobile"] = {"t": True, "f": False}.get(fields["is_mobile"])
        fields["time_zone"] = fields["time_zone"] or ""
        if fields["birthday"]:
            fields["birthday"] = date.fromisoformat(fields["birthday"])
        fields["attributes"] = json.loads(fields["attributes"] or "{}")
        return fields

    @staticmethod
    def _merge(contact: Contact, fields: dict, updatable: list[str]) -> bool:
        """Copy the file's non-empty values of the `updatable` fields onto the contact;
        True when any differed."""
        changed = False
        for name in updatable:
            if name == "attributes":
                merged = {**contact.attributes, **fields["attributes"]}
                if merged != contact.attributes:
                    contact.attributes = merged
                    changed = True
                continue
            value = fields.get(name)
            if name == "time_zone" and not value:
                continue  # an empty cell leaves the zone alone, as on PostgreSQL
            if value is not None and getattr(contact, name) != value:
                setattr(contact, name, value)
                changed = True
        return changed


def _unescape(value: str | None) -> str | None:
    return value.replace("\\\\", "\\") if value and "\\" in value else value


def _unpickled(spool) -> Iterator[Chunk]:
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301 - our own temporary file
        except EOFError:
            return
