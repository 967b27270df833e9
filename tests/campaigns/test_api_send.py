"""POST /api/v1/messages: one SMS now, outside campaigns, through the simulator; an
idempotency key makes a repeated request return the first message and send nothing."""

import pytest

from campaigns.models import Message
from campaigns.one_off import one_off_send
from contacts.models import Contact, StopListEntry
from providers.models import ProviderAccount, SenderName
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def account(simulator):
    return simulated_account(simulator, "webcom")


def send(client, headers=None, **body):
    return client.post(URL, body, content_type="application/json", headers=headers)


def test_a_message_is_sent_once_and_linked_to_its_contact(
    manager_client, simulator, account
):
    contact = Contact.objects.create(phone="+79120000042", first_name="Мария")

    response = send(manager_client, account=account.pk, phone="8 (912) 000-00-42",
                    text="{first_name}, заказ готов")  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert (body["phone"], body["text"]) == ("+79120000042", "Мария, заказ готов")
    assert (body["campaign_id"], body["contact_id"]) == (None, contact.pk)
    assert body["status"] == "queued"
    assert body["gateway_message_id"]
    assert body["sender"] == account.default_sender
    assert [(s.phone, s.text) for s in simulator.state.submissions] == [
        ("79120000042", "Мария, заказ готов")
    ]
    listed = manager_client.get(URL, {"phone": "+79120000042"}).json()["items"]
    assert [m["id"] for m in listed] == [body["id"]]


@pytest.mark.parametrize("where", ["body", "header"])
def test_the_same_key_again_returns_the_first_message_and_sends_nothing(
    manager_client, simulator, account, where
):
    def request():
        if where == "body":
            return send(manager_client, account=account.pk, phone="+79120000042",
                        text="Код 1234", client_key="order-77")  # fmt: skip
        return send(manager_client, {"Idempotency-Key": "order-77"},
                    account=account.pk, phone="+79120000042", text="Код 1234")  # fmt: skip

    first, again = request(), request()

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert first.json()["client_key"] == "order-77"
    assert Message.objects.count() == 1
    assert len(simulator.state.submissions) == 1


def test_a_key_of_cyrillic_letters_in_the_header_is_the_same_key_in_the_body(
    manager_client, simulator, account
):
    # What a WSGI server hands over for the header's UTF-8 bytes (PEP 3333: Latin-1).
    header = {"Idempotency-Key": "заказ-77".encode().decode("latin-1")}
    body = {"account": account.pk, "phone": "+79120000042", "text": "Код 1234"}

    first = send(manager_client, header, **body)
    again = send(manager_client, **body, client_key="заказ-77")

    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert first.json()["client_key"] == "заказ-77"
    assert again.json()["id"] == first.json()["id"]
    assert len(simulator.state.submissions) == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"phone": "+79120000043"}, "client_key"),
        ({"text": "Код 9999"}, "client_key"),
        ({"sender": "OTHER"}, "client_key"),
        ({"text": "Код 9999", "_header": True}, "Idempotency-Key"),
    ],
)
def test_the_same_key_for_another_message_is_a_409_and_sends_nothing(
    manager_client, simulator, account, change, where
):
    SenderName.objects.create(account=account, name="OTHER", usable=True)
    first_body = {"account": account.pk, "phone": "+79120000042", "text": "Код 1234"}
    headers, key = None, {"client_key": "order-78"}
    if change.pop("_header", False):
        headers, key = {"Idempotency-Key": "order-78"}, {}

    first = send(manager_client, headers, **first_body, **key)
    other = send(manager_client, headers, **{**first_body, **change}, **key)

    assert first.status_code == 201
    assert other.status_code == 409, other.content
    assert other.json() == {
        "detail": "The idempotency key “order-78” was already used for another "
        "message (another number, text or sender); give this message a key of "
        "its own.",
        "where": where,
    }
    assert Message.objects.count() == 1
    assert len(simulator.state.submissions) == 1


