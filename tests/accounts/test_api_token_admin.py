"""API tokens in the admin: listed, renamed and revoked (logged), never made there,
never handed to another user, never brought back; a deactivated user's are revoked."""

import pytest

from django.test import Client
from django.urls import reverse

from accounts.audit_display import detail_lines
from accounts.models import ApiToken, AuditEvent
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def me_status(raw: str) -> int:
    """/me with the token alone (no session, which would answer instead)."""
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def _revocations(token: ApiToken) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REVOKED,
            object_type="accounts.ApiToken",
            object_id=str(token.pk),
        )
    )


def test_a_revoked_token_cannot_be_revived_under_another_user(
    admin_client, admin_user, viewer_user
):
    """The tester's way: revoke the viewer's token, clear "revoked", set the admin as
    its user: the old token answered /me as the admin."""
    token, raw = api_token_create(user=viewer_user, name="crm")
    api_token_revoke(token=token)
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "user": admin_user.pk,
            "name": "renamed",
            "revoked_at_0": "",
            "revoked_at_1": "",
        },
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "renamed"  # the label may be changed
    assert token.user == viewer_user
    assert token.revoked_at is not None
    assert 'name="user"' not in page
    assert 'name="revoked_at_0"' not in page
    assert me_status(raw) == 401


def test_tokens_are_not_made_in_the_admin(admin_client, viewer_user):
    """Each person makes their own on the profile page: one made here let its maker
    act as another user, and its raw value went through the messages cookie."""
    add = reverse("admin:accounts_apitoken_add")

    page = admin_client.get(add)
    response = admin_client.post(add, {"user": viewer_user.pk, "name": "backdoor"})
    listing = admin_client.get(reverse("admin:accounts_apitoken_changelist"))

    assert page.status_code == response.status_code == 403
    assert not ApiToken.objects.exists()
    assert add not in listing.content.decode()


def test_the_admin_action_revokes_and_logs(admin_client, admin_user, viewer_user):
    token, raw = api_token_create(user=viewer_user, name="crm")

    admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert [e.actor_name for e in _revocations(token)] == [admin_user.username]
    assert me_status(raw) == 401


def test_deactivating_a_user_in_the_admin_revokes_their_tokens(
    admin_client, admin_user, manager_user
):
    """Reactivating the user brought every old token back: authentication only
    looked at the user's flag."""
    active, raw = api_token_create(user=manager_user, name="crm")
    already, _raw = api_token_create(user=manager_user, name="old")
    api_token_revoke(token=already)
    _mine, others_raw = api_token_create(user=admin_user, name="mine")
    url = reverse("admin:auth_user_change", args=[manager_user.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    data.update(
        groups=[g.pk for g in manager_user.groups.all()],
        date_joined_0="2024-01-01", date_joined_1="00:00:00",
        last_login_0="", last_login_1="", usable_password="true",
    )  # fmt: skip
    data.pop("is_active")  # the box unticked
    data.pop("password", None)

    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    manager_user.refresh_from_db()
    manager_user.is_active = True  # and back
    manager_user.save()

    assert me_status(raw) == 401
    assert me_status(others_raw) == 200
    events = _revocations(active)
    assert [e.actor_name for e in events] == [admin_user.username]
    assert detail_lines("accounts.ApiToken", events[0].details) == [
        ("Причина", "Пользователь отключён")
    ]
    assert len(_revocations(already)) == 1  # its own revocation only, not again


def test_deactivating_anywhere_revokes_the_tokens(manager_user):
    token, _raw = api_token_create(user=manager_user, name="crm")

    manager_user.is_active = False
    manager_user.save(update_fields=["is_active"])
    manager_user.is_active = True
    manager_user.save()

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert len(_revocations(token)) == 1
