"""How checked rows go into the book, all of a file in one transaction.

PostgreSQL: the file is parsed in a helper thread while this thread streams each chunk
of rows into a temporary table with COPY and applies it with a few set-based statements
(UPDATE ... FROM, INSERT ... SELECT ... ON CONFLICT). Parsing is Python on one core,
the server works on the other; the thread only waits on the socket, which frees the GIL.

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, connections, transaction
from django.utils import timezone

from contacts.importing.rows import CONTACT_COLUMNS, NAME_FIELDS, NULL, STOPLIST_COLUMNS
from contacts.models import Contact, GroupMembership, StopListEntry

ORM_CHUNK = 500
SWITCH_INTERVAL = 0.0002
CONTACT_TEXT_FIELDS = (*NAME_FIELDS, "email")
# Fields an import may change on an existing contact (the phone-derived ones never do).
UPDATABLE = (*NAME_FIELDS, "birthday", "email")


@dataclass(frozen=True)
class ApplyPlan:
    """What to do with the staged rows."""

    kind: str
    # Built-in contact fields the file fills.
    fields: frozenset[str] = frozenset()
    # (key, kind) of the custom fields the file fills, in staging order.
    attributes: tuple[tuple[str, str], ...] = ()
    update: bool = False
    group_ids: tuple[int, ...] = ()
    consent_source: str = ""
    stop_source: str = StopListEntry.Source.IMPORT
    stop_reason: str = ""
    created_by_id: int | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return STOPLIST_COLUMNS if self.kind == "stoplist" else CONTACT_COLUMNS


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "Applied") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def apply_rows(plan: ApplyPlan, chunks: Iterable[Sequence[str]]) -> Applied:
    """Put every chunk of staged rows into the book; nothing at all if one fails."""
    if connection.vendor == "postgresql":
        return PostgresStage(plan).run(chunks)
    return FileStage(plan).run(chunks)


class PostgresStage:
    table = "contacts_import_stage"

    def __init__(self, plan: ApplyPlan) -> None:
        self.plan = plan
        self._statements()

    def run(self, chunks: Iterable[Sequence[str]]) -> Applied:
        applied = Applied()
        types = {"row_no": "integer", "is_mobile": "boolean", "birthday": "date"}
        columns = ", ".join(f"{c} {types.get(c, 'text')}" for c in self.plan.columns)
        copy_sql = f"COPY {self.table} ({', '.join(self.plan.columns)}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} ({columns}) ON COMMIT DROP"
            )
            for count, text in in_background(_copy_chunks(chunks)):
                cursor.execute(f"TRUNCATE {self.table}")
                with cursor.cursor.copy(copy_sql) as copy:
                    copy.write(text)
                applied.add(self._apply(cursor, count))
            cursor.execute(f"DROP TABLE {self.table}")
        return applied

    def _apply(self, cursor, count: int) -> Applied:
        """One chunk: insert the new, then (only if some were not new) update the
        existing and add them to the groups; joins cost nothing in an empty book."""
        applied = Applied()
        sql, params = self.insert
        cursor.execute(sql, params)
        applied.created = (
            cursor.fetchone()[0] if self.plan.kind == "contacts" else cursor.rowcount
        )
        if applied.created < count:
            if self.update:
                cursor.execute(*self.update)
                applied.updated = cursor.rowcount
            if self.plan.group_ids:
                cursor.execute(*self._existing_memberships())
        applied.unchanged = count - applied.created - applied.updated
        return applied

    def _statements(self) -> None:
        if self.plan.kind == "stoplist":
            self.insert, self.update = self._insert_stoplist(), None
        else:
            self.insert = self._insert_contacts()
            self.update = self._update_contacts() if self.plan.update else None

    def _update_contacts(self) -> tuple[str, list] | None:
        mapped = [c for c in UPDATABLE if c in self.plan.fields]
        sets = [f"{c} = COALESCE(s.{c}, c.{c})" for c in mapped]
        changed = [
            f"(s.{c} IS NOT NULL AND s.{c} IS DISTINCT FROM c.{c})" for c in mapped
        ]
        if self.plan.attributes:
            sets.append("attributes = c.attributes || s.attributes::jsonb")
            changed.append("NOT c.attributes @> s.attributes::jsonb")
        if not sets:
            return None
        sql = f"""
            UPDATE {Contact._meta.db_table} AS c
            SET {", ".join(sets)}, updated_at = now()
            FROM {self.table} AS s
            WHERE c.phone = s.phone AND ({" OR ".join(changed)})
        """
        return sql, []

    def _insert_contacts(self) -> tuple[str, list]:
        values = [
            f"COALESCE({c}, '')" if c in CONTACT_TEXT_FIELDS else c
            for c in CONTACT_COLUMNS[1:-1]
        ]
        params: list = []
        members = ""
        if self.plan.group_ids:
            members = f""",
            members AS (
                INSERT INTO {GroupMembership._meta.db_table} (contact_id, group_id, added_at)
                SELECT new.id, g.id, now() FROM new, unnest(%s::bigint[]) AS g(id)
                ON CONFLICT (contact_id, group_id) DO NOTHING
            )"""
            params = [list(self.plan.group_ids)]
        sql = f"""
            WITH new AS (
                INSERT INTO {Contact._meta.db_table} ({", ".join(CONTACT_COLUMNS[1:])},
                    consent_source, consent_at, created_at, updated_at)
                SELECT {", ".join(values)}, COALESCE(attributes::jsonb, '{{}}'), %s,
                    CASE WHEN %s <> '' THEN now() END, now(), now()
                FROM {self.table}
                ON CONFLICT (phone) DO NOTHING
                RETURNING id
            ){members}
            SELECT count(*) FROM new
        """
        consent = self.plan.consent_source
        return sql, [consent, consent, *params]

    def _existing_memberships(self) -> tuple[str, list]:
        sql = f"""
            INSERT INTO {GroupMembership._meta.db_table} (contact_id, group_id, added_at)
            SELECT c.id, g.id, now()
            FROM {self.table} AS s
            JOIN {Contact._meta.db_table} AS c ON c.phone = s.phone,
                unnest(%s::bigint[]) AS g(id)
            ON CONFLICT (contact_id, group_id) DO NOTHING
        """
        return sql, [list(self.plan.group_ids)]

    def _insert_stoplist(self) -> tuple[str, list]:
        sql = f"""
            INSERT INTO {StopListEntry._meta.db_table}
                (phone, reason, source, created_by_id, created_at)
            SELECT phone, COALESCE(reason, %s), %s, %s, now() FROM {self.table}
            ON CONFLICT (phone) DO NOTHING
        """
        plan = self.plan
        return sql, [plan.stop_reason, plan.stop_source, plan.created_by_id]


def _copy_chunks(chunks: Iterable[Sequence[str]]) -> Iterator[tuple[int, str]]:
    """Each chunk of staged lines as (row count, COPY text)."""
    for lines in chunks:
        yield len(lines), "\n".join(lines) + "\n"


def decode_line(line: str) -> list[str | None]:
    """A staged COPY text line back into its values (None for NULL)."""
    values: list[str | None] = []
    for value in line.split("\t"):
        if value == NULL:
            values.append(None)
        elif "\\" in value:
            values.append(value.replace("\\\\", "\\"))
        else:
            values.append(value)
    return values


def in_background(items: Iterator, *, ahead: int = 2) -> Iterator:
    """Yield what `items` yields, computing it in a helper thread a few items ahead.

    Exceptions of the helper come out here; stopping early stops the helper.
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    done = object()

    def produce() -> None:
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
    # the GIL back from the CPU-bound helper quickly when its answer arrives.
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
    """Rows pickled to a temporary file, then applied with the ORM."""

    def __init__(self, plan: ApplyPlan) -> None:
        self.plan = plan

    def run(self, chunks: Iterable[Sequence[str]]) -> Applied:
        applied = Applied()
        with tempfile.TemporaryFile() as spool:
            for lines in chunks:
                for start in range(0, len(lines), ORM_CHUNK):
                    rows = [
                        decode_line(line) for line in lines[start : start + ORM_CHUNK]
                    ]
                    pickle.dump(rows, spool)
            spool.seek(0)
            with transaction.atomic():
                for rows in _unpickled(spool):
                    if self.plan.kind == "stoplist":
                        self._stoplist_chunk(rows, applied)
                    else:
                        self._contacts_chunk(rows, applied)
        return applied

    def _stoplist_chunk(self, rows: list[list], applied: Applied) -> None:
        phones = [row[1] for row in rows]
        known = set(
            StopListEntry.objects.filter(phone__in=phones).values_list(
                "phone", flat=True
            )
        )
        entries = [
            StopListEntry(
                phone=phone,
                reason=reason or self.plan.stop_reason,
                source=self.plan.stop_source,
                created_by_id=self.plan.created_by_id,
            )
            for _row_no, phone, reason in rows
            if phone not in known
        ]
        StopListEntry.objects.bulk_create(entries, ignore_conflicts=True)
        applied.created += len(entries)
        applied.unchanged += len(rows) - len(entries)

    def _contacts_chunk(self, rows: list[list], applied: Applied) -> None:
        now = timezone.now()
        staged = {row[1]: self._values(row) for row in rows}
        existing = {c.phone: c for c in Contact.objects.filter(phone__in=list(staged))}
        consent_at = now if self.plan.consent_source else None
        new = [
            Contact(
                **{
                    k: "" if v is None and k in CONTACT_TEXT_FIELDS else v
                    for k, v in values.items()
                },
                consent_source=self.plan.consent_source,
                consent_at=consent_at,
                created_at=now,
                updated_at=now,
            )
            for phone, values in staged.items()
            if phone not in existing
        ]
        Contact.objects.bulk_create(new, ignore_conflicts=True)
        changed = []
        if self.plan.update:
            changed = [c for c in existing.values() if self._merge(c, staged[c.phone])]
            for contact in changed:
                contact.updated_at = now
            Contact.objects.bulk_update(
                changed, [*UPDATABLE, "attributes", "updated_at"]
            )
        applied.add(Applied(len(new), len(changed), len(existing) - len(changed)))
        if self.plan.group_ids:
            ids = Contact.objects.filter(phone__in=list(staged)).values_list(
                "id", flat=True
            )
            GroupMembership.objects.bulk_create(
                [
                    GroupMembership(contact_id=i, group_id=g)
                    for i in ids
                    for g in self.plan.group_ids
                ],
                ignore_conflicts=True,
            )

    def _values(self, row: list) -> dict:
        """Model field values of a staged row; None where the file says nothing."""
        values = dict(zip(CONTACT_COLUMNS[1:], row[1:], strict=True))
        values["is_mobile"] = {"t": True, "f": False}.get(values["is_mobile"])
        if values["birthday"]:
            values["birthday"] = date.fromisoformat(values["birthday"])
        values["attributes"] = json.loads(values["attributes"] or "{}")
        return values

    @staticmethod
    def _merge(contact: Contact, values: dict) -> bool:
        """Copy the file's non-empty values onto the contact; True when any differed."""
        changed = False
        for name in UPDATABLE:
            value = values.get(name)
            if value is not None and getattr(contact, name) != value:
                setattr(contact, name, value)
                changed = True
        merged = {**contact.attributes, **values["attributes"]}
        if merged != contact.attributes:
            contact.attributes = merged
            changed = True
        return changed


def _unpickled(spool) -> Iterator[list[list]]:
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301 - our own temporary file
        except EOFError:
            return
