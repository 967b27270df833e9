"""The callback views remember accounts per process, yet never serve a stale one."""

import time
from datetime import UTC, datetime

import pytest

from campaigns import webhooks
from campaigns.models import OrphanStatusReport
from providers.models import ProviderAccount
from providers.simulator import smsc as smsc_sim
from providers.simulator.state import DELIVERED, SimAccount, SimMessage
from smsportal.lib.sqlutil import aware_utc


def smsc_status_callback(account: ProviderAccount, *, signed_with: str) -> tuple:
    """(path, body, content type) of an SMSC delivery report, as the simulator signs it."""
    path = f"/callbacks/{account.callback_token}/status/"
    message = SimMessage(
        id="1", gateway="smsc", login="u", phone="79120000001", text="x", sender="S",
        packet="501", state=DELIVERED, changed_at=time.time(),
    )  # fmt: skip
    sim_account = SimAccount(
        "smsc", "u", callback_secret=signed_with, status_callback_url=path
    )
    return smsc_sim.build_status_callback(message, sim_account)


def post(client, built):
    path, body, content_type = built
    return client.post(path, data=body, content_type=content_type)


@pytest.mark.django_db
def test_a_new_signing_secret_checks_the_very_next_callback(client, smsc_account):
    assert post(client, smsc_status_callback(smsc_account, signed_with="first-secret")
                ).status_code == 200  # fmt: skip
    assert smsc_account.callback_token in webhooks._accounts  # remembered

    smsc_account.callback_secret = "second-secret"
    smsc_account.save()

    old = smsc_status_callback(smsc_account, signed_with="first-secret")
    new = smsc_status_callback(smsc_account, signed_with="second-secret")
    # Not signed with the secret as it is now: refused.
    assert post(client, old).status_code == 403
    assert OrphanStatusReport.objects.count() == 1
    assert post(client, new).status_code == 200
    assert OrphanStatusReport.objects.count() == 2  # the two signed reports


@pytest.mark.django_db
def test_a_deleted_account_gets_404_and_is_forgotten(client, smsc_account):
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert post(client, built).status_code == 200
    OrphanStatusReport.objects.all().delete()
    smsc_account.delete()
    assert post(client, built).status_code == 404
    assert smsc_account.callback_token not in webhooks._accounts


@pytest.mark.django_db
def test_unknown_tokens_are_not_remembered(client):
    before = dict(webhooks._accounts)
    for n in range(5):
        response = client.post(f"/callbacks/no-such-token-{n}/status/", data=b"<x/>",
                               content_type="text/xml")  # fmt: skip
        assert response.status_code == 404
    assert webhooks._accounts == before


def queued_message(account: ProviderAccount, gid: str):
    from django.utils import timezone

    from campaigns.models import Campaign, Message

    campaign = Campaign.objects.create(name="Callbacks", account=account, text="x")
    return Message.objects.create(
        campaign=campaign, account=account, phone="+79120000001", text="x",
        channel="sms", planned_at=timezone.now(), gateway_message_id=gid,
        status="queued",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_remembered_account_costs_a_status_callback_one_query(
    client, smsc_account, django_assert_num_queries, monkeypatch
):
    from django.db import connection

    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    pings = []
    monkeypatch.setattr(connection, "is_usable", lambda: pings.append(1) or True)
    assert post(client, built).status_code == 200  # loads and remembers the account
    message.status = "queued"
    message.save(update_fields=["status"])
    connection.health_check_done = False  # as at the start of every request
    with django_assert_num_queries(1):  # the guarded UPDATE; no version check
        assert post(client, built).status_code == 200
    assert pings == []  # no "SELECT 1" before it either
    message.refresh_from_db()
    assert message.status == "delivered"


@pytest.mark.django_db
def test_a_callback_for_an_edited_account_applies_nothing_with_the_old_one(
    client, smsc_account
):
    """The guard is in the UPDATE itself: a report checked against an old secret
    must not move the message."""
    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert post(client, built).status_code == 200
    message.status = "queued"
    message.save(update_fields=["status"])
    smsc_account.callback_secret = "second-secret"
    smsc_account.save()
    assert post(client, built).status_code == 403  # signed with the old secret
    message.refresh_from_db()
    assert message.status == "queued"
    known = webhooks._accounts[smsc_account.callback_token]
    assert known.account.callback_secret == "second-secret"


@pytest.mark.django_db
def test_a_deleted_account_is_not_served_from_memory_even_without_reports(
    client, smsc_account
):
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert post(client, built).status_code == 200
    token = smsc_account.callback_token
    smsc_account.delete()
    response = client.post(f"/callbacks/{token}/status/", data=b"", content_type=(
        "application/x-www-form-urlencoded"))  # fmt: skip
    assert response.status_code == 404
    assert token not in webhooks._accounts


def wsgi_post(app, built) -> str:
    """POST through Django's real WSGI handler (request signals and all)."""
    import io

    path, body, content_type = built
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    statuses = []
    response = app(environ, lambda status, headers: statuses.append(status))
    b"".join(response)
    response.close()
    return statuses[0]


@pytest.mark.django_db(transaction=True)
def test_a_dead_database_connection_fails_one_callback_and_the_next_one_lands(
    smsc_account, monkeypatch
):
    """Callbacks skip Django's "SELECT 1" health check: the query on a dead connection
    fails that request with a 5xx (the gateway retries), and Django reconnects."""
    import psycopg

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    app = WSGIHandler()
    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    assert wsgi_post(app, built).startswith("200")
    message.status = "queued"
    message.save(update_fields=["status"])
    backend = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])

    assert wsgi_post(app, built).startswith("500")
    assert wsgi_post(app, built).startswith("200")
    message.refresh_from_db()
    assert message.status == "delivered"


@pytest.mark.django_db(transaction=True)
def test_a_status_callback_commits_without_waiting_for_disk_and_only_itself(
    client, smsc_account
):
    """synchronous_commit is off for the callback's own statement (polling fetches
    what a database crash could lose); the connection's next statement waits again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    message = queued_message(smsc_account, "501:79120000001")
    built = smsc_status_callback(smsc_account, signed_with="first-secret")
    for _ in range(2):  # first with the account loaded, then remembered
        message.status = "queued"
        message.save(update_fields=["status"])
        with CaptureQueriesContext(connection) as queries:
            assert post(client, built).status_code == 200
        [applied] = [
            q["sql"] for q in queries if "UPDATE campaigns_message" in q["sql"]
        ]
        assert "set_config('synchronous_commit', 'off', true)" in applied
        message.refresh_from_db()
        assert message.status == "delivered"
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


@pytest.mark.parametrize(
    "raw",
    [
        datetime(2026, 12, 5, 1, 18, 55, 128700),  # noqa: DTZ001 - SQLite: naive UTC
        "2026-12-05 01:18:55.128700",  # SQLite without a converter: text
        datetime(2026, 12, 5, 1, 18, 55, 128700, tzinfo=UTC),  # PostgreSQL
    ],
)
def test_the_account_version_is_read_as_an_aware_utc_time(raw):
    """A naive updated_at never matched the row where the report is applied: every
    callback reloaded its account, warning of a naive datetime (embedded mode)."""
    assert aware_utc(raw) == datetime(2026, 12, 5, 1, 18, 55, 128700, tzinfo=UTC)
