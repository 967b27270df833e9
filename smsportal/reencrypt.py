"""Rewrite every encrypted value with the first key (`manage.py reencrypt_fields`):
after it, the keys after the first in SMSPORTAL_FIELD_KEY (or SECRET_KEY_FALLBACKS,
with SMSPORTAL_FIELD_KEY unset) decrypt nothing any more and can be dropped. Values
written to the database in plain text by hand are encrypted on the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken

from django.db import connection, models, transaction
from django.db.models.functions import Cast

from smsportal.checks import encrypted_fields
from smsportal.lib.crypto import PREFIX, cipher, is_encrypted, primary_cipher

BATCH = 500


@dataclass
class ReencryptResult:
    rewritten: Counter = field(default_factory=Counter)  # "app.Model.field" -> n
    current: int = 0  # already under the first key
    plain: int = 0  # of the rewritten, those that were in plain text
    unreadable: Counter = field(default_factory=Counter)  # no key decrypts them

    @property
    def rewritten_total(self) -> int:
        return sum(self.rewritten.values())


def fields_reencrypt() -> ReencryptResult:
    """Every encrypted field of every model (found by its class), batch by batch:
    values only an older key reads are rotated to the first key, in one UPDATE per
    batch that changes a row only while it still holds the value read (a password
    saved meanwhile is not overwritten)."""
    result = ReencryptResult()
    keys = cipher()
    primary = primary_cipher()
    for model, enc_field in encrypted_fields():
        where = f"{model._meta.label}.{enc_field.name}"
        rows = (
            model._default_manager.exclude(**{enc_field.attname: ""})
            .annotate(_raw=Cast(enc_field.attname, models.TextField()))
            .values_list("pk", "_raw")
            .order_by("pk")
        )
        changes: list[tuple[object, str, str]] = []
        for pk, raw in rows.iterator(chunk_size=BATCH):
            if is_encrypted(raw):
                token = raw[len(PREFIX) :].encode()
                try:
                    primary.decrypt(token)
                    result.current += 1
                    continue
                except InvalidToken:
                    pass
                try:
                    rewritten = keys.rotate(token)
                except InvalidToken:
                    result.unreadable[where] += 1
                    continue
            else:  # written in plain text by hand
                rewritten = primary.encrypt(raw.encode())
                result.plain += 1
            changes.append((pk, raw, PREFIX + rewritten.decode()))
            if len(changes) >= BATCH:
                result.rewritten[where] += _write(model, enc_field, changes)
                changes = []
        if changes:
            result.rewritten[where] += _write(model, enc_field, changes)
    return result


def _write(
    model: type[models.Model],
    enc_field: models.Field,
    changes: list[tuple[object, str, str]],
) -> int:
    """UPDATE … FROM (VALUES …): one statement for the batch."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(enc_field.column)
    pk_column = quote(model._meta.pk.column)
    rows = ", ".join(["(%s, %s, %s)"] * len(changes))
    # A CTE names the VALUES' columns on SQLite (the embedded mode) too.
    sql = (
        f"WITH v(id, old, new) AS (VALUES {rows}) "
        f"UPDATE {table} SET {column} = v.new FROM v "
        f"WHERE {table}.{pk_column} = CAST(v.id AS BIGINT) AND {table}.{column} = v.old"
    )
    params = [value for change in changes for value in change]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount >= 0:
            return cursor.rowcount
        # Python's sqlite3 gives no row count for a statement that starts with WITH.
        cursor.execute("SELECT changes()")
        return cursor.fetchone()[0]
