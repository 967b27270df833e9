"""Time zones as people write them in contact books."""

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
    ],
)
def test_zones_as_people_write_them(text, zone):
    assert parse_time_zone(text) == zone


@pytest.mark.parametrize("text", ["Марс", "UTC+5:30", "UTC+15", "", "12"])
def test_what_is_no_zone_says_so(text):
    with pytest.raises(UnknownTimeZone):
        parse_time_zone(text)
