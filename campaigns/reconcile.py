"""Settling messages whose submit outcome is unknown (timeouts, crashed workers).

A message claimed long ago that has no gateway id may or may not have reached the
gateway. Never resend it blindly:
- where the gateway can look submits up by our reference, ask it: found -> record the
  result; not found -> release the message so it is sent normally;
- where the gateway itself ignores a repeated reference (Webcom client_id_sms), a
  resend cannot double-send: release it (one of a cancelled campaign, never sent
  again, ends failed "outcome unknown": it may have gone out);
- a released one-off message (an API send, an inbox reply), which no pump claims, is
  sent here, or failed with the reason it cannot go;
- otherwise leave it for a person (reason "outcome unknown"), who may resend or give up;
  a one-off message, which no page lists for that, is given up (failed) here.
A cancelled campaign's message the gateway may hold for a later time is never only
released where the gateway cannot be asked (it would be cancelled here and sent
there): it is looked for in the gateway's scheduled list and withdrawn
(campaigns.held_in_doubt).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from campaigns.held_in_doubt import withdraw_held_in_doubt
from campaigns.models import Campaign, Message
from campaigns.sending import (
    ClaimedMessage,
    claim_ids,
    raise_unless_sent,
    record_results,
    release,
    submit,
)
from campaigns.status_turns import reconciler_turn_take
from providers.base import Capability, DeliveryStatus, FailureReason
from providers.error_text import GatewayFailure
from providers.exceptions import GatewayConfigurationError, GatewayError, NotSupported
from providers.logins import gateway_for_login
from providers.models import ProviderAccount
from providers.registry import gateway_for
from smsportal.exceptions import ApplicationError
from smsportal.outage import BROKER_ERRORS

logger = logging.getLogger("campaigns.reconcile")

GRACE = timedelta(minutes=2)  # longer than any request can take


@dataclass
class ReconcileResult:
    found: int = 0
    released: int = 0
    needs_decision: int = 0
    given_up: int = 0  # one-off messages: no person is asked about them
    # A cancelled campaign's, found held at the gateway and withdrawn there.
    withdrawn: int = 0
    # Left in doubt for a later run: the gateway could not be asked, or it is too
    # soon after the claim to take "not found" for "never arrived".
    unsettled: int = 0


# A message the reconciler has already left for a person ("outcome unknown").
LOOKED_AT = Case(
    When(reason=FailureReason.OUTCOME_UNKNOWN, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


def messages_in_doubt(*, older_than: timedelta = GRACE):
    return Message.objects.filter(
        is_pending=True,
        claimed_at__lt=timezone.now() - older_than,
        submitted_at__isnull=True,
    )


def messages_reconcile(
    *, older_than: timedelta = GRACE, limit: int = 1000
) -> ReconcileResult:
    """Settle claimed-but-unrecorded messages, account by account."""
    result = ReconcileResult()
    doubtful = messages_in_doubt(older_than=older_than)
    for account_id in doubtful.values_list("account_id", flat=True).distinct():
        account = ProviderAccount.objects.get(pk=account_id)
        # Those not looked at yet first: a thousand left for a person (a gateway
        # that cannot be asked) kept every newer message of the account out of the
        # batch for ever.
        rows = list(
            doubtful.filter(account_id=account_id)
            .annotate(looked_at=LOOKED_AT)
            .order_by("looked_at", "id")[:limit]
        )
        _reconcile_account(account, rows, result)
    return result


def settles_by_itself(gateway) -> bool:
    """Whether _reconcile_account settles this gateway's messages in doubt without a
    person: it can be asked about them, or it ignores a repeated reference."""
    return gateway.supports(Capability.RESOLVE_REFERENCE) or gateway.supports(
        Capability.CLIENT_REFERENCE
    )


def _reconcile_account(
    account: ProviderAccount,
    rows: list[Message],
    result,
    *,
    settled_before: datetime | None = None,
    failures: list[GatewayFailure] | None = None,
) -> None:
    """Each message asked about with the login that sent it (providers.logins);
    `settled_before`: see _reconcile_login; the gateway's failures are added to
    `failures` (a person asked, and is told why)."""
    failed = failures if failures is not None else []
    by_login: dict[int, list[Message]] = {}
    for message in rows:
        by_login.setdefault(message.login_generation, []).append(message)
    turn: bool | None = None  # taken once for the account, when first needed
    for generation, sent in by_login.items():
        try:
            gateway = gateway_for_login(account, generation)
        except GatewayConfigurationError as exc:
            # Credentials no key reads: left for a later run (or a person); raising
            # kept every other account's messages in doubt unsettled.
            logger.warning("messages in doubt at %s: %s", account, exc)
            failed.append(exc)
            continue
        if gateway is None:
            logger.warning("messages in doubt at %s under login no. %s: its "
                           "credentials are gone", account, generation)  # fmt: skip
            continue
        cap = gateway.status_requests_per_poll
        if cap and gateway.supports(Capability.RESOLVE_REFERENCE):
            # A gateway capping its status requests (SMSC: one mass request a
            # minute): asked in polling's turn, as much as one turn may ask; the
            # rest wait for the next run, in the same order.
            if turn is None:
                turn = reconciler_turn_take(account.pk)
            if not turn:
                logger.info("messages in doubt at %s wait for the next status "
                            "turn", account)  # fmt: skip
                continue
            sent = sent[: cap * gateway.max_status_batch]
        _reconcile_login(
            account,
            gateway,
            sent,
            result,
            settled_before=settled_before,
            failures=failed,
        )


def _reconcile_login(
    account: ProviderAccount,
    gateway,
    rows: list[Message],
    result,
    *,
    settled_before: datetime | None = None,
    failures: list[GatewayFailure] | None = None,
) -> None:
    """Settle `rows`; one the gateway does not hold is taken for never received only
    when it was claimed before `settled_before` (None: every row was, as the
    reconciler's run takes only those claimed GRACE ago); the others, and those only
    a person can decide on, stay in doubt for the reconciler."""
    failed = failures if failures is not None else []
    held = withdraw_held_in_doubt(
        account, gateway, rows, settled_before=settled_before, failures=failed
    )
    result.withdrawn += held.withdrawn
    result.released += held.not_held
    result.unsettled += held.unsettled
    rows = held.rest
    if not rows:
        return
    if settled_before is not None:
        # Asked early (a cancel): a row too young for "not found" to mean "never
        # arrived" is asked about only where the gateway can find it.
        young = [m for m in rows if not _settled(m, settled_before)]
        if young and not gateway.supports(Capability.RESOLVE_REFERENCE):
            result.unsettled += len(young)
            rows = [m for m in rows if m not in young]
        if not settles_by_itself(gateway):
            result.unsettled += len(rows)  # a person decides, on the reconciler's word
            return
    ids = [m.id for m in rows]
    if gateway.supports(Capability.RESOLVE_REFERENCE):
        try:
            found = gateway.resolve_references(
                [str(i) for i in ids], phones={str(m.id): m.phone for m in rows}
            )
        except (NotSupported, GatewayError) as exc:
            logger.warning("cannot resolve references at %s: %s", account, exc)
            failed.append(exc)
            return
        claimed = [
            ClaimedMessage(
                m.id, m.phone, m.text, m.sender, m.channel, m.planned_at, m.campaign_id
            )
            for m in rows
            if str(m.id) in found
        ]
        record_results(account=account, claimed=claimed, results=list(found.values()))
        result.found += len(claimed)
        unheld = [m for m in rows if str(m.id) not in found]
        gone = [m for m in unheld if _settled(m, settled_before)]
        result.unsettled += len(unheld) - len(gone)
        result.released += _release(gone)
        return
    if gateway.supports(Capability.CLIENT_REFERENCE):
        # A cancelled campaign's is not sent again to settle it: due already (or
        # not found in the scheduled list), it may have gone out, and says so.
        result.released += _release(rows, may_have_arrived=True)
        return
    doubtful = Message.objects.filter(id__in=ids, status=DeliveryStatus.PENDING)
    # Only a campaign's page asks a person about its messages in doubt: a one-off
    # (a contact's message, an inbox answer, a test or API send) stayed pending and
    # claimed for ever. Given up as that page's "Give up" does: failed, "outcome
    # unknown"; its sender sees it and may send a new one.
    result.given_up += doubtful.filter(campaign__isnull=True).update(
        status=DeliveryStatus.FAILED,
        reason=FailureReason.OUTCOME_UNKNOWN,
        status_changed_at=timezone.now(),
    )
    result.needs_decision += doubtful.filter(campaign__isnull=False).update(
        reason=FailureReason.OUTCOME_UNKNOWN
    )


def _settled(message: Message, settled_before: datetime | None) -> bool:
    """Whether no request of the message can still be on its way to the gateway."""
    if settled_before is None:
        return True
    return message.claimed_at is not None and message.claimed_at < settled_before


def campaign_in_doubt_settle(
    *,
    campaign: Campaign,
    limit: int = 1000,
    failures: list[GatewayFailure] | None = None,
) -> int:
    """At a cancel, ask the gateway now about the campaign's messages whose answer
    never came (the pump marked them "outcome unknown"), rather than at the
    reconciler's next run: what it holds of them for later is withdrawn while the
    user waits. How many were withdrawn there. Those it does not hold, claimed
    within GRACE, stay in doubt: their request may still be on its way, and the
    reconciler settles them. The gateway's failures are added to `failures`."""
    rows = list(
        Message.objects.filter(
            campaign=campaign,
            is_pending=True,
            claimed_at__isnull=False,
            submitted_at__isnull=True,
            reason=FailureReason.OUTCOME_UNKNOWN,
        ).order_by("id")[:limit]
    )
    if not rows:
        return 0
    _reconcile_account(
        campaign.account,
        rows,
        ReconcileResult(),
        settled_before=timezone.now() - GRACE,
        failures=failures,
    )
    # Found and recorded by a gateway that can be asked, a cancelled campaign's held
    # message is withdrawn by the record (sending._withdraw_stopped_meanwhile).
    return (
        Message.objects.filter(
            id__in=[m.id for m in rows], status=DeliveryStatus.CANCELLED
        )
        .exclude(gateway_message_id="")
        .count()
    )


def _release(rows: list[Message], *, may_have_arrived: bool = False) -> int:
    """Back to be sent: a campaign's pump takes its own; the one-off messages among
    them are sent here (_send_one_offs). `may_have_arrived`: see sending.release."""
    released = release([m.id for m in rows], may_have_arrived=may_have_arrived)
    _send_one_offs(rows)
    return released


def _send_one_offs(rows: list[Message]) -> None:
    """Send the one-off messages (API sends, inbox replies, test sends) among these
    released rows: no pump claims a message outside a campaign, so released they
    stayed pending for ever. One that cannot go now is failed with the reason."""
    by_account: dict[int, list[int]] = {}
    for message in rows:
        if message.campaign_id is None:
            by_account.setdefault(message.account_id, []).append(message.id)
    for account_id, ids in by_account.items():
        account = ProviderAccount.objects.get(pk=account_id)
        claimed = claim_ids(message_ids=ids, login_generation=account.login_generation)
        outcome = submit(account=account, campaign=None, claimed=claimed)
        try:
            raise_unless_sent(outcome, message_ids=ids)
        except ApplicationError as exc:
            logger.warning("one-off messages %s not sent: %s", ids, exc.message)


@dataclass
class Decided:
    """What a person's decision on messages in doubt did."""

    sent_again: int = 0  # released: their campaign's pump sends them again
    given_up: int = 0  # failed, "outcome unknown", as the person asked
    # A cancelled campaign's that "send again" did not send (below).
    not_sent: int = 0  # the gateway could not say: failed, "outcome unknown"
    withdrawn: int = 0  # the gateway had not sent them: cancelled (there too)
    found_sent: int = 0  # the gateway had them: recorded as it says
    still_in_doubt: int = 0  # the gateway did not answer now: asked again later


def message_decide(*, message_ids: list[int], resend: bool) -> Decided:
    """A person's decision on messages in doubt: send again, or give them up.

    A cancelled campaign's are never sent again, and the gateway is asked about
    them first either way, where it can be asked (or lists what it holds): they
    end as it says (withdrawn there, never received, sent). The rest may have gone
    out: given up, or sent again while cancelled, they end failed, "outcome
    unknown" ("cancelled" would be a guess); sent again, one the gateway did not
    answer for now stays in doubt, for the reconciler to ask again."""
    doubtful = Message.objects.filter(
        id__in=message_ids,
        status=DeliveryStatus.PENDING,
        submitted_at__isnull=True,
        claimed_at__isnull=False,
    )
    rows = list(doubtful)
    cancelled = set(
        Campaign.objects.filter(
            pk__in={m.campaign_id for m in rows if m.campaign_id},
            state=Campaign.State.CANCELLED,
        ).values_list("pk", flat=True)
    )
    # Given up, a held one would still go out at its time behind a "failed" here.
    left_to_gateway = _ask_before_deciding(
        [m for m in rows if m.campaign_id in cancelled]
    )
    ids = [m.id for m in rows]
    if not resend:
        doubtful.update(
            status=DeliveryStatus.FAILED,
            reason=FailureReason.OUTCOME_UNKNOWN,
            status_changed_at=timezone.now(),
        )
        return _decided(ids, released=set(), given_up=True)
    # may_have_arrived: one whose campaign is cancelled (now, or meanwhile) ends
    # failed, "outcome unknown", not withdrawn as never sent.
    released = {m.id for m in rows if m.id not in left_to_gateway}
    release(sorted(released), reason="", may_have_arrived=True)
    _send_one_offs([m for m in rows if m.campaign_id not in cancelled])
    _pumps_start({m.campaign_id for m in rows} - cancelled - {None})
    return _decided(ids, released=released, given_up=False)


def _pumps_start(campaign_ids: set[int]) -> None:
    """Once committed, start the pumps of the sending campaigns whose messages a
    person sent again: with only messages in doubt left they had none running
    (campaigns.dispatch.messages_in_doubt_only), and beat's tick would start them up
    to 30 s later."""
    sending = Campaign.objects.filter(
        pk__in=campaign_ids, state=Campaign.State.SENDING, expanded_at__isnull=False
    ).values_list("pk", flat=True)
    for campaign_id in sending:
        transaction.on_commit(partial(_pumps_start_now, campaign_id))


def _pumps_start_now(campaign_id: int) -> None:
    from campaigns.services import campaign_pumps_ensure  # it imports this module

    try:
        campaign_pumps_ensure(campaign_id=campaign_id)
    except BROKER_ERRORS as exc:  # the person's decision stands: the tick starts them
        logger.warning("pumps of campaign %s not started: %s", campaign_id, exc)


def _ask_before_deciding(rows: list[Message]) -> set[int]:
    """Ask the gateway about a cancelled campaign's messages in doubt as the
    reconciler does (campaigns.held_in_doubt, resolve by reference): what it
    answers is recorded. The ids of those it did not answer for and will be asked
    about again (it can be: left in doubt, for the reconciler)."""
    if not rows:
        return set()
    by_account: dict[int, list[Message]] = {}
    for message in rows:
        by_account.setdefault(message.account_id, []).append(message)
    unanswered: set[int] = set()
    for account_id, sent in by_account.items():
        account = ProviderAccount.objects.get(pk=account_id)
        _reconcile_account(
            account, sent, ReconcileResult(), settled_before=timezone.now() - GRACE
        )
        if _asked_again_later(account):
            unanswered.update(
                Message.objects.filter(
                    id__in=[m.id for m in sent],
                    status=DeliveryStatus.PENDING,
                    submitted_at__isnull=True,
                ).values_list("id", flat=True)
            )
    return unanswered


def _asked_again_later(account: ProviderAccount) -> bool:
    """Whether the reconciler settles this account's messages in doubt by itself."""
    try:
        return settles_by_itself(gateway_for(account))
    except GatewayConfigurationError:
        return False


def _decided(ids: list[int], *, released: set[int], given_up: bool) -> Decided:
    """Told from where the decided messages are now (one query): a campaign's not
    cancelled were released to be sent again, or given up."""
    decided = Decided()
    rows = Message.objects.filter(id__in=ids).values_list(
        "id", "status", "reason", "campaign__state"
    )
    unknown = (DeliveryStatus.FAILED, FailureReason.OUTCOME_UNKNOWN)
    for mid, status, reason, state in rows:
        if given_up and (status, reason) == unknown:
            decided.given_up += 1
        elif state != Campaign.State.CANCELLED:
            decided.sent_again += mid in released
        elif status == DeliveryStatus.PENDING:
            decided.still_in_doubt += 1
        elif status == DeliveryStatus.CANCELLED:
            decided.withdrawn += 1
        elif (status, reason) == unknown:
            decided.not_sent += 1
        else:
            decided.found_sent += 1
    return decided
