"""The campaign pump: claims due messages batch by batch and submits them.

A pump runs as a Celery task for a bounded time, re-reads the campaign's state between
batches (so pause and cancel take effect there) and re-enqueues itself while messages
remain. Several pumps may run for one campaign on several workers: claims never overlap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from campaigns import quiet_hours, sending
from campaigns.expansion import campaign_respread
from campaigns.models import Campaign, Message
from campaigns.ratelimit import (
    RateLimiterUnavailable,
    campaign_rate,
    rate_limit_acquire,
)
from campaigns.sending import BatchOutcome, ClaimedMessage
from campaigns.turns import pump_lease_key, yield_check
from campaigns.workers import lease_owner, stop_asked_check
from providers.base import (
    Capability,
    DeliveryStatus,
    FailureReason,
    PreparedSend,
    SmsGateway,
    answers_signal,
    send_deadline,
    send_pace,
)
from providers.models import ProviderAccount
from providers.registry import gateway_for
from providers.tasks import balance_refresh
from smsportal.lib.gcspacing import collections_spaced

logger = logging.getLogger("campaigns.dispatch")

PUMP_SECONDS = 50.0  # then the pump hands over to a fresh task
# A slot's lease, refreshed each batch and naming the pump's worker: a lease of a
# worker taken for dead is taken over sooner (campaigns.services.campaign_pumps_ensure).
PUMP_LEASE_SECONDS = 120
# How long the pump waits for its HTTP thread to start a batch's request before it
# records the last one: a moment when that thread is free, as it is between batches.
HANDOVER_WAIT = 1.0
# A batch sent a request per message (SMSC, WEBSMS, Webcom's GET with personal texts:
# up to 500 requests) starts none later than this after its claim; the rest go back
# for a later batch. With a request's own timeout (providers.http.TIMEOUT) its
# messages are recorded within reconcile.GRACE: a slow gateway once kept a batch
# (and the one claimed behind it) out for minutes, and the reconciler took messages
# still being sent for lost, released them to the other pump, or asked a person to
# send them again.
SEND_WITHIN = 60.0
# Batches sent as one request that may be with the gateway at once: the next is
# queued there while the last one's answer is read and recorded, so the gateway
# never waits for the pump between two batches.
WINDOW = 2
# Planning a resumed spread again (a million messages: up to half a minute): its
# lease, the longest it may take before another pump takes it up.
REPLAN_LEASE_SECONDS = 600
# Gateways that schedule per recipient get messages this far ahead of their time.
SCHEDULE_AHEAD = timedelta(days=7)
# Messages the gateway never took: a campaign with only these has failed.
NOT_ACCEPTED = (DeliveryStatus.REJECTED, DeliveryStatus.FAILED)
# The banner of a campaign whose account was deactivated (stored untranslated, as
# sending.pause_reason_for's are).
INACTIVE_ACCOUNT = gettext_noop(
    "The provider account is not active: activate it, or cancel the campaign."
)
# The banner of a campaign whose account's credentials the current key cannot read.
CREDENTIALS_UNREADABLE = gettext_noop(
    "The provider account's credentials cannot be read with the current key "
    "(SECRET_KEY or SMSPORTAL_FIELD_KEY changed, or this worker has other keys than "
    "the web server): set SMSPORTAL_FIELD_KEY to the key of the old SECRET_KEY "
    "(manage.py field_key --from-secret-key OLD_SECRET_KEY prints it) on every "
    "machine and restart web, worker and beat, or enter the account's credentials "
    "again; then resume the campaign."
)


@dataclass
class PumpResult:
    sent: int = 0
    batches: int = 0
    next_due: datetime | None = None  # when the next pending message falls due
    finished: bool = False
    stopped: str = ""  # the state that stopped the pump, if any
    yielded: bool = False  # handed over early: another campaign waited for a slot
    # Every message left waits for the reconciler or a person (its submit outcome is
    # unknown): no pump has anything to do until one of them settles it.
    only_in_doubt: bool = False
    replanning: bool = False  # another pump plans a resumed spread again


def campaign_pump(
    *, campaign_id: int, slot: int = 0, budget: float = PUMP_SECONDS
) -> PumpResult:
    """Send due messages of a campaign until none are due or the time budget is spent.

    Pipelined: while batches are with the gateway (in HTTP threads that never touch
    the database), this thread claims the next (built in a third) and records the
    ones answered, so the database work and the building hide behind the gateway's
    latency. Batches sent as one request go up to WINDOW at a time, the next queued at
    the gateway while the last is answered; batches sent a request per message, one
    at a time. The order of the ledger is unchanged: claimed before sent, recorded
    after the answer; no batch leaves after an answer that pauses or retries the
    campaign (one already out when it came is recorded by its own answer).
    """
    result = PumpResult()
    deadline = time.monotonic() + budget
    campaign = Campaign.objects.select_related("account").get(pk=campaign_id)
    account = campaign.account
    if not account.is_active:
        # Deactivated after the launch (a scheduled start, a resume, mid-campaign):
        # nothing goes out through it until a person decides.
        campaign_pause_for(campaign_id=campaign_id, reason=INACTIVE_ACCOUNT)
        result.stopped = Campaign.State.PAUSED
        return result
    if account.credentials_unreadable:
        # Retrying cannot help until a person sets the key: the campaign waits,
        # saying so, instead of the task failing over and over unseen.
        campaign_pause_for(campaign_id=campaign_id, reason=CREDENTIALS_UNREADABLE)
        result.stopped = Campaign.State.PAUSED
        return result
    gateway = gateway_for(account)
    horizon_ahead = (
        SCHEDULE_AHEAD if gateway.supports(Capability.SCHEDULED_SEND) else timedelta(0)
    )
    outcome = BatchOutcome()
    flights: deque[_Flight] = deque()  # batches with the gateway, oldest first
    # On an error the chunks in flight stay claimed without a result, exactly as after
    # a crash, and campaigns.reconcile settles them with the gateway.
    with (
        # The batches' objects are freed by reference counting: the cycle collector's
        # runs over the worker's heap were a fifth of the pump's Python.
        collections_spaced(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="pump-build") as builder,
        ThreadPoolExecutor(max_workers=WINDOW, thread_name_prefix="pump-http") as wire,
    ):
        stop_asked = stop_asked_check()
        # Another campaign launched or resumed while every slot is taken: this pump
        # hands over early (campaigns.turns), its hand-over queued behind the start.
        yield_asked = yield_check(campaign_id)

        def hand_over_asked() -> bool:
            # Asked before the rate limiter's waits too: a rate-limited pump spends
            # most of its time there, and its batch, not sent yet, goes back.
            if stop_asked():
                return True
            result.yielded = result.yielded or yield_asked()
            return result.yielded

        # A request per message: spread over the second the rate limit grants.
        rate = campaign_rate(account.rate_limit)
        pace = 1 / rate if rate > 0 else 0.0
        # Until the budget is spent, the worker is asked to stop, or another campaign
        # waits for a slot: the batches out are recorded below, and a fresh task goes
        # on on a worker that runs.
        while time.monotonic() < deadline and not hand_over_asked():
            chunk = _next_chunk(campaign, gateway, horizon_ahead, slot, result)
            if not chunk:
                break
            # The batch's own: the pump's budget is `deadline`.
            send_by = time.monotonic() + SEND_WITHIN
            # Built in a third thread while this one waits for the database and the
            # last request is out: building is CPU work that would otherwise lie
            # between two requests or between two statements.
            request = builder.submit(
                sending.prepare_request, gateway, chunk, campaign, account
            )
            answered: list[tuple[_Flight, sending.Answer]] = []
            halted = stopped = False
            while flights and not halted:
                # A full window is made room in before the building is waited for;
                # an answer already in that stops the sending is read now.
                if (
                    len(flights) < WINDOW
                    and _window(flights, request) > len(flights)
                    and not _refused(flights)
                ):
                    break
                oldest = flights.popleft()
                # Asked once the oldest batch's answer is in, while the HTTP thread
                # reads it: a pause committed before the answer came is seen, and
                # the next request does not wait for the query too.
                oldest.answered.wait()
                stopped = stopped or _stopped_meanwhile(campaign.pk, result)
                answer = oldest.future.result()
                answered.append((oldest, answer))
                halted = sending.stops_sending(answer)
            if halted or stopped or (answered and stop_asked()):
                # Claimed while the last requests were out, before a refusal came, a
                # pause or a cancel committed, or the worker was asked to stop (an
                # answer waited for can take seconds, and a supervisor kills soon
                # after): it goes back, and only the batches already with the
                # gateway left after the click or the signal.
                outcome.released += sending.release([m.id for m in chunk])
                chunk = []
            waited = _rate_waited(account, chunk, hand_over_asked) if chunk else 0.0
            if waited is None:
                # The account is busy elsewhere (other pumps, campaigns), or another
                # campaign waits for this slot: the batch never left, so it goes
                # back; this pump hands over to a fresh task.
                outcome.released += sending.release([m.id for m in chunk])
                chunk = []
            elif waited and (
                _refused(flights) or _stopped_meanwhile(campaign.pk, result)
            ):
                # It waited for the rate limit after the checks above (seconds, with
                # the account shared): a refusal of a batch out that came meanwhile,
                # or a pause or a cancel clicked meanwhile, keeps it back too. Asked
                # only after a wait, so no batch pays for it else.
                outcome.released += sending.release([m.id for m in chunk])
                chunk = []
            if chunk:
                leaving, answer_in = threading.Event(), threading.Event()
                sent = wire.submit(
                    _on_wire, leaving, answer_in, gateway, request, send_by, pace
                )
                # Let the HTTP thread take it up before this one records: it would
                # otherwise wait for the interpreter's lock for as long as the
                # record's Python runs (up to the 5 ms switch interval), and the
                # gateway would wait for the request as long.
                leaving.wait(timeout=HANDOVER_WAIT)
                flights.append(_Flight(chunk, sent, answer_in, _one_request(request)))
                result.batches += 1
            for flight, answer in answered:  # recorded while the next request is out
                sending.settle(account=account, chunk=flight.chunk,
                               answer=answer, outcome=outcome)  # fmt: skip
            if not chunk:
                break
        # Out of budget, nothing due, or stopped: what is still out is recorded (a
        # batch sent before another's answer stopped the sending is settled by its
        # own answer, never released: the gateway may have taken it).
        while flights:
            flight = flights.popleft()
            sending.settle(account=account, chunk=flight.chunk,
                           answer=flight.future.result(), outcome=outcome)  # fmt: skip
    result.sent = outcome.sent
    if outcome.sent and account.last_error:
        # The gateway takes messages again: its error (a retry's, a check's) is over.
        ProviderAccount.objects.filter(
            pk=account.pk, last_error_at=account.last_error_at
        ).update(last_error="", last_error_record={}, last_error_at=None)
    if outcome.pause_reason:
        campaign_pause_for(campaign_id=campaign_id, reason=outcome.pause_reason)
        result.stopped = Campaign.State.PAUSED
        _balance_refresh_soon(account.pk)  # a refusal for funds: show what is left
        return result
    if outcome.retry is not None:
        raise outcome.retry  # the task retries with backoff; nothing was sent
    if result.stopped:
        return result
    result.next_due, result.finished, result.only_in_doubt = _whats_left(campaign_id)
    if result.finished and campaign_finish_if_done(campaign_id=campaign_id):
        _balance_refresh_soon(account.pk)
    return result


def _balance_refresh_soon(account_id: int) -> None:
    """Read the balance again once this is committed: what a campaign spent shows on
    the dashboard, and counts in the next launch's cost check, now rather than at the
    next scheduled refresh (every 10 minutes)."""
    transaction.on_commit(lambda: balance_refresh.delay(account_id))


@dataclass
class _Flight:
    """A chunk whose request is with the gateway."""

    chunk: list[ClaimedMessage]
    future: Future
    answered: threading.Event  # its answer is in (being read), or it failed
    one_request: bool  # the whole batch in one request (not a request a message)


def _one_request(request: Future) -> bool:
    """Whether a built batch goes as one request (waits for its building, which
    runs while this thread claimed it)."""
    built = request.result()
    return isinstance(built.prepared, PreparedSend) and built.prepared.one_request


def _refused(flights: deque[_Flight]) -> bool:
    """Whether an answer already in for a batch out pauses or retries the campaign
    (looked at without waiting: the batches out are recorded in their turn)."""
    return any(
        flight.future.done()
        and flight.future.exception() is None
        and sending.stops_sending(flight.future.result())
        for flight in flights
    )


def _window(flights: deque[_Flight], request: Future) -> int:
    """How many batches may be with the gateway once this one leaves: WINDOW when
    each is one request, else one (a batch sent a request per message is paced by the
    account's rate limit and bounded by SEND_WITHIN on its own)."""
    if _one_request(request) and all(flight.one_request for flight in flights):
        return WINDOW
    return 1


def _on_wire(
    leaving: threading.Event,
    answered: threading.Event,
    gateway: SmsGateway,
    request: Future,
    deadline: float,
    pace: float,
) -> sending.Answer:
    """The HTTP thread's part of a batch, saying when it has started and when the
    gateway has answered. Early only for a batch sent as one request: a gateway taking
    a request per message answers the first long before the batch has left, starts
    none of them past `deadline` (SEND_WITHIN), and `pace` seconds apart (the
    account's rate limit)."""
    leaving.set()
    try:
        with (
            answers_signal(answered) if _one_request(request) else nullcontext(),
            send_deadline(deadline),
            send_pace(pace),
        ):
            return _send_when_built(gateway, request)
    finally:
        answered.set()


def _send_when_built(gateway: SmsGateway, request: Future) -> sending.Answer:
    return sending.send_request(gateway, request.result())


def _next_chunk(
    campaign: Campaign, gateway, horizon_ahead: timedelta, slot: int, result: PumpResult
) -> list[ClaimedMessage]:
    """Claim the next batch (stop-listed phones rejected), unless the campaign stopped."""
    # A stopped pump's task deletes the lease, so refreshing it first is harmless.
    cache.set(pump_lease_key(campaign.pk, slot), lease_owner(),
              timeout=PUMP_LEASE_SECONDS)  # fmt: skip
    while True:
        claimed = sending.claim_due(
            campaign_id=campaign.pk,
            limit=_batch_size(gateway, campaign.account),
            horizon=timezone.now() + horizon_ahead,
            login_generation=campaign.account.login_generation,
            while_sending=True,
        )
        if not claimed and _replan_if_due(campaign, result):
            continue  # planned again: claim from the new plan
        if not claimed:  # nothing due, or the campaign no longer sends: which?
            # Nothing to send: a campaign sent to its end completes, account or not.
            _stopped_meanwhile(campaign.pk, result, about_to_send=False)
            return []
        stopped = sending.reject_stop_listed(claimed)
        chunk = [m for m in claimed if m.id not in stopped]
        late = (
            quiet_hours.late_for_window(
                chunk,
                campaign,
                now=timezone.now(),
                zones=quiet_hours.recipient_zones(chunk),
            )
            if campaign.respect_quiet_hours and chunk
            else {}
        )
        if late:  # due late (a backlog, a resume): not at night all the same
            chunk = quiet_hours.hold_for_window(
                chunk, late, schedules=horizon_ahead > timedelta(0)
            )
        if chunk:
            return chunk


def _replan_if_due(campaign: Campaign, result: PumpResult) -> bool:
    """Plan again a resumed spread's messages that fell due during its pause (see
    Campaign.replan_due), once, by one pump; whether this one did. Asked only when a
    claim got nothing, as every claim does until it is done. A pump that finds
    another at it waits (result.replanning); if that one's worker dies, the flag is
    still set and the lease runs out."""
    due = Campaign.objects.filter(
        pk=campaign.pk, replan_due=True, state=Campaign.State.SENDING
    )
    if not due.exists():  # none asked, or paused again (its resume asks anew)
        return False
    key = f"campaign-replan:{campaign.pk}"
    if not cache.add(key, lease_owner(), timeout=REPLAN_LEASE_SECONDS):
        result.replanning = True
        return False
    try:
        campaign_respread(campaign=campaign)
        Campaign.objects.filter(pk=campaign.pk).update(replan_due=False)
    finally:
        cache.delete(key)
    return True


_STATE_SQL = f"""
    SELECT c.state, a.is_active
    FROM {Campaign._meta.db_table} c
    JOIN {ProviderAccount._meta.db_table} a ON a.id = c.account_id
    WHERE c.id = %s
"""


def _stopped_meanwhile(
    campaign_id: int, result: PumpResult, *, about_to_send: bool = True
) -> bool:
    """Whether the campaign stopped sending (paused, cancelled) since the last claim,
    or, `about_to_send` a batch, its account was deactivated (the campaign pauses
    with the banner, as at the pump's start: a pump runs for up to PUMP_SECONDS,
    thousands of messages); if so, the state goes to `result.stopped`. One query by
    primary keys, in SQL: asked before every batch, the ORM's building of it cost the
    pump more CPU (about 1 ms) than the database spent answering."""
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, [campaign_id])
        row = cursor.fetchone()
    state, account_active = row or ("deleted", False)
    if state == Campaign.State.SENDING and about_to_send and not account_active:
        campaign_pause_for(campaign_id=campaign_id, reason=INACTIVE_ACCOUNT)
        state = Campaign.State.PAUSED
    if state == Campaign.State.SENDING:
        return False
    result.stopped = state
    return True


