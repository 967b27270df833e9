"""Every admin page a manager or a viewer can open opens: no 500, no dead links."""

import pytest

from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.models import BirthdayGreeting, Message, MessageTemplate
from contacts.models import Contact, CustomField, StopListEntry
from providers.models import SenderName
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(account, make_group, make_campaign, admin_user):
    group = make_group("Clients", [("+79120000001", "Ann", "Europe/Moscow")])
    campaign = make_campaign([group])
    add_messages(campaign, ["sent"])
    MessageTemplate.objects.create(name="Order", text="Your order is ready")
    BirthdayGreeting.objects.create(name="Birthday", account=account, text="Happy day")
    SenderName.objects.create(account=account, name="SMSPORTAL", usable=True)
    StopListEntry.objects.create(phone="+79120000009")
    CustomField.objects.create(key="city", label="City")
    AuditEvent.objects.create(action="login", object_repr="someone")
    assert Contact.objects.exists()
    assert Message.objects.exists()


@pytest.mark.parametrize("role_client", ["manager_client", "viewer_client"])
def test_every_admin_page_a_role_opens_answers(request, one_of_each, role_client):
    """A viewer's change page of a template or a greeting was a 500: their forms
    styled fields the read-only page does not have."""
    client = request.getfixturevalue(role_client)
    failures = []
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        listing = client.get(reverse(f"{prefix}_changelist"))
        if listing.status_code == 403:
            continue
        if listing.status_code != 200:
            failures.append((prefix, "changelist", listing.status_code))
            continue
        obj = model_admin.get_queryset(listing.wsgi_request).first()
        if obj is None:
            continue
        page = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        if page.status_code not in (200, 302, 403):
            failures.append((prefix, "change", page.status_code))
    assert failures == []


def test_a_viewer_is_not_offered_imports_it_may_not_run(viewer_client, one_of_each):
    contacts = viewer_client.get(reverse("admin:contacts_contact_changelist"))
    stop_list = viewer_client.get(reverse("admin:contacts_stoplistentry_changelist"))

    assert reverse("contacts:import") not in contacts.content.decode()
    assert reverse("contacts:export") in contacts.content.decode()
    assert reverse("contacts:stoplist_import") not in stop_list.content.decode()


def test_a_message_reads_in_russian_in_the_admin(manager_client, one_of_each):
    message = Message.objects.first()

    html = manager_client.get(
        reverse("admin:campaigns_message_change", args=[message.pk]),
        HTTP_ACCEPT_LANGUAGE="ru",
    ).content.decode()

    for label in ("Кодировка", "Ориентировочная стоимость", "Попытки", "Контакт"):
        assert f"{label}:" in html
    assert f"{message.phone} (Отправлено)" in html  # the status in words
