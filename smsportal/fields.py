from django.db import models

from smsportal.lib.crypto import (
    FieldKeyError,
    FieldKeyInvalid,
    decrypt,
    encrypt,
    is_encrypted,
)


class Unreadable(str):
    """A stored secret the current key cannot decrypt (SECRET_KEY or
    SMSPORTAL_FIELD_KEY changed). Empty as a string, so nothing shows or sends it;
    it keeps the stored value, which a save writes back unchanged, so the secret is
    readable again once the right key is set. Where credentials are used, the
    owner raises its own error for it (providers: CredentialsUnreadable)."""

    stored: str

    def __new__(cls, stored: str) -> "Unreadable":
        value = super().__new__(cls, "")
        value.stored = stored
        return value


def unreadable(value: object) -> bool:
    return isinstance(value, Unreadable)


class EncryptedTextField(models.TextField):
    """A text field stored encrypted (Fernet); Python code sees the plain value.

    A value no key decrypts loads as `Unreadable` instead of raising: loading a row
    raised before, and every page listing provider accounts answered 500."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        if not is_encrypted(value):
            # Assumption: a value without the prefix was written in plain text by
            # hand (SQL, a restored dump): read as it is, as its owner meant it. The
            # next save, or `manage.py reencrypt_fields`, encrypts it; the system
            # check warns meanwhile.
            return value
        try:
            return decrypt(value)
        except (FieldKeyError, FieldKeyInvalid):
            return Unreadable(value)

    def get_prep_value(self, value):
        if isinstance(value, Unreadable):
            return value.stored  # written back as it was read
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


class PhoneField(models.CharField):
    """An E.164 phone: byte-wise ("C") collation on PostgreSQL.

    Phones are ASCII and only ever compared for equality or sorted as digits, so the
    locale's collation buys nothing, while every index insert and join on a phone pays
    for it (about a fifth of the time of writing a million messages).
    SQLite has no "C" collation and compares bytes anyway.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
