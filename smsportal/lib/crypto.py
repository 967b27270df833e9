"""Symmetric encryption for secrets at rest (gateway passwords and tokens).

The key is SMSPORTAL_FIELD_KEY (a Fernet key) or, when unset, derived from SECRET_KEY.
Rotate by putting the new key first and old ones after it, separated by commas.
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from django.conf import settings

PREFIX = "fernet:"


def _derive(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


@functools.cache
def _cipher(field_key: str, secret_key: str) -> MultiFernet:
    keys = [k.strip().encode() for k in field_key.split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys] or [Fernet(_derive(secret_key))])


def cipher() -> MultiFernet:
    return _cipher(settings.SMSPORTAL_FIELD_KEY, settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return PREFIX + cipher().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    """Decrypt a stored value; raise ValueError when the key does not fit."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong SMSPORTAL_FIELD_KEY?") from exc


def mask(plain: str, *, visible: int = 2) -> str:
    """'secret-password' -> '•••••••••••••rd'; never shows more than `visible` chars."""
    if not plain:
        return ""
    shown = plain[-visible:] if len(plain) > visible * 3 else ""
    return "•" * max(4, len(plain) - len(shown)) + shown