def _rate_waited(
    account: ProviderAccount,
    chunk: list[ClaimedMessage],
    hand_over_asked: Callable[[], bool],
) -> float | None:
    """Seconds the batch waited for the account's rate limit; None if it may not go
    (waited too long, or the pump is asked to hand over: up to 30 s otherwise)."""
    try:
        # The campaigns' share: one-off messages keep the rest (ratelimit).
        return rate_limit_acquire(account_id=account.pk, count=len(chunk),
                                  per_second=campaign_rate(account.rate_limit),
                                  give_up=hand_over_asked)  # fmt: skip
    except TimeoutError:
        return None
    except RateLimiterUnavailable:
        logger.warning("rate limiter unavailable: %s's batch goes back", account)
        return None


def _batch_size(gateway: SmsGateway, account: ProviderAccount) -> int:
    """Recipients per claim: at most a second's worth of the account's rate limit, so
    a claimed batch waits for the limiter seconds, not minutes. Claimed and unsent
    for longer than reconcile.GRACE, it would be taken for a lost submit and released
    while this pump still sends it."""
    if account.rate_limit > 0:
        return max(1, min(gateway.max_batch, campaign_rate(account.rate_limit)))
    return gateway.max_batch


def _whats_left(campaign_id: int) -> tuple[datetime | None, bool, bool]:
    """When the next unclaimed message falls due; whether none is pending; whether
    all the pending ones are in doubt (see messages_in_doubt_only)."""
    pending = Message.objects.filter(campaign_id=campaign_id, is_pending=True)
    unclaimed = pending.filter(claimed_at__isnull=True).order_by("planned_at")
    next_due = unclaimed.values_list("planned_at", flat=True).first()
    if next_due is not None:
        return next_due, False, False
    finished = not pending.exists()
    return None, finished, not finished and messages_in_doubt_only(campaign_id)


