"""The messages a gateway holds under an account's login, per login generation
(providers.logins): counted for the warning before a login change, and grouped so
that polling, withdrawing and reconciling ask the gateway with the login that sent
them. Retired credentials are forgotten once nothing open was sent under them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.dispatch import SCHEDULE_AHEAD
from campaigns.models import Message
from campaigns.polling import GIVE_UP_AFTER, OPEN_STATUSES, READABLE_CHANNELS
from campaigns.selectors import HELD_AT_GATEWAY
from providers.base import DeliveryStatus
from providers.logins import LoginInUse
from providers.models import ProviderAccount, RetiredLogin

# Retired credentials are kept at least this long: a pump that loaded the account
# before the change still sends under the old login for up to a minute.
KEEP_RETIRED_AT_LEAST = timedelta(hours=1)


def _open_sent(account_id: int, generation: int, now: datetime) -> QuerySet[Message]:
    """Handed over and not settled: polling still asks about these (the rule of
    campaigns.polling), and a withdrawal still reaches the held ones."""
    return (
        Message.objects.filter(account_id=account_id, login_generation=generation)
        .exclude(gateway_message_id="")
        .filter(
            Q(status__in=HELD_AT_GATEWAY, planned_at__gt=now)
            | (
                Q(status__in=OPEN_STATUSES, submitted_at__gte=now - GIVE_UP_AFTER)
                # Delivered is final but for Viber, whose messages may be read later.
                & (
                    ~Q(status=DeliveryStatus.DELIVERED)
                    | Q(channel__in=READABLE_CHANNELS)
                )
            )
        )
    )


def _in_doubt(account_id: int, generation: int) -> QuerySet[Message]:
    """Claimed and never recorded (a request in flight, or its outcome unknown):
    the reconciler asks the gateway about these by reference."""
    return Message.objects.filter(
        account_id=account_id,
        login_generation=generation,
        is_pending=True,
        claimed_at__isnull=False,
        submitted_at__isnull=True,
    )


def login_in_use(account: ProviderAccount) -> LoginInUse:
    """What the gateway holds under the account's stored login (registered with
    providers.logins for the account forms' warning)."""
    if account.pk is None:
        return LoginInUse()
    now = timezone.now()
    sent = _open_sent(account.pk, account.login_generation, now)
    held = sent.filter(status__in=HELD_AT_GATEWAY, planned_at__gt=now).count()
    doubt = _in_doubt(account.pk, account.login_generation).count()
    return LoginInUse(open=sent.count() + doubt, held=held)


def by_generation(rows: Iterable[tuple[str, int]]) -> dict[int, list[str]]:
    """Gateway ids (or references) grouped by the login generation that sent them."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for key, generation in rows:
        grouped[generation].append(key)
    return grouped


def retired_logins_forget(account: ProviderAccount, *, now: datetime) -> int:
    """Delete the account's retired credentials nothing open was sent under any
    more (kept at least KEEP_RETIRED_AT_LEAST; after a withdrawal's horizon and
    polling's give-up both passed, nothing would ask with them); how many."""
    forgotten = 0
    for retired in RetiredLogin.objects.filter(
        account=account, retired_at__lt=now - KEEP_RETIRED_AT_LEAST
    ):
        past_all = retired.retired_at < now - SCHEDULE_AHEAD - GIVE_UP_AFTER
        if past_all or not (
            _open_sent(account.pk, retired.generation, now).exists()
            or _in_doubt(account.pk, retired.generation).exists()
        ):
            retired.delete()
            forgotten += 1
    return forgotten
