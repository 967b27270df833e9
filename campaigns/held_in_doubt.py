"""Withdrawing a cancelled campaign's messages in doubt that the gateway may hold for
a later send time, at a gateway that cannot look a submit up by our reference.

A batch handed over with send times ahead (quiet hours, spreading) whose answer never
came (a timeout, a dropped connection) may be held at the gateway with ids we never
learnt. Released as the reconciler releases those of a gateway that ignores a
repeated reference (Webcom's client_id_sms), a cancelled campaign's are only marked
cancelled here: the gateway still sent them at their time. Resending them to learn
their ids would send a message the user cancelled whenever the first never arrived,
so they are found in the gateway's list of scheduled messages instead (Webcom's
list_scheduled.php: id_sms, phone, text_sms, time_send) and withdrawn by that id;
those it does not list are not held and stay cancelled here.

SMSC and WEBSMS find a submit by our reference (campaigns.reconcile): the reconciler
records what they hold, and the record withdraws a cancelled campaign's held ones
(sending._withdraw_stopped_meanwhile).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone

from campaigns.models import Campaign, Message
from providers.base import (
    Capability,
    DeliveryStatus,
    FailureReason,
    ScheduledMessage,
    SmsGateway,
)
from providers.error_text import GatewayFailure
from providers.exceptions import GatewayError, PartlyCancelled
from providers.models import ProviderAccount
from providers.tasks import balance_refresh

logger = logging.getLogger("campaigns.held_in_doubt")

# Assumption: Webcom's time_send has minute precision (seed 004) and the platform
# lists what it was given; we round a send time up to its minute, so the listed time
# is within a minute of the planned one.
SEND_TIME_SLACK = timedelta(minutes=1)


@dataclass
class HeldInDoubt:
    """What became of a cancelled campaign's messages in doubt at such a gateway."""

    withdrawn: int = 0  # found held and withdrawn
    not_held: int = 0  # not in the gateway's list: it never took them
    unsettled: int = 0  # left in doubt: the gateway could not be asked, or too soon
    # The rest, for the reconciler's usual course (another campaign's, or due now).
    rest: list[Message] = field(default_factory=list)


def finds_held_by_listing(gateway: SmsGateway) -> bool:
    """Whether a cancelled campaign's held messages in doubt are found in the
    gateway's scheduled list rather than by our reference."""
    return (
        not gateway.supports(Capability.RESOLVE_REFERENCE)
        and gateway.supports(Capability.SCHEDULED_LIST)
        and gateway.supports(Capability.SCHEDULED_CANCEL)
    )


def withdraw_held_in_doubt(
    account: ProviderAccount,
    gateway: SmsGateway,
    rows: Sequence[Message],
    *,
    settled_before: datetime | None = None,
    failures: list[GatewayFailure] | None = None,
) -> HeldInDoubt:
    """Find those of `rows` (messages in doubt sent with `gateway`'s login) that a
    cancelled campaign planned for later in the gateway's scheduled list, and
    withdraw them there. One not listed is taken for never received only when it was
    claimed before `settled_before` (None: all were), long enough ago that no request
    of it can still be on its way. The gateway's failures are added to `failures`."""
    outcome = HeldInDoubt(rest=list(rows))
    failed = failures if failures is not None else []
    if not finds_held_by_listing(gateway):
        return outcome
    now = timezone.now()
    cancelled = set(
        Campaign.objects.filter(
            pk__in={m.campaign_id for m in rows if m.campaign_id},
            state=Campaign.State.CANCELLED,
        ).values_list("pk", flat=True)
    )
    held = [
        m
        for m in rows
        if m.campaign_id in cancelled and m.planned_at and m.planned_at > now
    ]
    if not held:
        return outcome
    held_ids = {m.id for m in held}
    outcome.rest = [m for m in rows if m.id not in held_ids]
    try:
        listed = gateway.scheduled_list()
    except GatewayError as exc:
        logger.warning("scheduled list of %s unreadable: %s", account, exc)
        failed.append(exc)
        outcome.unsettled = _left_in_doubt([m.id for m in held])
        return outcome
    found, ambiguous = _matches(account, held, listed)
    if ambiguous:
        logger.warning("%d messages in doubt of a cancelled campaign at %s are listed "
                       "as like another campaign's in doubt: left in doubt",
                       len(ambiguous), account)  # fmt: skip
        _left_in_doubt(sorted(ambiguous))
    withdrawn, kept = _withdraw(gateway, sorted(set(found.values())), failed)
    outcome.withdrawn = _record(found, withdrawn, kept, now)
    if outcome.withdrawn:
        # The refund shows in the balance now, not at the next refresh.
        transaction.on_commit(lambda: balance_refresh.delay(account.pk))
    unlisted = [m for m in held if m.id not in found and m.id not in ambiguous]
    gone = [
        m.id
        for m in unlisted
        if settled_before is None or (m.claimed_at and m.claimed_at < settled_before)
    ]
    outcome.not_held = _cancelled_unsent(gone)
    unanswered = [m.id for m in held if found.get(m.id) in kept]
    outcome.unsettled = len(unlisted) - len(gone) + len(unanswered) + len(ambiguous)
    return outcome