def messages_in_doubt_only(campaign_id: int) -> bool:
    """Whether the campaign has pending messages and every one is in doubt: claimed,
    never recorded, and marked "outcome unknown" (by the pump after a lost answer,
    or by the reconciler for a person to decide). Only the reconciler or a person
    moves them on, leaving them unclaimed or settled, which beat's tick sees: a pump
    run every 5 s until then found nothing to send, for days if nobody decided.
    Stops at the first other pending message (one being sent, or one claimed by a
    worker that died, which the reconciler takes up later)."""
    messages = Message.objects.filter(campaign_id=OuterRef("pk"), is_pending=True)
    others = messages.exclude(
        claimed_at__isnull=False,
        submitted_at__isnull=True,
        reason=FailureReason.OUTCOME_UNKNOWN,
    )
    return Campaign.objects.filter(
        Exists(messages), ~Exists(others), pk=campaign_id
    ).exists()


def campaign_pause_for(*, campaign_id: int, reason: str) -> None:
    """Pause a sending campaign because of the gateway, with a banner for the user."""
    Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SENDING).update(
        state=Campaign.State.PAUSED, pause_reason=reason
    )


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a sending campaign completed when its audience is built and no message is
    pending any more; failed when the gateway took none of its messages (every one
    refused or failed: a wrong sender name per recipient, invalid numbers, a text
    refused), so the list does not say "Completed" of a campaign nobody received.

    One statement: a pump started while the audience is still being built (beat's
    tick restarts the pumps of every sending campaign) saw no pending message, as
    none was committed yet, and completed the campaign; the messages committed next
    were never sent. The expansion sets `expanded_at` after all of them are in, so a
    statement that sees it sees the messages too.
    """
    messages = Message.objects.filter(campaign_id=OuterRef("pk"))
    pending = messages.filter(is_pending=True)
    # Stops at the first accepted message: a whole scan only for a failed campaign.
    accepted = messages.exclude(status__in=NOT_ACCEPTED)
    return bool(
        Campaign.objects.filter(
            pk=campaign_id, state=Campaign.State.SENDING, expanded_at__isnull=False
        )
        .exclude(Exists(pending))
        .update(
            state=Case(
                When(
                    Exists(messages) & ~Exists(accepted),
                    then=Value(Campaign.State.FAILED),
                ),
                default=Value(Campaign.State.COMPLETED),
            ),
            finished_at=timezone.now(),
        )
    )
