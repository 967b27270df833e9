"""Time zones as people write them: IANA names, "МСК+7", "UTC+10", "+03:00".

A contact's zone decides the quiet hours of every campaign sent to it. The numbering
plan gives one for most landlines; a Russian mobile number (+7 9XX) carries no region
itself, so its zone comes from the contact (the form, the API or an imported column) or
from the range it belongs to in the registry, once loaded (contacts.numbering).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from contacts.zone_names import NEIGHBOUR_ZONE_NAMES, foreign_zone_name
from smsportal.lib.languages import in_every_language

# Russia's zones from west to east, offered first; the other Area/City zones follow.
# Every zone of Russia in IANA's zone.tab, by offset: the numbering plan gives the
# regional ones (Volgograd, Tomsk, Chita ...), and a reader knows them by their city.
RUSSIAN_ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow", "Europe/Kirov", "Europe/Volgograd",
    "Europe/Samara", "Europe/Astrakhan", "Europe/Saratov", "Europe/Ulyanovsk",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk", "Asia/Barnaul", "Asia/Tomsk", "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk", "Asia/Chita", "Asia/Khandyga",
    "Asia/Vladivostok", "Asia/Ust-Nera",
    "Asia/Magadan", "Asia/Sakhalin", "Asia/Srednekolymsk",
    "Asia/Kamchatka", "Asia/Anadyr",
)  # fmt: skip
# Russia keeps no summer time, so an offset names one of its zones for good; the city
# is the one Russians name the zone by ("МСК+7" is Vladivostok time).
RUSSIAN_ZONE_BY_UTC_HOURS = {
    2: "Europe/Kaliningrad", 3: "Europe/Moscow", 4: "Europe/Samara",
    5: "Asia/Yekaterinburg", 6: "Asia/Omsk", 7: "Asia/Krasnoyarsk", 8: "Asia/Irkutsk",
    9: "Asia/Yakutsk", 10: "Asia/Vladivostok", 11: "Asia/Magadan",
    12: "Asia/Kamchatka",
}  # fmt: skip
MOSCOW_UTC_HOURS = 3
# The areas of IANA's geographic Area/City names: what people pick a zone by. Etc/*,
# the old country aliases (W-SU, US/Eastern) and the system's own names (localtime,
# posixrules, Factory) stay readable (parse_time_zone) but are not offered.
OFFERED_AREAS = frozenset({
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
    "Indian", "Pacific",
})  # fmt: skip

_MOSCOW_OFFSET = re.compile(r"(?:мск|msk)\s*(?:([+\-−])\s*(\d{1,2}))?", re.IGNORECASE)
# The offset a label adds to its city: "Москва (UTC+03:00)", "Москва, UTC+03:00".
_LABEL_OFFSET = re.compile(r"\s*(?:\((?:utc|gmt)[^)]*\)|,\s*(?:utc|gmt)\S*)\s*$", re.I)
_UTC_OFFSET = re.compile(
    r"(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?::?(\d\d))?(?:\s*ч(?:ас(?:а|ов)?)?\.?)?",
    re.IGNORECASE,
)


class UnknownTimeZone(ValueError):
    """The text names no time zone; str() says what was expected, translated when
    it is read (an import stores `msgid` itself, contacts.importing.reasons)."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid

    def __str__(self) -> str:
        return _(self.msgid)


def parse_time_zone(text: str) -> str:
    """The IANA name for a zone written as a name, "МСК+7", "UTC+10" or "+03:00"."""
    value = text.strip()
    named = _iana_names().get(value.casefold())
    if named:
        return named
    # "Москва", "Екатеринбург (UTC+05:00)", "Алматы, Казахстан": as the pages and the
    # contact form name a zone, with the offset they add, if it is there, left off.
    city = _zones_by_city().get(_city_key(_LABEL_OFFSET.sub("", value)))
    if city:
        return city
    moscow = _MOSCOW_OFFSET.fullmatch(value)
    if moscow:
        sign, hours = moscow.groups()
        shift = int(hours or 0) * (-1 if sign in ("-", "−") else 1)
        return _by_utc_hours(MOSCOW_UTC_HOURS + shift, 0, value)
    utc = _UTC_OFFSET.fullmatch(value)
    if utc:
        sign, hours, minutes = utc.groups()
        total = int(hours) * (-1 if sign in ("-", "−") else 1)
        return _by_utc_hours(total, int(minutes or 0), value)
    raise UnknownTimeZone(
        gettext_noop(
            "not a time zone; write a city such as Vladivostok, a name such as "
            "Asia/Vladivostok, or МСК+7 or UTC+10"
        )
    )


