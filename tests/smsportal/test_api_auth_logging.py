"""Credentials sent to the API never reach the log, whatever their scheme."""

import logging

import pytest

from django.core.cache import cache
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "secret"),
    [
        ("Basic YWRtaW46czNjcmV0LVBhc3N3MHJk", "YWRtaW46czNjcmV0"),
        ("Token sp_TYkO4abcdefghijklmnop", "TYkO4abcdefghijklmnop"),
        ("sp_TYkO4abcdefghijklmnop", "TYkO4abcdefghijklmnop"),
        ("Digest username=admin, response=9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ],
)
def test_a_header_of_another_scheme_is_refused_and_never_logged(
    client, settings, caplog, header, secret
):
    settings.DEBUG = True  # ninja logs the whole header only then
    caplog.set_level(logging.DEBUG)

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert secret not in caplog.text
    assert not any(secret in str(record.args) for record in caplog.records)


def test_a_bearer_token_with_a_lowercase_scheme_still_authenticates(
    client, manager_user
):
    _token, raw = api_token_create(user=manager_user, name="test")

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"bearer {raw}")

    assert response.status_code == 200
    assert response.json()["username"] == manager_user.username


# django.request wrote every 401 and 429 of the API at WARNING: a guessing attack or
# a client with a stale token filled the log. They are the security log's now, once
# per address and reason a window (accounts.api_refusals).
@pytest.fixture
def refusals(caplog):
    cache.clear()  # the refusal log's windows and the failed-token counters
    caplog.set_level(logging.INFO)
    yield caplog
    cache.clear()


def request_lines(caplog, *statuses: int) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "django.request" and getattr(r, "status_code", None) in statuses
    ]


def security_lines(caplog, reason: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "accounts.api_tokens" and getattr(r, "reason", None) == reason
    ]


def test_401s_without_a_token_are_logged_once_per_address(client, refusals):
    for _ in range(10):
        assert client.get("/api/v1/me").status_code == 401
    client.get("/api/v1/openapi.json", REMOTE_ADDR="10.0.0.2")
    client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic YWRtaW46eA==")

    lines = security_lines(refusals, "no_credentials")

    assert request_lines(refusals, 401) == []
    assert [(r.levelno, r.client_address, r.token_hint) for r in lines] == [
        (logging.INFO, "127.0.0.1", None),
        (logging.INFO, "10.0.0.2", None),
    ]
    assert (
        lines[0]
        .getMessage()
        .startswith(
            "API refused GET /api/v1/me from 127.0.0.1 with 401 (no_credentials): "
        )
    )


def test_an_expired_tokens_401s_are_logged_once_with_its_hint(
    client, refusals, manager_user
):
    token, raw = api_token_create(user=manager_user, name="crm", lifetime_days=30)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    for _ in range(5):
        assert (
            client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
            == 401
        )

    (line,) = security_lines(refusals, "expired_token")
    assert request_lines(refusals, 401) == []
    assert (line.levelno, line.client_address, line.token_hint) == (
        logging.INFO, "127.0.0.1", token.hint,
    )  # fmt: skip
    assert f"token {token.hint}…" in line.getMessage()
    assert raw[len(token.hint) :] not in refusals.text


def test_a_locked_addresss_429s_are_logged_once(client, refusals, settings):
    settings.SMSPORTAL_API_TOKEN_ATTEMPTS = 3
    bad = {"HTTP_AUTHORIZATION": "Bearer sp_not-a-token-0123456789"}
    statuses = [client.get("/api/v1/me", **bad).status_code for _ in range(12)]
    client.get("/api/v1/openapi.json", **bad)

    assert statuses == [401] * 3 + [429] * 9
    assert request_lines(refusals, 401, 429) == []
    (locked,) = security_lines(refusals, "locked_address")
    assert (locked.levelno, locked.client_address) == (logging.INFO, "127.0.0.1")
    # The invalid tokens themselves: the first and the lock, as before, never the token.
    failures = security_lines(refusals, "invalid_token")
    assert [r.levelno for r in failures] == [logging.WARNING, logging.WARNING]
    assert "not-a-token" not in refusals.text


def test_a_refusal_is_logged_again_in_the_next_window(client, refusals):
    client.get("/api/v1/me")
    cache.clear()  # the window lapsed
    client.get("/api/v1/me")

    assert len(security_lines(refusals, "no_credentials")) == 2


def test_other_api_errors_are_still_djangos_warnings_and_errors(
    client, refusals, admin_user, monkeypatch
):
    _token, raw = api_token_create(user=admin_user, name="r", scope="read")
    _token, raw_rw = api_token_create(user=admin_user, name="rw")
    read_only = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    client.get("/api/v1/contacts/999999", **read_only)
    client.post("/api/v1/groups", "{", content_type="application/json", **read_only)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("smsportal.api.user_roles", broken)
    client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw_rw}")

    assert [(r.levelno, r.status_code) for r in request_lines(refusals, 403, 404)] == [
        (logging.WARNING, 404),
    ]
    # Once, with its traceback (Django's handler logged it a second time, bare).
    (error,) = request_lines(refusals, 500)
    assert (error.levelno, error.exc_info is not None) == (logging.ERROR, True)


def test_a_read_only_tokens_and_a_roles_403s_are_logged_once_per_address(
    client, refusals, admin_user, viewer_user
):
    """A script run with a read-only token, or by a Viewer, repeats its refused
    writes every run: django.request wrote each at WARNING."""
    token, raw = api_token_create(user=admin_user, name="reports", scope="read")
    viewer, raw_viewer = api_token_create(user=viewer_user, name="crm")
    for _ in range(5):
        for auth in (raw, raw_viewer):
            response = client.post(
                "/api/v1/groups",
                {"name": "X"},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {auth}",
            )
            assert response.status_code == 403
    client.post(
        "/api/v1/groups",
        {"name": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        REMOTE_ADDR="10.0.0.2",
    )

    assert request_lines(refusals, 403) == []
    read_only = security_lines(refusals, "read_only_token")
    assert [(r.levelno, r.client_address, r.token_hint) for r in read_only] == [
        (logging.INFO, "127.0.0.1", token.hint),
        (logging.INFO, "10.0.0.2", token.hint),
    ]
    assert (
        read_only[0]
        .getMessage()
        .startswith(
            "API refused POST /api/v1/groups from 127.0.0.1 with 403 (read_only_token, "
            f"token {token.hint}…)"
        )
    )
    (role,) = security_lines(refusals, "not_permitted")
    assert (role.client_address, role.token_hint) == ("127.0.0.1", viewer.hint)


def test_expired_tokens_of_one_address_are_logged_once_not_once_each(
    client, refusals, manager_user
):
    """The docs say once per address and reason; the window was kept per token too,
    so an address going through expired tokens wrote a line for each."""
    raws = []
    for n in range(3):
        token, raw = api_token_create(user=manager_user, name=f"crm{n}")
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
        raws.append(raw)

    for raw in raws:
        assert (
            client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
            == 401
        )

    assert len(security_lines(refusals, "expired_token")) == 1
