"""Time zones as people write them in contact books."""

import zoneinfo
from pathlib import Path

import pytest

from contacts.timezones import UnknownTimeZone, parse_time_zone


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Asia/Vladivostok", "Asia/Vladivostok"),
        ("asia/vladivostok", "Asia/Vladivostok"),
        ("МСК", "Europe/Moscow"),
        ("мск+7", "Asia/Vladivostok"),
        ("MSK-1", "Europe/Kaliningrad"),
        ("МСК + 9", "Asia/Kamchatka"),
        ("UTC+3", "Europe/Moscow"),
        ("GMT+10", "Asia/Vladivostok"),
        ("+03:00", "Europe/Moscow"),
        ("+0700", "Asia/Krasnoyarsk"),
        ("UTC+1", "Etc/GMT-1"),  # no Russian zone: POSIX's inverted sign
        ("UTC−5", "Etc/GMT+5"),  # a typographic minus
        ("UTC+0", "Etc/UTC"),
        # As the pages and the contact form name them, in either language.
        ("Москва", "Europe/Moscow"),
        ("екатеринбург", "Asia/Yekaterinburg"),
        ("Екатеринбург (UTC+05:00)", "Asia/Yekaterinburg"),
        ("Владивосток, UTC+10:00", "Asia/Vladivostok"),
        ("Усть-Нера", "Asia/Ust-Nera"),
        ("Vladivostok", "Asia/Vladivostok"),
        ("Алматы, Казахстан", "Asia/Almaty"),
        ("Алматы", "Asia/Almaty"),
    ],
)
def test_zones_as_people_write_them(text, zone):
    assert parse_time_zone(text) == zone


@pytest.mark.parametrize(
    "text", ["Марс", "UTC+5:30", "UTC+15", "", "12", "Париж", "(UTC+03:00)"]
)
def test_what_is_no_zone_says_so(text):
    with pytest.raises(UnknownTimeZone):
        parse_time_zone(text)


def _offered(choices) -> list[str]:
    return [name for _group, options in choices[-2:] for name, _label in options]


def test_selects_offer_geographic_zones_and_utc_only():
    from contacts.timezones import time_zone_choices

    offered = _offered(time_zone_choices())
    assert offered[:2] == ["Europe/Kaliningrad", "Europe/Moscow"]
    for name in ("UTC", "Asia/Vladivostok", "America/Argentina/Buenos_Aires"):
        assert name in offered
    for name in ("localtime", "Factory", "posixrules", "W-SU", "Etc/GMT-5", "GMT"):
        assert name not in offered
    assert not [name for name in offered if name.startswith("Etc/")]
    assert len(offered) == len(set(offered))


@pytest.mark.skipif(
    not any((Path(d) / "zone.tab").exists() for d in zoneinfo.TZPATH),
    reason="no zone.tab: every Area/City name is offered",
)
def test_old_names_kept_as_aliases_are_not_offered_beside_the_current_ones():
    from contacts.timezones import time_zone_choices

    offered = _offered(time_zone_choices())
    assert "Europe/Kyiv" in offered
    assert "Asia/Kolkata" in offered
    assert "Europe/Kiev" not in offered
    assert "Asia/Calcutta" not in offered
    # Still read where people write them, and kept where stored.
    assert parse_time_zone("Europe/Kiev") == "Europe/Kiev"
    assert "Europe/Kiev" in _offered(time_zone_choices(keep="Europe/Kiev"))


def test_other_zones_are_labelled_and_sorted_by_their_offset():
    from datetime import UTC, datetime

    from django.utils import timezone, translation

    from contacts.timezones import time_zone_choices

    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch, translation.override("en"):
        patch.setattr(timezone, "now", lambda: winter)
        others = dict(time_zone_choices()[-1][1])
    labels = list(others.values())
    assert others["Europe/Berlin"] == "UTC+01:00 — Berlin"
    assert others["Asia/Kolkata"] == "UTC+05:30 — Kolkata"
    assert others["Asia/Almaty"] == "UTC+05:00 — Almaty, Kazakhstan"
    assert others["America/Argentina/Buenos_Aires"] == "UTC-03:00 — Buenos Aires"
    # West to east: the offsets never go down along the list.
    offsets = [label.split(" — ")[0].removeprefix("UTC") for label in labels]
    minutes = [int(o[:3]) * 60 + int(o[0] + o[4:]) for o in offsets]
    assert minutes == sorted(minutes)
    assert labels[0].startswith("UTC-1")


