import pytest

from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["dashboard", "accounts:profile", "accounts:password_change", "contacts:list"]


@pytest.mark.parametrize("url_name", PAGES)
def test_anonymous_page_request_is_redirected_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_api_request_gets_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_login_page_is_open_and_login_works(client, viewer_user):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_logout_ends_the_session(admin_client):
    response = admin_client.post(reverse("logout"))
    assert response.status_code == 302
    assert admin_client.get(reverse("dashboard")).status_code == 302


def test_viewer_gets_403_on_a_write(viewer_client):
    response = viewer_client.get(reverse("admin:auth_user_add"))
    assert response.status_code == 403
    response = viewer_client.post(reverse("admin:auth_user_add"), {"username": "x"})
    assert response.status_code == 403


def test_demo_admin_sees_every_navigation_entry(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        "root-admin", password="x-Pass-1"
    )
    client.force_login(admin)
    html = client.get(reverse("dashboard")).content.decode()
    for section in ("dashboard", "contacts", "groups", "stop", "campaigns", "inbox"):
        assert f'data-nav="{section}"' in html
    assert 'data-nav="providers"' in html
    assert 'data-nav="admin"' in html


def test_password_change(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "secret-pass-123",
            "new_password1": "Another-Secret-42",
            "new_password2": "Another-Secret-42",
        },
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.check_password("Another-Secret-42")
    # Recorded, without the password.
    from accounts.models import AuditEvent

    event = AuditEvent.objects.get(action="password_changed")
    assert event.actor_name == admin_user.username
    assert "Another-Secret-42" not in str(event.details)


def test_the_profile_names_the_role_in_the_readers_language(client, manager_user):
    client.force_login(manager_user)

    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="ru")

    assert (
        '<span class="badge text-bg-secondary">Менеджер</span>' in page.content.decode()
    )
