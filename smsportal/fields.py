from django.db import models

from smsportal.lib.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """A text field stored encrypted (Fernet); Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
