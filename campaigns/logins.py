"""The messages a gateway holds under an account's login, per login generation
(providers.logins): counted for the warning before a login change, and grouped so
that polling, withdrawing and reconciling ask the gateway with the login that sent
them. Retired credentials are forgotten once nothing open was sent under them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from campaigns.dispatch import SCHEDULE_AHEAD
from campaigns.models import Message, went_out
from campaigns.polling import (
    GIVE_UP_AFTER,
    OPEN_STATUSES,
    READABLE_CHANNELS,
    gone_out_since,
)
from campaigns.selectors import HELD_AT_GATEWAY
from providers.base import DeliveryStatus
from providers.logins import REPLIES_AFTER_RETIREMENT, LoginInUse
from providers.models import ProviderAccount, RetiredLogin

# Retired credentials are kept at least this long: a pump that loaded the account
# before the change still sends under the old login for up to a minute, and the
# replies to its last messages are fetched with it.
KEEP_RETIRED_AT_LEAST = max(timedelta(hours=1), REPLIES_AFTER_RETIREMENT)


def _by_generation(generation) -> dict[str, object]:
    """The filter on one login generation, several, or an outer query's (OuterRef)."""
    if isinstance(generation, Iterable):
        return {"login_generation__in": list(generation)}
    return {"login_generation": generation}


def _handed_over(account_id, generation) -> QuerySet[Message]:
    """The messages handed over (a gateway id) under these login generations: one,
    several, or an outer query's (OuterRef)."""
    return Message.objects.filter(
        account_id=account_id, **_by_generation(generation)
    ).exclude(gateway_message_id="")


def _open_sent(
    account_id: int, generation: int | Iterable[int], now: datetime
) -> QuerySet[Message]:
    """Handed over and not settled: polling still asks about these (the rule of
    campaigns.polling), and a withdrawal still reaches the held ones."""
    return _handed_over(account_id, generation).filter(_open_at_gateway(now))


def _open_at_gateway(now: datetime) -> Q:
    """A handed-over message the gateway still holds or has not settled."""
    return Q(status__in=HELD_AT_GATEWAY, planned_at__gt=now) | (
        (Q(status__in=OPEN_STATUSES) & gone_out_since(now - GIVE_UP_AFTER))
        # Delivered is final but for Viber, whose messages may be read later.
        & (~Q(status=DeliveryStatus.DELIVERED) | Q(channel__in=READABLE_CHANNELS))
    )


def _replies_may_come(now: datetime) -> Q:
    """A handed-over message a recipient may still answer: open at the gateway, or
    gone out (its send time or, held for later, its planned time) within
    REPLIES_AFTER_RETIREMENT. A message held past the change is answered once it goes
    out, maybe days later, into the cabinet of the login that sent it."""
    since = now - REPLIES_AFTER_RETIREMENT
    return _open_at_gateway(now) | Q(submitted_at__gte=since) | Q(planned_at__gte=since)


def _replied_to(account_id, generation, now: datetime) -> QuerySet[Message]:
    """The messages sent under these generations replies may still come to."""
    return _handed_over(account_id, generation).filter(_replies_may_come(now))


def _in_doubt(account_id, generation) -> QuerySet[Message]:
    """Claimed and never recorded (a request in flight, or its outcome unknown):
    the reconciler asks the gateway about these by reference. Under these login
    generations: one, several, or an outer query's (OuterRef)."""
    return Message.objects.filter(
        account_id=account_id,
        **_by_generation(generation),
        is_pending=True,
        claimed_at__isnull=False,
        submitted_at__isnull=True,
    )


def _in_doubt_answerable(account_id, generation, now: datetime) -> QuerySet[Message]:
    """In doubt and, if the gateway has it, gone out (its claim or, held for later,
    its planned time) recently enough for replies to come (as _replies_may_come)."""
    since = now - REPLIES_AFTER_RETIREMENT
    return _in_doubt(account_id, generation).filter(
        Q(claimed_at__gte=since) | Q(planned_at__gte=since)
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


def retired_logins_open(
    account: ProviderAccount, generations: list[int]
) -> dict[int, LoginInUse]:
    """What the gateway holds under each of the account's replaced logins (the
    generations given), and when the last message sent under it went or goes out,
    counted in two grouped queries whatever their number (registered with
    providers.logins for the account page)."""
    now = timezone.now()
    held_now = Q(status__in=HELD_AT_GATEWAY, planned_at__gt=now)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    last_out: dict[int, datetime] = {}
    for generation, open_, held, last in (
        _replied_to(account.pk, generations, now)
        .values("login_generation")
        .annotate(
            open=Count("id", filter=_open_at_gateway(now)),
            held=Count("id", filter=held_now),
            last=Max(went_out()),
        )
        .values_list("login_generation", "open", "held", "last")
    ):
        counts[generation][0] += open_
        counts[generation][1] += held
        if last is not None:
            last_out[generation] = last
    for generation, doubt, last in (
        _in_doubt(account.pk, generations)
        .values("login_generation")
        # If the gateway has them, they went out at their claim (or, held for
        # later, go at their planned time): replies may come to them as well.
        .annotate(n=Count("id"), last=Max(went_out("claimed_at")))
        .values_list("login_generation", "n", "last")
    ):
        counts[generation][0] += doubt
        if last is not None:
            last_out[generation] = max(last, last_out.get(generation, last))
    return {
        g: LoginInUse(open=counts[g][0], held=counts[g][1], last_out=last_out.get(g))
        for g in set(counts) | set(last_out)
    }


def reply_logins(now: datetime) -> QuerySet[RetiredLogin]:
    """The replaced logins whose cabinets may still get replies to what was sent
    under them: replaced less than REPLIES_AFTER_RETIREMENT ago, or with messages
    still open or gone out less than that ago, or in doubt and claimed (or planned)
    less than that ago (one statement for every account;
    campaigns.inbox fetches with them)."""
    account, generation = OuterRef("account_id"), OuterRef("generation")
    replied_to = _replied_to(account, generation, now)
    in_doubt = _in_doubt_answerable(account, generation, now)
    # A login changed back to (a -> b -> a) is the current cabinet, whose replies the
    # current login's fetch reads already.
    return (
        RetiredLogin.objects.filter(
            Q(retired_at__gte=now - REPLIES_AFTER_RETIREMENT)
            | Exists(replied_to)
            | Exists(in_doubt)
        )
        .exclude(login=F("account__login"))
        .order_by("generation")
    )


def by_generation(rows: Iterable[tuple[str, int]]) -> dict[int, list[str]]:
    """Gateway ids (or references) grouped by the login generation that sent them."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for key, generation in rows:
        grouped[generation].append(key)
    return grouped


def retired_logins_forget(account: ProviderAccount, *, now: datetime) -> int:
    """Delete the account's retired credentials nothing open, nor anything replies
    may still come to, was sent under any more (kept at least KEEP_RETIRED_AT_LEAST;
    after a withdrawal's horizon and then the replies' time both passed, nothing
    would ask with them); how many."""
    forgotten = 0
    for retired in RetiredLogin.objects.filter(
        account=account, retired_at__lt=now - KEEP_RETIRED_AT_LEAST
    ):
        past_all = retired.retired_at < now - SCHEDULE_AHEAD - max(
            GIVE_UP_AFTER, REPLIES_AFTER_RETIREMENT
        )
        if past_all or not (
            _replied_to(account.pk, retired.generation, now).exists()
            or _in_doubt(account.pk, retired.generation).exists()
        ):
            retired.delete()
            forgotten += 1
    return forgotten
