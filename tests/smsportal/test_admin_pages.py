"""Every model in the Django admin opens: its list, its add form, and the change form
of a record where one exists (a page never loaded by hand is where a form breaks)."""

import pytest

from django.contrib import admin
from django.urls import reverse

from campaigns.models import BirthdayGreeting
from contacts.models import ContactGroup
from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def some_records(db):
    account = ProviderAccount.objects.create(
        name="A", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        default_sender="SMSPORTAL",
    )  # fmt: skip
    group = ContactGroup.objects.create(name="Клиенты")
    greeting = BirthdayGreeting.objects.create(name="ДР", account=account, text="Hi")
    greeting.include_groups.add(group)
    return account, group, greeting


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_pages_open(admin_client, some_records, model):
    info = (model._meta.app_label, model._meta.model_name)
    model_admin = admin.site._registry[model]

    listed = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert listed.status_code == 200
    if model_admin.has_add_permission(listed.wsgi_request):
        added = admin_client.get(reverse("admin:{}_{}_add".format(*info)))
        assert added.status_code == 200
    record = model._default_manager.first()
    if record is not None:
        changed = admin_client.get(
            reverse("admin:{}_{}_change".format(*info), args=[record.pk])
        )
        assert changed.status_code == 200


def test_a_greeting_is_saved_through_the_admin(admin_client, admin_user, some_records):
    account, group, _greeting = some_records

    response = admin_client.post(
        reverse("admin:campaigns_birthdaygreeting_add"),
        {"name": "Именинники", "is_active": "on", "account": account.pk,
         "sender": "", "text": "{first_name}, с днём рождения!",
         "include_groups": [group.pk], "send_time": "10:00",
         "time_zone": "Europe/Moscow"},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = BirthdayGreeting.objects.get(name="Именинники")
    assert saved.created_by == admin_user
    assert list(saved.include_groups.all()) == [group]


def test_admin_labels_are_in_the_readers_language(admin_client, some_records):
    account, _group, _greeting = some_records

    page = admin_client.get(
        reverse("admin:providers_provideraccount_change", args=[account.pk]),
        HTTP_ACCEPT_LANGUAGE="ru",
    ).content.decode()
    index = admin_client.get(
        reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    for label in ("Валюта баланса", "Адрес для отчётов о статусе",
                  "Адрес для входящих сообщений"):  # fmt: skip
        assert label in page
    assert "Поздравления с днём рождения" in index
    assert "Callback url" not in page


@pytest.mark.parametrize(
    "changelist",
    ["admin:campaigns_campaign_changelist", "admin:contacts_contact_changelist"],
)
def test_the_admin_search_box_is_named_in_the_reader_s_language(
    admin_client, changelist
):
    """Django writes the search icon's alt="Search" in every language: a screen reader
    named the Russian admin's search box in English."""
    html = admin_client.get(
        reverse(changelist), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert 'alt="Поиск"' in html
    assert 'alt="Search"' not in html
