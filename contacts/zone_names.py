"""What a reader calls a time zone outside Russia.

Russia's own zones go by their city (contacts.timezones.RUSSIAN_ZONE_CITIES). The
countries whose numbers are sent to most from here, Russia's neighbours in the CIS
(Kazakhstan shares +7; Belarus, Armenia, Kyrgyzstan, Uzbekistan ...), go by city and
country in the reader's language. Any other Area/City zone goes by its city alone, in
the reader's language too (contacts.zone_cities): libphonenumber carries country
names in every language, but loading them (its geocoder) costs each web and worker
process about 100 MB.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy

from contacts.zone_cities import ZONE_CITIES

NEIGHBOUR_ZONE_NAMES = {
    "Asia/Almaty": gettext_lazy("Almaty, Kazakhstan"),
    "Asia/Qostanay": gettext_lazy("Kostanay, Kazakhstan"),
    "Asia/Qyzylorda": gettext_lazy("Kyzylorda, Kazakhstan"),
    "Asia/Aqtobe": gettext_lazy("Aktobe, Kazakhstan"),
    "Asia/Aqtau": gettext_lazy("Aktau, Kazakhstan"),
    "Asia/Atyrau": gettext_lazy("Atyrau, Kazakhstan"),
    "Asia/Oral": gettext_lazy("Oral, Kazakhstan"),
    "Europe/Minsk": gettext_lazy("Minsk, Belarus"),
    "Asia/Yerevan": gettext_lazy("Yerevan, Armenia"),
    "Asia/Bishkek": gettext_lazy("Bishkek, Kyrgyzstan"),
    "Asia/Tashkent": gettext_lazy("Tashkent, Uzbekistan"),
    "Asia/Samarkand": gettext_lazy("Samarkand, Uzbekistan"),
    "Asia/Dushanbe": gettext_lazy("Dushanbe, Tajikistan"),
    "Asia/Ashgabat": gettext_lazy("Ashgabat, Turkmenistan"),
    "Asia/Baku": gettext_lazy("Baku, Azerbaijan"),
    "Asia/Tbilisi": gettext_lazy("Tbilisi, Georgia"),
    "Europe/Chisinau": gettext_lazy("Chisinau, Moldova"),
    "Europe/Kyiv": gettext_lazy("Kyiv, Ukraine"),
    "Europe/Kiev": gettext_lazy("Kyiv, Ukraine"),  # the name before 2022
    # Assumption: by its city alone; the numbering plan gives it to Crimea's ranges.
    "Europe/Simferopol": gettext_lazy("Simferopol"),
}

_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def foreign_zone_name(name: str) -> str:
    """ "Алматы, Казахстан" for Asia/Almaty; "Берлин" for Europe/Berlin; a zone
    not offered by its city as IANA writes it; "UTC+5" for Etc/GMT-5; any other
    name as it is."""
    known = NEIGHBOUR_ZONE_NAMES.get(name) or ZONE_CITIES.get(name)
    if known is not None:
        return str(known)
    if name in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    offset = _ETC_OFFSET.fullmatch(name)
    if offset:
        # POSIX's inverted sign: Etc/GMT-5 is five hours east of UTC.
        sign, hours = offset.groups()
        return f"UTC{'+' if sign == '-' else '-'}{int(hours)}"
    if "/" not in name:
        return name  # an old alias such as W-SU: nothing to read a city from
    return name.rsplit("/", 1)[1].replace("_", " ")
