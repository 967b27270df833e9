"""Delivery reports and incoming messages pushed by the simulator to a live server."""

from collections import Counter

import httpx
import pytest

from django.http import Http404
from django.test import RequestFactory
from django.urls import resolve

from campaigns.counts import campaign_counts, counts_mismatches
from campaigns.models import Campaign, Message, OrphanStatusReport, Reply
from campaigns.services import campaign_launch
from campaigns.statuses import message_statuses_apply
from contacts.models import StopListEntry
from providers.base import DeliveryStatus, StatusReport
from tests.campaigns.gateway_accounts import simulated_account
from tests.providers.contract import wait_for

KINDS_THAT_PUSH = ["webcom", "smsc", "websms"]


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7912{i:07d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", [*KINDS_THAT_PUSH, "smsc+secret"])
def test_pushed_reports_settle_a_campaign_and_counts_equal_group_by(
    kind, live_server, simulator, make_group, make_campaign
):
    # "+secret": the simulator signs each report with the secret set for the account.
    kind, _plus, signed = kind.partition("+")
    secret = {"callback_secret": "Секрет кабинета"} if signed else {}
    account = simulated_account(simulator, kind, callbacks_to=live_server.url, **secret)
    group = make_group("G", [*phones(6), ("+79120009990", "Lost", "Europe/Moscow")])
    campaign = make_campaign([group], account=account)
    campaign_launch(campaign=campaign)  # commits: the start task runs (eager)

    def settled():
        statuses = Counter(
            Message.objects.filter(campaign=campaign).values_list("status", flat=True)
        )
        return statuses if statuses == {"delivered": 6, "undelivered": 1} else None

    assert wait_for(settled, timeout=15, interval=0.2), list(
        Message.objects.values_list("phone", "status")
    )
    # This account's callbacks only: an earlier test's may be posted late.
    ours = [
        (body, status)
        for url, body, status in list(simulator.state.callbacks_sent)
        if account.callback_token in url
    ]
    assert ours
    assert {status for _body, status in ours} == {200}
    if kind == "smsc":  # signed only with a secret set in the cabinet
        assert all(("md5=" in body) == bool(signed) for body, _status in ours)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    counts = campaign_counts(campaign_id=campaign.pk)
    grouped = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert counts.by_status == dict(grouped)
    assert counts_mismatches() == []


@pytest.mark.django_db
def test_unknown_token_gets_a_plain_404(client):
    response = client.post("/callbacks/no-such-token/status/", data=b"<x/>",
                           content_type="text/xml")  # fmt: skip
    assert response.status_code == 404
    assert b"no-such-token" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["status", "incoming"])
@pytest.mark.parametrize("token", ["%00", "abc%00def"])
def test_a_token_with_a_nul_is_an_unknown_one(client, kind, token):
    client.raise_request_exception = False
    for method in (client.get, client.post):
        response = method(f"/callbacks/{token}/{kind}/")
        assert response.status_code == 404
        assert response.content == b"Not found"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["status", "incoming"])
def test_an_unknown_token_is_refused_before_its_body_is_read(kind):
    class Unreadable:
        """A request body that must not be read (a client posting megabytes)."""

        def read(self, *args):
            raise AssertionError("the body was read for an unknown token")

        readline = read

    request = RequestFactory().post(
        f"/callbacks/no-such-token/{kind}/", data=b"x" * 100, content_type="text/xml"
    )
    request._stream = Unreadable()
    match = resolve(f"/callbacks/no-such-token/{kind}/")
    with pytest.raises(Http404):
        match.func(request, **match.kwargs)


