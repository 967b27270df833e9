"""Polling gateways for statuses of messages that have not settled yet.

Only messages submitted a while ago and not polled recently are asked for, in the
gateway's batch size, and each account at most once per its gateway's poll interval
(SMSC allows mass status requests once a minute; WEBSMS wants a minute after sending).
A run asks batch after batch while candidates remain, within RUN_BUDGET (below beat's
30 s, so runs do not pile up) and the gateway's cap of requests a run; the accounts
share the budget. Each batch is claimed before it is asked about (`polling_claim`),
so two pollers of one account never ask about the same message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from campaigns.models import Message
from campaigns.status_turns import polling_turn_leave, polling_turn_take
from campaigns.statuses import message_statuses_apply
from providers.base import Capability, DeliveryStatus, MessageChannel
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.logins import login_gateways
from providers.models import ProviderAccount
from providers.registry import gateway_for
from smsportal.lib.gcspacing import collections_spaced

logger = logging.getLogger("campaigns.polling")

DEFAULT_POLL_DELAY = timedelta(seconds=60)
# Seconds a run asks for: beat starts one every 30 s (smsportal.celery). A fixed
# twenty batches a run settled a 900,000-recipient campaign at ~66 reports a second.
RUN_BUDGET = 25.0
# Candidates read at once and then claimed batch by batch: each read scans and sorts
# every open message of the account (0.4-0.6 s at 440,000), so not once per batch.
CANDIDATES_PER_READ = 10_000
# Asked about this long after a message goes out to its phone: its hand-over, or the
# later send time a gateway holds it for (up to dispatch.SCHEDULE_AHEAD, a week).
GIVE_UP_AFTER = timedelta(days=3)
OPEN_STATUSES = [
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENT,
    DeliveryStatus.UNKNOWN,
    DeliveryStatus.DELIVERED,
]  # fmt: skip  (delivered Viber may be read)
READABLE_CHANNELS = [MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS]


@collections_spaced()  # reports read and applied by the thousand
def statuses_poll(
    *,
    now=None,
    budget: float = RUN_BUDGET,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Poll every account that can be polled, for up to `budget` seconds of `clock`;
    returns reports applied. Inactive ones too: deactivating stops new sends (the page
    recommends it over deleting, which keeps the history), while what was sent before
    still gets its final status."""
    from campaigns.logins import retired_logins_forget

    now = now or timezone.now()
    deadline = clock() + budget
    applied = 0
    pollable = []
    for account in ProviderAccount.objects.prefetch_related("retired_logins"):
        try:
            gateway = gateway_for(account)
            if not gateway.supports(Capability.STATUS_POLL):
                continue
            # The messages of each login the account had, asked with that login
            # (each is a cabinet of its own at the gateway, with its own request
            # limits): a replaced login's are unknown to the new one
            # (providers.logins).
            pollable.append(
                (account, gateway, login_gateways(account, current=gateway))
            )
        except GatewayConfigurationError as exc:
            # Credentials no key reads (a key changed): the accounts after it were
            # never polled, as the task failed on it every run.
            logger.warning("status poll at %s failed: %s", account, exc)
    # An equal share of what is left, so one account's backlog does not take the
    # others' time; what an account leaves goes to those after it, and what is left
    # at the end to those their share cut short: a busy account early in the list
    # had 25 s / N and the run ended with the rest of the time unused.
    cut_short = []
    for position, (account, gateway, logins) in enumerate(pollable):
        share = _share(deadline, clock(), len(pollable) - position)
        polled = _poll_in_turn(account, gateway, logins, now, share, clock)
        if polled is None:
            continue  # another poller has its turn
        applied += polled[0]
        # A capped gateway (SMSC) asked its cap this run, not again.
        if polled[1] and gateway.status_requests_per_poll is None:
            cut_short.append((account, gateway, logins))
        if account.retired_logins.all():
            retired_logins_forget(account, now=now)
    for position, (account, gateway, logins) in enumerate(cut_short):
        if clock() >= deadline:
            break
        share = _share(deadline, clock(), len(cut_short) - position)
        polled = _poll_in_turn(account, gateway, logins, now, share, clock)
        applied += polled[0] if polled else 0
    return applied


def _share(deadline: float, start: float, left: int) -> float:
    """The end of an equal share, from `start`, of the time to `deadline` among
    `left` accounts."""
    return start + max(0.0, deadline - start) / left


def _poll_in_turn(
    account, gateway, logins, now: datetime, deadline: float, clock
) -> tuple[int, bool] | None:
    """Reports applied polling the account (each of its logins) until `deadline`, in
    its turn, and whether the deadline cut it short; None if another poller has the
    turn."""
    if not polling_turn_take(account.pk):
        return None
    applied = 0
    try:
        for generation, login in logins:
            applied += _poll_account(
                account, login, now, generation=generation, deadline=deadline,
                clock=clock,
            )  # fmt: skip
    finally:
        # A gateway without a cap of requests a run may be asked again at beat's
        # next tick: holding the turn its minute halved the pace.
        if gateway.status_requests_per_poll is None:
            polling_turn_leave(account.pk)
    return applied, clock() >= deadline


