"""Submitting messages: claim, re-check the stop list, send one batch, record results.

Exactly once: a message is claimed by one conditional UPDATE (`claimed_at IS NULL`)
before it leaves; a second worker, a redelivered task or a resumed campaign cannot
claim it again. If the submit's outcome is unknown (a timeout after the request left, a
crash before the results were stored), the message stays claimed without a gateway id
and campaigns.reconcile settles it with the gateway — it is never resent blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.gateway_values import (
    CODE_MAX,
    GATEWAY_ID_MAX,
    LAST_ERROR_MAX,
    VENDOR_TEXT_MAX,
    fitted,
    storable_cost,
    storable_segments,
)
from campaigns.models import Campaign, Message
from campaigns.ratelimit import RateLimiterUnavailable, rate_limit_acquire
from campaigns.screening import Outgoing, Screened, reject_unsendable, screen
from contacts.models import StopListEntry
from providers.base import (
    Capability,
    DeliveryStatus,
    FailureReason,
    MessageChannel,
    OutgoingSms,
    PreparedSend,
    SendResult,
    SmsGateway,
    ViberContent,
    VoiceOptions,
)
from providers.error_text import error_record, error_text
from providers.exceptions import (
    AuthenticationFailed,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InsufficientBalance,
    MessageDenied,
    NotSupported,
    PartlySent,
    SenderNotAllowed,
    TestModeUnavailable,
)
from providers.models import ProviderAccount
from providers.registry import gateway_for
from providers.services import error_message
from smsportal.exceptions import ApplicationError
from smsportal.lib.sqlutil import aware_utc, is_postgres, placeholders, rows_table
from smsportal.lib.values import quick_init

logger = logging.getLogger("campaigns.sending")

# The stop list is checked in the claim itself: right before the batch leaves. The
# planned time is read only for messages planned ahead (the parameter: a minute from
# now): turning a timestamp into a datetime costs more than the rest of the row.
CLAIM_COLUMNS = """id, phone, text, sender, channel,
    CASE WHEN planned_at > %s THEN planned_at END AS planned_at, campaign_id,
    EXISTS (SELECT 1 FROM contacts_stoplistentry s
            WHERE s.phone = campaigns_message.phone) AS stopped"""
HANDED_OVER = frozenset(
    {
        DeliveryStatus.QUEUED,
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.READ,
    }
)


@quick_init  # one a message of a batch
@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    phone: str
    text: str
    sender: str
    channel: str
    planned_at: datetime | None  # None when due within a minute of the claim
    campaign_id: int | None
    stopped: bool = False  # the phone is on the stop list now
    # Planned at its quiet-hours window's opening (campaigns.quiet_hours): goes with
    # that send time however near, not at once before the window opens.
    at_opening: bool = False


@dataclass
class BatchOutcome:
    sent: int = 0
    rejected: int = 0
    stop_listed: int = 0
    unknown: int = 0  # submit outcome unknown: left for reconciliation
    released: int = 0  # unclaimed again: safe to send later
    pause_reason: str = ""
    retry: GatewayUnavailable | None = None
    pause_cause: GatewayError | None = None  # the refusal behind pause_reason
    busy: bool = False  # the rate limit kept it waiting too long: handed back unsent
    limiter_down: bool = False  # busy because the rate limiter's cache failed
    results: list[SendResult] = field(default_factory=list)


# A message planned later than this after its claim goes with its send time, to the
# gateways that schedule per recipient.
SCHEDULE_THRESHOLD = timedelta(minutes=1)
# A dict lookup: calling the enum for each message of a batch costs a microsecond.
CHANNELS = {channel.value: channel for channel in MessageChannel}

# Refusals a person must fix: the campaign pauses with a banner.
PAUSING = (AuthenticationFailed, InsufficientBalance, SenderNotAllowed)
# What send_request hands to settle (Screened: some messages were held back).
Answer = list[SendResult] | GatewayError | Screened


# Claiming ------------------------------------------------------------------------------


def claim_due(
    *,
    campaign_id: int,
    limit: int,
    horizon: datetime,
    login_generation: int,
    while_sending: bool = False,
) -> list[ClaimedMessage]:
    """Claim up to `limit` pending messages of a campaign planned before `horizon`;
    with `while_sending`, only if the campaign is sending at that moment (a pause
    or cancel is seen by the claim itself, without a query of its own) and has no
    plan to redo (Campaign.replan_due).

    `login_generation` is that of the account whose credentials will send them
    (providers.logins): stamped on each, so what the gateway holds under a login
    later replaced is still asked about with that login."""
    lock = "FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    # Not correlated with the row: PostgreSQL checks it once per statement.
    sending = (
        "AND EXISTS (SELECT 1 FROM campaigns_campaign c"
        " WHERE c.id = %s AND c.state = 'sending' AND NOT c.replan_due)"
        if while_sending
        else ""
    )
    due = f"""
        SELECT id FROM campaigns_message
        WHERE campaign_id = %s AND is_pending AND claimed_at IS NULL
          AND planned_at <= %s {sending}
        ORDER BY planned_at, id LIMIT %s {lock}
    """
    # On PostgreSQL the ids go in as one array, looked up by the primary key: with
    # `IN (subquery)` the planner could hash the batch and scan all the campaign's
    # messages for each claim.
    among = f"= ANY(ARRAY({due}))" if is_postgres() else f"IN ({due})"
    sql = f"""
        UPDATE campaigns_message SET claimed_at = %s, attempts = attempts + 1,
               login_generation = %s
        WHERE id {among}
        RETURNING {CLAIM_COLUMNS}
    """
    now = timezone.now()
    params = [_db_time(now), login_generation, campaign_id, _db_time(horizon)]
    params += [campaign_id] if while_sending else []
    return _claim(sql, [*params, limit, _ahead(now)])


def claim_ids(
    *, message_ids: Sequence[int], login_generation: int
) -> list[ClaimedMessage]:
    """Claim these messages if they are still pending and unclaimed, stamped with the
    login generation that will send them (see claim_due)."""
    if not message_ids:
        return []
    sql = f"""
        UPDATE campaigns_message SET claimed_at = %s, attempts = attempts + 1,
               login_generation = %s
        WHERE id IN ({placeholders(len(message_ids))})
          AND status = 'pending' AND claimed_at IS NULL
        RETURNING {CLAIM_COLUMNS}
    """
    now = timezone.now()
    params = [_db_time(now), login_generation, *message_ids, _ahead(now)]
    return _claim(sql, params)


def _claim(sql: str, params: list) -> list[ClaimedMessage]:
    # One statement, atomic on its own: committed before any of it is sent, without
    # the two round trips of BEGIN and COMMIT around it.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if is_postgres():  # aware datetimes and booleans already
        rows = [ClaimedMessage(*row) for row in fetched]
    else:
        rows = [ClaimedMessage(*_aware_row(row)) for row in fetched]
    rows.sort(key=lambda m: m.id)
    return rows


def _ahead(now: datetime) -> datetime:
    """Messages planned after this go to the gateway with their send time."""
    return _db_time(now + SCHEDULE_THRESHOLD)


def _db_time(moment: datetime) -> datetime:
    """Raw-SQL parameter: SQLite keeps naive UTC text, so compare like with like."""
    if is_postgres():
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware_row(row: Sequence) -> list:
    """SQLite hands raw-SQL datetimes back as naive UTC text; make them aware."""
    row = list(row)
    row[5] = aware_utc(row[5])
    row[7] = bool(row[7])
    return row


def release(
    message_ids: Sequence[int],
    *,
    reason: str | None = None,
    may_have_arrived: bool = False,
) -> int:
    """Unclaim messages that certainly did not reach the gateway (`reason`, if given,
    replaces theirs). Those whose campaign was cancelled while they were out are
    withdrawn instead: no pump claims them again, so unclaimed they would stay
    pending for ever. One statement, so a cancel committing meanwhile misses none.

    `may_have_arrived`: released only because the gateway ignores a repeated
    reference (Webcom's client_id_sms), they may have gone out all the same. One of a
    cancelled campaign is not sent again, which alone would settle it: it ends
    failed, "outcome unknown", as a person's "Give up" ends it, not withdrawn."""
    if not message_ids:
        return 0
    cancelled = Exists(
        Campaign.objects.filter(
            pk=OuterRef("campaign_id"), state=Campaign.State.CANCELLED
        )
    )
    ended, ended_reason = (
        (DeliveryStatus.FAILED, FailureReason.OUTCOME_UNKNOWN)
        if may_have_arrived
        else (DeliveryStatus.CANCELLED, FailureReason.CANCELLED)
    )

    def unless_cancelled(withdrawn, kept) -> Case:
        return Case(When(cancelled, then=withdrawn), default=kept)

    return Message.objects.filter(
        id__in=list(message_ids),
        status=DeliveryStatus.PENDING,
        submitted_at__isnull=True,
    ).update(
        claimed_at=unless_cancelled(F("claimed_at"), Value(None))
        if may_have_arrived
        else None,
        status=unless_cancelled(Value(ended), F("status")),
        reason=unless_cancelled(
            Value(ended_reason),
            F("reason") if reason is None else Value(reason),
        ),
        status_changed_at=unless_cancelled(
            Value(timezone.now()), F("status_changed_at")
        ),
        # The words of the lost answer ("no answer: ReadTimeout", given to the whole
        # batch) beside «Cancelled» read as a failure of a message that never left.
        # One that may have arrived keeps them: they say why its outcome is unknown.
        **(
            {}
            if may_have_arrived
            else {
                "vendor_code": unless_cancelled(Value(""), F("vendor_code")),
                "vendor_text": unless_cancelled(
                    Value("", output_field=TextField()), F("vendor_text")
                ),
            }
        ),
    )


def reject_stop_listed(claimed: Sequence[ClaimedMessage]) -> set[int]:
    """Refuse claimed messages whose phone went on the stop list since expansion."""
    stopped = [m.id for m in claimed if m.stopped]
    if stopped:
        Message.objects.filter(id__in=stopped, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.REJECTED,
            reason=FailureReason.STOP_LIST,
            status_changed_at=timezone.now(),
        )
    return set(stopped)


# Submitting ----------------------------------------------------------------------------


def submit(
    *,
    account: ProviderAccount,
    campaign: Campaign | None,
    claimed: Sequence[ClaimedMessage],
    gateway: SmsGateway | None = None,
) -> BatchOutcome:
    """Send claimed messages of one account in gateway-sized requests; record results."""
    outcome = BatchOutcome()
    stopped = reject_stop_listed(claimed)
    outcome.stop_listed = len(stopped)
    to_send = [m for m in claimed if m.id not in stopped]
    gateway = gateway or gateway_for(account)
    for start in range(0, len(to_send), gateway.max_batch):
        chunk = to_send[start : start + gateway.max_batch]
        _submit_chunk(account, campaign, gateway, chunk, outcome)
        if outcome.pause_reason or outcome.retry or outcome.busy:
            release([m.id for m in to_send[start + gateway.max_batch :]])
            break
    return outcome


def raise_unless_sent(outcome: BatchOutcome, *, message_ids: Sequence[int]) -> None:
    """One-off sends (test send, inbox reply): say at once why nothing went out.

    The messages handed back unsent are failed with that reason: no pump claims a
    message outside a campaign, so pending they would stay pending for ever (and the
    contact's history would show them waiting). Sending again makes new ones.
    """
    why, reason = _one_off_refusal(outcome)
    if not why:
        return
    unsent = Message.objects.filter(
        claimed_at__isnull=True,  # in doubt ones stay for reconcile
        submitted_at__isnull=True,
    )
    _fail(unsent, message_ids, outcome.pause_cause or outcome.retry, reason, why)
    raise ApplicationError(why, where="account")


def _one_off_refusal(outcome: BatchOutcome) -> tuple[str, str]:
    if outcome.pause_reason:
        # Stored untranslated for campaigns; a one-off is answered to its sender now.
        return _(outcome.pause_reason), (
            FailureReason.INSUFFICIENT_BALANCE
            if isinstance(outcome.pause_cause, InsufficientBalance)
            else FailureReason.SENDER_NOT_ALLOWED
            if isinstance(outcome.pause_cause, SenderNotAllowed)
            else FailureReason.GATEWAY_ERROR
        )
    if outcome.busy and outcome.limiter_down:
        return _(
            "The rate limiter (the cache, Redis) does not answer: nothing was sent. "
            "Try again once it is back."
        ), FailureReason.OTHER
    if outcome.busy:
        return _(
            "The account is sending at its rate limit for other campaigns: try "
            "again in a minute."
        ), FailureReason.OTHER
    if outcome.retry:
        return error_message(outcome.retry), FailureReason.GATEWAY_ERROR
    if outcome.released:
        # A request per message (or per text) that stopped part way: those after it
        # were handed back, never sent.
        return _(
            "The gateway stopped part way through the messages: those it did not "
            "take were not sent. Send them again."
        ), FailureReason.GATEWAY_ERROR
    return "", ""


def _submit_chunk(account, campaign, gateway, chunk, outcome: BatchOutcome) -> None:
    try:
        rate_limit_acquire(
            account_id=account.pk, count=len(chunk), per_second=account.rate_limit
        )
    except (TimeoutError, RateLimiterUnavailable) as exc:
        # Claimed but never sent: back to pending, never left claimed for ever.
        outcome.released += release([m.id for m in chunk])
        outcome.busy = True
        outcome.limiter_down = isinstance(exc, RateLimiterUnavailable)
        return
    answer = send_request(gateway, prepare_request(gateway, chunk, campaign, account))
    settle(account=account, chunk=chunk, answer=answer, outcome=outcome)


def outgoing_for(
    chunk: Sequence[ClaimedMessage], campaign, account, gateway: SmsGateway
) -> list[OutgoingSms]:
    """The chunk as the gateway takes it (no database). A message holding a character
    no gateway can carry is left out, for settle to reject (campaigns.screening)."""
    now = timezone.now()
    # Only gateways that schedule per recipient get messages ahead of their time.
    schedule_after = (
        now + SCHEDULE_THRESHOLD
        if gateway.supports(Capability.SCHEDULED_SEND)
        else None
    )
    shape = _Shape.of(campaign)  # what the campaign adds, once per chunk
    default_sender, validity = account.default_sender, shape.validity
    outgoing = []
    for message in chunk:
        planned = message.planned_at
        send_at = None
        if schedule_after is not None and planned is not None:
            ahead = planned > (now if message.at_opening else schedule_after)
            send_at = planned if ahead else None
        sender = message.sender or default_sender
        outgoing.append(
            OutgoingSms(
                reference=str(message.id),
                phone=message.phone,
                text=message.text,
                sender=sender,
                channel=CHANNELS[message.channel],
                send_at=send_at,
                valid_until=(send_at or now) + validity if validity else None,
                viber=shape.viber(message.text, sender) if shape.is_viber else None,
                voice=shape.voice,
            )
        )
    return screen(outgoing)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a campaign's settings add to each of its messages (none for a one-off)."""

    campaign: Campaign | None = None
    is_viber: bool = False
    voice: VoiceOptions | None = None
    validity: timedelta | None = None

    @classmethod
    def of(cls, campaign: Campaign | None) -> _Shape:
        if campaign is None:
            return cls()
        channel = campaign.channel
        return cls(
            campaign=campaign,
            is_viber=channel in (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS),
            voice=(
                VoiceOptions(**(campaign.voice_options or {}))
                if channel == MessageChannel.VOICE
                else None
            ),
            validity=(
                timedelta(hours=campaign.validity_hours)
                if campaign.validity_hours
                else None
            ),
        )

    def viber(self, text: str, sender: str) -> ViberContent:
        campaign = self.campaign
        return ViberContent(
            text=campaign.viber_text or text,
            sender=sender,
            button_text=campaign.viber_button_text,
            button_url=campaign.viber_button_url,
            image_url=campaign.viber_image_url,
            image_id=str(campaign.viber_image_id or ""),
        )


@dataclass(frozen=True, slots=True)
class Request:
    """A chunk ready to leave: its messages as the gateway takes them and the
    gateway's prepared send (None: nothing to send), or the error preparing raised."""

    outgoing: list[OutgoingSms]
    prepared: PreparedSend | GatewayError | None


def prepare_request(
    gateway: SmsGateway, chunk: Sequence[ClaimedMessage], campaign, account
) -> Request:
    """outgoing_for and the gateway's prepare_send (no database, no network): the pump
    prepares the next batch while the last one is with the gateway."""
    outgoing = outgoing_for(chunk, campaign, account, gateway)
    if not outgoing:
        return Request(outgoing, None)
    try:
        prepared: PreparedSend | GatewayError = gateway.prepare_send(outgoing)
    except GatewayError as exc:
        prepared = exc
    return Request(outgoing, prepared)


def send_request(gateway: SmsGateway, request: Request) -> Answer:
    """The request alone (no database): the gateway's results or its error.

    Safe to run in another thread while this one records the previous batch.
    """
    prepared = request.prepared
    if prepared is None or isinstance(prepared, GatewayError):
        answer: list[SendResult] | GatewayError = prepared or []
    else:
        try:
            answer = gateway.send_prepared(prepared)
        except GatewayError as exc:
            answer = exc
    if isinstance(request.outgoing, Outgoing):
        return Screened(answer, request.outgoing.held)
    return answer


def stops_sending(answer: Answer) -> bool:
    """Whether this answer pauses the campaign or retries later (no next batch)."""
    if isinstance(answer, Screened):
        return stops_sending(answer.answer)
    if isinstance(answer, PartlySent):
        return stops_sending(answer.cause)
    if isinstance(answer, GatewayUnavailable):
        return not answer.outcome_unknown
    if isinstance(answer, list):
        return any(_out_of_funds(result) for result in answer)
    return isinstance(answer, (*PAUSING, NotSupported))


def _out_of_funds(result: SendResult) -> bool:
    """A recipient refused because the account's money ran out at it (Webcom answers
    so per recipient, part way through a batch): the account's state, not the
    recipient's, so not a final refusal."""
    return (
        result.reason == FailureReason.INSUFFICIENT_BALANCE
        and result.status == DeliveryStatus.REJECTED
    )


def _unsent_for_funds(results: list[SendResult]) -> list[SendResult]:
    """The results with those refused for funds turned back into not taken: they
    wait, pending, for the top-up and the resume."""
    return [
        replace(result, status=DeliveryStatus.PENDING)
        if _out_of_funds(result)
        else result
        for result in results
    ]


def settle(
    *,
    account: ProviderAccount,
    chunk: Sequence[ClaimedMessage],
    answer: Answer,
    outcome: BatchOutcome,
) -> None:
    """Record what became of a transmitted chunk in the ledger."""
    if isinstance(answer, Screened):
        # Those held back never left: rejected here; the rest went as usual.
        reject_unsendable(answer.held)
        outcome.rejected += len(answer.held)
        held = answer.held_references
        chunk = [m for m in chunk if str(m.id) not in held]
        answer = answer.answer
    if isinstance(answer, PartlySent):
        # Those sent are recorded; the one that failed as if sent alone; the rest
        # were never sent and wait for the next batch (or the resume).
        done = len(answer.results)
        settle(
            account=account, chunk=chunk[:done], answer=answer.results, outcome=outcome
        )
        settle(account=account, chunk=chunk[done : done + 1], answer=answer.cause,
               outcome=outcome)  # fmt: skip
        if untried := [m.id for m in chunk[done + 1 :]]:
            outcome.released += release(untried)
        return
    ids = [m.id for m in chunk]
    if isinstance(answer, GatewayUnavailable):
        if answer.outcome_unknown:
            _mark_unknown(ids, answer)
            outcome.unknown += len(ids)
        else:
            outcome.released += release(ids)
            outcome.retry = answer
            # On the campaign's page while the task retries: why nothing moves.
            _note_account_error(account, answer)
        return
    if isinstance(answer, GatewayProtocolError):
        # The gateway answered but we could not read it: it may have accepted them.
        _mark_unknown(ids, answer)
        outcome.unknown += len(ids)
        return
    if isinstance(answer, PAUSING):
        outcome.released += release(ids)
        outcome.pause_reason = pause_reason_for(answer)
        outcome.pause_cause = answer
        _note_account_error(account, answer)
        return
    if isinstance(answer, NotSupported):
        # The account's gateway cannot send this (a channel, a send time): a person
        # must change the campaign or the account.
        outcome.released += release(ids)
        outcome.pause_reason = pause_reason_for(answer)
        _note_account_error(account, answer)  # which operation, for the account page
        return
    if isinstance(answer, GatewayRefused):
        _mark_failed(ids, answer)
        outcome.rejected += len(ids)
        return
    if isinstance(answer, GatewayError):
        raise answer  # a kind this ledger does not know: the task fails loudly
    if stops_sending(answer):  # the money ran out part way: pause, keep the rest
        refusal = next(r for r in answer if _out_of_funds(r))
        cause = InsufficientBalance(account.kind, refusal.vendor_text)
        outcome.pause_reason = pause_reason_for(cause)
        outcome.pause_cause = cause
        _note_account_error(account, cause)
        answer = _unsent_for_funds(answer)
    record_results(account=account, claimed=chunk, results=answer)
    outcome.results.extend(answer)
    for result in answer:
        if result.status in HANDED_OVER:
            outcome.sent += 1
        elif result.status == DeliveryStatus.PENDING:
            outcome.released += 1
        elif result.reason == FailureReason.OUTCOME_UNKNOWN:
            outcome.unknown += 1
        else:
            outcome.rejected += 1


def pause_reason_for(exc: Exception) -> str:
    """The banner's text, stored untranslated: the worker's language is not the
    reader's, so Campaign.pause_message translates it when it is shown."""
    if isinstance(exc, InsufficientBalance):
        return gettext_noop(
            "The gateway reports insufficient funds: top up the account, then resume."
        )
    if isinstance(exc, AuthenticationFailed):
        return gettext_noop(
            "The gateway refused the account's credentials: fix them, then resume."
        )
    if isinstance(exc, MessageDenied):
        return gettext_noop(
            "The gateway denied the message for its text or its sender name: change "
            "them (or ask the gateway which), then resume."
        )
    if isinstance(exc, TestModeUnavailable):
        return gettext_noop(
            "The account is in test mode, but its gateway has none: nothing was "
            "sent. Untick test mode on the account to send for real, then resume."
        )
    if isinstance(exc, NotSupported):
        return gettext_noop(
            "The account's gateway cannot send this campaign as it is (its channel or "
            "send time): change the campaign or the account, then resume."
        )
    return gettext_noop(
        "The gateway refused the sender name: choose an approved one, then resume."
    )


def _note_account_error(account: ProviderAccount, exc: GatewayError) -> None:
    """The refusal on the account's page, in words as a connection check puts it."""
    record = error_record(exc)
    ProviderAccount.objects.filter(pk=account.pk).update(
        last_error=fitted(error_text(record), LAST_ERROR_MAX),
        last_error_record=record,
        last_error_at=timezone.now(),
    )


# Recording -----------------------------------------------------------------------------


def record_results(
    *,
    account: ProviderAccount,
    claimed: Sequence[ClaimedMessage],
    results: Sequence[SendResult],
) -> None:
    """Store the gateway's answer for each claimed message (one statement)."""
    by_reference = {r.reference: r for r in results}
    now = timezone.now()
    rows = []
    not_sent: list[int] = []
    in_doubt: list[int] = []
    for message in claimed:
        result = by_reference.get(str(message.id))
        if result is None:
            # No answer for this one: the gateway may or may not have it.
            in_doubt.append(message.id)
            continue
        if result.status == DeliveryStatus.PENDING:
            not_sent.append(message.id)  # the gateway says it never took it
            continue
        if result.reason == FailureReason.OUTCOME_UNKNOWN:
            in_doubt.append(message.id)
            continue
        # As the row holds it (gateway_values): a NUL, a code past its column or a
        # price of NaN would fail the batch's record, and its reconciliation, every
        # time.
        rows.append(
            (
                message.id,
                result.status,
                fitted(result.gateway_message_id, GATEWAY_ID_MAX),
                result.reason or "",
                fitted(result.vendor_code, CODE_MAX),
                fitted(result.vendor_text, VENDOR_TEXT_MAX),
                storable_segments(result.segments),
                storable_cost(_charged(result)),
            )
        )
    release(not_sent)
    if in_doubt:
        _mark_unknown(in_doubt, "no definite answer from the gateway")
    if not rows:
        return
    if _update_results(rows, now, account.pk):
        from campaigns.statuses import orphans_apply

        orphans_apply(account=account, gateway_ids=[r[2] for r in rows if r[2]])
    held = [m.id for m in claimed if m.planned_at is not None]
    if held:
        _withdraw_stopped_meanwhile(account, held)


def _charged(result: SendResult) -> Decimal | None:
    """What the account paid for the message, as far as the answer says."""
    if result.reason == FailureReason.TEST_MODE:
        # Priced and not sent (SMSC's cost=1, WEBSMS's test=1): nothing was paid, so
        # it costs 0 as a withdrawn message does, in the report's «Spent», the
        # exports and the API alike.
        return Decimal(0)
    return result.cost


def _withdraw_stopped_meanwhile(account: ProviderAccount, held: list[int]) -> None:
    """Messages just handed over for a later time whose number went on the stop list,
    or whose campaign was cancelled, after the claim: that opt-out's or that cancel's
    withdrawal ran before this record and found nothing held (campaigns.withdrawal),
    and the gateway would send them at their time. Only batches sent ahead pay for
    the look, one query; the one sent now has gone anyway."""
    from campaigns.selectors import HELD_AT_GATEWAY
    from campaigns.withdrawal import gateway_withdraw

    stopped = StopListEntry.objects.filter(phone=OuterRef("phone"))
    # A cancel commits before its withdrawal looks: one committed after this record
    # finds these itself, one committed before it is seen here.
    cancelled = Campaign.objects.filter(
        pk=OuterRef("campaign_id"), state=Campaign.State.CANCELLED
    )
    rows = (
        Message.objects.filter(id__in=held, status__in=HELD_AT_GATEWAY)
        .exclude(gateway_message_id="")
        .annotate(opted_out=Exists(stopped), cancelled=Exists(cancelled))
        .filter(Q(opted_out=True) | Q(cancelled=True, planned_at__gt=timezone.now()))
        .values_list("gateway_message_id", "opted_out")
    )
    by_reason: dict[str, list[str]] = {}
    for gateway_id, opted_out in rows:
        reason = FailureReason.STOP_LIST if opted_out else FailureReason.CANCELLED
        by_reason.setdefault(reason, []).append(gateway_id)
    for reason, gateway_ids in by_reason.items():
        gateway_withdraw(account, gateway_ids, reason=reason)


def _update_results(rows: list[tuple], now: datetime, account_id: int) -> bool:
    """Store the rows; whether an early status report waits for one of their
    gateway ids (on SQLite: perhaps; orphans_apply looks)."""
    if is_postgres():
        # The time is one parameter, not a column: formatting it for each of a
        # batch's rows cost more than the rest of the row. The probe for early
        # reports rides on the same statement, a round trip fewer for each batch;
        # orphans are rare, so the join runs only when the account has any.
        casts = ("bigint", "text", "text", "text", "text", "text", "int", "numeric")
        values_sql, params = rows_table(rows, casts)
        sql = f"""
            WITH stored AS (
                UPDATE campaigns_message m SET
                    status = v.status, gateway_message_id = v.gid, reason = v.reason,
                    vendor_code = v.code, vendor_text = v.vtext,
                    segments = coalesce(v.segments, m.segments), cost = v.cost,
                    -- The estimate follows the gateway's part count: per-part price
                    -- (ours: estimate / our count) times its parts.
                    estimated_cost = CASE WHEN v.segments IS NOT NULL
                        AND m.segments > 0 AND v.segments <> m.segments
                        THEN m.estimated_cost * v.segments / m.segments
                        ELSE m.estimated_cost END,
                    submitted_at = %s, status_changed_at = %s
                FROM {values_sql}
                    AS v(id, status, gid, reason, code, vtext, segments, cost)
                WHERE m.id = v.id AND m.status = 'pending'
                RETURNING m.gateway_message_id AS gid
            )
            SELECT CASE WHEN EXISTS (
                SELECT 1 FROM campaigns_orphanstatusreport WHERE account_id = %s
            ) THEN EXISTS (
                SELECT 1 FROM campaigns_orphanstatusreport o JOIN stored s
                ON o.gateway_message_id = s.gid WHERE o.account_id = %s
            ) ELSE false END
        """
        with connection.cursor() as cursor:
            unflushed = _may_commit_unflushed()
            if unflushed:
                sql = "SET LOCAL synchronous_commit TO off; " + sql
            cursor.execute(sql, [now, now, *params, account_id, account_id])
            if unflushed:
                cursor.nextset()  # past the SET's empty result
            return cursor.fetchone()[0]
    for mid, status, gid, reason, code, vtext, segments, cost in rows:
        update = {
            "status": status, "gateway_message_id": gid, "reason": reason,
            "vendor_code": code, "vendor_text": vtext, "cost": cost,
            "submitted_at": now, "status_changed_at": now,
        }  # fmt: skip
        if segments:
            update["segments"] = segments
            # As on PostgreSQL: the estimate at the gateway's part count.
            update["estimated_cost"] = Case(
                When(
                    segments__gt=0,
                    then=F("estimated_cost") * Value(segments) / F("segments"),
                ),
                default=F("estimated_cost"),
                output_field=DecimalField(max_digits=10, decimal_places=4),
            )
        Message.objects.filter(id=mid, status=DeliveryStatus.PENDING).update(**update)
    return True


def _may_commit_unflushed() -> bool:
    """Whether the record may commit without waiting for the disk: outside a
    transaction (inside one, it commits as that one does), and with the client-side
    binding that sends it with its SET as one multi-statement query.

    A recorded result is the one write of a batch that may be lost to a crash of the
    database server: the messages then stay claimed without their gateway ids, and
    campaigns.reconcile settles them with the gateway, as after a worker killed between
    the answer and this record. Nothing is sent twice. The claim is never so: one lost
    after its batch left would let the batch leave again. Waiting for the disk here cost
    the pump a flush per batch (5 ms on a virtual disk); the next claim's flush writes
    this one's too. One round trip: a multi-statement query runs as one transaction.
    """
    options = connection.settings_dict.get("OPTIONS", {})
    return not connection.in_atomic_block and not options.get("server_side_binding")


def _mark_unknown(ids: Sequence[int], exc: Exception | str) -> None:
    logger.warning("submit outcome unknown for %d messages: %s", len(ids), exc)
    Message.objects.filter(id__in=list(ids), status=DeliveryStatus.PENDING).update(
        reason=FailureReason.OUTCOME_UNKNOWN,
        vendor_text=fitted(str(exc), VENDOR_TEXT_MAX),
    )


def _mark_failed(ids: Sequence[int], exc: Exception) -> None:
    text = str(getattr(exc, "message", exc))
    _fail(Message.objects.all(), ids, exc, FailureReason.GATEWAY_ERROR, text)


def _fail(
    messages, ids: Sequence[int], cause: Exception | None, reason: str, text: str
) -> None:
    """Fail those of `ids` among `messages` still pending, with the gateway's code."""
    messages.filter(id__in=list(ids), status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED,
        reason=reason,
        vendor_code=fitted(getattr(cause, "vendor_code", "") or "", CODE_MAX),
        vendor_text=fitted(text, VENDOR_TEXT_MAX),
        status_changed_at=timezone.now(),
    )