@pytest.mark.django_db
def test_unreadable_body_gets_400_not_500(client, simulator):
    account = simulated_account(simulator, "webcom")
    response = client.post(
        f"/callbacks/{account.callback_token}/status/",
        data=b"\x00\xff garbage",
        content_type="text/xml",
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_an_unreadable_delivery_report_is_acknowledged_taking_nothing(
    client, simulator
):
    """WEBSMS posts a report again until it reads `<status>accepted</status>` (seed
    002 §6.5): a 400 had it post one we cannot read for ever. Polling reads those
    statuses; nothing is taken from the body."""
    account = simulated_account(simulator, "websms")
    response = client.post(
        f"/callbacks/{account.callback_token}/status/",
        data=b"\x00\xff garbage, no status in it",
        content_type="text/xml",
    )
    assert (response.status_code, response.content.strip()) == (
        200,
        b"<status>accepted</status>",
    )
    assert not OrphanStatusReport.objects.exists()


@pytest.mark.django_db
def test_report_arriving_before_the_send_result_is_applied_later(
    simulator, make_campaign
):
    account = simulated_account(simulator, "websms")
    campaign = make_campaign(account=account)
    from django.utils import timezone

    message = Message.objects.create(
        campaign=campaign, account=account, phone="+79120000001", text="x",
        channel="sms", planned_at=timezone.now(), claimed_at=timezone.now(),
    )  # fmt: skip
    early = StatusReport(gateway_message_id="777", status=DeliveryStatus.DELIVERED)
    result = message_statuses_apply(account=account, reports=[early])
    assert result.orphaned == 1
    from campaigns.sending import ClaimedMessage, record_results
    from providers.base import SendResult

    claimed = ClaimedMessage(message.id, message.phone, "x", "", "sms", message.planned_at,
                             campaign.id)  # fmt: skip
    record_results(
        account=account,
        claimed=[claimed],
        results=[SendResult(str(message.id), "777", DeliveryStatus.QUEUED)],
    )
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert not OrphanStatusReport.objects.exists()


@pytest.mark.django_db
def test_late_sent_report_does_not_undo_delivered(simulator, make_campaign):
    account = simulated_account(simulator, "webcom")
    from django.utils import timezone

    message = Message.objects.create(
        campaign=make_campaign(account=account), account=account, phone="+79120000001",
        text="x", channel="sms", planned_at=timezone.now(), gateway_message_id="55",
        status=DeliveryStatus.QUEUED,
    )  # fmt: skip
    when = timezone.now()
    delivered = StatusReport("55", DeliveryStatus.DELIVERED, occurred_at=when)
    message_statuses_apply(account=account, reports=[delivered])
    message_statuses_apply(
        account=account, reports=[StatusReport("55", DeliveryStatus.SENT)]
    )
    message_statuses_apply(account=account, reports=[delivered])  # a repeat
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert message.status_changed_at == when
    assert message.delivered_at == when


@pytest.mark.django_db(transaction=True)
def test_stop_word_reply_pushed_by_smsc_opts_the_number_out(live_server, simulator):
    account = simulated_account(simulator, "smsc", callbacks_to=live_server.url)
    sim_account = simulator.state.accounts[("smsc", account.login)]
    assert sim_account.charset == "cp1251"  # SMSC's default, assumed for callbacks
    url, body, content_type = _smsc_incoming_callback(
        simulator, sim_account, phone="79120000042", text="Стоп!"
    )
    response = httpx.post(url, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.text, reply.is_opt_out) == ("Стоп!", True)
    entry = StopListEntry.objects.get(phone="+79120000042")
    assert entry.source == StopListEntry.Source.KEYWORD


@pytest.mark.django_db(transaction=True)
def test_after_a_stop_reply_the_next_campaign_skips_the_number(
    live_server, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "smsc", callbacks_to=live_server.url)
    sim_account = simulator.state.accounts[("smsc", account.login)]
    url, body, content_type = _smsc_incoming_callback(
        simulator, sim_account, phone="79120000001", text="СТОП"
    )
    assert httpx.post(
        url, content=body, headers={"Content-Type": content_type}
    ).is_success
    simulator.state.reset()

    campaign = make_campaign([make_group("G", phones(3))], account=account)
    campaign_launch(campaign=campaign)  # commits: the start task runs (eager)

    def sent():
        phones_sent = sorted(s.phone for s in simulator.state.submissions)
        return phones_sent if len(phones_sent) == 2 else None

    assert wait_for(sent, timeout=15, interval=0.2) == ["79120000000", "79120000002"]
    campaign.refresh_from_db()
    assert campaign.audience_stats["stop_listed"] == 1
    assert not Message.objects.filter(campaign=campaign, phone="+79120000001").exists()


def _smsc_incoming_callback(simulator, sim_account, *, phone, text):
    from providers.simulator import smsc as smsc_protocol

    item = simulator.state.add_incoming(
        "smsc", sim_account.login, phone=phone, text=text
    )
    return smsc_protocol.build_incoming_callback(item, sim_account)


def _smsc_incoming_at(simulator, url: str, *, phone: str, text: str):
    """An SMSC account at the simulator whose incoming messages go to our `url`
    ("incoming" or "status"), and the signed callback of one sent from `phone`."""
    account = simulated_account(simulator, "smsc")
    sim_account = simulator.state.accounts[("smsc", account.login)]
    sim_account.incoming_callback_url = f"/callbacks/{account.callback_token}/{url}/"
    return account, *_smsc_incoming_callback(
        simulator, sim_account, phone=phone, text=text
    )


@pytest.mark.django_db
def test_smsc_incoming_message_at_the_status_url_is_stored_as_a_reply(
    client, simulator
):
    """SMSC's cabinet has one handler URL for statuses and incoming messages (REFERENCE
    §2.6): an incoming STOP posted there was taken for a status report of an unknown
    message, kept as an orphan, and the reply with its opt-out was lost."""
    _account, path, body, content_type = _smsc_incoming_at(
        simulator, "status", phone="79120000043", text="СТОП"
    )

    response = client.post(path, data=body, content_type=content_type)

    assert response.status_code == 200
    assert Reply.objects.get().phone == "+79120000043"
    assert StopListEntry.objects.filter(phone="+79120000043").exists()
    assert not OrphanStatusReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["incoming", "status"])