def test_a_retried_text_with_placeholders_is_the_same_message(
    manager_client, simulator, account
):
    Contact.objects.create(phone="+79120000042", first_name="Мария")
    body = {"account": account.pk, "phone": "8 912 000-00-42",
            "text": "{first_name}, заказ готов", "client_key": "order-79"}  # fmt: skip

    first, again = send(manager_client, **body), send(manager_client, **body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(simulator.state.submissions) == 1


def test_a_request_racing_one_with_the_same_key_sends_nothing(simulator, account):
    # The other request stored its message between this one's check and its insert.
    racer, _made = one_off_send(account=account, phone="+79120000042", text="Код",
                         client_key="k-1")  # fmt: skip
    simulator.state.reset()

    message, made = one_off_send(account=account, phone="+79120000042", text="Код",
                           client_key="k-1")  # fmt: skip

    assert message.pk == racer.pk
    assert not made  # the racer made it
    assert simulator.state.submissions == []


def test_a_request_racing_one_with_the_same_key_is_answered_as_a_repeat(
    manager_client, simulator, account, monkeypatch
):
    """It got the other's message, yet answered 201 as if it had made it."""
    import campaigns.report_api as report_api

    first = send(manager_client, {"Idempotency-Key": "k-2"}, account=account.pk,
                 phone="+79120000042", text="Код")  # fmt: skip
    simulator.state.reset()
    # The racer stored its message after this request's own look for the key.
    monkeypatch.setattr(report_api, "message_for_client_key", lambda *args: None)

    second = send(manager_client, {"Idempotency-Key": "k-2"}, account=account.pk,
                  phone="+79120000042", text="Код")  # fmt: skip

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert simulator.state.submissions == []


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"phone": "12345"}, "phone", "12345:"),
        ({"sender": "NOBODY"}, "sender", "“NOBODY” is not a usable sender name"),
        # Refused, not quietly cleaned into the account's default sender.
        ({"sender": "\x00"}, "sender", "Sender name: Character 1:"),
        ({"phone": "+7912000\x000042"}, "phone", "Phone: Character 9:"),
        ({"text": "Hi {nickname}"}, "text", "has no value for {nickname}"),
        ({"text": "   "}, "text", "The text is empty."),
        ({"client_key": "a", "_header": "b"}, "client_key", "differ"),
        ({"client_key": "x" * 65}, None, ""),  # the schema's limit: 422
    ],
)
def test_what_cannot_be_sent_says_why_and_where(
    manager_client, simulator, account, body, where, says
):
    SenderName.objects.create(account=account, name="SHOP", usable=True)
    Contact.objects.create(phone="+79120000042")
    payload = {"account": account.pk, "phone": "+79120000042", "text": "Hi"}
    header = body.pop("_header", None)
    payload.update(body)

    response = send(manager_client, {"Idempotency-Key": header} if header else None,
                    **payload)  # fmt: skip

    if where is None:
        assert response.status_code == 422
    else:
        assert response.status_code == 400
        assert response.json()["where"] == where
        assert says in response.json()["detail"]
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_a_usable_sender_name_is_used(manager_client, simulator, account):
    SenderName.objects.create(account=account, name="SHOP", usable=True)
    sim_account = simulator.state.accounts[("webcom", account.login)]
    sim_account.senders["SHOP"] = "completed"  # approved at the gateway too

    response = send(manager_client, account=account.pk, phone="+79120000042",
                    text="Hi", sender="SHOP")  # fmt: skip

    assert response.status_code == 201
    assert response.json()["sender"] == "SHOP"
    [sent] = simulator.state.messages["webcom"].values()
    assert sent.sender == "SHOP"


def test_stop_list_inactive_and_unknown_accounts_refuse(
    manager_client, simulator, account
):
    StopListEntry.objects.create(phone="+79120000042", source="manual")
    stopped = send(manager_client, account=account.pk, phone="+79120000042", text="x")
    other = simulated_account(simulator, "smsc")
    ProviderAccount.objects.filter(pk=other.pk).update(is_active=False)
    inactive = send(manager_client, account=other.pk, phone="+79120000043", text="x")
    unknown = send(manager_client, account=999999, phone="+79120000043", text="x")

    assert (stopped.status_code, stopped.json()["where"]) == (400, "phone")
    assert (inactive.status_code, inactive.json()["where"]) == (400, "account")
    # A wrong id in the body is a wrong request (a 400 naming the field), as
    # POST /campaigns answers it; a 404 would say the operation is not there.
    assert unknown.status_code == 400
    assert unknown.json() == {
        "detail": "There is no provider account 999999.",
        "where": "account",
    }
    assert simulator.state.submissions == []


