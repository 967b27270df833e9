"""The turn to ask a gateway about statuses, shared by polling and the reconciler.

Polling takes one turn per account each poll interval. A gateway that caps its mass
status requests (SMSC: one a minute per login, refused with error 9, and repeated
errors block the IP, sending included; REFERENCE §2.5) must not be asked by the
reconciler in the same minute, so the reconciler takes the same turn. Polling comes
every 30 s and would always hold it: a reconciler that finds the turn taken asks
polling to leave it the next one, as settling messages in doubt (claimed, outcome
unknown) matters more than a minute's status reports.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache

DEFAULT_POLL_INTERVAL = timedelta(seconds=60)


def poll_interval(gateway) -> timedelta:
    return getattr(gateway, "poll_interval", DEFAULT_POLL_INTERVAL)


def _turn_key(account_id: int) -> str:
    return f"poll:{account_id}"


def _yield_key(account_id: int) -> str:
    return f"poll-yield:{account_id}"


def polling_turn_take(account_id: int, gateway) -> bool:
    """Whether polling may ask the account's gateway now (and it is taken if so)."""
    if cache.get(_yield_key(account_id)):
        return False
    return cache.add(_turn_key(account_id), 1, timeout=_seconds(gateway))


def reconciler_turn_take(account_id: int, gateway) -> bool:
    """Whether the reconciler may ask now; if not, polling leaves it the next turn."""
    seconds = _seconds(gateway)
    if cache.add(_turn_key(account_id), 1, timeout=seconds):
        cache.delete(_yield_key(account_id))
        return True
    # Long enough for the reconciler's next run, which then finds the turn free; if
    # it stops asking (nothing left in doubt, no worker), polling resumes soon after.
    cache.set(_yield_key(account_id), 1, timeout=2 * seconds + 60)
    return False


def _seconds(gateway) -> float:
    return poll_interval(gateway).total_seconds()
