"""Why a row was not imported, kept as a record and worded for whoever reads it.

An import runs in a worker, in its uploader's language, and is read by anyone: a
reason stored as text stayed in the uploader's language (or the worker's). So a
reason is stored as its problems, each a code (stable, for the API), the column it
is in, the msgid with its parameters and the value at fault, and is put into words
where it is shown: the import page, the admin, the API and the rejected rows' file.
Reports written before (a reason as text) are shown as they were written.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from django.utils.translation import gettext as _

from smsportal.lib.deferred import Deferred, deferred_text

# Of the value at fault, what a reason quotes.
QUOTED_MAX = 60


class Problem(Deferred, total=False):
    """One thing wrong in a row: `msg` and `args` say what, in English."""

    code: str  # stable: "phone_invalid", "duplicate", ... (the API's `codes`)
    column: str | int  # the column's header, or its number when it has none
    value: str  # the value at fault, cut to QUOTED_MAX characters


class RowReason(TypedDict, total=False):
    """Why a row was not imported (or what was cleaned out of it)."""

    problems: list[Problem]
    place: Deferred  # a row of a later sheet: its sheet and row there


def problem(
    code: str,
    msgid: str,
    *,
    column: str | int | None = None,
    value: str = "",
    **args: Any,
) -> Problem:
    """A problem record; `msgid` is marked with gettext_noop where it is written."""
    record: Problem = {"code": code, "msg": msgid}
    if args:
        record["args"] = args
    if column is not None:
        record["column"] = column
    if value:
        record["value"] = value[:QUOTED_MAX]
    return record


def reason_text(reason: RowReason | str | None) -> str:
    """The reason in the active language; text stored before records as it is."""
    if not reason:
        return ""
    if isinstance(reason, str):
        return reason
    text = "; ".join(problem_text(p) for p in reason.get("problems", ()))
    if place := reason.get("place"):
        return f"{deferred_text(place)}: {text}"
    return text


def problem_text(record: Problem) -> str:
    """ "column “Phone”: too few digits: “12345”" in the active language."""
    text = deferred_text(record)
    column = record.get("column")
    if column is not None:
        if isinstance(column, int):
            where = _("column %(number)s") % {"number": column}
        else:
            where = _("column “%(column)s”") % {"column": column}
        text = f"{where}: {text}"
    if value := record.get("value"):
        # The language's own quotes: «» in Russian.
        text += ": " + _("“%(value)s”") % {"value": value}
    return text


def reason_codes(reason: RowReason | str | None) -> list[str]:
    """The problems' codes ([] for a reason stored as text)."""
    if not reason or isinstance(reason, str):
        return []
    return [p.get("code", "") for p in reason.get("problems", ())]


def reason_cell(reason: RowReason) -> str:
    """The reason as the stored rejects file's Error cell holds it (JSON)."""
    return json.dumps(reason, ensure_ascii=False, separators=(",", ":"))


def cell_reason_text(cell: str) -> str:
    """An Error cell of a stored rejects file, in words; other text as it is."""
    # Reasons stored as text begin with words of ours, never with "{".
    if not cell.startswith("{"):
        return cell
    try:
        reason = json.loads(cell)
    except ValueError:
        return cell
    return reason_text(reason) if isinstance(reason, dict) else cell


def report_for_reader(report: dict, *, codes: bool = False) -> dict:
    """The stored report with its reasons in words (and their codes, for the API)."""
    shown = dict(report or {})
    for key in ("errors", "cleaned_examples"):
        items = shown.get(key)
        if not items:
            continue
        shown[key] = [_item_for_reader(item, codes=codes) for item in items]
    return shown


def _item_for_reader(item: Any, *, codes: bool) -> Any:
    if not isinstance(item, dict):
        return item
    reason = item.get("reason")
    shown = {**item, "reason": reason_text(reason)}
    if codes:
        shown["codes"] = reason_codes(reason)
    return shown
