"""Withdrawing messages the gateway holds for a later send time (quiet hours, spread,
a greeting handed over before its hour): a cancelled campaign's, and those to a number
that went on the stop list meanwhile (a STOP reply, the stop list page, a bulk action,
an import: contacts.stop_listed).

A message handed over with a send time hours ahead is "queued" here and waits at the
gateway; a STOP sent before that time must still keep it from going out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.by_phone import to_numbers
from campaigns.dispatch import SCHEDULE_AHEAD
from campaigns.logins import by_generation
from campaigns.models import Campaign, Message
from campaigns.selectors import HELD_AT_GATEWAY
from providers.base import Capability, DeliveryStatus, FailureReason
from providers.error_text import GatewayFailure
from providers.exceptions import (
    GatewayConfigurationError,
    GatewayError,
    PartlyCancelled,
)
from providers.logins import gateway_for_login
from providers.models import ProviderAccount, RetiredLogin
from providers.registry import gateway_for
from providers.tasks import balance_refresh

logger = logging.getLogger("campaigns.withdrawal")

# A held message whose time is this near may be leaving the gateway's scheduled list
# to be sent: its absence from the list is taken for a withdrawal only before.
LISTED_UNTIL_SENT = timedelta(minutes=5)


def gateway_withdraw(
    account: ProviderAccount,
    gateway_ids: Sequence[str],
    *,
    reason: str,
    failures: list[GatewayFailure] | None = None,
) -> int:
    """Cancel these held messages at the account's gateway, in its batch size, and
    mark those it withdrew cancelled for `reason`; how many. A batch the gateway
    fails stays as it is (logged, and added to `failures` for a person to read): it
    may still go out, and a report will say."""
    if not gateway_ids:
        return 0
    failed = failures if failures is not None else []
    try:
        gateway = gateway_for(account)
    except GatewayConfigurationError as exc:
        # Credentials no key reads (a key changed): left held, as a failed batch is;
        # raising failed a cancel, and every other account's opt-out withdrawals.
        logger.warning("cancel at %s failed: %s", account, exc)
        failed.append(exc)
        return 0
    if not gateway.supports(Capability.SCHEDULED_CANCEL):
        return 0
    cancelled: list[str] = []
    for generation, ids in _by_login(account, gateway_ids).items():
        # Withdrawn with the login that sent them (providers.logins).
        try:
            login = (
                gateway
                if generation == account.login_generation
                else gateway_for_login(account, generation)
            )
        except GatewayConfigurationError as exc:
            logger.warning("cancel at %s, login no. %s: %s", account, generation, exc)
            failed.append(exc)
            continue
        if login is None:
            logger.warning("cancel at %s: login no. %s forgotten", account, generation)
            continue
        withdrawn: list[str] = []
        for start in range(0, len(ids), login.max_status_batch):
            try:
                withdrawn += login.cancel_scheduled(
                    ids[start : start + login.max_status_batch]
                )
            except PartlyCancelled as exc:
                # Those withdrawn before the failure are cancelled now, not left
                # «Queued» until polling reads that the gateway deleted them.
                logger.warning("cancel at %s stopped: %s", account, exc)
                withdrawn += exc.cancelled
                failed.append(exc.cause)
            except GatewayError as exc:
                logger.warning("cancel at %s failed: %s", account, exc)
                failed.append(exc)
        left = set(ids) - set(withdrawn)
        cancelled += withdrawn + _no_longer_listed(account, login, left, failed)
    # Withdrawn at the gateway costs nothing: WEBSMS says so (MONEYBACK, REFERENCE
    # §3.6) and the report's «Spent» sums `cost`. The row keeps its segments,
    # estimate and gateway id.
    # Assumption: Webcom and SMSC, whose documents are silent, refund a deleted
    # scheduled message too (it never left; their simulators do).
    count = (
        Message.objects.filter(
            account=account,
            gateway_message_id__in=cancelled,
            status__in=HELD_AT_GATEWAY,
        )
        .exclude(gateway_message_id="")
        .update(
            status=DeliveryStatus.CANCELLED,
            reason=reason,
            # The gateway's words were of the hand-over (Webcom's «send»): beside
            # «Cancelled» they read as the opposite of what happened.
            vendor_code="",
            vendor_text="",
            status_changed_at=timezone.now(),
            cost=Decimal(0),
        )
    )
    if count:
        logger.info("withdrew %s messages at %s (%s)", count, account, reason)
        # The refund shows in the account's balance now, not at the next refresh.
        transaction.on_commit(lambda: balance_refresh.delay(account.pk))
    return count


def _no_longer_listed(
    account: ProviderAccount,
    gateway,
    gateway_ids: Collection[str],
    failures: list[GatewayFailure],
) -> list[str]:
    """Of held messages the gateway did not say it withdrew (its answer lost, or
    "not found" to a retry of one it withdrew then), those its list of scheduled
    messages no longer has, well before their time: withdrawn. Left "queued", the
    page said they go out at their time, and no retry could change that.
    Assumption: Webcom keeps a message in list_scheduled.php until its time_send
    (seed 004); one gone from it an hour ahead was deleted, by us or in its cabinet."""
    if not gateway_ids or not gateway.supports(Capability.SCHEDULED_LIST):
        return []
    try:
        listed = {s.gateway_message_id for s in gateway.scheduled_list()}
    except GatewayError as exc:
        logger.warning("scheduled list of %s unreadable: %s", account, exc)
        failures.append(exc)
        return []
    # Not one whose time is near: the gateway may be sending it now.
    ahead = timezone.now() + LISTED_UNTIL_SENT
    return list(
        Message.objects.filter(
            account=account,
            gateway_message_id__in=sorted(set(gateway_ids) - listed),
            status__in=HELD_AT_GATEWAY,
            planned_at__gt=ahead,
        ).values_list("gateway_message_id", flat=True)
    )


def _by_login(
    account: ProviderAccount, gateway_ids: Sequence[str]
) -> dict[int, list[str]]:
    """The ids by the login generation that sent them; all the current one's (no
    query) while the account never changed its login."""
    if not RetiredLogin.objects.filter(account=account).exists():
        return {account.login_generation: list(gateway_ids)}
    rows = Message.objects.filter(
        account=account, gateway_message_id__in=list(gateway_ids)
    ).values_list("gateway_message_id", "login_generation")
    grouped = by_generation(rows)
    known = {gid for ids in grouped.values() for gid in ids}
    # An id no message holds (none should be): asked with the current login.
    grouped[account.login_generation] += [g for g in gateway_ids if g not in known]
    return {generation: ids for generation, ids in grouped.items() if ids}


def held_for_phones(phones: Collection[str]) -> list[QuerySet[Message]]:
    """Messages to `phones` the gateway holds for a later time, as queries each served
    by one index: those of campaigns that can have such messages by the (campaign,
    phone) index, one-off messages by theirs (campaigns.by_phone). A scan of every
    message ever sent for a reply would not do: one OR of the two took 0.9 s a STOP
    at a million messages."""
    now = timezone.now()
    # The pump hands messages over at most SCHEDULE_AHEAD before their time.
    recent = Campaign.objects.filter(
        Q(finished_at__isnull=True) | Q(finished_at__gte=now - SCHEDULE_AHEAD),
        state__in=[Campaign.State.SENDING, Campaign.State.PAUSED,
                   Campaign.State.COMPLETED],
    )  # fmt: skip
    held = Message.objects.filter(
        status__in=HELD_AT_GATEWAY, planned_at__gt=now
    ).exclude(gateway_message_id="")
    return to_numbers(held, sorted(set(phones)), campaigns=recent)


def withdraw_for_opt_outs(phones: Collection[str]) -> int:
    """Withdraw at their gateways the held messages to numbers just put on the stop
    list; how many were withdrawn."""
    by_account: dict[int, list[str]] = defaultdict(list)
    for query in held_for_phones(phones):
        for account_id, gateway_id in query.values_list(
            "account_id", "gateway_message_id"
        ):
            by_account[account_id].append(gateway_id)
    withdrawn = 0
    for account in ProviderAccount.objects.filter(pk__in=by_account):
        withdrawn += gateway_withdraw(
            account, by_account[account.pk], reason=FailureReason.STOP_LIST
        )
    return withdrawn
