"""Group commit for status callbacks: concurrent requests share one statement.

A gateway pushes one delivery report per request, and each report alone costs the
database a whole statement, commit and count triggers: most of a callback's database
time. In a threaded web worker (gunicorn -k gthread) the reports that arrive while one
statement runs wait for it to finish, then go in together with the next one, so under
load one statement carries several callbacks; alone, a callback goes straight through.

Every request is answered only after the statement holding its report has committed,
and if that statement fails, every request in it gets the error, as if alone: a
database error answers 5xx (the gateway sends its report again), a changed account
makes the view read the current one and try again. Batching changes when reports are
written, never whether.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from campaigns.statuses import AccountVersion, ApplyResult, message_statuses_apply
from providers.base import StatusReport
from providers.models import ProviderAccount

Apply = Callable[..., ApplyResult]
# Reports of one account checked against one version of it go in one statement.
_Key = tuple[int, AccountVersion | None]


@dataclass(eq=False)
class _Waiter:
    reports: Sequence[StatusReport]
    ready: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # woken to write the next statement, not with a result
    result: ApplyResult | None = None
    error: BaseException | None = None


class StatusBatcher:
    """Applies the reports of concurrent callers of one process together."""

    def __init__(self, apply: Apply = message_statuses_apply) -> None:
        self._apply = apply
        self._lock = threading.Lock()
        self._queues: dict[_Key, list[_Waiter]] = {}
        self._writing: set[_Key] = set()  # a statement of this key is running

    def apply(
        self,
        *,
        account: ProviderAccount,
        reports: Sequence[StatusReport],
        unless_changed: AccountVersion | None,
    ) -> ApplyResult:
        """Apply `reports` (with others waiting, if any); raise what the statement
        raised, AccountChanged included."""
        key = (account.pk, unless_changed)
        me = _Waiter(reports)
        with self._lock:
            self._queues.setdefault(key, []).append(me)
            me.leads = key not in self._writing
            self._writing.add(key)
        if not me.leads:
            me.ready.wait()
        if me.leads:
            self._write(key, account, unless_changed)
        if me.error is not None:
            raise me.error
        assert me.result is not None
        return me.result

    def waiting(self, account_id: int, unless_changed: AccountVersion | None) -> int:
        """How many callers wait for the next statement (for tests)."""
        with self._lock:
            return len(self._queues.get((account_id, unless_changed), []))

    def _write(
        self, key: _Key, account: ProviderAccount, unless_changed: AccountVersion | None
    ) -> None:
        """One statement for everyone queued under `key` (this caller among them)."""
        with self._lock:
            batch = self._queues.pop(key)
        try:
            result = self._apply(
                account=account,
                reports=[report for waiter in batch for report in waiter.reports],
                unless_changed=unless_changed,
                wait_for_disk=False,
            )
        except BaseException as exc:  # noqa: BLE001 - each caller re-raises it
            for waiter in batch:
                waiter.error = exc
        else:
            for waiter in batch:
                waiter.result = result
        with self._lock:
            following = self._queues.get(key)
            if following:
                following[0].leads = True  # queued meanwhile: the next writer
                following[0].ready.set()
            else:
                self._writing.discard(key)
        for waiter in batch:
            waiter.ready.set()


# One per process: gunicorn's threads of a worker share it.
status_batcher = StatusBatcher()