def test_a_form_declaring_windows_1251_is_read_not_refused(client, simulator, url):
    """A form body whose Content-Type says charset=windows-1251 (what SMSC sends by
    default) was refused by Django before any parser ran: a 500 under `make run`, a
    400 in production, and the STOP in it was lost."""
    _account, path, body, _type = _smsc_incoming_at(
        simulator, url, phone="79120000045", text="СТОП"
    )

    response = client.post(
        path, data=body,
        content_type="application/x-www-form-urlencoded; charset=windows-1251",
    )  # fmt: skip

    assert response.status_code == 200
    assert response.content == b"OK"
    reply = Reply.objects.get()
    assert (reply.phone, reply.text) == ("+79120000045", "СТОП")
    assert StopListEntry.objects.filter(phone="+79120000045").exists()


@pytest.mark.django_db
def test_a_smsc_delivery_report_at_the_incoming_url_is_applied_not_a_reply(
    client, simulator, make_campaign
):
    """SMSC's cabinet has one handler URL: pasted from the incoming field, it brought
    delivery reports stored as empty replies, and the statuses were never applied."""
    from providers.simulator import smsc as smsc_protocol
    from providers.simulator.state import DELIVERED, SimMessage

    account = simulated_account(simulator, "smsc")
    sim_account = simulator.state.accounts[("smsc", account.login)]
    sim_account.status_callback_url = f"/callbacks/{account.callback_token}/incoming/"
    campaign = make_campaign(account=account)
    message = Message.objects.create(
        campaign=campaign, account=account, phone="+79005550000", text="x",
        channel="sms", planned_at=campaign.created_at, status=DeliveryStatus.SENT,
        gateway_message_id="41:79005550000",
    )  # fmt: skip
    delivered = SimMessage(
        id="41", gateway="smsc", login=account.login, phone="79005550000", text="x",
        sender="SMSPORTAL", packet="41", state=DELIVERED, changed_at=1764900000.0,
    )  # fmt: skip
    path, body, content_type = smsc_protocol.build_status_callback(
        delivered, sim_account
    )

    response = client.post(path, data=body, content_type=content_type)

    assert (response.status_code, response.content) == (200, b"OK")
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert not Reply.objects.exists()


@pytest.mark.django_db
def test_smsc_incoming_message_as_a_windows_1251_query_string_reads_right(
    client, simulator
):
    """SMSC may call the handler with GET; the query string is then percent-encoded
    windows-1251, which Django's own request.GET would read as UTF-8 and garble."""
    _account, path, body, _type = _smsc_incoming_at(
        simulator, "incoming", phone="79120000044", text="Отписаться"
    )
    assert b"%CE%F2%EF" in body  # «Отп» in windows-1251

    response = client.get(f"{path}?{body.decode('ascii')}")

    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.text, reply.is_opt_out) == ("Отписаться", True)


