"""Login throttling: too many failures for one user name or one address lock it briefly."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60


def _limit() -> int:
    return getattr(settings, "SMSPORTAL_LOGIN_ATTEMPTS", 5)


def _keys(username: str, ip: str | None) -> list[str]:
    keys = [f"login-fail:user:{username.strip().lower()}"]
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def login_blocked(*, username: str, ip: str | None) -> bool:
    """True when the user name or the address has used up its attempts."""
    return any((cache.get(key) or 0) >= _limit() for key in _keys(username, ip))


def login_failed(*, username: str, ip: str | None) -> None:
    for key in _keys(username, ip):
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        cache.incr(key)


def login_succeeded(*, username: str, ip: str | None) -> None:
    cache.delete(_keys(username, None)[0])
