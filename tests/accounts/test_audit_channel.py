"""An action done through the API names its token in the audit log (its id and
name, never its value); the same action on a page names none."""

import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def group_events() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CREATED, object_type="contacts.ContactGroup"
        ).order_by("id")
    )


def test_an_api_action_records_its_token_and_the_log_page_shows_it(
    client, manager_user, admin_user
):
    token, raw = api_token_create(user=manager_user, name="crm-sync")

    response = client.post(
        "/api/v1/groups",
        {"name": "VIP"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.content

    (event,) = group_events()
    assert event.actor_name == "mark-manager"
    assert event.details["api_token"] == {"id": token.pk, "name": "crm-sync"}
    assert raw not in str(event.details)
    client.force_login(admin_user)
    page = client.get(
        reverse("accounts:audit_log"), {"action": "created"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f"Through API token:</span> crm-sync (#{token.pk})" in page


def test_a_page_action_names_no_token(manager_client):
    response = manager_client.post(reverse("contacts:group_create"), {"name": "VIP"})
    assert response.status_code == 302

    (event,) = group_events()
    assert "api_token" not in event.details


def test_an_api_action_in_a_session_names_no_token(client, manager_user):
    client.force_login(manager_user)

    response = client.post(
        "/api/v1/groups", {"name": "VIP"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content

    (event,) = group_events()
    assert "api_token" not in event.details
