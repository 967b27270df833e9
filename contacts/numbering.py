"""The Russian numbering plan: a mobile number's time zone from the region of its range.

A +7 9XX number names no place by itself (libphonenumber knows the zones of landline
codes only), so quiet hours would fall back to the campaign's zone for every mobile
contact. The registry of the numbering plan does know: the Ministry of digital
development publishes it as open data, one CSV per code block ("DEF-9xx.csv" for
mobiles, "ABC-3xx.csv" ... for landlines), `;`-separated, a header row
"АВС/ DEF;От;До;Емкость;Оператор;Регион" (newer extracts add "Территория ГАР" and
"ИНН"), in UTF-8 or windows-1251.

`numbering_plan_load` replaces the stored ranges with those files, each range given
the zone of its region; mobiles whose zone came from the old ranges follow the new
ones (a reassigned range moves its numbers), then every contact without a zone gets
its range's.
`zone_for_phone` and `zones_for_phones` look numbers up; `contacts_fill_zones` is the
set-based fill, run after a load and after each contact import.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from contacts.importing.sources import ImportFileError, open_table
from contacts.models import NumberRange
from smsportal.exceptions import ApplicationError
from smsportal.lib.hooks import Hooks

# Region names as the registry writes them vary ("Тверская обл.", "Свердловская
# область", "Ханты - Мансийский - Югра АО", "Корякский округ|Камчатский край"), so a
# region is matched by a stem of its name. Order matters where one stem holds another:
# Tomsk before Omsk, Yamalo-Nenets before Nenets, Sakhalin before Sakha.
# Assumption: a subject that spans zones (Yakutia) gets its capital's.
REGION_ZONES: tuple[tuple[str, str], ...] = (
    ("калининград", "Europe/Kaliningrad"),
    ("самар", "Europe/Samara"), ("удмурт", "Europe/Samara"),
    ("ульяновск", "Europe/Ulyanovsk"), ("астрахан", "Europe/Astrakhan"),
    ("саратов", "Europe/Saratov"), ("волгоград", "Europe/Volgograd"),
    ("киров", "Europe/Kirov"), ("крым", "Europe/Simferopol"),
    ("севастопол", "Europe/Simferopol"),
    ("ямал", "Asia/Yekaterinburg"), ("ханты", "Asia/Yekaterinburg"),
    ("югра", "Asia/Yekaterinburg"), ("свердлов", "Asia/Yekaterinburg"),
    ("екатеринбург", "Asia/Yekaterinburg"), ("челябин", "Asia/Yekaterinburg"),
    ("курган", "Asia/Yekaterinburg"), ("тюмен", "Asia/Yekaterinburg"),
    ("оренбург", "Asia/Yekaterinburg"), ("башкор", "Asia/Yekaterinburg"),
    ("перм", "Asia/Yekaterinburg"),
    ("томск", "Asia/Tomsk"), ("омск", "Asia/Omsk"),
    ("новосибирск", "Asia/Novosibirsk"), ("алтай", "Asia/Barnaul"),
    ("кемеров", "Asia/Novokuznetsk"), ("кузбасс", "Asia/Novokuznetsk"),
    ("красноярск", "Asia/Krasnoyarsk"), ("хакас", "Asia/Krasnoyarsk"),
    ("тыва", "Asia/Krasnoyarsk"), ("тува", "Asia/Krasnoyarsk"),
    ("иркутск", "Asia/Irkutsk"), ("бурят", "Asia/Irkutsk"),
    ("забайкал", "Asia/Chita"), ("читин", "Asia/Chita"),
    ("сахалин", "Asia/Sakhalin"), ("саха", "Asia/Yakutsk"),
    ("якут", "Asia/Yakutsk"), ("амур", "Asia/Yakutsk"),
    ("примор", "Asia/Vladivostok"), ("хабаров", "Asia/Vladivostok"),
    ("еврейск", "Asia/Vladivostok"), ("магадан", "Asia/Magadan"),
    ("камчат", "Asia/Kamchatka"), ("коряк", "Asia/Kamchatka"),
    ("чукот", "Asia/Anadyr"),
    # Moscow time.
    *((stem, "Europe/Moscow") for stem in (
        "москв", "петербург", "ленинград", "белгород", "брянск", "владимир",
        "воронеж", "иванов", "калуж", "костром", "курск", "липецк", "орлов", "рязан",
        "смолен", "тамбов", "твер", "тул", "ярослав", "архангельск", "ненец",
        "вологод", "карел", "коми", "мурманск", "новгород", "нижегород", "псков",
        "адыге", "калмык", "краснодар", "ростов", "дагестан", "ингуш", "кабардин",
        "карачаев", "осети", "чечен", "ставрополь", "марий", "мордов", "татарстан",
        "чуваш", "пенз", "донецк", "луганск", "запорож", "херсон",
    )),
)  # fmt: skip
# Ranges the registry gives to the whole country: known, but no one zone.
NATIONWIDE = ("российская федерация", "вся россия", "рф")
_SPACES = re.compile(r"\s+")
# The columns read, by how their headers begin (lower case, "ё" as "е").
HEADERS = {
    "code": ("абс", "авс", "abc", "def"),
    "first": ("от",),
    "last": ("до",),
    "operator": ("оператор",),
    "region": ("регион",),
    "territory": ("территория",),
}
REQUIRED = ("code", "first", "last", "region")
# How messages name the required columns.
_HEADER_NAMES = {
    "code": "«АВС/ DEF»", "first": "«От»", "last": "«До»", "region": "«Регион»",
}  # fmt: skip
BATCH = 5000
EXAMPLES = 10


def region_zone(region: str) -> str | None:
    """The IANA zone of a region as the registry names it; "" for the whole country,
    None when the name is not recognised. Of "a|b" parts the last (the subject) wins."""
    for part in reversed(region.split("|")):
        name = _SPACES.sub(" ", part.lower().replace("ё", "е")).strip()
        if not name:
            continue
        if name in NATIONWIDE:
            return ""
        for stem, zone in REGION_ZONES:
            if stem in name:
                return zone
    return None


@dataclass
class PlanLoad:
    """What a load did, for the command's report."""

    ranges: int = 0
    rejected: int = 0
    examples: list[str] = field(default_factory=list)  # "file, row N: why"
    unknown_regions: Counter = field(default_factory=Counter)
    contacts_zoned: int = 0
    contacts_rezoned: int = 0  # zoned by the previous load, moved by this one
    # Waiting messages to pasted numbers (their zone kept on them), moved likewise.
    messages_rezoned: int = 0


