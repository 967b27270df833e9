"""An account's login changed while the gateway still holds messages sent under the
old one (scheduled for later, or not settled yet).

What a user expects: the messages already handed over stay the old login's at the
gateway (a new login is another cabinet there, which knows nothing of them), so
their statuses are still read, and they are still withdrawn (a cancelled campaign,
an opt-out) and reconciled, with the old login and password, until none is open;
only new messages go out under the new login. Refusing the change until they finish
would block an account for up to a week (messages are handed over up to 7 days
ahead), and asking with the new login would lose their statuses and leave them
impossible to withdraw.

How: the account's `login_generation` goes up with each login change, the old
credentials are kept as a RetiredLogin of the old generation, and each message is
stamped with the generation its claim was made under (campaigns.sending), which is
the one whose credentials sent it, even for a pump that started before the change.
The account forms warn, with the numbers, before such a change is saved, and the
account page lists the replaced logins still kept and what they are still used for.
Replies too are fetched with a replaced login (campaigns.inbox): the gateway files
an answer in the cabinet of the login that sent what it answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from providers.base import SmsGateway
from providers.exceptions import CredentialsUnreadable
from providers.models import ProviderAccount, RetiredLogin
from providers.registry import gateway_class, gateway_for
from smsportal.fields import unreadable
from smsportal.lib.hooks import Hooks


@dataclass(frozen=True, slots=True)
class LoginInUse:
    """What the gateway still holds under an account's current login."""

    open: int = 0  # not settled: statuses still asked for (or the outcome in doubt)
    held: int = 0  # of those, waiting at the gateway for their send time
    # When the last of its messages replies may still come to went (or goes) out:
    # known for replaced logins only.
    last_out: datetime | None = None


# Told by campaigns (which owns the messages) at start-up: providers knows none.
_in_use: Hooks[Callable[[ProviderAccount], LoginInUse]] = Hooks()
login_in_use_register = _in_use.register


def login_in_use(account: ProviderAccount) -> LoginInUse:
    """The messages the gateway holds under the account's login as it is stored."""
    return _together([count(account) for count in _in_use])


# Replies to the messages a replaced login sent are fetched with it this long after
# the change (campaigns.inbox), and longer while any of them is open: the gateway
# files a reply in the cabinet of the login that sent what it answers.
# Assumption: no gateway document says how long after a message its reply may come
# or how long a cabinet keeps it; 3 days, as long as polling asks for a message's
# status (campaigns.polling.GIVE_UP_AFTER): by then a recipient has long seen what
# was sent just before the change.
REPLIES_AFTER_RETIREMENT = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class RetiredLoginInUse:
    """A replaced login still kept, and what the gateway still holds under it."""

    login: str
    retired_at: datetime
    in_use: LoginInUse

    @property
    def replies_until(self) -> datetime:
        """Replies are fetched with it until then (REPLIES_AFTER_RETIREMENT after the
        change, or after its last message went out or goes out, held for later), and
        later while anything is open."""
        last_out = self.in_use.last_out
        latest = max(self.retired_at, last_out) if last_out else self.retired_at
        return latest + REPLIES_AFTER_RETIREMENT

    @property
    def replies_window_open(self) -> bool:
        """Still within REPLIES_AFTER_RETIREMENT of the change."""
        return self.replies_until > timezone.now()

    @property
    def replies_fetched(self) -> bool:
        """Whether replies are still fetched with it (the rule of campaigns.logins'
        reply_logins), where the gateway keeps incoming messages."""
        return bool(self.in_use.open) or self.replies_window_open


# Told by campaigns too: {generation: what is open under it} for the generations
# given, counted in one go.
_retired_in_use: Hooks[
    Callable[[ProviderAccount, list[int]], dict[int, LoginInUse]]
] = Hooks()
retired_logins_in_use_register = _retired_in_use.register


def retired_logins_in_use(account: ProviderAccount) -> list[RetiredLoginInUse]:
    """The account's replaced logins still kept (their credentials are forgotten
    once nothing is open under them: campaigns.logins), newest first, each with the
    messages the gateway still holds under it."""
    # Changed and changed back (a -> b -> a): the first a is the current cabinet,
    # not a replaced one; what it still holds is the current login's.
    retired = list(
        RetiredLogin.objects.filter(account=account)
        .exclude(login=account.login)
        .order_by("-generation")
        .only("login", "generation", "retired_at")
    )
    if not retired:
        return []
    generations = [r.generation for r in retired]
    found = [count(account, generations) for count in _retired_in_use]
    return [
        RetiredLoginInUse(
            login=r.login,
            retired_at=r.retired_at,
            in_use=_together([f[r.generation] for f in found if r.generation in f]),
        )
        for r in retired
    ]


def _together(parts: list[LoginInUse]) -> LoginInUse:
    """What several counters found under one login, as one."""
    outs = [part.last_out for part in parts if part.last_out]
    return LoginInUse(
        open=sum(part.open for part in parts),
        held=sum(part.held for part in parts),
        last_out=max(outs, default=None),
    )


def login_retire_if_changed(account: ProviderAccount) -> RetiredLogin | None:
    """Before `account` (its new login set, not saved yet) is saved: if its login
    changed, keep the stored credentials as the retired generation and raise the
    account's. Call inside the transaction that saves it: the row stays locked until
    then, so claims made meanwhile all carry one generation or the other."""
    if account.pk is None:
        return None
    assert transaction.get_connection().in_atomic_block, "call it inside atomic()"
    stored = ProviderAccount.objects.select_for_update().get(pk=account.pk)
    account.login_generation = stored.login_generation
    if stored.login == account.login:
        return None
    retired = RetiredLogin.objects.create(
        account=account,
        generation=stored.login_generation,
        login=stored.login,
        password=stored.password,
        token=stored.token,
        # The old cabinet's replies are read on from where they were; the new one's
        # from its own start (its ids are not the old cabinet's).
        incoming_cursor=stored.incoming_cursor,
    )
    account.login_generation = stored.login_generation + 1
    account.incoming_cursor = ""
    return retired


def gateway_for_login(
    account: ProviderAccount, generation: int, *, retired: RetiredLogin | None = None
) -> SmsGateway | None:
    """The account's gateway signed in as it was at that login generation; None when
    those credentials are gone (nothing of that login was open any longer)."""
    if generation == account.login_generation:
        return gateway_for(account)
    if retired is None:
        retired = RetiredLogin.objects.filter(
            account=account, generation=generation
        ).first()
    if retired is None:
        return None
    if unreadable(retired.password) or unreadable(retired.token):
        raise CredentialsUnreadable(account.name)
    config = dataclasses.replace(
        account.config(),
        login=retired.login,
        password=retired.password,
        token=retired.token,
    )
    return gateway_class(account.kind)(config)


def login_gateways(
    account: ProviderAccount, *, current: SmsGateway | None = None
) -> list[tuple[int, SmsGateway]]:
    """(generation, gateway) for the current login (`current`, if built already),
    then each retired one kept (prefetch `retired_logins` to read them with the
    accounts)."""
    gateways: list[tuple[int, SmsGateway]] = [
        (account.login_generation, current or gateway_for(account))
    ]
    for retired in sorted(account.retired_logins.all(), key=lambda r: r.generation):
        gateway = gateway_for_login(account, retired.generation, retired=retired)
        if gateway is not None:
            gateways.append((retired.generation, gateway))
    return gateways
