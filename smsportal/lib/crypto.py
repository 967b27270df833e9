"""Symmetric encryption for secrets at rest (gateway passwords and tokens).

The key is SMSPORTAL_FIELD_KEY (a Fernet key) or, when unset, derived from SECRET_KEY
(and from SECRET_KEY_FALLBACKS, for reading). Rotate by putting the new key first and
old ones after it, separated by commas; `manage.py reencrypt_fields` then moves every
stored value to the first key, after which the old ones can go.
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from django.conf import settings

PREFIX = "fernet:"


class FieldKeyError(ValueError):
    """A stored value none of the configured keys decrypts: the key changed (a new
    SECRET_KEY with SMSPORTAL_FIELD_KEY unset, or a field key dropped too early)."""


class FieldKeyInvalid(ValueError):
    """SMSPORTAL_FIELD_KEY holds something that is no Fernet key."""


def derive(secret: str) -> str:
    """The field key used when SMSPORTAL_FIELD_KEY is unset, from a SECRET_KEY."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def field_keys(field_key: str) -> list[str]:
    """The keys SMSPORTAL_FIELD_KEY lists, first the one new values get."""
    return [k.strip() for k in field_key.split(",") if k.strip()]


def field_key_problems(field_key: str) -> list[str]:
    """What is wrong with each key listed (by position), for the system check."""
    problems = []
    for place, key in enumerate(field_keys(field_key), start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append(
                f"key {place} of SMSPORTAL_FIELD_KEY is no Fernet key (32 bytes in "
                "URL-safe base64, 44 characters)"
            )
    return problems


def keys_in_use(
    field_key: str, secret_key: str, fallbacks: tuple[str, ...] = ()
) -> list[str]:
    """SMSPORTAL_FIELD_KEY's keys, or the keys of SECRET_KEY and its fallbacks (a
    rotated SECRET_KEY keeps the credentials saved under the old one readable)."""
    return field_keys(field_key) or [derive(k) for k in (secret_key, *fallbacks)]


@functools.cache
def _cipher(field_key: str, secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    if problems := field_key_problems(field_key):
        raise FieldKeyInvalid("; ".join(problems))
    keys = keys_in_use(field_key, secret_key, fallbacks)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _settings_keys() -> tuple[str, str, tuple[str, ...]]:
    return (
        settings.SMSPORTAL_FIELD_KEY,
        settings.SECRET_KEY,
        tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())),
    )


def cipher() -> MultiFernet:
    return _cipher(*_settings_keys())


def primary_cipher() -> Fernet:
    """The first key alone: the one new values are encrypted with."""
    field_key, secret_key, fallbacks = _settings_keys()
    if problems := field_key_problems(field_key):
        raise FieldKeyInvalid("; ".join(problems))
    return Fernet(keys_in_use(field_key, secret_key, fallbacks)[0].encode())


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return PREFIX + cipher().encrypt(plain.encode()).decode()


def is_encrypted(stored: str) -> bool:
    """Whether a stored value was written encrypted (not typed into the database)."""
    return stored.startswith(PREFIX)


def decrypt(stored: str) -> str:
    """Decrypt a stored value; raise FieldKeyError when no key fits."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise FieldKeyError("cannot decrypt: wrong SMSPORTAL_FIELD_KEY?") from exc


def mask(plain: str, *, visible: int = 2) -> str:
    """'secret-password' -> '•••••••••••••rd'; never shows more than `visible` chars."""
    if not plain:
        return ""
    shown = plain[-visible:] if len(plain) > visible * 3 else ""
    return "•" * max(4, len(plain) - len(shown)) + shown
