"""Turn a campaign's audience into Message rows, set-based and idempotent.

A phone appears once per campaign (unique constraint), so running the expansion again
adds nothing. On PostgreSQL contacts are expanded by one INSERT ... SELECT that renders
the text, counts segments and plans the send time in SQL (campaigns.sqlsegments, exact
for 2-unit characters at part boundaries too). Elsewhere (the SQLite demo) and for
transliteration the same rules run in Python.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import EmptyResultSet
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connection,
    connections,
    transaction,
)
from django.db.models import Max, Min
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import segments, sqlsegments
from campaigns.audience import (
    audience_contacts,
    audience_members,
    excluded_members,
    extra_phone_zones,
    is_stopped_q,
    parse_extra_numbers,
)
from campaigns.models import Campaign, Message
from campaigns.planning import (
    CONTACT_EXPRESSIONS,
    CONTACT_VALUES,
    SendPlan,
    count,
    template_values,
)
from campaigns.templating import has_fields, render_sql, sql_pieces
from contacts.models import Contact, StopListEntry
from contacts.statistics import statistics_refresh
from providers.base import DeliveryStatus, FailureReason

BATCH = 2000


class CampaignGone(Exception):
    """The campaign was deleted while its audience was being built (cancelled, then
    deleted, within the seconds a large build takes)."""


@dataclass
class ExpansionStats:
    created: int = 0
    stop_listed: int = 0
    invalid: int = 0
    duplicates: int = 0
    excluded: int = 0  # pasted numbers of contacts in an excluded group

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "stop_listed": self.stop_listed,
            "invalid": self.invalid,
            "duplicates": self.duplicates,
            "excluded": self.excluded,
        }


@dataclass(frozen=True, slots=True)
class Recipient:
    phone: str
    contact_id: int | None
    values: dict
    time_zone: str


def campaign_expand(*, campaign: Campaign) -> ExpansionStats:
    """Create the campaign's Message rows (again: nothing new) and return the counts."""
    if connection.vendor != "postgresql":
        return _expand(campaign, alone=False)
    # In a caller's transaction our rows stay invisible after the lock is released, so
    # a twin started then could still meet them: keep ON CONFLICT there.
    alone = not connection.in_atomic_block
    with _expansion_lock(campaign):
        return _expand(campaign, alone=alone)


def _expand(campaign: Campaign, *, alone: bool) -> ExpansionStats:
    plan = SendPlan.for_campaign(campaign)
    stats = ExpansionStats()
    in_sql = connection.vendor == "postgresql" and not plan.translit
    split = in_sql and _may_split(plan)
    stats.stop_listed = audience_contacts(campaign).filter(is_stopped_q()).count()
    reachable = _reachable(campaign)
    if split:
        stats.created += _insert_contacts_split(
            campaign, plan, again=_has_messages(campaign), alone=alone
        )
    with transaction.atomic():
        if not in_sql:
            stats.created += _insert_contacts_python(campaign, plan, reachable)
        elif not split:
            stats.created += _insert_contacts_sql(
                campaign, plan, reachable, again=_has_messages(campaign), alone=alone
            )
        extra = _extra_recipients(campaign, stats)
        stats.created += _insert_recipients(campaign, plan, extra, stats)
        if has_fields(plan.parts):  # one text for all: the composer judged it
            _reject_too_long(campaign, plan.table)
        expanded_at = timezone.now()
        if not Campaign.objects.filter(pk=campaign.pk).update(expanded_at=expanded_at):
            # What the parts split off committed stays: the caller discards it.
            raise CampaignGone(campaign.pk)
        campaign.expanded_at = expanded_at
    # Autovacuum analyses the table only minutes later: until then the planner took a
    # 900,000-message campaign for a few rows, and each claim read and sorted all its
    # pending messages (4.4 s a batch) instead of the first 500 of message_pending.
    statistics_refresh(tables=[Message], changed=stats.created)
    return stats