@pytest.mark.django_db
def test_a_reply_from_a_sender_name_keeps_it_and_claims_no_opt_out(
    client, manager_client, simulator
):
    """ "MEGAFON" read as a phone lost its letters: a reply from "", marked as put on
    the stop list (nothing was), and an answer form that sent to "" and counted it."""
    _account, path, body, content_type = _smsc_incoming_at(
        simulator, "incoming", phone="MEGAFON", text="СТОП"
    )

    response = client.post(path, data=body, content_type=content_type)

    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.phone, reply.is_opt_out) == ("MEGAFON", False)
    assert not StopListEntry.objects.exists()
    page = manager_client.get(f"/campaigns/inbox/{reply.pk}/").content.decode()
    assert 'id="answer-not-a-number"' in page
    assert 'id="opt-out-notice"' not in page
    answer = manager_client.post(
        f"/campaigns/inbox/{reply.pk}/answer/", {"text": "Hello"}
    )
    # Refused with its reason on the page, as every form answers its errors.
    assert answer.status_code == 200
    assert 'id="answer-not-a-number"' in answer.content.decode()
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


@pytest.mark.django_db
def test_a_json_body_nested_past_pythons_limit_gets_400_not_500(client, simulator):
    # A 500 tells the gateway to retry: it would post the same body again and again.
    account = simulated_account(simulator, "webcom")
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(
        f"/callbacks/{account.callback_token}/status/",
        data=body.encode(),
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_smsc_reply_with_a_time_written_otherwise_is_taken_with_its_unix_time(
    client, simulator
):
    """An unreadable `time` got the callback a 400, as a bad signature does: SMSC sent
    the same body again and again, and the STOP in it never reached the stop list."""
    import re
    from datetime import UTC, datetime

    _account, path, body, content_type = _smsc_incoming_at(
        simulator, "incoming", phone="79031112233", text="СТОП"
    )
    ts = int(re.search(rb"ts=(\d+)", body).group(1))
    body = re.sub(rb"(^|&)time=[^&]*", rb"\1time=2026-12-06+03%3A01%3A02", body)

    response = client.post(path, data=body, content_type=content_type)

    assert (response.status_code, response.content) == (200, b"OK")
    reply = Reply.objects.get()
    assert reply.received_at == datetime.fromtimestamp(ts, tz=UTC)
    assert StopListEntry.objects.filter(phone="+79031112233").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "content_type", "body"),
    [
        ("webcom", "application/json",
         b'[{"id_sms":"g-7","state":"deliver","price":"NaN","num_parts":"2"},'
         b'{"id_sms":"g-new","state":"deliver","price":"Infinity"}]'),
        ("webcom", "application/json",
         b'[{"id_sms":"g-7","state":"deliver","time":"0001-01-01 00:00:00"},'
         b'{"id_sms":"g-new","state":"deliver","time":"0001-01-01 00:00:00"}]'),
        ("websms", "text/xml",
         b'<status id="g-7" date="Fri, 31 Dec 9999 23:59:59 -1200">'
         b"<state>Delivered</state></status>"),
    ],
)  # fmt: skip
def test_a_report_with_an_impossible_price_or_time_is_taken_without_it(
    client, simulator, make_campaign, kind, content_type, body
):
    """Answered 500, the gateway posts the same body again and again, and the
    message never moves."""
    from django.utils import timezone

    account = simulated_account(simulator, kind)
    campaign = make_campaign(account=account)
    message = Message.objects.create(
        campaign=campaign, account=account, phone="+79120000001", text="x",
        channel="sms", planned_at=timezone.now(), gateway_message_id="g-7",
        status=DeliveryStatus.SENT,
    )  # fmt: skip

    response = client.post(
        f"/callbacks/{account.callback_token}/status/",
        data=body,
        content_type=content_type,
    )

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert message.cost is None
    assert abs(message.delivered_at - timezone.now()) < timezone.timedelta(minutes=1)