def _matches(
    account: ProviderAccount,
    held: Sequence[Message],
    listed: Sequence[ScheduledMessage],
) -> tuple[dict[int, str], set[int]]:
    """(message id -> the listed id_sms that is it, the ids of those it cannot tell):
    the same phone, text and send time, and no id another of our messages already
    has. Where a listed message could as well be one of ours not withdrawn (another
    campaign's, identical, whose id we do not know either), nothing tells them apart:
    withdrawing it could withdraw that one and leave this one to go out, so the match
    does not guess. Once that one is settled (it gets its id), this one is found."""
    known = set(
        Message.objects.filter(
            account=account,
            gateway_message_id__in=[s.gateway_message_id for s in listed],
        ).values_list("gateway_message_id", flat=True)
    )
    free: dict[tuple[str, str], list[ScheduledMessage]] = defaultdict(list)
    for item in listed:
        if item.gateway_message_id not in known and item.send_at is not None:
            free[(item.phone, _words(item.text))].append(item)
    rivals = _rivals(account, held)
    found: dict[int, str] = {}
    ambiguous: set[int] = set()
    for message in held:
        key = (message.phone, _words(message.text))
        candidates = [
            item
            for item in free.get(key, [])
            if abs(item.send_at - message.planned_at) < SEND_TIME_SLACK
        ]
        if any(
            abs(item.send_at - planned) < SEND_TIME_SLACK
            for item in candidates
            for planned in rivals.get(key, ())
        ):
            ambiguous.add(message.id)
            continue
        if candidates:
            found[message.id] = candidates[0].gateway_message_id
            # Two identical messages of ours match two listed ones, not one twice.
            free[key].remove(candidates[0])
    return found, ambiguous


def _rivals(
    account: ProviderAccount, held: Sequence[Message]
) -> dict[tuple[str, str], list[datetime]]:
    """(phone, text) -> the send times of our messages, not of a cancelled campaign,
    that the gateway may hold without our knowing their id: pending without one, and
    claimed (in doubt, or on its way now) or released from doubt (its reason stays)
    and not sent again yet. One never sent is no rival: it cannot be listed."""
    rows = (
        Message.objects.filter(
            Q(claimed_at__isnull=False) | Q(reason=FailureReason.OUTCOME_UNKNOWN),
            account=account,
            is_pending=True,
            gateway_message_id="",
            planned_at__isnull=False,
            phone__in={m.phone for m in held},
        )
        .exclude(id__in=[m.id for m in held])
        .exclude(campaign__state=Campaign.State.CANCELLED)
        .values_list("phone", "text", "planned_at")
    )
    rivals: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for phone, text, planned in rows:
        rivals[(phone, _words(text))].append(planned)
    return rivals


def _words(text: str) -> str:
    # Assumption: the list gives text_sms as an XML attribute, in which a parser
    # reads a raw line break as a space: texts compare by their words.
    return " ".join(text.split())


def _withdraw(
    gateway: SmsGateway, ids: list[str], failures: list[GatewayFailure]
) -> tuple[set[str], set[str]]:
    """(ids withdrawn, ids whose withdrawal failed: still held)."""
    withdrawn: set[str] = set()
    kept: set[str] = set()
    for start in range(0, len(ids), gateway.max_status_batch):
        chunk = ids[start : start + gateway.max_status_batch]
        try:
            withdrawn.update(gateway.cancel_scheduled(chunk))
        except PartlyCancelled as exc:
            logger.warning("withdrawal at %s stopped: %s", gateway.kind, exc)
            failures.append(exc.cause)
            withdrawn.update(exc.cancelled)
            kept.update(set(chunk) - set(exc.cancelled))
        except GatewayError as exc:
            logger.warning("withdrawal at %s failed: %s", gateway.kind, exc)
            failures.append(exc)
            kept.update(chunk)
    return withdrawn, kept


def _record(
    found: dict[int, str], withdrawn: set[str], kept: set[str], now: datetime
) -> int:
    """Store what the listing found: withdrawn ones cancelled with their id (at no
    cost, as campaigns.withdrawal does); one the gateway no longer had to withdraw
    (its time came meanwhile) handed over, for polling to follow. Those whose
    withdrawal failed stay in doubt, for the next run to find and withdraw."""
    ids = {mid: gid for mid, gid in found.items() if gid not in kept}
    if not ids:
        return 0
    gid = Case(
        *(When(id=mid, then=Value(g)) for mid, g in ids.items()),
        output_field=CharField(),
    )
    pending = Message.objects.filter(status=DeliveryStatus.PENDING)
    done = [mid for mid, g in ids.items() if g in withdrawn]
    count = pending.filter(id__in=done).update(
        status=DeliveryStatus.CANCELLED,
        reason=FailureReason.CANCELLED,
        gateway_message_id=gid,
        vendor_code="",
        vendor_text="",
        cost=Decimal(0),
        submitted_at=now,
        status_changed_at=now,
    )
    pending.filter(id__in=[mid for mid in ids if mid not in done]).update(
        status=DeliveryStatus.QUEUED,
        reason="",
        gateway_message_id=gid,
        vendor_text="",
        submitted_at=now,
        status_changed_at=now,
    )
    return count


def _cancelled_unsent(message_ids: list[int]) -> int:
    """Not held by the gateway: cancelled here (release withdraws a cancelled
    campaign's messages)."""
    from campaigns.sending import release

    return release(message_ids)


def _left_in_doubt(message_ids: list[int]) -> int:
    """Kept in doubt, saying so: the next reconciler run asks again."""
    return Message.objects.filter(
        id__in=message_ids, status=DeliveryStatus.PENDING
    ).update(reason=FailureReason.OUTCOME_UNKNOWN)
