"""Turn one record's cells into a staged row, or a reason naming the column.

This runs a million times per big import, so the parser is prepared once per file
(which column feeds which field, how to convert it) and the per-row work is a handful of
string operations. A staged row is a list of strings in staging column order as
PostgreSQL's COPY text format wants them (\\N for NULL, backslashes doubled): text
fields "" when empty, dates ISO, booleans "t"/"f", custom fields as JSON text.
"""

import contextlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from contacts.importing.fields import ATTR_PREFIX
from contacts.importing.groups import JOINED, split_group_cell
from contacts.importing.groups import NAME_MAX as GROUP_NAME_MAX
from contacts.importing.reasons import Problem, RowReason, problem
from contacts.importing.workbook import UNCOMPUTED
from contacts.models import EARLIEST_DAY, CustomField
from contacts.names import full_name_split
from contacts.phone import InvalidPhone, phone_fields_fast
from contacts.timezones import UnknownTimeZone, parse_time_zone
from smsportal.lib.decimals import parse_decimal
from smsportal.lib.deferred import deferred
from smsportal.lib.textcheck import (
    UNSENDABLE,
    first_unsendable,
    remove_invisible,
    remove_unsendable,
)
from smsportal.textguard import describe_msgid

NAME_MAX = 100
TEXT_MAX = 1000
EMAIL_MAX = 254
# A CSV export prefixes these with an apostrophe against formula injection (and so
# did earlier workbook exports); import takes it off.
FORMULA_STARTS = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Assumption: a time after the date ("01.02.1990 0:00:00" from 1C, a date-time cell of
# Excel) is what programs add to a date; the date is kept and the time dropped.
_TIME = r"(?:[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?)?"
_DATE_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})" + _TIME)
_DATE_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_DATE_DMY_SHORT = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2})" + _TIME)
# "15 марта 1990", "15 мар. 1990 г.", "1 сент 85".
_DATE_WORDS = re.compile(
    r"(\d{1,2})\s+([а-яё]{3,8})\.?\s+(\d{4}|\d{2})(?:\s*г\.?)?" + _TIME, re.I
)
_RU_MONTHS = (
    ("января", "январь"), ("февраля", "февраль"), ("марта", "март"),
    ("апреля", "апрель"), ("мая", "май"), ("июня", "июнь"), ("июля", "июль"),
    ("августа", "август"), ("сентября", "сентябрь"), ("октября", "октябрь"),
    ("ноября", "ноябрь"), ("декабря", "декабрь"),
)  # fmt: skip
# ASCII digits only: "١٢" is a number to Decimal but not to JSON, where it goes as is.
_SIMPLE_NUMBER = re.compile(r"-?\d{1,15}(?:[.,]\d{1,10})?", re.ASCII)
# Far beyond any real value, and within what a jsonb number can hold.
MAX_EXPONENT = 1000
_LEADING_ZERO = re.compile(r"-?0\d")
# A number written as a fraction or in exponent form: what spreadsheets and programs
# make of a phone stored as a number.
_FLOAT_FORM = re.compile(r"\d+(?:[.,]\d+(?:[eE]\+?\d\d?)?|[eE]\+?\d\d?)", re.ASCII)
NULL = "\\N"  # COPY's text format for NULL
_MOBILE_TEXT = {True: "t", False: "f", None: NULL}
MEMO_SIZE = 50_000
CLEANED_EXAMPLES = 50  # rows named in the report; the count covers them all

# Staging columns of a contact row, in order. `attributes` is the custom field values
# as JSON text (numbers as numbers), built here because PostgreSQL's jsonb_build_object
# costs the server several times what it costs Python.
CONTACT_COLUMNS = (
    "row_no", "phone", "is_mobile", "time_zone", "last_name", "first_name",
    "middle_name", "nickname", "birthday", "email", "attributes",
)  # fmt: skip
NAME_FIELDS = ("last_name", "first_name", "middle_name", "nickname")
# A stop-list row is (row_no, phone, reason).


