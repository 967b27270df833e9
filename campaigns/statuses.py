"""Applying status reports to messages: set-based, idempotent and monotonic.

A report moves a message only forward (providers.base.STATUS_RANK): a late `sent`
never overwrites `delivered`, a repeated report changes nothing, and an empty vendor
time never erases a real one. Reports for gateway ids we do not know yet (a callback
that overtook its send result) are kept as orphans and applied when the id appears.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.gateway_values import storable_report
from campaigns.models import Message, OrphanStatusReport
from providers.base import STATUS_RANK, DeliveryStatus, StatusReport
from providers.models import ProviderAccount
from smsportal.lib.gcspacing import collections_spaced
from smsportal.lib.sqlutil import is_postgres, rows_table

logger = logging.getLogger("campaigns.statuses")

DELIVERED_STATES = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)


class AccountChanged(Exception):
    """The account was edited or deleted after the caller read it; nothing applied."""


@dataclass(frozen=True)
class AccountVersion:
    """An account as the caller last read it: apply only if it is still so."""

    account_id: int
    token: str
    updated_at: datetime


@dataclass(frozen=True)
class ApplyResult:
    updated: int
    unchanged: int  # known messages the report would not move forward
    orphaned: int  # unknown gateway ids, kept for later


# NOT_SENT_YET: a "sent" report for a message whose send time is still ahead leaves
# it queued. Webcom answers "send" (its word for no report yet) of a message it holds
# for its time, and the page read «Отправлено» beside «ждёт в шлюзе своего времени».
# Its time come, the same word moves it on.


def _rank_sql(column: str) -> str:
    whens = " ".join(
        f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items()
    )
    return f"(CASE {column} {whens} ELSE 0 END)"


def _strongest(
    reports: Iterable[StatusReport],
) -> tuple[list[StatusReport], dict[str, datetime]]:
    """One report per gateway id: the furthest along (latest wins on a tie), each as
    a message row holds it (see gateway_values); and, for an id reported more than
    once, the earliest delivery time among its reports."""
    now = timezone.now()
    best: dict[str, StatusReport] = {}
    delivered: dict[str, datetime] = {}
    for report in reports:
        report = storable_report(report, now=now)
        if report is None or not report.gateway_message_id:
            continue
        gid = report.gateway_message_id
        current = best.get(gid)
        if current is None:
            best[gid] = report
            continue
        for seen in (current, report):  # an id twice in one body: rare
            moment = seen.occurred_at
            if seen.status == DeliveryStatus.DELIVERED and moment:
                delivered[gid] = min(moment, delivered.get(gid, moment))
        if STATUS_RANK[report.status] >= STATUS_RANK[current.status]:
            best[gid] = report
    return list(best.values()), delivered


# A status batch makes and drops objects by the thousand (smsportal.lib.gcspacing):
# bench_statuses took 11.0 s a million against 12.3 s with the collector's default.
@collections_spaced()
def message_statuses_apply(
    *,
    account: ProviderAccount,
    reports: Sequence[StatusReport],
    keep_orphans: bool = True,
    unless_changed: AccountVersion | None = None,
    wait_for_disk: bool = True,
) -> ApplyResult:
    """Apply reports of one account in one statement; keep unknown ids as orphans.

    With `unless_changed`, raise AccountChanged (applying nothing) if the account is
    no longer as the caller read it: a callback checks its cached account in the
    same statement that applies the report, one round trip instead of two.

    `wait_for_disk=False` commits without waiting for the WAL flush (PostgreSQL's
    synchronous_commit off, for this statement only): a callback is answered sooner,
    and the few reports a database crash could lose are fetched again by polling,
    which asks for every message without a final status.
    """
    reports, delivered = _strongest(reports)
    if not reports:
        if unless_changed and not _is_current(unless_changed):
            raise AccountChanged
        return ApplyResult(0, 0, 0)
    # On PostgreSQL the reports go in with one statement, atomic on its own: no
    # transaction around it, which would cost a callback two more round trips.
    if is_postgres():
        updated_ids = _apply_postgres(account, reports, unless_changed, wait_for_disk)
    else:
        with transaction.atomic():  # many statements; one commit is faster on SQLite
            if unless_changed and not _is_current(unless_changed):
                raise AccountChanged
            updated_ids = _apply_portable(account, reports)
    missing = [r for r in reports if r.gateway_message_id not in updated_ids]
    known: set[str] = set()
    if missing:  # usually none; merely building this query costs 0.2 ms
        known = set(
            Message.objects.filter(
                account=account,
                gateway_message_id__in=[r.gateway_message_id for r in missing],
            )
            .exclude(gateway_message_id="")  # the partial index's condition
            .values_list("gateway_message_id", flat=True)
        )
    orphans = [r for r in missing if r.gateway_message_id not in known]
    # A delivery report that a read receipt overtook (in this body, or applied
    # before it): the read moved the message on, and the delivery keeps its time.
    overtaken = delivered  # the earliest, for ids reported twice in this body
    for r in missing:  # a known message the report did not move: read already?
        moment = r.occurred_at
        if (
            r.status == DeliveryStatus.DELIVERED
            and moment
            and r.gateway_message_id in known
        ):
            gid = r.gateway_message_id
            overtaken[gid] = min(moment, overtaken.get(gid, moment))
    if overtaken:
        _deliveries_backdate(account, overtaken)
    if orphans and keep_orphans:
        OrphanStatusReport.objects.bulk_create(
            OrphanStatusReport(
                account=account,
                gateway_message_id=r.gateway_message_id,
                status=r.status,
                reason=r.reason or "",
                vendor_code=r.vendor_code,
                vendor_text=r.vendor_text,
                occurred_at=r.occurred_at,
                cost=r.cost,
                operator=r.operator,
            )
            for r in orphans
        )
    if orphans:
        logger.info(
            "kept %d status reports for unknown ids of %s", len(orphans), account
        )
    return ApplyResult(len(updated_ids), len(missing) - len(orphans), len(orphans))


def _deliveries_backdate(account: ProviderAccount, times: dict[str, datetime]) -> None:
    """Give delivered (and read) messages the earlier delivery time reported."""
    if is_postgres():
        values_sql, params = rows_table(
            [(gid, moment.isoformat()) for gid, moment in times.items()],
            ("text", "timestamptz"),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE campaigns_message m SET delivered_at = v.at
                FROM {values_sql} AS v(gid, at)
                WHERE m.account_id = %s AND m.gateway_message_id = v.gid
                  AND m.gateway_message_id <> ''
                  AND m.status IN ('delivered', 'read')
                  AND (m.delivered_at IS NULL OR m.delivered_at > v.at)
                """,
                [*params, account.pk],
            )
        return
    for gid, moment in times.items():  # the embedded path, a row at a time anyway
        Message.objects.filter(
            account=account,
            gateway_message_id=gid,
            status__in=DELIVERED_STATES,
        ).filter(Q(delivered_at__isnull=True) | Q(delivered_at__gt=moment)).update(
            delivered_at=moment
        )


