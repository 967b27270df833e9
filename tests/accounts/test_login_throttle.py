import pytest

from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_repeated_failures_lock_the_login_even_with_the_right_password(
    client, viewer_user
):
    for _ in range(5):
        client.post(reverse("login"), {"username": "vera-viewer", "password": "nope"})
    response = client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_few_failures_do_not_lock(client, viewer_user):
    for _ in range(3):
        client.post(reverse("login"), {"username": "vera-viewer", "password": "nope"})
    response = client.post(
        reverse("login"), {"username": "vera-viewer", "password": "secret-pass-123"}
    )
    assert response.status_code == 302


def login(client, username: str, password: str, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, **extra
    )


def test_failures_under_other_names_do_not_lock_a_colleague_out(client, viewer_user):
    """Behind a proxy every visitor shares one address: five typos by anyone, or
    junk names, locked the whole team out for a quarter of an hour."""
    for n in range(5):
        login(client, f"nobody-{n}", "nope")
    assert login(client, "vera-viewer", "secret-pass-123").status_code == 302


def test_a_name_tried_from_many_addresses_is_locked_too(client, viewer_user):
    for n in range(20):
        login(client, "vera-viewer", "nope", REMOTE_ADDR=f"10.0.0.{n}")
    response = login(client, "vera-viewer", "secret-pass-123", REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 429


def test_an_address_trying_many_names_is_locked(client, viewer_user):
    for n in range(50):
        login(client, f"name-{n}", "nope")
    assert login(client, "vera-viewer", "secret-pass-123").status_code == 429
    # Another address is not.
    other = login(client, "vera-viewer", "secret-pass-123", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_behind_a_trusted_proxy_the_clients_address_counts(
    client, viewer_user, settings
):
    settings.SMSPORTAL_TRUSTED_PROXIES = 1
    for n in range(50):
        login(client, f"name-{n}", "nope", HTTP_X_FORWARDED_FOR="203.0.113.7")
    locked = login(client, "vera-viewer", "secret-pass-123",
                   HTTP_X_FORWARDED_FOR="203.0.113.7")  # fmt: skip
    # Same proxy (REMOTE_ADDR), another client behind it.
    other = login(client, "vera-viewer", "secret-pass-123",
                  HTTP_X_FORWARDED_FOR="203.0.113.8")  # fmt: skip
    assert (locked.status_code, other.status_code) == (429, 302)


def test_the_admins_login_page_is_the_throttled_one(client, viewer_user):
    for _ in range(5):
        login(client, "vera-viewer", "nope")

    posted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "vera-viewer", "password": "secret-pass-123"},
    )
    shown = client.get("/admin/", follow=True)

    assert posted.status_code == 302
    assert posted.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert shown.redirect_chain[-1][0] == f"{reverse('login')}?next=/admin/"
    assert login(client, "vera-viewer", "secret-pass-123").status_code == 429


def test_a_signed_in_user_who_may_not_use_the_admin_is_told_so(client):
    from django.contrib.auth.models import User

    user = User.objects.create_user("plain", password="pw-123-456-789")
    client.force_login(user)

    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_a_forwarded_address_that_is_no_address_is_not_trusted(rf, settings):
    from smsportal.client_address import client_address

    settings.SMSPORTAL_TRUSTED_PROXIES = 1
    forged = rf.get("/", HTTP_X_FORWARDED_FOR="<script>", REMOTE_ADDR="10.0.0.1")
    short = rf.get("/", REMOTE_ADDR="10.0.0.2")  # no header: the proxy was bypassed
    two = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    assert client_address(forged) == "10.0.0.1"
    assert client_address(short) == "10.0.0.2"
    assert client_address(two) == "203.0.113.7"  # the one our proxy appended


def test_a_browser_that_signed_in_before_is_not_locked_out_by_a_burst_elsewhere(
    client, viewer_user
):
    """Twenty wrong passwords from other addresses lock the name for strangers, not
    for the browser that has signed in as it before (its device cookie)."""
    assert login(client, "vera-viewer", "secret-pass-123").status_code == 302
    signed_out(client)
    attacker = client_class_with_no_cookies()
    for n in range(20):
        login(attacker, "vera-viewer", "nope", REMOTE_ADDR=f"10.0.0.{n}")
    assert login(attacker, "vera-viewer", "secret-pass-123").status_code == 429

    response = login(client, "vera-viewer", "secret-pass-123", REMOTE_ADDR="10.0.1.1")

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_device_cookie_guesses_no_faster_than_the_name_counter(client, viewer_user):
    assert login(client, "vera-viewer", "secret-pass-123").status_code == 302
    signed_out(client)
    for n in range(20):  # the cookie taken to twenty addresses
        login(client, "vera-viewer", "nope", REMOTE_ADDR=f"10.0.2.{n}")

    response = login(client, "vera-viewer", "secret-pass-123", REMOTE_ADDR="10.0.3.1")

    assert response.status_code == 429


def test_a_device_cookie_is_for_its_own_name_and_cannot_be_made_up(
    client, viewer_user, manager_user
):
    from accounts.throttle import DEVICE_COOKIE

    assert login(client, "vera-viewer", "secret-pass-123").status_code == 302
    signed_out(client)
    attacker = client_class_with_no_cookies()
    for n in range(20):
        login(attacker, manager_user.username, "nope", REMOTE_ADDR=f"10.0.4.{n}")
    # Vera's browser is no device of the manager's.
    locked = login(client, manager_user.username, "x", REMOTE_ADDR="10.0.5.1")
    assert locked.status_code == 429
    forged = client_class_with_no_cookies()
    forged.cookies[DEVICE_COOKIE] = f'["{manager_user.username}", "made-up"]'
    assert login(forged, manager_user.username, "x").status_code == 429


def signed_out(client) -> None:
    """Sign out as a browser does: the session goes, the device cookie stays (the
    test client's logout() drops every cookie)."""
    from accounts.throttle import DEVICE_COOKIE

    device = client.cookies[DEVICE_COOKIE]
    client.logout()
    client.cookies[DEVICE_COOKIE] = device.value


def client_class_with_no_cookies():
    from django.test import Client

    return Client()
