"""The stop list in the admin: an entry is added or removed, never renumbered, and a
removal is in the audit log as the stop list page's is."""

import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from contacts.models import StopListEntry

pytestmark = pytest.mark.django_db

PHONE = "+79123456789"


@pytest.fixture
def entry(manager_user):
    return StopListEntry.objects.create(phone=PHONE, reason="asked by phone")


def test_a_manager_cannot_renumber_an_entry(manager_client, entry):
    url = reverse("admin:contacts_stoplistentry_change", args=[entry.pk])

    page = manager_client.get(url).content.decode()
    response = manager_client.post(
        url, {"phone": "+79990000000", "reason": "asked twice", "source": "manual"}
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.phone == PHONE  # still on the list
    assert entry.reason == "asked twice"  # the reason may be corrected
    assert 'name="phone"' not in page
    assert PHONE in page  # shown, read only
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, details__fields__contains=["phone"]
    ).exists()


def test_a_number_is_still_typed_when_added(manager_client):
    response = manager_client.post(
        reverse("admin:contacts_stoplistentry_add"),
        {"phone": "8 912 345-67-89", "reason": "", "source": "manual"},
    )

    assert response.status_code == 302
    assert StopListEntry.objects.get().phone == PHONE


def _removed_events() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.UNSTOP_LISTED).values_list(
            "actor_name", "object_repr"
        )
    )


def test_removal_on_the_delete_page_is_logged_as_the_pages_is(
    manager_client, manager_user, entry
):
    manager_client.post(
        reverse("admin:contacts_stoplistentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert not StopListEntry.objects.exists()
    assert _removed_events() == [(manager_user.username, PHONE)]


@pytest.mark.parametrize("action", ["delete_selected", "remove_from_stoplist"])
def test_removal_by_an_admin_action_is_logged(
    manager_client, manager_user, entry, action
):
    manager_client.post(
        reverse("admin:contacts_stoplistentry_changelist"),
        {"action": action, "_selected_action": [entry.pk], "post": "yes"},
    )

    assert not StopListEntry.objects.exists()
    assert _removed_events() == [(manager_user.username, PHONE)]


def test_the_stop_list_page_logs_its_removal_alike(manager_client, manager_user, entry):
    manager_client.post(reverse("contacts:stoplist_remove"), {"phone": PHONE})

    assert _removed_events() == [(manager_user.username, PHONE)]


def test_the_delete_action_names_entries(admin_client, entry):
    """It read «Удалить выбранные стоп-лист»: the plural name was the list's."""
    url = reverse("admin:contacts_stoplistentry_changelist")
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Delete selected stop list entries" in page
