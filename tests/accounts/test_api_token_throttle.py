"""Failed API tokens are throttled per address, logged once a window, audited once.

QA sent 300 invalid tokens in 16 s: every one got a 401 and nothing was recorded."""

import logging

import pytest

from django.core.cache import cache

from accounts.models import AuditEvent
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db
INVALID = "sp_not-a-token-0123456789"


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    settings.SMSPORTAL_API_TOKEN_ATTEMPTS = 5
    cache.clear()
    yield
    cache.clear()


def get_me(client, raw: str, **extra):
    return client.get(
        "/api/v1/me",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def test_an_address_failing_tokens_is_locked_with_429_and_retry_after(client):
    statuses = [get_me(client, INVALID).status_code for _ in range(5)]

    locked = get_me(client, INVALID)
    other = get_me(client, INVALID, REMOTE_ADDR="10.9.9.9")

    assert statuses == [401] * 5
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert locked.json() == {
        "detail": "Too many invalid API tokens from this address. "
        "Try again in 15 minutes."
    }
    assert other.status_code == 401


def test_a_valid_token_is_never_refused_by_its_addresss_lock(client, manager_user):
    """The lock stops guessing, and a valid token is no guess: as the login page,
    the right secret was refused too, from the locked address."""
    _token, raw = api_token_create(user=manager_user, name="crm")
    for _ in range(5):
        get_me(client, INVALID)

    right = get_me(client, raw)
    written = client.post(
        "/api/v1/groups",
        {"name": "From a locked address"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    schema = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    still_locked = get_me(client, INVALID)  # the valid ones forgave nothing

    assert right.status_code == 200
    assert right.json()["username"] == manager_user.username
    assert written.status_code == 201
    assert schema.status_code == 200
    assert still_locked.status_code == 429


def test_a_wrong_trusted_proxies_setting_locks_out_only_the_bad_tokens(
    client, manager_user, viewer_user, settings
):
    """SMSPORTAL_TRUSTED_PROXIES left at 0 behind nginx: every client is the proxy's
    address, and one client's stale token locked out all the others."""
    settings.SMSPORTAL_TRUSTED_PROXIES = 0
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    _token, crm = api_token_create(user=manager_user, name="crm")
    _token, reports = api_token_create(user=viewer_user, name="reports")
    for _ in range(6):
        get_me(client, INVALID, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)

    statuses = {
        "crm": get_me(client, crm, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy),
        "reports": get_me(client, reports, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy),
        "stale": get_me(client, INVALID, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy),
    }

    assert {name: r.status_code for name, r in statuses.items()} == {
        "crm": 200,
        "reports": 200,
        "stale": 429,
    }


def test_a_locked_address_sending_one_token_again_costs_no_query(
    client, manager_user, django_assert_num_queries
):
    """Looking every token up at a locked address (for the valid ones' sake) gave a
    script left running with a revoked token a query a request again: the last one
    refused there is refused without one."""
    _token, raw = api_token_create(user=manager_user, name="crm")
    for _ in range(5):
        get_me(client, INVALID)
    assert get_me(client, INVALID).status_code == 429  # looked up, remembered

    with django_assert_num_queries(0):
        again = [get_me(client, INVALID).status_code for _ in range(20)]
    other = get_me(client, "sp_another-unknown-0000000000")

    assert again == [429] * 20
    assert other.status_code == 429
    assert get_me(client, raw).status_code == 200


def test_a_locked_address_is_counted_and_audited_no_more(client):
    for _ in range(5):
        get_me(client, INVALID)

    for _ in range(20):
        assert get_me(client, INVALID).status_code == 429

    assert cache.get("api-token-fail:ip:127.0.0.1") == 5
    assert AuditEvent.objects.filter(action="api_token_failed").count() == 1


def test_a_revoked_token_counts_as_a_failure(client, manager_user):
    token, raw = api_token_create(user=manager_user, name="crm")
    api_token_revoke(token=token)
    for _ in range(5):
        assert get_me(client, raw).status_code == 401

    assert get_me(client, raw).status_code == 429


def test_valid_tokens_and_other_schemes_are_not_counted(client, manager_user):
    _token, raw = api_token_create(user=manager_user, name="crm")
    for _ in range(10):
        assert get_me(client, raw).status_code == 200
        client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic YWRtaW46eA==")

    assert get_me(client, raw).status_code == 200


def test_behind_a_trusted_proxy_the_clients_address_is_locked(client, settings):
    settings.SMSPORTAL_TRUSTED_PROXIES = 1
    for _ in range(5):
        get_me(client, INVALID, HTTP_X_FORWARDED_FOR="203.0.113.7")

    locked = get_me(client, INVALID, HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = get_me(client, INVALID, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert (locked.status_code, other.status_code) == (429, 401)


def test_the_schema_answers_a_locked_address_with_429(client):
    for _ in range(5):
        get_me(client, INVALID)

    response = client.get(
        "/api/v1/openapi.json",
        HTTP_AUTHORIZATION=f"Bearer {INVALID}",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "Too many invalid API tokens" in response.json()["detail"]


def test_a_flood_logs_two_lines_without_the_token(client, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.api_tokens")

    for _ in range(30):
        get_me(client, INVALID)

    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.api_tokens"]
    assert len(lines) == 2
    assert lines[0].startswith("Invalid API token from 127.0.0.1 on GET /api/v1/me")
    assert lines[1].startswith("API tokens locked for 127.0.0.1 after 5 invalid")
    assert "not-a-token" not in caplog.text


def test_the_first_failure_of_a_window_is_audited_once(client):
    for _ in range(30):
        get_me(client, INVALID)
    get_me(client, INVALID, REMOTE_ADDR="10.0.0.2")

    events = AuditEvent.objects.filter(action=AuditEvent.Action.API_TOKEN_FAILED)

    assert sorted(events.values_list("ip", flat=True)) == ["10.0.0.2", "127.0.0.1"]
    assert all("not-a-token" not in str(e.details) for e in events)