def test_a_stored_zone_no_longer_offered_is_kept_only_where_stored():
    from contacts.timezones import time_zone_choices

    assert "W-SU" in _offered(time_zone_choices(keep="W-SU"))
    assert "Not/AZone" not in _offered(time_zone_choices(keep="Not/AZone"))
    assert _offered(time_zone_choices(keep="Europe/Moscow")).count("Europe/Moscow") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "shown"), [("W-SU", "W-SU"), ("Etc/GMT-5", "UTC+5")]
)
def test_editing_a_contact_keeps_a_zone_the_select_no_longer_offers(
    manager_client, stored, shown
):
    from django.urls import reverse

    from contacts.models import Contact

    contact = Contact.objects.create(phone="+79123456789", time_zone=stored)
    edit = reverse("contacts:edit", args=[contact.pk])
    page = manager_client.get(edit).content.decode()
    assert f'<option value="{stored}" selected>' in page
    detail = reverse("contacts:detail", args=[contact.pk])
    assert shown in manager_client.get(detail).content.decode()

    response = manager_client.post(
        edit, {"phone": contact.phone, "first_name": "Пётр", "time_zone": stored}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.time_zone) == ("Пётр", stored)
    # Another contact cannot be given it: it is not offered.
    other = Contact.objects.create(phone="+79123456780")
    response = manager_client.post(
        reverse("contacts:edit", args=[other.pk]),
        {"phone": other.phone, "time_zone": stored},
    )
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors


def test_russias_zones_are_named_by_their_city_in_the_readers_language():
    """Pages said "Asia/Vladivostok" to a Russian reader."""
    from datetime import UTC, datetime

    from django.utils import translation

    from contacts.timezones import zone_label, zone_name

    winter = datetime(2026, 12, 5, tzinfo=UTC)
    with translation.override("ru"):
        assert zone_label("Asia/Vladivostok", now=winter) == "Владивосток (UTC+10:00)"
        assert zone_name("Europe/Moscow") == "Москва"
    with translation.override("en"):
        assert zone_name("Asia/Vladivostok") == "Vladivostok"


def test_the_neighbours_zones_are_named_by_city_and_country():
    """ "Asia/Almaty" and "Europe/Minsk" were shown as IANA writes them."""
    from datetime import UTC, datetime

    from django.utils import translation

    from contacts.timezones import zone_caption, zone_label, zone_name, zoned

    winter = datetime(2026, 12, 5, tzinfo=UTC)
    with translation.override("en"):
        assert zone_name("Asia/Almaty") == "Almaty, Kazakhstan"
        assert zone_label("Europe/Minsk", now=winter) == "Minsk, Belarus (UTC+03:00)"
        assert zone_caption("Asia/Yerevan") == "Yerevan, Armenia, UTC+04:00"
        assert zoned(winter, "Asia/Bishkek").endswith(" (Bishkek, Kyrgyzstan)")
        assert zone_name("Asia/Tashkent") == "Tashkent, Uzbekistan"


@pytest.mark.parametrize(
    "country", ["KZ", "BY", "AM", "KG", "UZ", "TJ", "TM", "AZ", "GE", "MD", "UA"]
)
def test_every_zone_of_a_cis_country_has_a_translated_name(country):
    from contacts.zone_names import NEIGHBOUR_ZONE_NAMES

    zone_tab = Path("/usr/share/zoneinfo/zone.tab")
    if not zone_tab.exists():
        pytest.skip("the system's tzdata (zone.tab) is not installed")
    zones = {
        line.split("\t")[2]
        for line in zone_tab.read_text().splitlines()
        if line.startswith(f"{country}\t")
    }
    assert zones
    assert zones <= set(NEIGHBOUR_ZONE_NAMES)