def _by_utc_hours(hours: int, minutes: int, value: str) -> str:
    if minutes:
        raise UnknownTimeZone(
            gettext_noop(
                "an offset with minutes; write the zone's name, such as Asia/Kolkata"
            )
        )
    russian = RUSSIAN_ZONE_BY_UTC_HOURS.get(hours)
    if russian:
        return russian
    if -12 <= hours <= 14:
        # Etc/GMT's sign is inverted by POSIX convention: Etc/GMT-5 is UTC+5.
        return f"Etc/GMT{-hours:+d}" if hours else "Etc/UTC"
    raise UnknownTimeZone(gettext_noop("no time zone is that far from UTC"))


@functools.cache
def _iana_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@functools.cache
def _zones_by_city() -> dict[str, str]:
    """Russia's zones and its neighbours' by the names the pages give them, in every
    language of the site. Not other countries' cities: a city abroad is read by its
    zone's name, unambiguous where a city's name may not be."""
    by_city: dict[str, str] = {}
    for zone, label in in_every_language(
        {**NEIGHBOUR_ZONE_NAMES, **RUSSIAN_ZONE_CITIES}
    ):
        # "Алматы, Казахстан", and "Алматы" alone.
        for name in (label, label.split(",")[0]):
            by_city.setdefault(_city_key(name), zone)
    return by_city