def polling_claim(
    ids: Sequence[int], *, now: datetime, since: datetime
) -> list[tuple[int, str]]:
    """(id, gateway id) of those of `ids` no poller has asked about since `since`,
    marked asked about `now`. Rows another poller's claim holds are skipped, and once
    it commits its `polled_at` keeps them out: two pollers never ask about the same
    message. One statement on PostgreSQL, two elsewhere."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            rows = list(
                Message.objects.filter(id__in=list(ids))
                .filter(Q(polled_at__isnull=True) | Q(polled_at__lt=since))
                .select_for_update(skip_locked=True)
                .values_list("id", "gateway_message_id")
            )
            if rows:
                Message.objects.filter(id__in=[r[0] for r in rows]).update(
                    polled_at=now
                )
        return rows
    # Its commit need not wait for the disk (outside a caller's transaction, whose
    # commit it would be): a claim lost to a crash only has them asked about again.
    no_wait = not connection.in_atomic_block
    setting = "no_wait AS (SELECT set_config('synchronous_commit', 'off', true)),"
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {setting if no_wait else ""}
            due AS (
                SELECT id FROM {table}
                WHERE id = ANY(%s) AND (polled_at IS NULL OR polled_at < %s)
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE {table} m SET polled_at = %s FROM due WHERE m.id = due.id
                RETURNING m.id, m.gateway_message_id
            )
            SELECT claimed.id, claimed.gateway_message_id
            FROM claimed{", no_wait" if no_wait else ""}
            """,  # noqa: S608 - the table's name, no input
            [list(ids), since, now],
        )
        return [tuple(row) for row in cursor.fetchall()]


def gone_out_since(since: datetime) -> Q:
    """Handed over, or held by the gateway until a send time, at `since` or later
    (campaigns.models.went_out, as a condition). Counted from the hand-over alone, a
    message held for days was given up before it went out."""
    return Q(submitted_at__gte=since) | Q(planned_at__gte=since)


def poll_delay(gateway) -> timedelta:
    """How long after sending (and between polls) a message is asked about."""
    return max(getattr(gateway, "min_poll_delay", timedelta(0)), DEFAULT_POLL_DELAY)


def _poll_account(
    account,
    gateway,
    now,
    *,
    generation: int,
    deadline: float,
    clock: Callable[[], float],
) -> int:
    delay = poll_delay(gateway)
    candidates = (
        Message.objects.filter(
            account=account,
            login_generation=generation,
            status__in=OPEN_STATUSES,
            submitted_at__lte=now - delay,
        )
        .filter(gone_out_since(now - GIVE_UP_AFTER))
        .exclude(gateway_message_id="")
        # Delivered is final but for Viber, whose messages may be read later.
        .exclude(Q(status=DeliveryStatus.DELIVERED) & ~Q(channel__in=READABLE_CHANNELS))
        .exclude(polled_at__gte=now - delay)
        # Those awaiting their outcome before delivered ones awaiting a read (which
        # a large Viber campaign has by the thousand for three days); never asked
        # first: PostgreSQL sorts NULL last, and messages once asked and still open
        # would take every run's places for the three days.
        .order_by(
            Case(When(status=DeliveryStatus.DELIVERED, then=1), default=0),
            F("polled_at").asc(nulls_first=True),
            "id",
        )
        .values_list("id", flat=True)
    )
    applied = asked = 0
    # A gateway may cap its status requests per poll run (SMSC: one mass request a
    # minute); the rest wait for the next run, oldest-polled first.
    cap = gateway.status_requests_per_poll
    size = gateway.max_status_batch
    while True:
        limit = CANDIDATES_PER_READ if cap is None else (cap - asked) * size
        if limit <= 0:
            return applied
        # Read once for many batches (and again only when they are asked about).
        due = list(candidates[:limit])
        claimed = False
        for start in range(0, len(due), size):
            if clock() >= deadline or (cap is not None and asked >= cap):
                return applied
            rows = polling_claim(due[start : start + size], now=now, since=now - delay)
            if not rows:
                continue  # another poller took them
            claimed = True
            asked += 1
            try:
                reports = gateway.fetch_statuses([r[1] for r in rows])
            except GatewayError as exc:
                logger.warning("status poll at %s failed: %s", account, exc)
                return applied
            applied += message_statuses_apply(account=account, reports=reports).updated
        # Fewer than asked for: none left. None claimed: another poller has them
        # (its claims not committed yet, so a read now would find them again).
        if len(due) < limit or not claimed:
            return applied
