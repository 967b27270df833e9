"""What must follow numbers onto the stop list, whichever way they get there (the
stop list page, a bulk action, an import, a STOP reply, a sync with a gateway).

Contacts knows nothing that follows it; campaigns registers (withdrawing what a
gateway holds for those numbers for later), as it does for group_users_register.
"""

from collections.abc import Callable

from django.db import transaction

from smsportal.lib.hooks import Hooks

StopListed = Callable[[list[str]], None]
_stop_listed: Hooks[StopListed] = Hooks()
stop_listed_register = _stop_listed.register


def stop_listed_announce(phones: list[str]) -> None:
    """Tell what follows the stop list that `phones` are on it, once the transaction
    commits (nothing is told of a rollback)."""
    if not phones or not _stop_listed:
        return
    added = sorted(set(phones))
    transaction.on_commit(lambda: [follow(added) for follow in _stop_listed])
