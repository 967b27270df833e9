"""A contact's dates: refused before they are stored when no one could read them."""

from datetime import date, timedelta

import pytest

from django.utils import timezone

import smsportal.api  # noqa: F401 - registers contacts.api first, as urls do
from contacts import api as contacts_api
from contacts.forms import ContactForm
from contacts.models import Contact
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


OFF_THE_CALENDAR = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"]


@pytest.mark.parametrize("consent_at", OFF_THE_CALENDAR)
def test_a_consent_time_off_the_calendar_is_refused_and_not_stored(api, consent_at):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "consent_at": consent_at},
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["where"] == "consent_at"
    assert not Contact.objects.exists()
    assert api.get("/api/v1/contacts").status_code == 200


@pytest.mark.parametrize("consent_at", OFF_THE_CALENDAR)
def test_a_consent_time_off_the_calendar_is_refused_on_update(api, consent_at):
    contact = make_contact("+79123456789")

    response = api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"consent_at": consent_at},
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["where"] == "consent_at"
    contact.refresh_from_db()
    assert contact.consent_at is None


def test_a_consent_time_in_the_future_is_refused(api):
    later = (timezone.now() + timedelta(hours=1)).isoformat()

    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "consent_at": later},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The consent time is in the future: give the moment the person "
        "agreed.",
        "where": "consent_at",
    }


def test_a_consent_time_of_a_moment_ago_goes_in(api):
    now = timezone.now().isoformat()

    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "consent_at": now},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content


def test_a_birthday_before_1900_is_refused_alike_by_the_api_and_the_page(api):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "birthday": "1800-01-01"},
        content_type="application/json",
    )
    form = ContactForm({"phone": "+79123456789", "birthday": "1800-01-01"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The birthday cannot be earlier than 01.01.1900.",
        "where": "birthday",
    }
    assert not form.is_valid()
    assert form.errors["birthday"] == [response.json()["detail"]]
    assert not Contact.objects.exists()


def test_a_birthday_of_1900_goes_in(api):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "birthday": "1900-01-01"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert Contact.objects.get().birthday == date(1900, 1, 1)


def test_a_failed_answer_leaves_no_contact_behind(api, monkeypatch):
    """Whatever fails after the write (reading it back), the write is undone."""

    def unreadable(pk):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(contacts_api, "_contact", unreadable)

    response = api.post(
        "/api/v1/contacts", {"phone": "+79123456789"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_an_import_refuses_a_birthday_before_1900(do_import):
    report, rejects = do_import(
        b"phone;birthday\n+79123456789;01.01.1800\n", mapping=None
    )

    assert not Contact.objects.exists()
    assert "earlier than 01.01.1900" in rejects
