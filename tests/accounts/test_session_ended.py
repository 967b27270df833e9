"""A page that outlives its session: htmx fragments get a bare 401, pages and forms
go to a login page that says why and leads back to the page the user was on."""

from urllib.parse import parse_qs, urlsplit

import pytest

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FRAGMENTS = [
    ("get", "dashboard_in_flight"),
    ("post", "campaigns:compose_preview"),
]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def ended_client(manager_user) -> Client:
    """Signed in, then the session ended elsewhere (expired, or logged out in another
    tab): the browser still sends a cookie the server no longer honours."""
    client = Client()
    client.force_login(manager_user)
    Session.objects.all().delete()
    return client


@pytest.mark.parametrize(("method", "url_name"), FRAGMENTS)
def test_htmx_request_without_a_session_gets_401_not_the_login_page(
    ended_client, method, url_name
):
    response = getattr(ended_client, method)(
        reverse(url_name), HTTP_ACCEPT_LANGUAGE="en", **HTMX
    )

    assert response.status_code == 401
    body = response.content.decode()
    assert "id_username" not in body
    assert "<nav" not in body
    assert "session has ended" in body
    assert not response.has_header("Location")
    assert not response.has_header("HX-Redirect")
    assert response["Cache-Control"] == "no-store"


def test_htmx_history_restore_wants_a_whole_page_so_it_is_redirected(client):
    response = client.get(
        reverse("dashboard"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_page_of_an_ended_session_goes_to_a_login_page_that_says_why(ended_client):
    response = ended_client.get(reverse("contacts:list"))

    assert response.status_code == 302
    query = _query(response.url)
    assert query["session"] == ["ended"]
    assert query["next"] == [reverse("contacts:list")]


def test_first_visit_goes_to_the_plain_login_page(client):
    response = client.get(reverse("contacts:list"))

    assert response.status_code == 302
    assert "session" not in _query(response.url)


def test_form_sent_after_the_session_ended_returns_to_the_page_it_came_from(client):
    """The address a form posts to may answer POST only (a reply); the form's page is
    where its draft comes back."""
    form_page = reverse("reports:reply", args=[7]) + "?tab=answer"

    response = client.post(
        reverse("reports:reply_answer", args=[7]),
        {"text": "Спасибо"},
        HTTP_REFERER=f"http://testserver{form_page}",
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    query = _query(response.url)
    assert query["next"] == [form_page]
    assert query["session"] == ["ended"]


def test_form_sent_without_a_referer_returns_to_its_own_address(client):
    response = client.post(reverse("campaigns:create"), {"name": "Акция"})

    query = _query(response.url)
    assert query["next"] == [reverse("campaigns:create")]
    assert query["session"] == ["ended"]


def test_a_referer_from_another_site_is_not_a_page_to_return_to(client):
    response = client.post(
        reverse("campaigns:create"),
        {"name": "Акция"},
        HTTP_REFERER="https://evil.example/campaigns/new/",
    )

    assert _query(response.url)["next"] == [reverse("campaigns:create")]


def test_login_page_says_the_session_has_ended_and_the_work_is_kept(client):
    response = client.get(
        reverse("login"), {"session": "ended", "next": "/campaigns/new/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-session-ended" in html
    assert "Your session has ended; sign in to continue" in html
    assert "What you were writing is kept" in html
    assert 'name="next" value="/campaigns/new/"' in html


def test_login_page_says_nothing_of_a_session_on_a_first_visit(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "data-session-ended" not in html
    assert "session has ended" not in html


def test_signing_in_from_the_ended_session_page_returns_to_the_form(
    client, manager_user
):
    response = client.post(
        reverse("login") + "?session=ended&next=/campaigns/new/",
        {"username": manager_user.username, "password": "secret-pass-123",
         "next": "/campaigns/new/"},
    )  # fmt: skip

    assert response.status_code == 302
    assert response.url == "/campaigns/new/"


def test_signed_in_page_names_its_user_for_drafts_and_carries_the_banner(
    manager_client, manager_user
):
    html = manager_client.get(
        reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert f'data-user="{manager_user.pk}"' in html
    assert "data-keep-draft" in html
    assert "data-draft-bound" not in html
    assert "data-session-ended-alert" in html
    assert "sign in again in another tab; what you typed here is kept" in html
    assert "data-clears-drafts" in html


def test_form_sent_back_with_errors_is_not_overwritten_by_a_draft(manager_client):
    html = manager_client.post(reverse("campaigns:create"), {}).content.decode()

    assert "data-keep-draft data-draft-bound" in html


def test_login_page_names_no_user_and_has_no_banner(client):
    html = client.get(reverse("login")).content.decode()

    assert "data-user=" not in html
    assert "data-session-ended-alert" not in html