def _reject_too_long(campaign: Campaign, table: segments.SegmentTable) -> int:
    """Reject the messages longer than the account's gateway takes, saying so.

    The composer refuses a template too long by itself; what the placeholders bring
    (a long name, a city) can still push a recipient's text over. Cut or refused at
    the gateway, or transliterated by it, that recipient would get something else or
    nothing, and nobody would know why. Two statements at most, and none for a
    gateway without a limit (each reads the campaign's rows: 0.3 s and 0.4 s for a
    million messages).
    """
    pending = Message.objects.filter(
        campaign=campaign, status=DeliveryStatus.PENDING, claimed_at__isnull=True
    )
    gateway = campaign.account.get_kind_display()
    rejected = 0
    if table.max_parts is not None:
        rejected += _reject(
            pending.filter(segments__gt=table.max_parts),
            _("Longer than %(gateway)s takes: at most %(max)s segments.")
            % {"gateway": gateway, "max": table.max_parts},
        )
    if table.max_characters is not None:
        rejected += _reject(
            pending.alias(length=Length("text")).filter(
                length__gt=table.max_characters
            ),
            _("Longer than %(gateway)s takes: at most %(max)s characters.")
            % {"gateway": gateway, "max": table.max_characters},
        )
    return rejected


def _reject(messages, why: str) -> int:
    return messages.update(
        status=DeliveryStatus.REJECTED,
        reason=FailureReason.CONTENT_REJECTED,
        vendor_text=why,
        status_changed_at=timezone.now(),
    )


def _reachable(campaign: Campaign, *, id_range: tuple[int, int] | None = None):
    """The audience's contacts not on the stop list (those with ids in `id_range`)."""
    return audience_contacts(campaign, id_range=id_range).exclude(is_stopped_q())


# PostgreSQL ---------------------------------------------------------------------------

# pg_advisory_lock's first key: the namespace of expansion locks.
EXPANSION_LOCK = 0x45585041  # "EXPA"


@contextmanager
def _expansion_lock(campaign: Campaign):
    """One expansion of a campaign at a time (a resume may start one while the first
    still runs), so the first can insert without ON CONFLICT: checking each row
    against the unique index twice cost a third of the INSERT.

    Held by a connection of its own: the parts of a split expansion commit on their
    own connections, and a session lock taken on ours would outlive a failed
    transaction of the caller's (it cannot be released until that rolls back).
    """
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [EXPANSION_LOCK, campaign.pk]
            )
        yield
    finally:
        # Closing alone releases the lock only when the server notices the session
        # ended, a moment later: a retry started at once would find it still held.
        with suppress(DatabaseError), holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [EXPANSION_LOCK, campaign.pk]
            )
        holder.close()


# A large audience is written by one statement per CPU core, each over its own range
# of contact ids in its own transaction (PostgreSQL runs an INSERT on one core).
SPLIT_MIN_CONTACTS = 200_000
SPLIT_PARTS = max(1, min(4, os.cpu_count() or 1))


def _may_split(plan: SendPlan) -> bool:
    """Parts commit on their own, so only outside a caller's transaction; and a
    spread campaign numbers its recipients in one sequence, so it stays whole."""
    if SPLIT_PARTS < 2 or connection.in_atomic_block or plan.spread:
        return False
    bounds = Contact.objects.aggregate(low=Min("id"), high=Max("id"))
    return (bounds["high"] or 0) - (bounds["low"] or 0) >= SPLIT_MIN_CONTACTS


def _has_messages(campaign: Campaign) -> bool:
    return Message.objects.filter(campaign=campaign).exists()