def test_a_viewer_cannot_send(viewer_client, simulator, account):
    response = send(viewer_client, account=account.pk, phone="+79120000042", text="x")

    assert response.status_code == 403
    assert simulator.state.submissions == []


def test_a_key_belongs_to_its_account(manager_client, simulator, account):
    other = simulated_account(simulator, "smsc")

    first = send(manager_client, account=account.pk, phone="+79120000042", text="A",
                 client_key="same")  # fmt: skip
    second = send(manager_client, account=other.pk, phone="+79120000042", text="B",
                  client_key="same")  # fmt: skip

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert len(simulator.state.submissions) == 2


def test_a_text_longer_than_the_gateway_takes_is_refused_before_sending(
    manager_client, simulator
):
    websms = simulated_account(simulator, "websms")
    response = send(manager_client, account=websms.pk, phone="+79120000042",
                    text="ж" * 600)  # fmt: skip

    assert response.status_code == 400
    assert response.json()["where"] == "text"
    assert "at most 9 segments" in response.json()["detail"]
    assert simulator.state.submissions == []


def test_a_send_while_the_rate_limiter_is_down_fails_with_the_reason(
    manager_client, simulator, monkeypatch
):
    """Redis down: the message was left claimed without an answer (a 500), and a
    retry with the key reported it pending for ever."""
    from django.core.cache import cache

    account = simulated_account(simulator, "webcom", rate_limit=10)

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(cache, "add", down)
    response = send(manager_client, account=account.pk, phone="+79120000042",
                    text="Код 5555", client_key="k-redis")  # fmt: skip
    monkeypatch.undo()

    assert response.status_code == 400
    assert "rate limiter" in response.json()["detail"]
    message = Message.objects.get(client_key="k-redis")
    assert (message.status, message.claimed_at) == ("failed", None)
    assert simulator.state.submissions == []


@pytest.mark.parametrize("kind", ["webcom", "smsc"])
def test_a_one_off_left_claimed_by_a_dead_process_is_sent_by_the_reconciler(
    simulator, kind
):
    """Released as a campaign's message is, it waited for a pump that never claims
    a message outside a campaign: pending for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.reconcile import messages_reconcile

    account = simulated_account(simulator, kind)
    message = Message.objects.create(
        account=account, phone="+79120000042", text="Код 5555", sender="SMSPORTAL",
        channel="sms", planned_at=timezone.now(),
        claimed_at=timezone.now() - timedelta(minutes=5), client_key="k-dead",
    )  # fmt: skip

    messages_reconcile()

    message.refresh_from_db()
    assert message.status == "queued"
    assert message.gateway_message_id
    assert [s.phone for s in simulator.state.submissions] == ["79120000042"]


def test_a_one_off_in_doubt_through_a_gateway_that_cannot_be_asked_is_given_up(
    manager_client, simulator
):
    """Webcom's GET dialect can neither be asked about a message nor ignores one sent
    twice, so the reconciler leaves a message in doubt for a person; only a campaign's
    page asks one, and a one-off stayed pending and claimed for ever ("Waiting to be
    sent" on the contact's page and in the API). It is given up, as that page's
    "Give up" does, and not sent again."""
    from datetime import timedelta

    from campaigns.reconcile import messages_reconcile
    from providers.simulator import Fault

    account = simulated_account(simulator, "webcom", dialect="get")
    simulator.state.add_fault("webcom", Fault(mode="drop_after", path="sendsms.php"))
    response = send(manager_client, account=account.pk, phone="+79120000042",
                    text="Код 5555", client_key="k-lost")  # fmt: skip
    assert response.json()["status"] == "pending"
    Message.objects.filter(client_key="k-lost").update(
        claimed_at=Message.objects.get(client_key="k-lost").claimed_at
        - timedelta(minutes=5)
    )

    result = messages_reconcile()

    assert (result.given_up, result.needs_decision, result.released) == (1, 0, 0)
    message = Message.objects.get(client_key="k-lost")
    assert (message.status, message.reason) == ("failed", "outcome_unknown")
    listed = manager_client.get(URL, {"phone": "+79120000042"}).json()["items"]
    assert [m["status"] for m in listed] == ["failed"]
    assert [s.phone for s in simulator.state.submissions] == ["79120000042"]