def _smsc_delivered(simulator, make_campaign, **account_fields):
    """An SMSC account, a message of it sent to the simulator and delivered there,
    and the simulator's (path, body, content type) of that report to us."""
    from datetime import timedelta

    from django.utils import timezone

    from providers.base import OutgoingSms
    from providers.registry import gateway_for
    from providers.simulator import smsc as smsc_protocol
    from providers.simulator.state import DELIVERED

    account = simulated_account(simulator, "smsc", **account_fields)
    sim_account = simulator.state.accounts[("smsc", account.login)]
    sim_account.status_callback_url = f"/callbacks/{account.callback_token}/status/"
    [sent] = gateway_for(account).send(
        [
            OutgoingSms(
                reference="77", phone="+79005550077", text="x", sender="SMSPORTAL"
            )
        ]
    )
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    message = Message.objects.create(
        campaign=make_campaign(account=account), account=account, text="x",
        phone="+79005550077", channel="sms", planned_at=five_minutes_ago,
        submitted_at=five_minutes_ago, status=DeliveryStatus.SENT,
        gateway_message_id=sent.gateway_message_id,
    )  # fmt: skip
    [at_gateway] = simulator.state.messages["smsc"].values()
    at_gateway.state = DELIVERED
    built = smsc_protocol.build_status_callback(at_gateway, sim_account)
    return account, message, built


@pytest.mark.django_db
def test_an_unsigned_smsc_delivery_report_is_taken_when_no_secret_is_set(
    client, simulator, make_campaign
):
    """No signing secret set: there is no signature to check, and the report is
    applied at once (it waited for the next status.php poll before)."""
    _account, message, (path, body, content_type) = _smsc_delivered(
        simulator, make_campaign
    )
    assert b"md5=" not in body  # no secret in the cabinet either

    response = client.post(path, data=body, content_type=content_type)

    assert (response.status_code, response.content) == (200, b"OK")
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_a_smsc_report_signed_with_the_accounts_secret_is_applied(
    client, simulator, make_campaign
):
    _account, message, (path, body, content_type) = _smsc_delivered(
        simulator, make_campaign, callback_secret="Ключ-из-кабинета"
    )

    response = client.post(path, data=body, content_type=content_type)

    assert (response.status_code, response.content) == (200, b"OK")
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", ["other secret", "no md5"])
def test_a_forged_smsc_report_is_refused_403_and_the_log_names_account_and_fields(
    client, simulator, make_campaign, caplog, forgery
):
    import logging

    account, message, (path, body, content_type) = _smsc_delivered(
        simulator,
        make_campaign,
        callback_secret="the-real-secret",
        sim_callback_secret="guessed-secret",
    )
    if forgery == "no md5":
        body = b"&".join(f for f in body.split(b"&") if not f.startswith(b"md5="))
    caplog.set_level(logging.WARNING, logger="campaigns.webhooks")

    response = client.post(path, data=body, content_type=content_type)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    [record] = [r for r in caplog.records if r.name == "campaigns.webhooks"]
    logged = record.getMessage()
    assert f"account 'smsc simulated' (id {account.pk})" in logged
    if forgery == "no md5":
        assert "no md5 in the callback" in logged
    else:
        assert "does not match md5(id:phone:status:<secret>)" in logged
        assert "phone='79005550077'" in logged
    assert "the-real-secret" not in caplog.text
    assert account.callback_token not in caplog.text


@pytest.mark.django_db
def test_a_forged_smsc_stop_reply_is_refused_and_stops_nobody(client, simulator):
    account = simulated_account(
        simulator, "smsc", callback_secret="real", sim_callback_secret="forged"
    )
    sim_account = simulator.state.accounts[("smsc", account.login)]
    sim_account.incoming_callback_url = f"/callbacks/{account.callback_token}/incoming/"
    path, body, content_type = _smsc_incoming_callback(
        simulator, sim_account, phone="79031112233", text="СТОП"
    )

    response = client.post(path, data=body, content_type=content_type)

    assert response.status_code == 403
    assert not Reply.objects.exists()
    assert not StopListEntry.objects.filter(phone="+79031112233").exists()
