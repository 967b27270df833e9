"""Messages-per-second limit of a provider account, shared by every worker.

A fixed one-second window counted in the cache (Redis in production, so all workers on
all machines share it). A batch larger than the limit spreads over several windows.
"""

from __future__ import annotations

import time

from django.core.cache import cache


class RateLimiterUnavailable(Exception):
    """The cache that counts the windows did not answer (Redis down): the limit cannot
    be kept across workers, so nothing is sent until it answers again."""


# Well under campaigns.reconcile.GRACE: a batch waits here claimed, and one claimed
# and unsent for longer would be taken for a lost submit. The pump gives a batch
# that waited this long back to the queue.
MAX_WAIT_SECONDS = 30.0


def rate_limit_acquire(*, account_id: int, count: int, per_second: int) -> float:
    """Block until `count` messages may go out; returns the seconds waited. Raises
    TimeoutError past MAX_WAIT_SECONDS, RateLimiterUnavailable when the cache fails."""
    if per_second <= 0 or count <= 0:
        return 0.0
    try:
        return _acquire(account_id, count, per_second)
    except (TimeoutError, RateLimiterUnavailable):
        raise
    except Exception as exc:  # the cache backend's own errors (redis, file system)
        raise RateLimiterUnavailable(str(exc)) from exc


def _acquire(account_id: int, count: int, per_second: int) -> float:
    waited = 0.0
    remaining = count
    while remaining > 0:
        window = int(time.time())
        key = f"ratelimit:{account_id}:{window}"
        take = min(remaining, per_second)
        cache.add(key, 0, timeout=5)
        used = cache.incr(key, take)
        granted = take - max(0, used - per_second)
        if granted > 0:
            remaining -= granted
            if granted < take:
                # Give back what did not fit, so the window stays exact.
                cache.decr(key, take - granted)
            continue
        cache.decr(key, take)
        pause = window + 1 - time.time()
        if waited + pause > MAX_WAIT_SECONDS:
            raise TimeoutError("rate limit wait too long")
        time.sleep(max(pause, 0.01))
        waited += pause
    return waited