# Apps that keep a number's zone from the plan on their own rows (campaigns: a
# pasted number's waiting message) register here; each is called with the previous
# load's last range id and returns how many rows it moved (follow_new_ranges).
Rezoning = Callable[[int], int]
_rezoning: Hooks[Rezoning] = Hooks()


def numbering_reload_register(follow: Rezoning) -> None:
    _rezoning.register(follow)


def numbering_plan_load(files: Sequence[tuple[str, BinaryIO]]) -> PlanLoad:
    """Replace the stored ranges with those of `files` ((name, bytes) pairs), move the
    mobiles zoned by the old ranges to the new ones' zones, then give a zone to the
    contacts that have none. A file without the registry's
    columns is refused whole, before anything changes; bad rows are skipped and
    reported with their file and row. Ranges go in as they are read, a batch at a
    time (the landline files hold hundreds of thousands)."""
    load = PlanLoad()
    try:
        tables = [_table(name, raw) for name, raw in files]
        with transaction.atomic():
            _one_load_at_a_time()
            # The old ranges stay until the contacts they zoned have followed the new
            # ones: ids up to this one are the old load's.
            previous = NumberRange.objects.aggregate(last=Max("id"))["last"] or 0
            ranges = _ranges(tables, load)
            while batch := list(islice(ranges, BATCH)):
                NumberRange.objects.bulk_create(batch)
                load.ranges += len(batch)
            load.contacts_rezoned = follow_new_ranges(
                previous, table="contacts_contact"
            )
            load.messages_rezoned = sum(follow(previous) for follow in _rezoning)
            NumberRange.objects.filter(id__lte=previous).delete()
            load.contacts_zoned = contacts_fill_zones()
    except ImportFileError as exc:  # the reader's: its file and row go in the text
        raise ApplicationError(f"{exc.where}: {exc.message}", where="file") from None
    return load


