"""Login throttling: repeated failures lock a user name briefly, never the others.

Three counters, each over WINDOW_SECONDS:
- a user name from one address: the person who mistyped, or someone guessing it;
- a user name from anywhere (a higher limit): guessing spread over many addresses;
- an address over all names (higher still): one address trying many names.
Behind a reverse proxy every visitor shares the proxy's address: one person's typos
locked the whole team out. The pair counter locks only that name from that address,
and the address is the client's (smsportal.client_address) when the proxy is
trusted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60


def _limits() -> dict[str, int]:
    pair = getattr(settings, "SMSPORTAL_LOGIN_ATTEMPTS", 5)
    return {"pair": pair, "user": pair * 4, "ip": pair * 10}


def _keys(username: str, ip: str | None) -> dict[str, str]:
    name = username.strip().lower()
    keys = {"user": f"login-fail:user:{name}"}
    if ip:
        keys["pair"] = f"login-fail:pair:{ip}:{name}"
        keys["ip"] = f"login-fail:ip:{ip}"
    return keys


def login_blocked(*, username: str, ip: str | None) -> bool:
    """True when a counter this attempt falls under has used up its attempts."""
    limits = _limits()
    return any(
        (cache.get(key) or 0) >= limits[kind]
        for kind, key in _keys(username, ip).items()
    )


def login_failed(*, username: str, ip: str | None) -> None:
    for key in _keys(username, ip).values():
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        cache.incr(key)


def login_succeeded(*, username: str, ip: str | None) -> None:
    """The right password: the name's own counters start again (the address's
    stays: others' failures from it are not forgiven by this success)."""
    keys = _keys(username, ip)
    cache.delete_many([key for kind, key in keys.items() if kind != "ip"])
