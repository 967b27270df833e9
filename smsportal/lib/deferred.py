"""Text stored as what it says, put into words in the language of whoever reads it.

A worker writes what a person reads later (an import's reasons, a greeting's error),
and the worker's language is neither the reader's nor, for the next reader, the
writer's. So what is stored is a record: the English msgid (marked with gettext_noop
where it is written, so the catalogue has it) and its parameters, which may be
records themselves. deferred_text() translates it when it is shown. Text stored
before records were (a plain string) is shown as it was written.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _


class Deferred(TypedDict, total=False):
    """A JSON-storable text: `msg` with `args`, or `texts` already in each language."""

    msg: str  # an English msgid
    args: dict[str, Any]  # its %-parameters: str and int as they are, or records
    # The words in each language of settings.LANGUAGES, for a text made by code that
    # words it as it goes (campaigns.greetings): language code -> text.
    texts: dict[str, str]


def deferred(msgid: str, /, **args: Any) -> Deferred:
    """A record of `msgid` (already marked with gettext_noop) and its parameters."""
    return {"msg": msgid, "args": args} if args else {"msg": msgid}


def deferred_text(record: Deferred | str | None) -> str:
    """The record in the active language; a plain string as it is."""
    if not record:
        return ""
    if isinstance(record, str):
        return record
    if "texts" in record:
        return _in_language(record["texts"])
    text = _(record.get("msg", ""))
    args = record.get("args")
    if not args:  # a msgid without parameters may hold a bare "%"
        return text
    return text % {
        name: deferred_text(value) if isinstance(value, dict) else value
        for name, value in args.items()
    }


def _in_language(texts: dict[str, str]) -> str:
    """The reader's language, else the site's, else any there is."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for code in (language, settings.LANGUAGE_CODE):
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")
