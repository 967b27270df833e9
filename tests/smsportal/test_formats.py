from datetime import UTC, datetime

from django.utils import formats, translation


def test_a_moment_reads_the_same_on_a_detail_page_as_in_a_table():
    """Detail pages said "5 декабря 2026 г. 6:58" beside tables' "05.12.2026 06:58"."""
    moment = datetime(2026, 12, 5, 6, 58, tzinfo=UTC)

    with translation.override("ru"):
        detail = formats.date_format(moment, "DATETIME_FORMAT")
        table = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        day = formats.date_format(moment.date(), "DATE_FORMAT")

    assert detail == table == "05.12.2026 06:58"
    assert day == "5 декабря 2026 г."  # a date alone keeps its long form
