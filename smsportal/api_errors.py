"""The API's 422 in the reader's language: what each schema problem means, by field.

Ninja answers a body or query that does not match the schema with pydantic's list of
problems, in English whatever the request's language. The list stays as it is (its
`type`, `loc`, `msg` and `ctx` are for programs); each entry gains `message`, the
problem in words with the field it is about, and the answer a top-level `message`
joining them, as the API's 400s carry `detail` in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _


def _texts() -> Mapping[str, str]:
    # Looked up per request: the language is the request's.
    return {
        "missing": _("required"),
        "string_type": _("must be text"),
        "string_too_long": _("at most %(max_length)s characters"),
        "string_too_short": _("at least %(min_length)s characters"),
        "int_parsing": _("must be a whole number"),
        "int_type": _("must be a whole number"),
        "int_from_float": _("must be a whole number"),
        "float_parsing": _("must be a number"),
        "float_type": _("must be a number"),
        "decimal_parsing": _("must be a number"),
        "decimal_type": _("must be a number"),
        "bool_parsing": _("must be true or false"),
        "bool_type": _("must be true or false"),
        "date_parsing": _("must be a date, YYYY-MM-DD"),
        "date_from_datetime_parsing": _("must be a date, YYYY-MM-DD"),
        "date_type": _("must be a date, YYYY-MM-DD"),
        "date_from_datetime_inexact": _("must be a date, YYYY-MM-DD"),
        "datetime_parsing": _(
            "must be a date and time, such as 2026-12-31T09:00+03:00"
        ),
        "datetime_from_date_parsing": _(
            "must be a date and time, such as 2026-12-31T09:00+03:00"
        ),
        "datetime_type": _("must be a date and time, such as 2026-12-31T09:00+03:00"),
        "time_parsing": _("must be a time, HH:MM"),
        "enum": _("must be one of: %(expected)s"),
        "literal_error": _("must be one of: %(expected)s"),
        "greater_than": _("must be more than %(gt)s"),
        "greater_than_equal": _("must be at least %(ge)s"),
        "less_than": _("must be less than %(lt)s"),
        "less_than_equal": _("must be at most %(le)s"),
        "list_type": _("must be a list"),
        "dict_type": _("must be an object"),
        "model_type": _("must be an object"),
        "model_attributes_type": _("must be an object"),
        "json_invalid": _("the body is not valid JSON"),
        "extra_forbidden": _("no such field"),
        "too_long": _("at most %(max_length)s items"),
        "nul_character": _("must not contain NUL characters"),
    }


# The first part of a 422's `loc`: where ninja read the value. Only the first: a
# multipart file's is ("file", "file"), the second the parameter's name.
SOURCES = frozenset({"body", "query", "path", "form", "file", "header", "cookie"})


def _where(loc: Any) -> str:
    """ "body.contact.phone" -> "phone", "form.groups.0" -> "groups.0": the field a
    person reads the problem of, without where ninja read it from."""
    parts = [str(p) for p in loc or ()]
    source = parts.pop(0) if parts and parts[0] in SOURCES else ""
    parts = [p for p in parts if not p.startswith("payload")]
    if source == "form":
        # A form field given more than once: its place among them tells nothing.
        parts = [p for p in parts if not p.isdigit()]
    return ".".join(parts)


def _in_words(error: Mapping[str, Any], texts: Mapping[str, str]) -> str:
    # A problem without words of its own here still speaks the reader's language.
    fallback = _("is not a valid value")
    text = texts.get(str(error.get("type", "")), fallback)
    context = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if "expected" in context:  # pydantic's "'a', 'b' or 'c'": English "or"
        context["expected"] = context["expected"].replace("' or '", "', '")
    try:
        return text % context
    except (KeyError, TypeError, ValueError):
        return fallback


def explained(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422's body: pydantic's entries, each with its `message` in words."""
    texts = _texts()
    entries, messages = [], []
    for error in errors:
        text = _in_words(error, texts)
        where = _where(error.get("loc"))
        message = f"{where}: {text}" if where else text
        entries.append({**error, "message": message})
        messages.append(message)
    return {"detail": entries, "message": "; ".join(messages)}