def _is_current(version: AccountVersion) -> bool:
    return ProviderAccount.objects.filter(
        pk=version.account_id,
        callback_token=version.token,
        updated_at=version.updated_at,
    ).exists()


def _apply_postgres(
    account: ProviderAccount,
    reports: list[StatusReport],
    unless_changed: AccountVersion | None,
    wait_for_disk: bool,
) -> set[str]:
    now = timezone.now()
    # A batch usually shares a handful of report times: format each once.
    times = {r.occurred_at for r in reports if r.occurred_at is not None}
    iso = {moment: moment.isoformat() for moment in times}
    rows = [
        (
            r.gateway_message_id, r.status, STATUS_RANK[r.status], r.reason or "",
            r.vendor_code, r.vendor_text, iso.get(r.occurred_at), r.cost, r.operator,
        )
        for r in reports
    ]  # fmt: skip
    casts = (
        "text",
        "text",
        "int",
        "text",
        "text",
        "text",
        "timestamptz",
        "numeric",
        "text",
    )
    # One report (a callback) goes as plain scalars, which cost the planner less
    # than a one-row table parameter; a batch's shared values go once.
    values_sql, params = rows_table(rows, casts)
    delivered = ", ".join(f"'{s}'" for s in DELIVERED_STATES)
    sql = f"""
        UPDATE campaigns_message m SET
            status = v.status,
            reason = CASE WHEN v.reason <> '' THEN v.reason ELSE m.reason END,
            vendor_code = CASE WHEN v.code <> '' THEN v.code ELSE m.vendor_code END,
            vendor_text = CASE WHEN v.vtext <> '' THEN v.vtext ELSE m.vendor_text END,
            status_changed_at = coalesce(v.at, %s),
            delivered_at = CASE WHEN v.status IN ({delivered})
                THEN coalesce(m.delivered_at, v.at, %s) ELSE m.delivered_at END,
            -- A report after a withdrawal (it did not take: the message left after
            -- all) charges it again, at the estimate unless the report prices it.
            cost = coalesce(v.cost, CASE WHEN m.status = 'cancelled' AND m.cost = 0
                THEN m.estimated_cost ELSE m.cost END),
            operator = CASE WHEN v.operator <> '' THEN v.operator ELSE m.operator END
        FROM {values_sql} AS v(gid, status, rank, reason, code, vtext, at, cost, operator)
        WHERE m.account_id = %s AND m.gateway_message_id = v.gid
          AND m.gateway_message_id <> ''  -- lets the partial index serve the join
          AND {_rank_sql("m.status")} < v.rank
          -- Not gone before its send time (NOT_SENT_YET).
          AND NOT (v.status = 'sent' AND m.planned_at > %s)
          {"AND EXISTS (SELECT 1 FROM current_account)" if unless_changed else ""}
        RETURNING m.gateway_message_id
    """
    params = [now, now, *params, account.pk, now]
    if unless_changed is None and wait_for_disk:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall()}
    ctes, cte_params = [], []
    if unless_changed is not None:
        # The UPDATE runs only if the account row is unchanged; the first column
        # says whether it was, so "nothing to move" and "account changed" differ.
        ctes.append(f"""current_account AS (
            SELECT 1 FROM {ProviderAccount._meta.db_table}
            WHERE id = %s AND callback_token = %s AND updated_at = %s)""")
        cte_params += [
            unless_changed.account_id, unless_changed.token, unless_changed.updated_at
        ]  # fmt: skip
    if not wait_for_disk:
        # For this statement's transaction only; read at its commit.
        ctes.append("no_wait AS (SELECT set_config('synchronous_commit', 'off', true))")
    current = "EXISTS (SELECT 1 FROM current_account)" if unless_changed else "TRUE"
    statement = f"""
        WITH {", ".join(ctes)}, moved AS ({sql})
        SELECT {current}, ARRAY(SELECT gateway_message_id FROM moved)
        {"" if wait_for_disk else "FROM no_wait"}
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [*cte_params, *params])
        is_current, moved = cursor.fetchone()
    if not is_current:
        raise AccountChanged
    return set(moved)


def _apply_portable(account: ProviderAccount, reports: list[StatusReport]) -> set[str]:
    now = timezone.now()
    rank = Case(
        *[When(status=s, then=Value(r)) for s, r in STATUS_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    updated = set()
    for r in reports:
        fields = {"status": r.status, "status_changed_at": r.occurred_at or now}
        if r.reason:
            fields["reason"] = r.reason
        if r.vendor_code:
            fields["vendor_code"] = r.vendor_code
        if r.vendor_text:
            fields["vendor_text"] = r.vendor_text
        if r.cost is not None:
            fields["cost"] = r.cost
        else:  # a withdrawal that did not take is charged again, as on PostgreSQL
            fields["cost"] = Case(
                When(
                    status=DeliveryStatus.CANCELLED,
                    cost=0,
                    then=F("estimated_cost"),
                ),
                default=F("cost"),
            )
        if r.operator:
            fields["operator"] = r.operator
        if r.status in DELIVERED_STATES:
            # The first delivery's time, as on PostgreSQL: a read receipt after it
            # must not move the delivery to the reading.
            fields["delivered_at"] = Coalesce(
                F("delivered_at"), Value(r.occurred_at or now)
            )
        messages = Message.objects.filter(
            account=account, gateway_message_id=r.gateway_message_id
        )
        if r.status == DeliveryStatus.SENT:
            messages = messages.exclude(planned_at__gt=now)  # NOT_SENT_YET
        count = (
            messages.alias(rank=rank)
            .filter(rank__lt=STATUS_RANK[r.status])
            .update(**fields)
        )
        if count:
            updated.add(r.gateway_message_id)
    return updated


def orphans_apply(*, account: ProviderAccount, gateway_ids: Sequence[str]) -> int:
    """Apply kept reports for gateway ids that have just been stored."""
    # Orphans are rare: one cheap probe spares each sent batch a long IN list.
    if not OrphanStatusReport.objects.filter(account=account).exists():
        return 0
    orphans = list(
        OrphanStatusReport.objects.filter(
            account=account, gateway_message_id__in=gateway_ids
        )
    )
    if not orphans:
        return 0
    reports = [
        StatusReport(
            gateway_message_id=o.gateway_message_id,
            status=DeliveryStatus(o.status),
            reason=o.reason or None,
            vendor_code=o.vendor_code,
            vendor_text=o.vendor_text,
            occurred_at=o.occurred_at,
            cost=o.cost,
            operator=o.operator,
        )
        for o in orphans
    ]
    result = message_statuses_apply(
        account=account, reports=reports, keep_orphans=False
    )
    OrphanStatusReport.objects.filter(pk__in=[o.pk for o in orphans]).delete()
    return result.updated


def orphans_adopt() -> int:
    """Apply kept reports whose gateway id a message has meanwhile; how many moved.

    A batch's record applies the early reports it finds, but it can look while a
    callback is still storing one (both in flight at once): that report would wait
    until forgotten. Beat sweeps them up, one query for the lot and one apply for
    each account that has any, as rare as the race itself.
    """
    matched = Message.objects.filter(
        account=OuterRef("account"), gateway_message_id=OuterRef("gateway_message_id")
    ).exclude(gateway_message_id="")  # the partial index's condition
    pairs = (
        OrphanStatusReport.objects.filter(Exists(matched))
        .values_list("account_id", "gateway_message_id")
        .distinct()
    )
    by_account: dict[int, list[str]] = {}
    for account_id, gateway_id in pairs:
        by_account.setdefault(account_id, []).append(gateway_id)
    moved = 0
    for account in ProviderAccount.objects.filter(pk__in=by_account):
        moved += orphans_apply(account=account, gateway_ids=by_account[account.pk])
    if moved:
        logger.info("applied %d early status reports a record had missed", moved)
    return moved


# An early report waits for its send result, which comes within seconds, or within
# the reconciler's hours after a crash. Past this it belongs to no message of ours
# (another system's id, a guessed one) and would only wait to land on a reused id.
ORPHAN_KEEP = timedelta(days=3)


def orphans_expire(*, now: datetime | None = None) -> int:
    """Delete early reports older than ORPHAN_KEEP; returns how many."""
    cutoff = (now or timezone.now()) - ORPHAN_KEEP
    deleted, _ = OrphanStatusReport.objects.filter(received_at__lt=cutoff).delete()
    if deleted:
        logger.info("deleted %d early status reports no message claimed", deleted)
    return deleted
