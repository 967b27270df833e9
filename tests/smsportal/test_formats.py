from datetime import UTC, date, datetime

import pytest

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


def test_english_dates_are_day_first_and_times_24_hour_with_minutes():
    """English pages said "12/06/2026 8 a.m." beside "12/06/2026 7:54 a.m."."""
    on_the_hour = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
    with translation.override("en"):
        assert formats.date_format(on_the_hour, "SHORT_DATETIME_FORMAT") == (
            "12.06.2026 08:00"
        )
        assert formats.date_format(on_the_hour, "DATETIME_FORMAT") == (
            "12.06.2026 08:00"
        )
        assert formats.date_format(on_the_hour.date(), "DATE_FORMAT") == "12 Jun 2026"
        assert formats.time_format(on_the_hour.replace(hour=12), "TIME_FORMAT") == (
            "12:00"  # not "noon"
        )
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


def test_english_typed_dates_are_read_day_first():
    from django import forms

    with translation.override("en"):
        field = forms.DateField()
        assert field.clean("05/12/2026") == date(2026, 12, 5)
        assert field.clean("05.12.2026") == date(2026, 12, 5)
        assert field.clean("2026-12-05") == date(2026, 12, 5)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_chart_labels_read_as_the_page_s_dates_and_times(language):
    """The charts' labels read as the tables' times without the year: "06.12 07:54"
    beside "06.12.2026 07:54" (the English pages said "12/06/2026 7:54 a.m.")."""
    from campaigns.delivery_chart import series_from_minutes

    moment = datetime(2026, 12, 6, 7, 54)  # noqa: DTZ001 - a local minute
    label = series_from_minutes({moment: 1}).labels[0]
    with translation.override(language):
        page = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    day_month, label_time = label.split(" ")
    page_date, page_time = page.split(" ")
    assert page_date.startswith(day_month + ".")
    assert label_time == page_time


@pytest.mark.django_db
def test_the_admin_s_days_of_a_month_read_in_the_genitive(admin_client):
    """The admin's date drill-down listed a month's days as «7 Декабрь» (Django's
    Russian MONTH_DAY_FORMAT takes the month's name alone, "F"), not «7 декабря»."""
    from django.urls import reverse

    from accounts.models import AuditEvent

    event = AuditEvent.objects.create(action="login", object_type="auth.User")
    AuditEvent.objects.filter(pk=event.pk).update(
        at=datetime(2026, 12, 7, 9, tzinfo=UTC)
    )

    html = admin_client.get(
        reverse("admin:accounts_auditevent_changelist"),
        {"at__year": 2026, "at__month": 12},
        HTTP_ACCEPT_LANGUAGE="ru",
    ).content.decode()

    assert "7 декабря" in html
    assert "7 Декабрь" not in html
    with translation.override("ru"):
        assert formats.date_format(date(2026, 3, 8), "MONTH_DAY_FORMAT") == "8 марта"
