"""A greeting's last error is met by beat's worker, in its language, and read by
anyone: each reader gets it in their own."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from django.urls import reverse
from django.utils import translation

from campaigns.greetings import greetings_run
from campaigns.models import BirthdayGreeting
from contacts.models import Contact, ContactGroup, GroupMembership

pytestmark = pytest.mark.django_db

DAY = date(2027, 3, 15)
ENGLISH = "Birthdays — 15.03.2027 was not launched: The provider account is not active."
RUSSIAN = (
    "Рассылка «Birthdays — 15.03.2027» не запущена: Аккаунт провайдера не активен."
)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def refused(account) -> BirthdayGreeting:
    """A greeting whose launch beat's worker saw refused, in Russian."""
    group = ContactGroup.objects.create(name="Clients")
    contact = Contact.objects.create(phone="+79120000001", birthday=date(1990, 3, 15))
    GroupMembership.objects.create(contact=contact, group=group)
    greeting = BirthdayGreeting.objects.create(
        name="Birthdays", account=account, sender="SMSPORTAL", text="Hi!",
        time_zone="Europe/Moscow",
    )  # fmt: skip
    greeting.include_groups.set([group])
    account.is_active = False
    account.save()
    with translation.override("ru"):
        greetings_run(
            now=datetime.combine(DAY, time(11), tzinfo=ZoneInfo("Europe/Moscow"))
        )
    greeting.refresh_from_db()
    return greeting


def test_an_error_met_in_russian_reads_in_each_readers_language(refused):
    with translation.override("en"):
        assert refused.last_error_message == ENGLISH
    with translation.override("ru"):
        assert refused.last_error_message == RUSSIAN


def test_the_greeting_pages_show_the_error_in_the_readers_language(
    manager_client, refused
):
    edit = reverse("campaigns:greeting_edit", args=[refused.pk])
    listed = reverse("campaigns:greetings")

    english = manager_client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = manager_client.get(edit, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    english_list = manager_client.get(listed, HTTP_ACCEPT_LANGUAGE="en")

    assert ENGLISH in english
    assert "Аккаунт провайдера" not in english
    assert RUSSIAN in russian
    assert ENGLISH in english_list.content.decode()


def test_the_api_gives_the_error_in_the_requests_language(manager_client, refused):
    url = f"/api/v1/greetings/{refused.pk}"

    english = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    russian = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").json()

    assert english["last_error"] == ENGLISH
    assert russian["last_error"] == RUSSIAN


def test_the_admin_shows_the_error_in_the_readers_language(admin_client, refused):
    url = reverse("admin:campaigns_birthdaygreeting_change", args=[refused.pk])

    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert ENGLISH in page.content.decode()


def test_an_error_stored_as_text_before_records_shows_as_it_was(
    manager_client, account
):
    greeting = BirthdayGreeting.objects.create(
        name="Old", account=account, text="Hi!",
        last_error="Рассылка «Old» не запущена: Аккаунт провайдера не активен.",
    )  # fmt: skip

    page = manager_client.get(
        reverse("campaigns:greeting_edit", args=[greeting.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    api = manager_client.get(
        f"/api/v1/greetings/{greeting.pk}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Аккаунт провайдера не активен." in page.content.decode()
    assert api.json()["last_error"] == greeting.last_error