def test_other_zones_are_named_by_their_city():
    from django.utils import translation

    from contacts.timezones import zone_caption, zone_name

    with translation.override("ru"):
        assert zone_name("Europe/Berlin") == "Берлин"
        assert zone_name("America/Argentina/Buenos_Aires") == "Буэнос-Айрес"
        # Summer time: no offset, as for any zone whose offset changes.
        assert zone_caption("Europe/Berlin") == "Берлин"
    with translation.override("en"):
        assert zone_name("Europe/Berlin") == "Berlin"
        assert zone_name("America/Argentina/Buenos_Aires") == "Buenos Aires"
        # Names without a country: as an offset, or as they are.
        assert zone_name("Etc/GMT-5") == "UTC+5"
        assert zone_name("Etc/GMT+3") == "UTC-3"
        assert zone_name("UTC") == "UTC"
        assert zone_name("W-SU") == "W-SU"


def test_every_foreign_city_has_its_russian_name():
    """Every city of contacts.zone_cities is in the Russian catalogue (CLDR's
    names, scripts/zone_cities.py): none shows in Latin letters on a Russian page."""
    import re

    from django.utils import translation

    from contacts.zone_cities import ZONE_CITIES
    from contacts.zone_names import foreign_zone_name

    assert len(ZONE_CITIES) > 300
    with translation.override("ru"):
        latin = [z for z in ZONE_CITIES if re.search("[A-Za-z]", foreign_zone_name(z))]
    assert latin == []


def test_a_zone_caption_gives_the_offset_only_where_it_holds_all_year():
    from django.utils import translation

    from contacts.timezones import zone_caption

    with translation.override("ru"):
        assert zone_caption("Europe/Moscow") == "Москва, UTC+03:00"
    with translation.override("en"):
        assert zone_caption("Asia/Vladivostok") == "Vladivostok, UTC+10:00"
        # Summer time: an offset would be wrong for half the year's times.
        assert zone_caption("Europe/Berlin") == "Berlin"


def test_every_zone_of_russia_is_offered_first_by_its_city_and_offset():
    """The numbering plan gives regional zones (Volgograd, Tomsk, Chita): they were
    listed under "Other" by their IANA name."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.utils import translation

    from contacts.timezones import RUSSIAN_ZONES, time_zone_choices, zone_name

    zone_tab = Path("/usr/share/zoneinfo/zone.tab")
    if not zone_tab.exists():
        pytest.skip("the system's tzdata (zone.tab) is not installed")
    russia = {
        line.split("\t")[2]
        for line in zone_tab.read_text().splitlines()
        if line.startswith("RU\t")
    }
    assert russia <= set(RUSSIAN_ZONES)
    winter = datetime(2026, 12, 5, tzinfo=UTC)
    offsets = [winter.astimezone(ZoneInfo(z)).utcoffset() for z in RUSSIAN_ZONES]
    assert offsets == sorted(offsets)
    with translation.override("ru"):
        assert zone_name("Europe/Volgograd") == "Волгоград"
        assert zone_name("Asia/Tomsk") == "Томск"
    (_russia, first), (_other, rest) = time_zone_choices()
    assert [name for name, _label in first] == list(RUSSIAN_ZONES)
    assert not set(RUSSIAN_ZONES) & {name for name, _label in rest}


def test_naming_zones_loads_no_country_names():
    """libphonenumber's geocoder (its country names in every language) costs each
    process about 100 MB: a contact import's peak went from 290 to 413 MB."""
    from tests.fresh_process import loads_module

    named = "from contacts.timezones import time_zone_choices, zone_name\n"
    named += "time_zone_choices(); zone_name('Europe/Berlin')"
    assert not loads_module(named, "phonenumbers.geodata")
