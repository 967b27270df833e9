"""`manage.py check` warns when the system's time zone data is too old for the zones
contacts.phone gives numbers."""

from datetime import timedelta

import pytest

from django.core import checks

from contacts import checks as contact_checks

pytestmark = pytest.mark.django_db  # other apps' checks read the database


def warnings() -> list[str]:
    return [m.id for m in checks.run_checks() if m.id.startswith("contacts.")]


def test_time_zone_data_of_2024a_or_later_says_nothing():
    assert warnings() == []


def test_older_time_zone_data_is_named_with_what_it_would_cost(monkeypatch):
    monkeypatch.setattr(contact_checks, "kazakhstan_offset", lambda: timedelta(hours=6))
    (message,) = contact_checks.time_zone_data_check()
    assert message.id == "contacts.W001"
    assert "puts Asia/Almaty at UTC+6, not UTC+5" in message.msg
    assert "contacts.W001" in warnings()


def test_a_missing_zone_is_named_too(monkeypatch):
    monkeypatch.setattr(contact_checks, "kazakhstan_offset", lambda: None)
    (message,) = contact_checks.time_zone_data_check()
    assert "no offset (the zone is missing)" in message.msg