def _one_load_at_a_time() -> None:
    """Wait for a load running meanwhile (a worker thought gone and the one that took
    its job over, two uploads) to commit. Two at once each kept the ranges the other
    added, as they read the last old id before either committed: every range twice.
    Readers (zone lookups) are not held up. SQLite has one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {NumberRange._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
            )


@dataclass
class _Table:
    name: str
    records: Iterator[tuple[int, list[str]]]  # (row number, cells), blank rows left out
    columns: dict[str, int]


def _table(name: str, raw: BinaryIO) -> _Table:
    """A registry file's rows after its header, read as the contact importer reads a
    file (encoding and delimiter sniffed, Excel workbooks too, size limit, a broken
    quote named by its row); ApplicationError if it is not a registry extract."""
    table = open_table(raw, name=name)
    first = next(table.records, None)
    columns = _columns(first[1] if first else [])
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        raise ApplicationError(
            _(
                "%(file)s: the header row has no %(columns)s column; expected the "
                "registry's “АВС/ DEF;От;До;Емкость;Оператор;Регион”."
            )
            % {"file": name, "columns": ", ".join(_HEADER_NAMES[k] for k in missing)},
            where="file",
        )
    return _Table(name, table.records, columns)


def _ranges(tables: Sequence[_Table], load: PlanLoad) -> Iterator[NumberRange]:
    for table in tables:
        for row_number, cells in table.records:
            try:
                yield _range(cells, table.columns, load)
            except ValueError as exc:
                _skip(load, table.name, row_number, str(exc))


def _skip(load: PlanLoad, name: str, row: int, why: str) -> None:
    load.rejected += 1
    if len(load.examples) < EXAMPLES:
        load.examples.append(
            _("%(file)s, row %(row)d: %(why)s") % {"file": name, "row": row, "why": why}
        )


def _columns(header: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        title = title.strip().lower().replace("ё", "е")
        for key, starts in HEADERS.items():
            if key not in columns and title.startswith(starts):
                columns[key] = index
                break
    return columns


def _range(
    cells: Sequence[str], columns: dict[str, int], load: PlanLoad
) -> NumberRange:
    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    code, first, last = (
        _digits(cell(k), _HEADER_NAMES[k]) for k in ("code", "first", "last")
    )
    if not 100 <= code <= 999 or first > last or last > 9_999_999:
        raise ValueError(
            _("“%(code)s %(first)s–%(last)s” is not a range of 3-digit code and "
              "7-digit numbers") % {"code": cell("code"), "first": cell("first"),
                                    "last": cell("last")}
        )  # fmt: skip
    region = cell("region")
    zone = region_zone(region)
    if zone is None and cell("territory"):
        zone = region_zone(cell("territory"))
    if zone is None:
        load.unknown_regions[region] += 1
    return NumberRange(
        code=code, first=first, last=last, operator=cell("operator")[:200],
        region=region[:300], time_zone=zone or "",
    )  # fmt: skip


def _digits(value: str, column: str) -> int:
    if not value.isdigit():
        raise ValueError(
            _("column %(column)s: “%(value)s” is not a number")
            % {"column": column, "value": value}
        )
    return int(value)


# Looking numbers up --------------------------------------------------------------------


def _code_and_number(phone: str) -> tuple[int, int] | None:
    """(code, 7-digit number) of a Russian +7 number in E.164, else None."""
    if len(phone) != 12 or not phone.startswith("+7") or not phone[2:].isdigit():
        return None
    return int(phone[2:5]), int(phone[5:])


def zone_for_phone(phone: str) -> str:
    """The zone of the range a +7 number belongs to; "" when none is known."""
    key = _code_and_number(phone)
    if key is None:
        return ""
    code, number = key
    found = (
        NumberRange.objects.filter(code=code, first__lte=number)
        .order_by("-first")
        .values_list("last", "time_zone")
        .first()
    )
    return found[1] if found and found[0] >= number else ""


def zones_for_phones(phones: Iterable[str]) -> dict[str, str]:
    """zone_for_phone for many numbers: one query for the ranges of all their codes,
    not one per number."""
    keys = {phone: key for phone in phones if (key := _code_and_number(phone))}
    by_code: dict[int, tuple[list[int], list[tuple[int, str]]]] = {}
    codes = {code for code, _number in keys.values()}
    rows = (
        NumberRange.objects.filter(code__in=codes)
        .order_by("code", "first")
        .values_list("code", "first", "last", "time_zone")
    )
    for code, first, last, zone in rows:
        starts, ends = by_code.setdefault(code, ([], []))
        starts.append(first)
        ends.append((last, zone))
    zones = {}
    for phone, (code, number) in keys.items():
        starts, ends = by_code.get(code, ([], []))
        at = bisect.bisect_right(starts, number) - 1
        if at >= 0 and ends[at][0] >= number and ends[at][1]:
            zones[phone] = ends[at][1]
    return zones


def follow_new_ranges(previous: int, *, table: str, only: str = "TRUE") -> int:
    """Give each mobile of `table` (`only`: a condition on its rows, in SQL) whose
    zone is its range's in the previous load (ranges with ids up to `previous`) its
    range's zone in the new one, "" where the new load has none; the number of rows
    whose zone changed. One statement; `table` has `id`, `phone` and `time_zone`.

    Assumption: a mobile's zone equal to its old range's came from the plan, not from
    a person (who, had they typed it, typed what the plan said). Landlines are left
    alone: their zone is libphonenumber's, by their code, which a reload does not
    change."""
    if not previous:
        return 0

    def range_zone(ids: str) -> str:
        return f"""(SELECT CASE WHEN r.last >= n.num THEN r.time_zone END
                    FROM contacts_numberrange r
                    WHERE r.code = n.code AND r.first <= n.num AND r.id {ids}
                    ORDER BY r.first DESC LIMIT 1)"""

    sql = f"""
        UPDATE {table} SET time_zone = found.zone
        FROM (
            SELECT n.id, n.time_zone AS was, {range_zone("<= %s")} AS old,
                   coalesce({range_zone("> %s")}, '') AS zone
            FROM (SELECT id, time_zone, CAST(substr(phone, 3, 3) AS INTEGER) AS code,
                         CAST(substr(phone, 6) AS INTEGER) AS num
                  FROM {table}
                  WHERE time_zone <> '' AND phone LIKE '+79%%' AND length(phone) = 12
                    AND ({only})
            ) n
        ) AS found
        WHERE {table}.id = found.id
          AND found.old = found.was AND found.zone <> found.was
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [previous, previous])
        return cursor.rowcount


