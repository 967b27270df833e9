"""Space out the cycle collector's runs while a loop makes and drops many objects.

Python runs its youngest collection every 700 net container allocations and, every
hundred of those, may scan the whole heap: in a worker with Django loaded, about
150,000 objects. The campaign pump makes and drops thousands of small objects a
batch (claimed rows, outgoing messages, results) that reference counting frees on
its own, so the collector ran about three times a batch and scanned the whole heap
every few batches for nothing: 0.3-0.4 s of CPU per 100,000 messages, a fifth of
the pump's Python (bench/bench_dispatch.py). `collections_spaced` raises the first
threshold for as long as it is entered; garbage in cycles is still collected, a
little later.

The threshold is the process's: with several users at once (a thread pool), the
first to enter raises it and the last to leave puts it back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SPACED_THRESHOLD = 20_000

_lock = threading.Lock()
_users = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def collections_spaced(threshold: int = SPACED_THRESHOLD) -> Iterator[None]:
    """Collect the youngest generation every `threshold` allocations, not 700 (a
    higher threshold already set is kept, and 0, automatic collection off, too)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            first, *older = _saved
            if first:
                gc.set_threshold(max(first, threshold), *older)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