def _insert_contacts_split(
    campaign: Campaign, plan: SendPlan, *, again: bool, alone: bool
) -> int:
    """The INSERT of `_insert_contacts_sql` over id ranges, in parallel.

    A part that fails leaves the others committed; running the expansion again (as
    the retried start does) adds exactly the missing messages.
    """
    bounds = Contact.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"], bounds["high"] + 1
    step = -(-(high - low) // SPLIT_PARTS)
    ranges = [(start, min(start + step, high)) for start in range(low, high, step)]

    def part(id_range: tuple[int, int]) -> int:
        try:
            with transaction.atomic():
                subset = _reachable(campaign, id_range=id_range)
                return _insert_contacts_sql(
                    campaign, plan, subset, again=again, alone=alone
                )
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        return sum(pool.map(part, ranges))


def _insert_contacts_sql(
    campaign: Campaign, plan: SendPlan, reachable, *, again: bool, alone: bool
) -> int:
    try:
        # The audience itself is the row source, carrying the columns the template
        # reads: `id IN (audience)` scanned and joined the contacts twice.
        inner_sql, inner_params = (
            reachable.order_by().values(*_read_columns(plan)).query.sql_with_params()
        )
    except EmptyResultSet:  # no groups chosen: only pasted numbers or a parent
        return 0
    text_sql, text_params = render_sql(plan.parts, alias="c")
    seg = sqlsegments.SegmentSql(plan.table)
    # Counted from the template's pieces: regular expressions over the values only.
    columns_sql, columns_params = sqlsegments.template_columns(
        sql_pieces(plan.parts, alias="c"), "t.text"
    )
    spread_seconds = plan.spread.total_seconds()
    planned_sql, planned_params = _planned_sql(plan)
    # Running again: skip the phones that have a message (ON CONFLICT would catch
    # them too, but only after rendering each text and probing the index). The first
    # run `alone` needs neither: contacts' phones are unique and the lock keeps out a
    # twin; a pasted number that is also a contact is added later, with ON CONFLICT.
    not_yet_sql = (
        """AND NOT EXISTS (SELECT 1 FROM campaigns_message m
                           WHERE m.campaign_id = %s AND m.phone = c.phone)"""
        if again
        else ""
    )
    on_conflict_sql = (
        "" if alone and not again else "ON CONFLICT (campaign_id, phone) DO NOTHING"
    )
    # OFFSET 0 keeps PostgreSQL from inlining the subqueries, which would evaluate
    # each regular expression once per reference instead of once per row.
    sql = f"""
    INSERT INTO campaigns_message (
        campaign_id, account_id, contact_id, phone, text, sender, channel, segments,
        encoding, estimated_cost, gateway_message_id, status, reason, vendor_code,
        vendor_text, operator, planned_at, attempts)
    SELECT %s, %s, r.id, r.phone, r.text, %s, %s, r.segments, r.encoding,
        r.segments * %s::numeric, '', 'pending', '', '', '', '', {planned_sql}, 0
    FROM (
        SELECT s.id, s.phone, s.text, s.tz, s.base, {seg.segments("s")} AS segments,
            {seg.encoding("s")} AS encoding, (s.base AT TIME ZONE s.tz) AS local
        FROM (
            SELECT c.id, c.phone, t.text,
                {columns_sql},
                coalesce(nullif(c.time_zone, ''), %s) AS tz,
                {_base_sql(spread_seconds)} AS base
            FROM ({inner_sql}) c
            CROSS JOIN LATERAL (SELECT {text_sql} AS text) t
            WHERE TRUE {not_yet_sql}
            OFFSET 0
        ) s
        OFFSET 0
    ) r
    {on_conflict_sql}
    """
    params = [
        campaign.pk,
        campaign.account_id,
        campaign.sender,
        campaign.channel,
        plan.price,
        *planned_params,
        *columns_params,
        plan.time_zone,
        plan.start,
        *([spread_seconds] if spread_seconds else []),
        *inner_params,
        *text_params,
        *([campaign.pk] if again else []),
    ]  # the order in which the placeholders appear above
    with connection.cursor() as cursor:
        # JIT compilation costs more than it saves on this one-pass statement.
        cursor.execute("SET LOCAL jit = off")
        # Every join here is set against set. With the statistics of a new (or just
        # emptied) message table the planner picks a nested loop that scans the
        # messages once per contact, quadratic in the audience.
        cursor.execute("SET LOCAL enable_nestloop = off")
        # The hash joins over a million contacts spill to disk at the default 4MB.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.rowcount


def _read_columns(plan: SendPlan) -> list[str]:
    """The contact columns the INSERT reads: its keys and the template's fields."""
    columns = ["id", "phone", "time_zone"]
    for part in plan.parts:
        if isinstance(part, str):
            continue
        name = "attributes" if part.custom else part.name
        if name not in columns:
            columns.append(name)
    return columns


def _base_sql(spread_seconds: float) -> str:
    """Send time before quiet hours; spreading needs each row's position."""
    if not spread_seconds:
        return "%s::timestamptz"
    return """%s::timestamptz + make_interval(secs => CASE WHEN count(*) OVER () > 1
        THEN (row_number() OVER (ORDER BY c.id) - 1) * %s / count(*) OVER ()
        ELSE 0 END)"""


def _planned_sql(plan: SendPlan) -> tuple[str, list]:
    """SendPlan.planned_at in SQL, on each row's base and time zone; a window that
    crosses midnight only changes the SQL text, never the work per row."""
    window = plan.window
    ws = window.start
    if not plan.respect_window:
        return "r.base", []
    inside_sql, inside_params = window.sql_contains("r.local")
    if not plan.spread:
        # Every base is the start: in the window it stays, else the window's opening.
        return f"""CASE
            WHEN {inside_sql} THEN r.base
            WHEN r.local::time <= %s::time THEN (r.local::date + %s::time) AT TIME ZONE r.tz
            ELSE (r.local::date + 1 + %s::time) AT TIME ZONE r.tz END""", [
            *inside_params, ws, ws, ws,
        ]  # fmt: skip
    # Spread time counts sending hours only: the start (s, wall clock) moved into the
    # window; the row's share of the spread (off, seconds) runs on in the window until
    # it closes (c), and what it has no room for goes on from the next openings: the
    # same day's for a window that crosses midnight, else the next day's. OFFSET 0
    # keeps each step computed once a row: inlined, the moved start was computed again
    # for every reference (300,000 rows: 3.3 s before, 0.85 s with it).
    length = window.length.total_seconds()
    reopens = 0 if window.crosses_midnight else 1
    start_inside_sql, start_inside_params = window.sql_contains("l.t")
    return f"""(SELECT (CASE WHEN w.off < w.room THEN w.s + make_interval(secs => w.off)
            ELSE w.c::date + {reopens} + floor((w.off - w.room) / %s)::int + %s::time
                + make_interval(secs => (w.off - w.room)
                                        - floor((w.off - w.room) / %s) * %s)
            END) AT TIME ZONE r.tz
        FROM (SELECT u.s, u.c, extract(epoch FROM r.base - %s::timestamptz) AS off,
                     extract(epoch FROM u.c - u.s) AS room
              FROM (SELECT v.s, CASE WHEN v.s::time < %s::time THEN v.s::date + %s::time
                                     ELSE v.s::date + 1 + %s::time END AS c
                    FROM (SELECT CASE WHEN {start_inside_sql} THEN l.t
                                      WHEN l.t::time <= %s::time THEN l.t::date + %s::time
                                      ELSE l.t::date + 1 + %s::time END AS s
                          FROM (SELECT %s::timestamptz AT TIME ZONE r.tz AS t) l
                          OFFSET 0) v
                    OFFSET 0) u) w)""", [
        length, ws, length, length, plan.start,
        window.end, window.end, window.end,
        *start_inside_params, ws, ws, ws, plan.start,
    ]  # fmt: skip


# Python (portable) --------------------------------------------------------------------


def _insert_contacts_python(campaign: Campaign, plan: SendPlan, reachable) -> int:
    total = reachable.count()
    rows = (
        reachable.order_by("id")
        .values(*CONTACT_VALUES, **CONTACT_EXPRESSIONS)
        .iterator(chunk_size=BATCH)
    )
    recipients = (
        Recipient(row["phone"], row["id"], template_values(row), row["time_zone"])
        for row in rows
    )
    return _insert(campaign, plan, recipients, total)


def _extra_recipients(campaign: Campaign, stats: ExpansionStats) -> list[Recipient]:
    """Pasted numbers and a parent's failures, linked to contacts where they exist."""
    extra = parse_extra_numbers(campaign.extra_numbers)
    stats.invalid += len(extra.invalid)
    stats.duplicates += extra.duplicates
    phones = extra_phone_zones(campaign, extra)
    if not phones:
        return []
    stopped = set(
        StopListEntry.objects.filter(phone__in=phones).values_list("phone", flat=True)
    )
    stopped_members = audience_members(campaign, stopped)
    stats.stop_listed += len(stopped - stopped_members)
    stats.duplicates += len(stopped_members)
    excluded = excluded_members(campaign, set(phones) - stopped)
    stats.excluded += len(excluded)
    contacts = {
        row["phone"]: row
        for row in Contact.objects.filter(phone__in=phones).values(
            *CONTACT_VALUES, **CONTACT_EXPRESSIONS
        )
    }
    recipients = []
    for phone, time_zone in phones.items():
        if phone in stopped or phone in excluded:
            continue
        row = contacts.get(phone)
        values = template_values(row) if row else {"phone": phone}
        zone_name = (row or {}).get("time_zone") or time_zone
        recipients.append(
            Recipient(phone, row["id"] if row else None, values, zone_name)
        )
    return recipients


def _insert_recipients(campaign, plan, recipients, stats: ExpansionStats) -> int:
    created = _insert(campaign, plan, iter(recipients), len(recipients))
    stats.duplicates += len(recipients) - created
    return created


def _insert(campaign: Campaign, plan: SendPlan, recipients, total: int) -> int:
    created = 0
    position = 0
    while chunk := list(islice(recipients, BATCH)):
        messages = []
        for recipient in chunk:
            messages.append(_message(campaign, plan, recipient, position, total))
            position += 1
        before = Message.objects.filter(campaign=campaign).count()
        Message.objects.bulk_create(messages, ignore_conflicts=True)
        created += Message.objects.filter(campaign=campaign).count() - before
    return created


def _message(campaign, plan: SendPlan, recipient: Recipient, position: int, total: int):
    text = plan.text_for(recipient.values)
    info: segments.SegmentInfo = count(text, plan.table)
    base = plan.base_time(position, total)
    return Message(
        campaign=campaign,
        account_id=campaign.account_id,
        contact_id=recipient.contact_id,
        phone=recipient.phone,
        text=text,
        sender=campaign.sender,
        channel=campaign.channel,
        segments=info.segments,
        encoding=info.encoding,
        estimated_cost=plan.price * info.segments if plan.price is not None else None,
        planned_at=plan.planned_at(base, recipient.time_zone),
        # A contact's zone is read from the contact when it matters (quiet hours at
        # send time); a pasted number's, from the numbering plan, only here.
        time_zone=(
            plan.zone_name(recipient.time_zone)
            if plan.respect_window and recipient.contact_id is None
            else ""
        ),
    )


# Resuming a spread campaign -----------------------------------------------------------


def campaign_respread(*, campaign: Campaign) -> int:
    """Plan again, from now, the messages a spread campaign has left when some of
    them fell due while it was paused; how many. Left as planned, every one due
    meanwhile went out in the first batch after the resume: a burst where the user
    asked for a pace. They keep their order and the campaign's pace (the spread over
    all its messages), counted in sending hours inside each recipient's window as the
    expansion plans them. A short pause that let nothing fall due changes nothing."""
    if not campaign.spread_hours:
        return 0
    now = timezone.now()
    waiting = Message.objects.filter(
        campaign=campaign, is_pending=True, claimed_at__isnull=True
    )
    first = waiting.aggregate(first=Min("planned_at"))["first"]
    if first is None or first > now:
        return 0
    from campaigns.counts import campaign_counts

    plan = SendPlan.for_campaign(campaign, now=now)
    total = max(campaign_counts(campaign_id=campaign.pk).total, 1)
    gap = plan.spread / total
    if connection.vendor == "postgresql":
        return _respread_sql(campaign, plan, gap.total_seconds())
    return _respread_python(waiting, plan, gap)


def _respread_sql(campaign: Campaign, plan: SendPlan, gap_seconds: float) -> int:
    planned_sql, planned_params = _planned_sql(plan)
    # The zone as recipient_zones reads it at send time: the contact's as it is now,
    # else the one kept for a pasted number, else the campaign's.
    sql = f"""
    UPDATE campaigns_message m SET planned_at = {planned_sql}
    FROM (
        SELECT s.id, s.tz, s.base, (s.base AT TIME ZONE s.tz) AS local
        FROM (
            SELECT w.id,
                coalesce(nullif(c.time_zone, ''), nullif(w.time_zone, ''), %s) AS tz,
                %s::timestamptz + make_interval(
                    secs => (row_number() OVER (ORDER BY w.planned_at, w.id) - 1) * %s
                ) AS base
            FROM campaigns_message w
            LEFT JOIN contacts_contact c ON c.id = w.contact_id
            WHERE w.campaign_id = %s AND w.is_pending AND w.claimed_at IS NULL
            OFFSET 0
        ) s
    ) r
    WHERE m.id = r.id AND m.is_pending AND m.claimed_at IS NULL
    """
    params = [*planned_params, plan.time_zone, plan.start, gap_seconds, campaign.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _respread_python(waiting, plan: SendPlan, gap) -> int:
    rows = waiting.order_by("planned_at", "id").values_list(
        "id", "contact__time_zone", "time_zone"
    )
    changed = []
    for position, (message_id, contact_zone, own_zone) in enumerate(rows.iterator()):
        base = plan.start + gap * position
        planned = plan.planned_at(base, contact_zone or own_zone or "")
        changed.append(Message(id=message_id, planned_at=planned))
    Message.objects.bulk_update(changed, ["planned_at"], batch_size=BATCH)
    return len(changed)