def contacts_fill_zones(*, changed_since: datetime | None = None) -> int:
    """Give every +7 contact without a zone (changed since `changed_since`, if given:
    an import's own rows) its range's; the number of contacts given one. One
    statement: each number is one index probe into the ranges."""
    if not NumberRange.objects.exists():
        return 0
    since_sql = "AND updated_at >= %s" if changed_since else ""
    # A subquery, not WITH: SQLite reports no row count for a statement so begun.
    sql = f"""
        UPDATE contacts_contact SET time_zone = found.zone
        FROM (
            SELECT n.id, (SELECT CASE WHEN r.last >= n.num THEN r.time_zone END
                          FROM contacts_numberrange r
                          WHERE r.code = n.code AND r.first <= n.num
                          ORDER BY r.first DESC LIMIT 1) AS zone
            FROM (SELECT id, CAST(substr(phone, 3, 3) AS INTEGER) AS code,
                         CAST(substr(phone, 6) AS INTEGER) AS num
                  FROM contacts_contact
                  WHERE time_zone = '' AND phone LIKE '+7%%' AND length(phone) = 12
                  {since_sql}
            ) n
        ) AS found
        WHERE contacts_contact.id = found.id AND found.zone <> ''
    """
    with connection.cursor() as cursor:
        since = connection.ops.adapt_datetimefield_value(changed_since)
        cursor.execute(sql, [since] if changed_since else [])
        return cursor.rowcount
