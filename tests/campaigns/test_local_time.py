"""Report and list times are remembered per zone and language, never mixed up."""

from datetime import UTC, datetime

from django.utils import timezone, translation
from django.utils.formats import date_format

from campaigns.report_tables import local_time

MOMENT = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)


def direct(value: datetime) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def test_each_zone_and_language_gets_its_own_text():
    seen = {}
    # English reads as Russian here (smsportal/formats/en); French tells the
    # languages apart in the cache.
    for language in ("fr", "en", "ru"):
        for zone in ("Europe/Moscow", "Asia/Vladivostok"):
            with translation.override(language), timezone.override(zone):
                for _ in range(2):  # the second call is answered from memory
                    assert local_time(MOMENT) == direct(MOMENT)
                seen[language, zone] = local_time(MOMENT)
    # Vladivostok is already on the next day; a language may format differently.
    assert seen["ru", "Europe/Moscow"].startswith("02.03.2026")
    assert seen["ru", "Asia/Vladivostok"].startswith("02.03.2026")
    assert seen["fr", "Europe/Moscow"] == "02/03/2026 00:30"
    assert seen["en", "Europe/Moscow"] == seen["ru", "Europe/Moscow"]
    assert "00:30" in seen["ru", "Europe/Moscow"]
    assert "07:30" in seen["ru", "Asia/Vladivostok"]
    assert local_time(None) == "—"
