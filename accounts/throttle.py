"""Login throttling: repeated failures lock a user name briefly, never the others.

Three counters, each over WINDOW_SECONDS:
- a user name from one address: the person who mistyped, or someone guessing it;
- a user name from anywhere (a higher limit): guessing spread over many addresses;
- an address over all names (higher still): one address trying many names.
Behind a reverse proxy every visitor shares the proxy's address: one person's typos
locked the whole team out. The pair counter locks only that name from that address,
and the address is the client's (smsportal.client_address) when the proxy is
trusted.

The name-from-anywhere counter let anyone lock anyone out (the admin included) with a
burst of wrong passwords from a few addresses. A browser that has signed in as a name
before carries a device cookie for it (signed, so it cannot be made up): its attempts
count on the device's own counter instead, with the same limit, so a burst from
elsewhere does not lock it out, and a stolen cookie guesses no faster than the name's
counter allowed (OWASP's "device cookies").

The counters live in the shared cache (Redis in production). While it does not
answer, each web process counts in its own memory instead (`_LOCAL`). Failing open
(no counting) would let anyone guess passwords at full speed for as long as Redis is
down; failing closed locked everyone out (a 500 on every sign-in). A database table
would keep exact counts, but would turn each failed attempt into a write anyone can
cause, on the one service still up. Counted per process, every limit still holds
within each process: with P web processes a name takes at most P times its attempts
(gunicorn -w 2: ten from one address instead of five), and a restarted process
forgets its counts. A bounded weakening for the outage alone, which is logged and
shown on every page (smsportal.outage).

API tokens have a counter of their own: failed Bearer tokens from one address
(`api_token_lock_state`, `api_token_failed`), in the same cache and window. A token is
no guess (256 random bits), but a flood of them is a probe, or a script left
running with a revoked token: each is a database lookup anyone can cause. The lock
refuses the invalid tokens of the address only: a valid one is looked up and taken
(smsportal.api.BearerToken), so a wrong SMSPORTAL_TRUSTED_PROXIES, which puts every
client behind the proxy at the proxy's address, locks out the guessing, not the team.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse

from smsportal.outage import CACHE, CACHE_ERRORS, note_down

WINDOW_SECONDS = 15 * 60
DEVICE_COOKIE = "smsportal_login_device"
DEVICE_COOKIE_SALT = "accounts.throttle.device"
DEVICE_COOKIE_DAYS = 180
# This process's own counters, used only while the shared cache does not answer.
_LOCAL = LocMemCache("accounts.throttle", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
T = TypeVar("T")


def _counted(operation: Callable[[BaseCache], T]) -> T:
    """`operation` on the shared cache, or on this process's own when it is down."""
    try:
        return operation(cache)
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)
        return operation(_LOCAL)


def _limits() -> dict[str, int]:
    pair = getattr(settings, "SMSPORTAL_LOGIN_ATTEMPTS", 5)
    return {"pair": pair, "user": pair * 4, "device": pair * 4, "ip": pair * 10}


def _name(username: str) -> str:
    return username.strip().lower()


def _keys(username: str, ip: str | None, device: str | None) -> dict[str, str]:
    name = _name(username)
    keys = (
        {"device": f"login-fail:device:{device}"}
        if device
        else {"user": f"login-fail:user:{name}"}
    )
    if ip:
        keys["pair"] = f"login-fail:pair:{ip}:{name}"
        keys["ip"] = f"login-fail:ip:{ip}"
    return keys


def login_device(request: HttpRequest, username: str) -> str | None:
    """The device id of this browser's cookie when it signed in as `username`."""
    try:
        data = request.get_signed_cookie(
            DEVICE_COOKIE,
            salt=DEVICE_COOKIE_SALT,
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        )
        user, device = json.loads(data)
    except (KeyError, ValueError, TypeError, signing.BadSignature):
        return None
    return device if user == _name(username) and isinstance(device, str) else None


def device_cookie_set(
    response: HttpResponse, *, username: str, device: str | None
) -> None:
    """Mark the browser that signed in as `username` (keeping its device id)."""
    value = json.dumps([_name(username), device or secrets.token_urlsafe(16)])
    response.set_signed_cookie(
        DEVICE_COOKIE,
        value,
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def login_blocked(*, username: str, ip: str | None, device: str | None = None) -> bool:
    """True when a counter this attempt falls under has used up its attempts."""
    limits = _limits()
    keys = _keys(username, ip, device)
    counts = _counted(lambda counters: counters.get_many(list(keys.values())))
    return any((counts.get(key) or 0) >= limits[kind] for kind, key in keys.items())


def login_failed(*, username: str, ip: str | None, device: str | None = None) -> None:
    def count(counters: BaseCache) -> None:
        for key in _keys(username, ip, device).values():
            counters.add(key, 0, timeout=WINDOW_SECONDS)
            counters.incr(key)

    _counted(count)


def login_succeeded(
    *, username: str, ip: str | None, device: str | None = None
) -> None:
    """The right password: the name's own counters start again (the address's
    stays: others' failures from it are not forgiven by this success)."""
    keys = {**_keys(username, ip, device), **_keys(username, ip, None)}
    names = [key for kind, key in keys.items() if kind != "ip"]
    _counted(lambda counters: counters.delete_many(names))


def _api_token_limit() -> int:
    # As many as one address may fail logins under all names: the same setting.
    return getattr(settings, "SMSPORTAL_API_TOKEN_ATTEMPTS", _limits()["ip"])


def _api_token_key(ip: str | None) -> str:
    # No address known (a Unix socket without a trusted proxy): one shared counter.
    return f"api-token-fail:ip:{ip or '-'}"


def _api_token_refused_key(ip: str | None) -> str:
    # The last token refused at this locked address: one key an address, whatever
    # it sends (a key a token let a flood of random ones fill the cache).
    return f"api-token-refused:ip:{ip or '-'}"


def api_token_lock_state(*, ip: str | None, digest: str) -> tuple[bool, bool]:
    """(this address has used up its failed API token attempts, and the token of
    this digest is the last one refused there since): one cache round trip."""
    lock_key, refused_key = _api_token_key(ip), _api_token_refused_key(ip)
    found = _counted(lambda counters: counters.get_many([lock_key, refused_key]))
    locked = (found.get(lock_key) or 0) >= _api_token_limit()
    return locked, locked and found.get(refused_key) == digest


def api_token_refused_while_locked(*, ip: str | None, digest: str) -> None:
    """Remember the token refused at this locked address, so that the same one
    again is refused without a lookup (api_token_lock_state)."""
    key = _api_token_refused_key(ip)
    _counted(lambda counters: counters.set(key, digest, timeout=WINDOW_SECONDS))


def api_token_failed(*, ip: str | None) -> tuple[int, int]:
    """Count a Bearer token that is no active token: (failures of this address in
    the window so far, its limit). The first and the one reaching the limit are what
    the log and the audit log take (smsportal.api_token_failures)."""
    key = _api_token_key(ip)

    def count(counters: BaseCache) -> int:
        counters.add(key, 0, timeout=WINDOW_SECONDS)
        return counters.incr(key)

    return _counted(count), _api_token_limit()


def first_in_window(key: str, seconds: int = WINDOW_SECONDS) -> bool:
    """True for the first call with `key` in `seconds`, False for the others until
    they lapse: what a log writes once a window (accounts.api_refusals)."""
    return bool(_counted(lambda counters: counters.add(key, 1, timeout=seconds)))