class RowRejected(Exception):
    """The row is not imported; `problems` say why (contacts.importing.reasons)."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(*problems)
        self.problems = list(problems)

    @property
    def reason(self) -> RowReason:
        return {"problems": self.problems}


@dataclass(frozen=True)
class Column:
    index: int
    label: str


def clean_cell(value: str) -> str:
    """Trim, undo the export's formula guard, fold newlines and tabs into spaces."""
    value = value.strip()
    if value.startswith(FORMULA_STARTS):
        value = value[1:]
    if "\n" in value or "\r" in value or "\t" in value or "  " in value:
        value = " ".join(value.split())
    return value


class NoSuchDate(ValueError):
    """Written as a date, but the calendar has no such day (31.02.1990)."""


def parse_date(value: str, *, past: bool = False) -> date:
    """DD.MM.YYYY (also with / or -) or YYYY-MM-DD, either perhaps with a time of day
    after it; also DD.MM.YY and a Russian month's name, "15 марта 1990", "15 мар
    1990". `past`: the date cannot be later than today (a birthday), which settles
    a two-digit year's century. NoSuchDate for such a form naming no day,
    ValueError for another."""
    if len(value) == 10 and value[2] == "." and value[5] == ".":
        day, month, year = value[:2], value[3:5], value[6:]
        if day.isdigit() and month.isdigit() and year.isdigit():
            return _calendar_date(year, month, day)
    match = _DATE_DMY.fullmatch(value)
    if match:
        day, month, year = match.groups()
        return _calendar_date(year, month, day)
    match = _DATE_YMD.fullmatch(value)
    if match:
        year, month, day = match.groups()
        return _calendar_date(year, month, day)
    match = _DATE_DMY_SHORT.fullmatch(value)
    if match:
        day, month, year = match.groups()
        return _calendar_date(_full_year(year, past=past), month, day)
    match = _DATE_WORDS.fullmatch(value)
    if match:
        day, name, year = match.groups()
        month = _month_number(name)
        if month is not None:
            if len(year) == 2:
                year = _full_year(year, past=past)
            return _calendar_date(year, str(month), day)
    raise ValueError(value)


def _full_year(year: str, *, past: bool) -> str:
    """The four-digit year of a two-digit one."""
    # Assumption: a birthday (`past`) is never after this year: "85" is 1985, "05"
    # 2005, and "30" 1930 until 2030. Another date (a visit, a contract) is taken in
    # the century that puts it nearest to today: within 50 years either way.
    this_year = timezone.localdate().year
    two = int(year)
    full = this_year - this_year % 100 + two
    if past:
        return str(full if full <= this_year else full - 100)
    if full > this_year + 50:
        full -= 100
    elif full <= this_year - 50:
        full += 100
    return str(full)


def _month_number(name: str) -> int | None:
    """1..12 for a Russian month's name, in the genitive ("марта"), the nominative
    ("март") or cut short ("мар", "сент"); None for another word."""
    name = name.lower().replace("ё", "е")
    for number, forms in enumerate(_RU_MONTHS, start=1):
        if len(name) >= 3 and any(form.startswith(name) for form in forms):
            return number
    return None


