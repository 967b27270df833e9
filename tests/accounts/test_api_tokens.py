import pytest

from django.urls import reverse

from accounts.models import ApiToken, token_digest
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


# What the profile page's form sends besides the name: its two choices.
CHOICES = {"scope": "read_write", "lifetime": "never"}


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_authenticates_api_requests(client, manager_user):
    _token, raw = api_token_create(user=manager_user, name="crm")
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "mark-manager"
    assert body["roles"] == ["Manager"]


def test_revoked_token_is_refused(client, manager_user):
    token, raw = api_token_create(user=manager_user, name="crm")
    api_token_revoke(token=token)
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_unknown_token_is_refused(client):
    assert client.get("/api/v1/me", **bearer("sp_not-a-token")).status_code == 401


def test_token_is_stored_hashed(manager_user):
    token, raw = api_token_create(user=manager_user, name="crm")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == token_digest(raw)
    assert raw not in {stored.digest, stored.hint, stored.name}


def test_token_of_inactive_user_is_refused(client, manager_user):
    _token, raw = api_token_create(user=manager_user, name="crm")
    manager_user.is_active = False
    manager_user.save()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_profile_page_creates_shows_once_and_revokes(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:profile"), {"name": "script", **CHOICES}, follow=True
    )
    raw = response.context["new_token"]
    assert raw.startswith("sp_")
    assert raw in response.content.decode()
    assert raw not in admin_client.get(reverse("accounts:profile")).content.decode()
    token = admin_user.api_tokens.get()
    admin_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_asks_first_and_a_new_token_has_a_copy_button(admin_client):
    """«Отозвать» revoked at once, with no question, unlike every other button that
    cannot be undone."""
    response = admin_client.post(
        reverse("accounts:profile"),
        {"name": "1С обмен", **CHOICES},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    html = response.content.decode()

    form = html.split('action="/account/profile/tokens/', 1)[1].split(">", 1)[0]
    assert 'data-confirm="Revoke the token “1С обмен”?' in form
    assert 'id="new-token">' in html
    assert 'data-copy-from="new-token"' in html
    assert "js/app.js" in html  # which asks the question and copies


def test_user_cannot_revoke_another_users_token(admin_client, manager_user):
    token, _raw = api_token_create(user=manager_user, name="crm")
    response = admin_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404


def test_openapi_schema_and_docs_are_served_to_users_only(client, viewer_user):
    """Every operation needs a user: the schema and its docs page too, as a map of
    the installation is of no use to anyone else."""
    _token, raw = api_token_create(user=viewer_user, name="generator")
    anonymous_schema = client.get("/api/v1/openapi.json")
    anonymous_docs = client.get("/api/v1/docs")
    wrong_token = client.get(
        "/api/v1/openapi.json", headers={"authorization": "Bearer nonsense"}
    )
    by_token = client.get(
        "/api/v1/openapi.json", headers={"authorization": f"Bearer {raw}"}
    )
    client.force_login(viewer_user)
    by_session = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")

    assert anonymous_schema.status_code == 401
    assert "Bearer" in anonymous_schema.json()["detail"]
    assert wrong_token.status_code == 401
    assert anonymous_docs.status_code == 302
    assert anonymous_docs["Location"] == "/login/?next=/api/v1/docs"
    assert "/api/v1/me" in by_token.json()["paths"]
    assert "/api/v1/me" in by_session.json()["paths"]
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_a_refused_token_name_stays_in_the_form(client, manager_user):
    client.force_login(manager_user)

    response = client.post(reverse("accounts:profile"), {"name": "т" * 300, **CHOICES})

    page = response.content.decode()
    assert "т" * 300 in page  # what was typed, to shorten rather than retype
    assert 'maxlength="100"' in page
    assert not manager_user.api_tokens.exists()


def test_creating_and_revoking_a_token_is_in_the_audit_log(client, manager_user):
    """Who may act through the API is the log's business; the token never is."""
    from accounts.models import AuditEvent

    client.force_login(manager_user)
    client.post(reverse("accounts:profile"), {"name": "CRM", **CHOICES})
    token = ApiToken.objects.get()
    client.post(reverse("accounts:token_revoke", args=[token.pk]))

    events = AuditEvent.objects.filter(object_type="accounts.ApiToken").order_by("id")
    assert [(e.action, e.actor_name, e.object_repr) for e in events] == [
        ("created", manager_user.username, "CRM"),
        ("revoked", manager_user.username, "CRM"),
    ]
    assert token.hint not in str(list(events.values()))


def test_the_admin_action_says_what_it_revoked(admin_client, admin_user, manager_user):
    """Revoking from the admin reports how many were revoked and how many already
    were; its name follows the reader's language, not the server's."""
    tokens = [api_token_create(user=manager_user, name=f"t{n}")[0] for n in range(4)]
    api_token_revoke(token=tokens[3])
    url = reverse("admin:accounts_apitoken_changelist")

    def revoke(*chosen, lang="en"):
        response = admin_client.post(
            url,
            {"action": "revoke", "_selected_action": [t.pk for t in chosen]},
            HTTP_ACCEPT_LANGUAGE=lang,
            follow=True,
        )
        return [str(m) for m in response.context["messages"]]

    listing = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Revoke selected tokens<" in listing
    assert revoke(tokens[0]) == ["1 token revoked."]
    assert revoke(tokens[1], tokens[2], tokens[3]) == [
        "2 tokens revoked.",
        "1 token was already revoked.",
    ]
    assert revoke(*tokens) == ["4 tokens were already revoked."]
    assert ApiToken.objects.active().count() == 0


def test_making_a_token_redirects_and_a_reload_makes_no_second(client, manager_user):
    """The page answered the POST itself: F5 sent the form again, a second token."""
    client.force_login(manager_user)
    url = reverse("accounts:profile")

    posted = client.post(url, {"name": "CRM", **CHOICES})
    shown = client.get(url)
    reloaded = client.get(url)

    assert posted.status_code == 302
    assert posted["Location"] == url
    raw = shown.context["new_token"]
    assert raw.startswith("sp_")
    assert raw in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert reloaded.context["new_token"] is None  # shown once
    assert raw not in reloaded.content.decode()
    assert raw not in posted.cookies.output()  # not in the messages cookie
    assert manager_user.api_tokens.count() == 1
