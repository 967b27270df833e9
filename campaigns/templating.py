"""Message templates with `{placeholder}` fields, rendered in Python or in SQL.

`{first_name}`, `{last_name}`, `{middle_name}`, `{nickname}`, `{phone}`, `{email}` and
the keys of custom fields; `{{` and `}}` stand for literal braces. A recipient without a
value gets an empty string, so a pasted number without a contact still gets the text,
or the placeholder's fallback: `{first_name|Клиент}` gives «Клиент» where the first
name is empty. The bar cannot clash with texts saved before it: `{first_name|...}`
was an unknown placeholder, refused, and `{{...|...}}` stays literal text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.sqlsegments import Piece
from smsportal.exceptions import ApplicationError

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "middle_name",
    "nickname",
    "phone",
    "email",
)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


FALLBACK_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    custom: bool
    fallback: str = ""  # what a recipient without a value gets instead of ""
    kind: str = "text"  # a custom field's: "number" and "date" are written Russian
    # `{first_name|}`: empty is what the writer chose; no warning of a gap.
    empty_chosen: bool = False


# Assumption: recipients read Russian conventions, as the contact pages show values:
# a date 20.12.2026 (stored 2026-12-20), a number with a decimal comma, its digits as
# written (150,50; no thousands separator, whose space is not in GSM-7).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # as the SQL's, ASCII digits only


Part = str | Field


def parse_template(
    text: str, *, custom_fields: Iterable[str] | Mapping[str, str] = ()
) -> list[Part]:
    """Split a template into literal strings and fields; raise on unknown names.
    `custom_fields`: their keys, or their kinds by key (how a value is written)."""
    parts, problems = _scan(text, custom_fields)
    if problems:
        raise problems[0]
    return _merge_literals(parts)


def template_problems(text: str, *, custom_fields: Iterable[str] = ()) -> list[str]:
    """Every unknown placeholder and stray brace in `text`, in order: a form says them
    all at once, not one per save."""
    return [problem.message for problem in _scan(text, custom_fields)[1]]


def placeholder_names(text: str) -> set[str]:
    """The names the text's placeholders give, known or not."""
    return {
        _split_token(match.group(1))[0]
        for match in _TOKEN.finditer(text)
        if match.group(1) is not None
    }


def _split_token(inside: str) -> tuple[str, str]:
    """A placeholder's name and fallback: "first_name|Клиент" -> both, trimmed."""
    name, _bar, fallback = inside.partition(FALLBACK_SEPARATOR)
    return name.strip(), fallback.strip()


def _empty_chosen(inside: str, fallback: str) -> bool:
    """ "first_name|": a bar with nothing after it, an empty value chosen."""
    return FALLBACK_SEPARATOR in inside and not fallback


def _scan(
    text: str, custom_fields: Iterable[str] | Mapping[str, str]
) -> tuple[list[Part], list[ApplicationError]]:
    kinds = (
        dict(custom_fields)
        if isinstance(custom_fields, Mapping)
        else dict.fromkeys(custom_fields, "text")
    )
    parts: list[Part] = []
    problems: list[ApplicationError] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[position : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif match.group(1) is None:
            problems.append(
                ApplicationError(
                    _(
                        "Unmatched brace at character %(pos)d. To send a brace as "
                        "text, double it: {{ or }}."
                    )
                    % {"pos": match.start() + 1},
                    where="text",
                )
            )
        else:
            name, fallback = _split_token(match.group(1))
            chosen = _empty_chosen(match.group(1), fallback)
            if name in CONTACT_FIELDS:
                parts.append(
                    Field(name, custom=False, fallback=fallback, empty_chosen=chosen)
                )
            elif name in kinds:
                parts.append(
                    Field(name, custom=True, fallback=fallback, kind=kinds[name],
                          empty_chosen=chosen)
                )  # fmt: skip
            else:
                problems.append(
                    ApplicationError(
                        _(
                            "Unknown placeholder {%(name)s}. To send braces as text, "
                            "double them: {{%(name)s}}."
                        )
                        % {"name": name},
                        where="text",
                        extra={"placeholder": name},
                    )
                )
        position = match.end()
    parts.append(text[position:])
    return parts, problems


def _merge_literals(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


def has_fields(parts: list[Part]) -> bool:
    return any(isinstance(part, Field) for part in parts)


def empty_fields(parts: list[Part], values: Mapping[str, object]) -> list[str]:
    """The template's placeholders `values` has nothing for, once each, in order:
    rendered, they would leave a gap ("Hello, !"). One with a fallback leaves none,
    and one written `{first_name|}` leaves the gap its writer chose."""
    names = dict.fromkeys(
        part.name
        for part in parts
        if isinstance(part, Field) and not part.fallback and not part.empty_chosen
    )
    return [name for name in names if values.get(name) in (None, "")]


def render(
    parts: list[Part], values: Mapping[str, object], *, fallbacks: bool = True
) -> str:
    """The text for one recipient; `values` holds contact fields and custom keys.
    An empty value gives the placeholder's fallback (none with `fallbacks=False`)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            value = values.get(part.name)
            value = "" if value is None else written(str(value), part.kind)
            out.append(value or (part.fallback if fallbacks else ""))
    return "".join(out)


def written(value: str, kind: str) -> str:
    """A custom field's value as a message writes it (see _ISO_DATE); the SQL
    expansion writes the same (_written_sql)."""
    if kind == "number":
        return value.replace(".", ",")
    if kind == "date" and _ISO_DATE.fullmatch(value):
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return value


def _written_sql(sql: str, kind: str) -> str:
    if kind == "number":
        return f"replace({sql}, '.', ',')"
    if kind == "date":
        return (
            f"CASE WHEN {sql} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN "
            f"substr({sql}, 9, 2) || '.' || substr({sql}, 6, 2) || '.' || "
            f"substr({sql}, 1, 4) ELSE {sql} END"
        )
    return sql


def render_sql(parts: list[Part], *, alias: str) -> tuple[str, list[object]]:
    """A PostgreSQL expression rendering the template for rows of `alias` (contacts)."""
    pieces = sql_pieces(parts, alias=alias)
    if not pieces:
        return "''", []
    params: list[object] = []
    for piece in pieces:
        params += [piece.literal] if not piece.sql else list(piece.params)
    sql = " || ".join("%s::text" if not p.sql else p.sql for p in pieces)
    return f"({sql})", params


def sql_pieces(parts: list[Part], *, alias: str) -> list[Piece]:
    """The template's literals and its placeholders' SQL expressions, in order."""
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(Piece(literal=part))
        elif part.custom:
            value = _written_sql(f"({alias}.attributes ->> %s)", part.kind)
            params = (part.name,) * value.count("%s")
            pieces.append(_with_fallback(value, params, part))
        else:
            pieces.append(_with_fallback(f"{alias}.{part.name}", (), part))
    return pieces


def _with_fallback(sql: str, params: tuple, part: Field) -> Piece:
    """The value's expression: "" or the fallback where it is NULL or empty, as
    render() gives it."""
    if not part.fallback:
        return Piece(sql=f"coalesce({sql}, '')", params=params)
    return Piece(
        sql=f"coalesce(nullif({sql}, ''), %s::text)", params=(*params, part.fallback)
    )