def _calendar_date(year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise NoSuchDate(f"{day}.{month}.{year}") from None


def number_text(value: str) -> str:
    """A number as JSON writes it: "1 234,50" -> "1234.50", "007" -> "7"."""
    if _SIMPLE_NUMBER.fullmatch(value) and not _LEADING_ZERO.match(value):
        return value.replace(",", ".")
    number = parse_decimal(value)
    if abs(number.adjusted()) > MAX_EXPONENT:
        raise ValueError(value)
    return str(number)


def json_string(value: str) -> str:
    """The text as a JSON string literal."""
    if '"' in value or "\\" in value or not value.isprintable():
        return json.dumps(value, ensure_ascii=False)
    return '"' + value + '"'


def _json_string_of(convert: Callable[[str], str]) -> Callable[[str], str]:
    def as_json(value: str) -> str:
        return json_string(convert(value))

    return as_json


def _memoized(convert: Callable[[str], str]) -> Callable[[str], str]:
    """convert() remembering its answers: files repeat cities, dates, statuses."""
    seen: dict[str, str] = {}

    def remembered(value: str) -> str:
        answer = seen.get(value)
        if answer is None:
            answer = convert(value)
            if len(seen) < MEMO_SIZE:
                seen[value] = answer
        return answer

    return remembered


def _visible(clean: Callable[[str], str]) -> Callable[[str], str]:
    """`clean`, then without invisible formatting characters (textcheck.INVISIBLE)."""

    def visible(value: str) -> str:
        return remove_invisible(clean(value)).strip()

    return visible


class RowParser:
    """Cells of one record -> staged row; RowRejected with the reason otherwise."""

    def __init__(
        self,
        *,
        kind: str,
        mapping: Sequence[str],
        headers: Sequence[str] | None,
        custom_fields: Sequence[CustomField],
        region: str,
        group_names: Mapping[str, str] | None = None,
        cells_may_shift: bool = True,
    ) -> None:
        self.kind = kind
        self.region = region
        self.width = len(mapping)
        # A CSV row with more cells than the header most often holds a delimiter
        # without quotes, its values shifted: refused. A workbook's cells cannot
        # shift: a value past the header (a note beside the row) is a column without
        # a name, left out as any column not imported.
        self.cells_may_shift = cells_may_shift
        self.columns = [Column(i, self._label(i, headers)) for i in range(self.width)]
        self.by_field = {f: self.columns[i] for i, f in enumerate(mapping) if f}
        self.phone = self.by_field["phone"]
        self.mapped = list(self.by_field.values())
        kinds = {f.key: str(f.kind) for f in custom_fields}
        self.attributes = [
            (f[len(ATTR_PREFIX) :], kinds[f[len(ATTR_PREFIX) :]], column)
            for f, column in self.by_field.items()
            if f.startswith(ATTR_PREFIX) and f[len(ATTR_PREFIX) :] in kinds
        ]
        self.staged_fields = {
            f for f in self.by_field if not f.startswith(ATTR_PREFIX) and f != "groups"
        }
        # The "Groups" column, if mapped: names of groups each row's contact joins.
        self.groups = self.by_field.get("groups") if kind == "contacts" else None
        self._group_names = group_names or {}
        self._group_cells: dict[str, str | RowRejected] = {}
        if "full_name" in self.staged_fields:
            self.staged_fields |= {"last_name", "first_name", "middle_name"}
        self._name_columns = [self.by_field.get(name) for name in NAME_FIELDS]
        self._full_name = self.by_field.get("full_name")
        # A zone the file states wins over the numbering plan's (none for mobiles).
        self._time_zone = self.by_field.get("time_zone") if kind == "contacts" else None
        self._zones: dict[str, str | RowRejected] = {}
        self._converters = self._prepare()
        self._attribute_converters = self._prepare_attributes()
        # Records the runner builds once per file (reasons for duplicates and the like).
        self.memo: dict[tuple[str, ...], Any] = {}
        # Rows whose values lost characters no gateway can carry, and the first few
        # of them as {"row", "reason"} for the report.
        self.cleaned = 0
        self.cleaned_examples: list[dict] = []

    @staticmethod
    def _label(index: int, headers: Sequence[str] | None) -> str:
        """The column's header; blank when it has none (reason() then numbers it)."""
        return (headers[index] if headers and index < len(headers) else "").strip()

    def reason(
        self, column: Column, code: str, msgid: str, value: str = "", **args: Any
    ) -> Problem:
        """The problem in `column`: `msgid` (gettext_noop) with its parameters, put
        into words when it is read (contacts.importing.reasons)."""
        where = column.label or column.index + 1
        return problem(code, msgid, column=where, value=value, **args)

    def _prepare(self) -> list[tuple[int | None, Callable[[str], str] | None, str]]:
        """(cell index, converter, value when empty) for every staged value after the
        names. A field the file does not fill has no index: it gets the empty value."""
        if self.kind == "stoplist":
            column = self.by_field.get("reason")
            if column is None:
                return [(None, None, NULL)]
            return [(column.index, self._text(column, 255, cut=True), NULL)]
        converters: list[tuple[int | None, Callable[[str], str] | None, str]] = []
        for name, make, empty in (
            ("birthday", self._birthday, NULL),
            ("email", self._email, ""),
        ):
            column = self.by_field.get(name)
            converters.append(
                (None, None, empty)
                if column is None
                else (column.index, make(column), empty)
            )
        return converters

    def _prepare_attributes(
        self,
    ) -> list[tuple[int, str, Callable[[str], str], dict | None]]:
        """(cell index, JSON key and colon, converter to a JSON value, memo or None)
        per custom field. Texts and dates repeat (cities, visit days): their JSON is
        remembered; numbers rarely do."""
        prepared = []
        for key, kind, column in self.attributes:
            prefix = json.dumps(key) + ": "
            if kind == "number":
                prepared.append((column.index, prefix, self._number(column), None))
                continue
            convert = (
                self._date(column) if kind == "date" else self._text(column, TEXT_MAX)
            )
            prepared.append((column.index, prefix, _json_string_of(convert), {}))
        return prepared

    def parse(self, row_no: int, cells: list[str]) -> tuple[str, list[str]]:
        """(E.164 phone, staged values in staging column order, ready for COPY)."""
        cells, phone = self.parse_phone(cells)
        return phone[0], self.parse_rest(row_no, cells, phone)

    def parse_phone(self, cells: list[str]) -> tuple[list[str], list[str]]:
        """The first step: (cells fitted to the header, staged phone values).

        The runner can stop here for a number already in the book that the import
        leaves alone: the rest of such a row is never used, so it is not checked.
        """
        width = self.width
        if len(cells) != width:
            if (
                self.cells_may_shift
                and len(cells) > width
                and any(c.strip() for c in cells[width:])
            ):
                raise RowRejected(
                    problem(
                        "cell_count",
                        gettext_noop(
                            "the row has %(cells)s cells but the header has "
                            "%(columns)s; check the delimiter and the quotes"
                        ),
                        cells=len(cells),
                        columns=width,
                    )
                )
            cells = (cells + [""] * width)[:width]
        raw = cells[self.phone.index]
        if "\ufffd" in raw or "\x00" in raw:
            self._reject_garbled(cells)
        return cells, self._phone(raw)

    def parse_rest(self, row_no: int, cells: list[str], phone: list[str]) -> list[str]:
        """The second step: all staged values of the row; RowRejected naming every
        column at fault, not only the first."""
        try:
            values, cleaned = self._staged(row_no, cells, phone)
        except RowRejected as exc:
            raise RowRejected(*self._every_problem(row_no, cells, phone, exc)) from None
        if cleaned is not None:  # noted once the row is known to be good
            self.cleaned += 1
            if len(self.cleaned_examples) < CLEANED_EXAMPLES:
                self.cleaned_examples.append({"row": row_no, "reason": cleaned})
        return values

    def _every_problem(
        self, row_no: int, cells: list[str], phone: list[str], first: RowRejected
    ) -> list[Problem]:
        """The reasons of every column at fault, in the file's order: the row's first
        problem alone sent the user back to the file once for each. Each column is
        checked on its own (the others blank); only a rejected row pays for it."""
        problems: list[Problem] = []
        for column in self.columns:
            if column is self.phone or not cells[column.index].strip():
                continue
            alone = [""] * len(cells)
            alone[column.index] = cells[column.index]
            try:
                self._staged(row_no, alone, phone)
                if column is self.groups:
                    self.parse_groups(alone)
            except RowRejected as exc:
                problems += [p for p in exc.problems if p not in problems]
        # A problem of no one column comes first.
        problems[:0] = [p for p in first.problems if p not in problems]
        return problems

    def _staged(
        self, row_no: int, cells: list[str], phone: list[str]
    ) -> tuple[list[str], RowReason | None]:
        """The row's staged values and what was cleaned out of it (None: nothing)."""
        joined = "".join(cells)
        if "\ufffd" in joined or "\x00" in joined:
            self._reject_garbled(cells)
        cleaned = None
        # isprintable() is one fast pass; only rows it flags (tabs, no-break spaces,
        # controls) pay for the regex search.
        printable = joined.isprintable()
        if not printable and UNSENDABLE.search(joined):
            cells, cleaned = self._without_unsendable(cells)
            joined = "".join(cells)
        # Rows without these characters need only strip(): the common, fast case.
        messy = (
            "'" in joined or "\n" in joined or "\r" in joined or "\t" in joined
            or "  " in joined
        )  # fmt: skip
        clean = clean_cell if messy else str.strip
        values = [str(row_no), *phone]
        if self._time_zone is not None:
            stated = clean(cells[self._time_zone.index])
            if stated:
                values[3] = self._zone(stated)
        if self.kind == "contacts":
            # Only a row with something unprintable can hold invisible characters.
            values += self._names(cells, clean if printable else _visible(clean))
        for index, convert, empty in self._converters:
            if index is None:
                values.append(empty)
                continue
            value = clean(cells[index])
            values.append(convert(value) if value else empty)
        escape = "\\" in joined
        if self.kind == "contacts":
            attributes = self._attributes_json(cells, clean)
            values.append(attributes)
            escape = escape or "\\" in attributes
        if escape:
            values = [v if v == NULL else v.replace("\\", "\\\\") for v in values]
        return values, cleaned

    def parse_groups(self, cells: list[str]) -> str:
        """The row's group names joined by groups.JOINED ("" for none); a file repeats
        a few cells, each parsed once."""
        column = self.groups
        assert column is not None  # noqa: S101 - only called when mapped
        raw = cells[column.index]
        known = self._group_cells.get(raw)
        if known is None:
            try:
                known = JOINED.join(self._group_list(column, raw))
            except RowRejected as exc:
                known = exc
            if len(self._group_cells) < MEMO_SIZE:
                self._group_cells[raw] = known
        if isinstance(known, RowRejected):
            raise known
        return known

    def _group_list(self, column: Column, raw: str) -> list[str]:
        value = remove_invisible(remove_unsendable(clean_cell(raw)))
        if "\ufffd" in value or "\x00" in value:
            self._reject_garbled([raw if c is column else "" for c in self.columns])
        names = split_group_cell(value, self._group_names)
        for name in names:
            if len(name) > GROUP_NAME_MAX:
                raise RowRejected(
                    self.reason(
                        column,
                        "group_name_too_long",
                        gettext_noop("a group name longer than %(max)s characters"),
                        name,
                        max=GROUP_NAME_MAX,
                    )
                )
        return names

    def _zone(self, value: str) -> str:
        """The IANA name of a stated zone; a file repeats a few, each parsed once."""
        known = self._zones.get(value)
        if known is None:
            try:
                known = parse_time_zone(value)
            except UnknownTimeZone as exc:
                column = self._time_zone
                assert column is not None  # noqa: S101 - only called when mapped
                known = RowRejected(
                    self.reason(column, "time_zone_invalid", exc.msgid, value)
                )
            if len(self._zones) < MEMO_SIZE:
                self._zones[value] = known
        if isinstance(known, RowRejected):
            raise known
        return known

    def _without_unsendable(
        self, cells: list[str]
    ) -> tuple[list[str], RowReason | None]:
        """The cells without characters no gateway can carry, and what was removed
        first (None when only ignored columns had any: those are never used)."""
        # Assumption: such characters in a contacts file are debris (exports of old
        # databases, text pasted from terminals or PDFs). Nobody can see them, so the
        # user expects them gone (as Excel's CLEAN() does), not a million-row file's
        # rows refused; the report counts the rows and names the first ones.
        # Separators (vertical tab, form feed, U+001C..U+001F) become a space so the
        # words they kept apart stay apart. NUL still rejects the row: it means the
        # file was read in the wrong encoding (see _reject_garbled).
        cells = list(cells)
        note = None
        for column in self.mapped:
            value = cells[column.index]
            bad = first_unsendable(value)
            if bad is None:
                continue
            if note is None:
                removed = self.reason(
                    column,
                    "unsendable_removed",
                    gettext_noop("removed %(what)s at character %(position)d"),
                    what=deferred(describe_msgid(bad), code=bad.code),
                    position=bad.position,
                )
                note = {"problems": [removed]}
            cells[column.index] = remove_unsendable(value)
        return cells, note

    def _attributes_json(self, cells: list[str], clean: Callable[[str], str]) -> str:
        parts = []
        for index, prefix, convert, memo in self._attribute_converters:
            value = clean(cells[index])
            if not value:
                continue
            if memo is None:
                parts.append(prefix + convert(value))
                continue
            member = memo.get(value)
            if member is None:
                member = prefix + convert(value)
                if len(memo) < MEMO_SIZE:
                    memo[value] = member
            parts.append(member)
        return "{" + ", ".join(parts) + "}"

    def _phone(self, raw: str) -> list:
        value = raw.strip()
        if value.startswith("'"):
            value = value[1:]
        if not value:
            raise RowRejected(
                self.reason(
                    self.phone, "phone_empty", gettext_noop("the phone number is empty")
                )
            )
        try:
            e164, is_mobile, time_zone = phone_fields_fast(value, region=self.region)
        except InvalidPhone as exc:
            # Checked only here, so good numbers pay nothing: a stray control
            # character does not make a number invalid (parse_rest notes its removal).
            whole = self._whole_number(value)
            if whole is not None:
                # Not a number either way: the reason quotes the cell as written.
                with contextlib.suppress(RowRejected):
                    return self._phone(whole)
            cleaned = remove_unsendable(value).strip()
            if cleaned == value:
                raise RowRejected(
                    self.reason(self.phone, "phone_invalid", exc.msgid, value)
                ) from None
            return self._phone(cleaned)
        if self.kind == "stoplist":
            return [e164]
        return [e164, _MOBILE_TEXT[is_mobile], time_zone]

    def _whole_number(self, value: str) -> str | None:
        """The digits of a number a spreadsheet or a program wrote as a fraction or in
        exponent form ("79161234567.0", "7,9161234567E+10"); None for other text.

        RowRejected when the exponent form may have dropped digits: Excel writes a long
        number in a narrow General column as "7,91612E+10", the last digits gone for
        good. Zeros the form leaves out are never guessed: a wrong number is worse
        than a rejected row.
        """
        if not _FLOAT_FORM.fullmatch(value):
            return None
        number = Decimal(value.replace(",", "."))
        if number != number.to_integral_value():
            return None
        if number.as_tuple().exponent > 0:
            msgid = gettext_noop(
                "the number is in exponent form and may have lost its last digits; "
                "format the column as Text or as a Number without decimals and save "
                "the file again"
            )
            raise RowRejected(self.reason(self.phone, "phone_exponent", msgid, value))
        return str(int(number))

    def _names(self, cells: list[str], clean: Callable[[str], str]) -> list[str]:
        names: list[str] = []
        for column in self._name_columns:
            if column is None:
                names.append("")
                continue
            value = clean(cells[column.index])
            if len(value) > NAME_MAX:
                raise RowRejected(self._too_long(column, NAME_MAX))
            names.append(value)
        full = self._full_name
        if full is not None:
            # In NAME_FIELDS' order: last, first, middle, nickname.
            parts = full_name_split(clean(cells[full.index]))
            if any(len(part) > NAME_MAX for part in parts):
                raise RowRejected(self._too_long(full, NAME_MAX))
            for position, part in enumerate(parts):
                if not names[position]:
                    names[position] = part
        return names

    def _too_long(self, column: Column, limit: int) -> Problem:
        msgid = gettext_noop("longer than %(max)s characters")
        return self.reason(column, "too_long", msgid, max=limit)

    def _date(self, column: Column, *, past: bool = False) -> Callable[[str], str]:
        def convert(value: str) -> str:
            try:
                return parse_date(value, past=past).isoformat()
            except NoSuchDate:
                # Written right, so "write DD.MM.YYYY" would not help: say why.
                msgid = gettext_noop("no such date in the calendar")
                raise RowRejected(
                    self.reason(column, "date_not_in_calendar", msgid, value)
                ) from None
            except ValueError:
                msgid = gettext_noop("not a date (write DD.MM.YYYY or YYYY-MM-DD)")
                raise RowRejected(
                    self.reason(column, "date_invalid", msgid, value)
                ) from None

        return _memoized(convert)

    def _birthday(self, column: Column) -> Callable[[str], str]:
        as_date = self._date(column, past=True)
        today = timezone.localdate().isoformat()
        earliest = EARLIEST_DAY.isoformat()
        earliest_text = date_format(EARLIEST_DAY, "SHORT_DATE_FORMAT")

        def convert(value: str) -> str:
            iso = as_date(value)
            if iso > today:  # ISO dates order as text
                msgid = gettext_noop("in the future")
                raise RowRejected(self.reason(column, "date_future", msgid, value))
            if iso < earliest:  # as the contact page and the API refuse it
                msgid = gettext_noop("earlier than %(date)s")
                raise RowRejected(
                    self.reason(
                        column, "date_too_early", msgid, value, date=earliest_text
                    )
                )
            return iso

        return convert

    def _email(self, column: Column) -> Callable[[str], str]:
        def convert(value: str) -> str:
            if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
                msgid = gettext_noop("not an email address")
                raise RowRejected(self.reason(column, "email_invalid", msgid, value))
            return value

        return convert

    def _number(self, column: Column) -> Callable[[str], str]:
        def convert(value: str) -> str:
            try:
                return number_text(value)
            except ValueError:
                msgid = gettext_noop("not a number")
                raise RowRejected(
                    self.reason(column, "number_invalid", msgid, value)
                ) from None

        return convert

    def _text(
        self, column: Column, limit: int, *, cut: bool = False
    ) -> Callable[[str], str]:
        def convert(value: str) -> str:
            value = remove_invisible(value)
            if len(value) > limit:
                if cut:
                    return value[:limit]
                raise RowRejected(self._too_long(column, limit))
            return value

        return convert

    def _reject_garbled(self, cells: list[str]) -> None:
        """Refuse a row with a NUL or U+FFFD in an imported column (the file read in
        the wrong encoding), or a workbook's formula without a value (workbook.py)."""
        for column in self.mapped:
            value = cells[column.index]
            if value.startswith(UNCOMPUTED):
                msgid = gettext_noop(
                    "a formula without a computed value, “%(formula)s” (the program "
                    "that wrote the file left it to Excel): open the file in Excel, "
                    "save it and upload it again"
                )
                raise RowRejected(
                    self.reason(column, "formula", msgid, formula=value[1:61])
                )
            if "\x00" in value:
                msgid = gettext_noop("contains a NUL character")
                raise RowRejected(self.reason(column, "nul_character", msgid))
            if "\ufffd" in value:
                msgid = gettext_noop(
                    "holds bytes that are not valid in the file's encoding; "
                    "choose the encoding by hand"
                )
                raise RowRejected(self.reason(column, "wrong_encoding", msgid))
