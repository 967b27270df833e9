"""Search that reads «е» and «ё» as one letter, as Russian users type them.

Most people type «Елкин» for «Ёлкин» and some the other way round, so both the
searched text and the words typed are folded (ё -> е, Ё -> Е) before the usual
case-insensitive containment. The fold is two nested REPLACE() calls, which
PostgreSQL and SQLite both have.
"""

from django.db.models import Expression, F, Q, TextField, Value
from django.db.models.functions import Replace
from django.db.models.lookups import IContains

_YO = (("ё", "е"), ("Ё", "Е"))


def fold_yo(text: str) -> str:
    """`text` with every «ё» as «е» (and «Ё» as «Е»)."""
    for yo, ye in _YO:
        text = text.replace(yo, ye)
    return text


def yo_folded(expression: Expression | str) -> Expression:
    """The database's value of `expression` (a field name or an expression) with
    every «ё» as «е», for comparing with text passed through fold_yo()."""
    folded = F(expression) if isinstance(expression, str) else expression
    for yo, ye in _YO:
        folded = Replace(folded, Value(yo), Value(ye), output_field=TextField())
    return folded


def contains_text(expression: Expression | str, text: str) -> Q:
    """Rows whose `expression` holds `text`, ignoring case and е/ё."""
    return Q(IContains(yo_folded(expression), fold_yo(text)))
