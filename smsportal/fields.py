from django.db import models

from smsportal.lib.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """A text field stored encrypted (Fernet); Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
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
