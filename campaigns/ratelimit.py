"""Messages-per-second limit of a provider account, shared by every worker.

Counted in the cache (Redis in production, so all workers on all machines share it)
per slice of a second: a batch goes when the slices of the last second, the current
one included, leave room for all of it. So no second, wherever it starts, sees more
than the limit. Fixed one-second windows let a batch granted at the end of one and
another at the start of the next go out together: twice the limit within a second
(88 a second at the simulator for a limit of 40), which a gateway that enforces its
rate refuses. The price is a slice: at most SLICES / (SLICES + 1) of the limit.
A batch larger than the limit goes in parts of the limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.cache import cache


class RateLimiterUnavailable(Exception):
    """The cache that counts the windows did not answer (Redis down): the limit cannot
    be kept across workers, so nothing is sent until it answers again."""


# Campaigns leave this share of a limit of ONE_OFF_SHARE_FROM or more to one-off
# messages (an order's notice through the API, a test send): two pumps asking a
# second's worth each filled every second, and a one-off waited behind them up to
# MAX_WAIT_SECONDS, then was refused.
ONE_OFF_SHARE = 0.05
ONE_OFF_SHARE_FROM = 20


def campaign_rate(per_second: int) -> int:
    """The part of an account's limit (messages a second) its campaigns take."""
    if per_second < ONE_OFF_SHARE_FROM:
        return per_second
    return per_second - math.ceil(per_second * ONE_OFF_SHARE)


# Well under campaigns.reconcile.GRACE: a batch waits here claimed, and one claimed
# and unsent for longer would be taken for a lost submit. The pump gives a batch
# that waited this long back to the queue.
MAX_WAIT_SECONDS = 30.0


def rate_limit_acquire(
    *,
    account_id: int,
    count: int,
    per_second: int,
    give_up: Callable[[], bool] | None = None,
) -> float:
    """Block until `count` messages may go out; returns the seconds waited. Raises
    TimeoutError past MAX_WAIT_SECONDS or when `give_up()` says so before a wait (a
    worker asked to stop), RateLimiterUnavailable when the cache fails."""
    if per_second <= 0 or count <= 0:
        return 0.0
    try:
        return _acquire(account_id, count, per_second, give_up)
    except (TimeoutError, RateLimiterUnavailable):
        raise
    except Exception as exc:  # the cache backend's own errors (redis, file system)
        raise RateLimiterUnavailable(str(exc)) from exc


# Slices per second: the last SLICES + 1 of them span every second that ends now.
SLICES = 20
# How often a process reads the cache server's clock again (see _shared_time).
CLOCK_CHECK_SECONDS = 60.0
_clock: tuple[float, float] | None = None  # (cache server's clock - ours, checked at)


def _shared_time() -> float:
    """Now by the cache server's clock (Redis TIME), which the workers of every
    machine share: counted by each worker's own clock, the slices of one a second
    ahead were not the others', and the account got the limit from each."""
    global _clock
    checked = time.monotonic()
    if _clock is None or checked - _clock[1] >= CLOCK_CHECK_SECONDS:
        _clock = (_offset_from_cache_server(), checked)
    return time.time() + _clock[0]


def _offset_from_cache_server() -> float:
    """Seconds the cache server's clock is ahead of ours; 0 for a cache in this
    machine (the embedded setup, one machine)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return 0.0
    client = backend._cache.get_client(write=True)  # where the counts are kept
    before = time.time()
    seconds, micros = client.time()
    after = time.time()
    return seconds + micros / 1_000_000 - (before + after) / 2


def _slice_key(account_id: int, index: int) -> str:
    return f"ratelimit:{account_id}:{index}"


def _acquire(
    account_id: int, count: int, per_second: int, give_up: Callable[[], bool] | None
) -> float:
    waited = 0.0
    remaining = count
    while remaining > 0:
        take = min(remaining, per_second)
        current = int(_shared_time() * SLICES)
        key = _slice_key(account_id, current)
        cache.add(key, 0, timeout=5)
        # Counted first, then checked: of two workers at once, the later sees both.
        mine = cache.incr(key, take)
        earlier = range(current - SLICES, current)
        counts = cache.get_many([_slice_key(account_id, i) for i in earlier])
        used = [counts.get(_slice_key(account_id, i), 0) for i in earlier]
        if sum(used) + mine <= per_second:
            remaining -= take
            continue
        cache.decr(key, take)
        # Until enough of the oldest slices have left the last second (at slice
        # current + n, the n oldest have), this one too if it holds too much.
        free, gone = per_second - (mine - take) - sum(used), 0
        while free < take and gone < len(used):
            free += used[gone]
            gone += 1
        if free < take:
            gone += 1
        pause = max((current + max(gone, 1)) / SLICES - _shared_time(), 0.01)
        if waited + pause > MAX_WAIT_SECONDS:
            raise TimeoutError("rate limit wait too long")
        if give_up is not None and give_up():
            raise TimeoutError("no longer waited for")
        time.sleep(pause)
        waited += pause
    return waited