def _city_key(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


@functools.cache
def offered_zones() -> frozenset[str]:
    """The zones a select offers: Area/City names of OFFERED_AREAS, and UTC; where the
    time zone database's own list of zones is at hand, without the old names kept as
    aliases (Europe/Kiev beside Europe/Kyiv, Asia/Calcutta beside Asia/Kolkata)."""
    current = _zone_tab_names()
    return frozenset(
        name
        for name in available_timezones()
        if "/" in name
        and name.split("/", 1)[0] in OFFERED_AREAS
        and (current is None or name in current)
    ) | {"UTC"}


def _zone_tab_names() -> frozenset[str] | None:
    """The zones zone.tab lists (one or more per country, current names only), read
    from the first zoneinfo directory that has it; None where none has (Windows with
    the tzdata package only), and then every Area/City name is offered."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        names = {
            line.split("\t")[2]
            for line in lines
            if line and not line.startswith("#") and line.count("\t") >= 2
        }
        return frozenset(names) or None
    return None


@functools.cache
def _other_zones() -> tuple[str, ...]:
    return tuple(sorted(offered_zones() - set(RUSSIAN_ZONES)))


# Russia's zones by the city people name them after ("по владивостокскому времени").
RUSSIAN_ZONE_CITIES = {
    "Europe/Kaliningrad": gettext_lazy("Kaliningrad"),
    "Europe/Moscow": gettext_lazy("Moscow"),
    "Europe/Kirov": gettext_lazy("Kirov"),
    "Europe/Volgograd": gettext_lazy("Volgograd"),
    "Europe/Samara": gettext_lazy("Samara"),
    "Europe/Astrakhan": gettext_lazy("Astrakhan"),
    "Europe/Saratov": gettext_lazy("Saratov"),
    "Europe/Ulyanovsk": gettext_lazy("Ulyanovsk"),
    "Asia/Yekaterinburg": gettext_lazy("Yekaterinburg"),
    "Asia/Omsk": gettext_lazy("Omsk"),
    "Asia/Novosibirsk": gettext_lazy("Novosibirsk"),
    "Asia/Barnaul": gettext_lazy("Barnaul"),
    "Asia/Tomsk": gettext_lazy("Tomsk"),
    "Asia/Novokuznetsk": gettext_lazy("Novokuznetsk"),
    "Asia/Krasnoyarsk": gettext_lazy("Krasnoyarsk"),
    "Asia/Irkutsk": gettext_lazy("Irkutsk"),
    "Asia/Yakutsk": gettext_lazy("Yakutsk"),
    "Asia/Chita": gettext_lazy("Chita"),
    "Asia/Khandyga": gettext_lazy("Khandyga"),
    "Asia/Vladivostok": gettext_lazy("Vladivostok"),
    "Asia/Ust-Nera": gettext_lazy("Ust-Nera"),
    "Asia/Magadan": gettext_lazy("Magadan"),
    "Asia/Sakhalin": gettext_lazy("Sakhalin"),
    "Asia/Srednekolymsk": gettext_lazy("Srednekolymsk"),
    "Asia/Kamchatka": gettext_lazy("Kamchatka"),
    "Asia/Anadyr": gettext_lazy("Anadyr"),
}


def zone_name(name: str) -> str:
    """ "Владивосток" for Asia/Vladivostok: Russia's zones by their city, in the
    reader's language; the others by city and country (contacts.zone_names)."""
    city = RUSSIAN_ZONE_CITIES.get(name)
    return str(city) if city is not None else foreign_zone_name(name)


def zone_caption(name: str) -> str:
    """ "Москва, UTC+03:00" for a zone whose offset is the same all year (all of
    Russia's); the name alone for one with summer time, whose offset depends on the
    date (a column of times may span both)."""
    zone = ZoneInfo(name)
    year = timezone.now().year
    winter, summer = (
        datetime(year, month, 1, tzinfo=zone).strftime("%z") for month in (1, 7)
    )
    if winter != summer:
        return zone_name(name)
    return f"{zone_name(name)}, UTC{winter[:3]}:{winter[3:]}"


def zone_label(name: str, *, now: datetime | None = None) -> str:
    """ "Владивосток (UTC+10:00)": the zone's name with its offset now."""
    offset = (now or timezone.now()).astimezone(ZoneInfo(name)).strftime("%z")
    return f"{zone_name(name)} (UTC{offset[:3]}:{offset[3:]})"


def zoned(moment: datetime, name: str = "") -> str:
    """ "06.12.2026 20:13 (Владивосток)": `moment` in zone `name`, or in the current
    zone when it is empty or unknown, with the zone's name. A page that shows times
    in a campaign's zone and in the reader's says of each which it is."""
    tz = _zone_or_none(name) or timezone.get_current_timezone()
    try:
        local = moment.astimezone(tz)
    except OverflowError:
        # A moment a day from the calendar's end has no date in every zone.
        tz, local = ZoneInfo("UTC"), moment.astimezone(ZoneInfo("UTC"))
    return f"{date_format(local, 'DATETIME_FORMAT')} ({zone_name(str(tz))})"


def zoned_header(label: str) -> str:
    """ "Delivered (Москва, UTC+03:00)": a column of times in the current zone says
    which it is, as the exports' headers do."""
    return _("%(column)s (%(zone)s)") % {
        "column": label,
        "zone": zone_caption(timezone.get_current_timezone_name()),
    }


# zoned_header's caption at the end of a header: " (Москва, UTC+03:00)".
_ZONE_CAPTION = re.compile(r"\s*\([^()]*\)\s*$")


def unzoned_header(header: str) -> str:
    """A header without the zone caption zoned_header put at its end ("Согласие
    дано (Москва, UTC+03:00)" -> "Согласие дано"): a file read back is recognised
    whichever zone it was written in."""
    return _ZONE_CAPTION.sub("", header)


def _zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def time_zone_choices(*, blank: Any = None, keep: str = "") -> list[tuple[Any, Any]]:
    """Select choices: Russia's zones with their offsets first, then the other offered
    ones; with `blank`, an empty choice labelled so first.

    `keep` is the zone already stored on what the form edits: offered too when it is a
    zone the select no longer lists (an alias such as W-SU, an importer's Etc/GMT-5),
    so the form shows it and saving keeps it instead of failing on it.
    """
    now: datetime = timezone.now()

    def label(name: str) -> str:
        return zone_label(name, now=now)

    choices: list[tuple[Any, Any]] = [("", blank)] if blank is not None else []
    others = _other_zones()
    if (
        keep
        and keep not in offered_zones()
        and _iana_names().get(keep.casefold()) == keep
    ):
        others = tuple(sorted((*others, keep)))
    return [
        *choices,
        (gettext_lazy("Russia"), [(name, label(name)) for name in RUSSIAN_ZONES]),
        (gettext_lazy("Other"), _by_offset(others, now)),
    ]


def _utc_offset(name: str, now: datetime) -> tuple[int, str]:
    """The zone's offset now, in seconds and as "UTC+05:30"."""
    offset = now.astimezone(ZoneInfo(name))
    text = offset.strftime("%z")
    return int(offset.utcoffset().total_seconds()), f"UTC{text[:3]}:{text[3:]}"


def _by_offset(names: tuple[str, ...], now: datetime) -> list[tuple[str, str]]:
    """ "UTC+05:00 — Алматы, Казахстан", west to east: some four hundred IANA names
    in alphabetical order left a reader to know each city's offset. Assumption: only
    the neighbours' cities are translated (neither Django nor zoneinfo has the
    names); the others keep IANA's city, with the country in the reader's language."""
    offsets = {name: _utc_offset(name, now) for name in names}
    labels = {name: zone_name(name) for name in names}
    ordered = sorted(names, key=lambda name: (offsets[name][0], labels[name]))
    return [(name, f"{offsets[name][1]} — {labels[name]}") for name in ordered]
