"""The turn to ask a gateway about statuses, shared by polling and the reconciler.

Polling takes one turn per account each poll interval (leaving it when its run ends
where the gateway has no cap of requests a run). A gateway that caps its mass
status requests (SMSC: one a minute per login, refused with error 9, and repeated
errors block the IP, sending included; REFERENCE §2.5) must not be asked by the
reconciler in the same minute, so the reconciler takes the same turn. Polling comes
every 30 s and would always hold it: a reconciler that finds the turn taken asks
polling to leave it the next one, as settling messages in doubt (claimed, outcome
unknown) matters more than a minute's status reports.
"""

from __future__ import annotations

from django.core.cache import cache

TURN_SECONDS = 60  # one turn a minute: SMSC's limit, and polling's pace anyway
# Long enough for the reconciler's next run, which then finds the turn free; if it
# stops asking (nothing left in doubt, no worker), polling resumes soon after.
YIELD_SECONDS = 3 * TURN_SECONDS


def _turn_key(account_id: int) -> str:
    return f"poll:{account_id}"


def _yield_key(account_id: int) -> str:
    return f"poll-yield:{account_id}"


def polling_turn_take(account_id: int) -> bool:
    """Whether polling may ask the account's gateway now (and it is taken if so)."""
    if cache.get(_yield_key(account_id)):
        return False
    return cache.add(_turn_key(account_id), 1, timeout=TURN_SECONDS)


def polling_turn_leave(account_id: int) -> None:
    """Polling is done with its turn (a gateway without a per-minute cap): the next
    poll, or the reconciler, may take it at once. Racy against a turn that ran out and
    was taken meanwhile, which costs one request sooner, not a refused one: only
    gateways without a cap are left early."""
    cache.delete(_turn_key(account_id))


def reconciler_turn_take(account_id: int) -> bool:
    """Whether the reconciler may ask now; if not, polling leaves it the next turn."""
    if cache.add(_turn_key(account_id), 1, timeout=TURN_SECONDS):
        cache.delete(_yield_key(account_id))
        return True
    cache.set(_yield_key(account_id), 1, timeout=YIELD_SECONDS)
    return False
