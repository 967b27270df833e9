"""The contact page's birthday filter: today, tomorrow, the next 7 days, this month,
across the year's end, with 29 February celebrated on the 28th outside leap years."""

from datetime import date

import pytest

from django.urls import reverse

from contacts.filters import birthday_query
from contacts.models import Contact

pytestmark = pytest.mark.django_db


def born(*days: date) -> None:
    Contact.objects.bulk_create(
        Contact(phone=f"+7912000{i:04d}", birthday=day) for i, day in enumerate(days)
    )


def matching(choice: str, today: date) -> list[date]:
    return sorted(
        Contact.objects.filter(birthday_query(choice, today)).values_list(
            "birthday", flat=True
        )
    )


def test_today_tomorrow_and_the_week_across_the_new_year():
    born(date(1990, 12, 29), date(1985, 12, 30), date(2000, 1, 4), date(1970, 1, 5),
         date(1999, 6, 1))  # fmt: skip
    today = date(2026, 12, 29)

    assert matching("today", today) == [date(1990, 12, 29)]
    assert matching("tomorrow", today) == [date(1985, 12, 30)]
    assert matching("week", today) == [
        date(1985, 12, 30), date(1990, 12, 29), date(2000, 1, 4),
    ]  # fmt: skip
    assert matching("month", today) == [date(1985, 12, 30), date(1990, 12, 29)]


def test_the_29th_of_february_is_celebrated_on_the_28th_outside_leap_years():
    born(date(1996, 2, 29), date(1990, 2, 28))

    assert matching("today", date(2027, 2, 28)) == [
        date(1990, 2, 28),
        date(1996, 2, 29),
    ]
    assert matching("today", date(2028, 2, 28)) == [date(1990, 2, 28)]
    assert matching("today", date(2028, 2, 29)) == [date(1996, 2, 29)]


def test_the_page_and_the_api_filter_by_birthday(manager_client, settings):
    from django.utils import timezone

    today = timezone.localdate()
    born(
        today.replace(year=1992),
        date(1990, 1, 1) if today.month != 1 else date(1990, 7, 1),
    )

    page = manager_client.get(reverse("contacts:list"), {"birthday": "today"})
    api = manager_client.get("/api/v1/contacts", {"birthday": "today"})

    assert [c.birthday for c in page.context["table"].data] == [
        today.replace(year=1992)
    ]
    assert [c["phone"] for c in api.json()["items"]] == ["+79120000000"]


def test_the_api_export_takes_the_lists_filters(manager_client):
    from django.utils import timezone

    today = timezone.localdate()
    born(
        today.replace(year=1992),
        date(1990, 1, 1) if today.month != 1 else date(1990, 7, 1),
    )

    export = manager_client.get(
        "/api/v1/contacts/export", {"format": "csv", "birthday": "today"}
    )

    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2  # the header and today's one
    assert lines[1].startswith("+79120000000,")
