"""Users, roles and custom fields are audited, deletions included, with who did it;
a token that goes with its user is logged as revoked."""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import MANAGER, VIEWER
from accounts.services import api_token_create, api_token_revoke
from contacts.models import CustomField

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def events(*object_types: str) -> list[tuple]:
    rows = AuditEvent.objects.filter(object_type__in=object_types).order_by("id")
    return list(rows.values_list("action", "object_type", "object_repr", "actor_name"))


def admin_delete(client, url_name: str, pk: int):
    return client.post(reverse(url_name, args=[pk]), {"post": "yes"}, **EN)


def test_deleting_a_user_logs_it_and_revokes_its_active_token(
    admin_client, django_user_model
):
    bob = django_user_model.objects.create_user("bob")
    api_token_create(user=bob, name="CRM")
    old, _ = api_token_create(user=bob, name="Old")
    api_token_revoke(token=old)
    AuditEvent.objects.all().delete()

    admin_delete(admin_client, "admin:auth_user_delete", bob.pk)

    assert not django_user_model.objects.filter(username="bob").exists()
    assert sorted(events("auth.User", "accounts.ApiToken")) == [
        ("deleted", "accounts.ApiToken", "Old", "alice-admin"),
        ("deleted", "auth.User", "bob", "alice-admin"),
        ("revoked", "accounts.ApiToken", "CRM", "alice-admin"),
    ]


def test_roles_and_custom_fields_deleted_in_the_admin_are_logged(admin_client):
    role = Group.objects.create(name="Auditors")
    field = CustomField.objects.create(key="city", label="City")

    admin_delete(admin_client, "admin:auth_group_delete", role.pk)
    admin_delete(admin_client, "admin:contacts_customfield_delete", field.pk)

    assert events("auth.Group", "contacts.CustomField") == [
        ("created", "auth.Group", "Auditors", ""),  # outside a request: no one
        ("created", "contacts.CustomField", "City", ""),
        ("deleted", "auth.Group", "Auditors", "alice-admin"),
        ("deleted", "contacts.CustomField", "City", "alice-admin"),
    ]


def test_a_users_roles_given_and_taken_are_logged_and_read_in_the_log(
    admin_client, django_user_model
):
    bob = django_user_model.objects.create_user("bob")
    manager, viewer = Group.objects.get(name=MANAGER), Group.objects.get(name=VIEWER)
    bob.groups.add(viewer)
    AuditEvent.objects.all().delete()

    bob.groups.set([manager])
    manager.user_set.clear()

    changes = AuditEvent.objects.filter(object_type="auth.User").order_by("id")
    assert [(e.object_repr, e.details) for e in changes] == [
        ("bob", {"roles_removed": ["Viewer"]}),
        ("bob", {"roles_added": ["Manager"]}),
        ("bob", {"roles_removed": ["Manager"]}),
    ]
    page = admin_client.get(
        reverse("accounts:audit_log") + "?object_type=auth.User", **EN
    ).content.decode()
    assert "Roles given" in page
    assert "Roles taken away" in page


def test_a_superuser_who_deletes_themselves_is_logged_by_name(
    client, django_user_model
):
    """The deletion's event cannot point at the row it deletes."""
    root = django_user_model.objects.create_superuser("root", password="x")
    api_token_create(user=root, name="Mine")
    client.force_login(root)

    response = admin_delete(client, "admin:auth_user_delete", root.pk)

    assert response.status_code == 302
    assert not django_user_model.objects.filter(username="root").exists()
    deleted = AuditEvent.objects.get(object_type="auth.User", action="deleted")
    assert (deleted.actor_id, deleted.actor_name) == (None, "root")
    assert AuditEvent.objects.filter(action="revoked", object_repr="Mine").exists()
