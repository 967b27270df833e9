"""The reporting API: messages and inbound lists with cursors, report counters."""

from collections import Counter
from datetime import timedelta

import pytest

from django.db.models import Sum
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.report_data import MIX, make_reply, seed_messages

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def campaign(make_campaign):
    campaign = make_campaign(
        state=Campaign.State.COMPLETED, launched_at=timezone.now() - timedelta(hours=1)
    )
    seed_messages(campaign)
    return campaign


def walk(client, url: str, limit: int) -> list[dict]:
    """Every item of a cursor-paginated list, following next_cursor."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(page_url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_anonymous_requests_get_401(client, campaign):
    for path in ("/messages", "/inbound", f"/campaigns/{campaign.pk}/report"):
        assert client.get(API + path).status_code == 401


def test_viewer_reads_but_cannot_change(viewer_client, campaign, account):
    reply = make_reply(account)
    assert viewer_client.get(f"{API}/messages").status_code == 200
    assert viewer_client.get(f"{API}/inbound").status_code == 200
    assert viewer_client.get(f"{API}/campaigns/{campaign.pk}/report").status_code == 200
    for path, body in (
        ("/inbound/mark", {"ids": [reply.pk]}),
        ("/inbound/fetch", {}),
        (f"/inbound/{reply.pk}/answer", {"text": "Hi"}),
        (f"/stop-list/sync/{account.pk}", {}),
    ):
        response = viewer_client.post(
            API + path, data=body, content_type="application/json"
        )
        assert response.status_code == 403, path
    assert not Reply.objects.filter(is_read=True).exists()


def test_messages_cursor_walks_every_row_once_newest_first(viewer_client, campaign):
    items = walk(viewer_client, f"{API}/messages", limit=4)
    ids = [item["id"] for item in items]
    assert ids == sorted(Message.objects.values_list("id", flat=True), reverse=True)
    assert len(ids) == len(MIX)


def test_a_campaigns_messages_are_walked_by_phone_each_page_from_its_index(
    viewer_client, campaign
):
    """Newest first, every page of a million-message campaign read all of it (0.8 s
    a page, 10,000 pages); its (campaign, phone) index walks to the cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{API}/messages?campaign={campaign.pk}"
    items = walk(viewer_client, url, limit=3)
    with CaptureQueriesContext(connection) as queries:
        second = viewer_client.get(f"{url}&limit=3&cursor=p79120000002").json()

    phones = sorted(
        Message.objects.filter(campaign=campaign).values_list("phone", flat=True)
    )
    assert [item["phone"] for item in items] == phones
    assert [i["phone"] for i in second["items"]] == [
        p for p in phones if p > "+79120000002"
    ][:3]
    [page] = [q["sql"] for q in queries if 'FROM "campaigns_message"' in q["sql"]]
    assert 'ORDER BY "campaigns_message"."phone" ASC' in page
    for bad in ("79120000002", "p+7912", "p" + "9" * 21, "pабв"):
        assert viewer_client.get(f"{url}&cursor={bad}").status_code == 400
    # A status the kept counts hold none of reads no message.
    with CaptureQueriesContext(connection) as queries:
        none = viewer_client.get(f"{url}&status=unknown").json()
    assert none == {"items": [], "next_cursor": None}
    assert not [q for q in queries if 'FROM "campaigns_message"' in q["sql"]]


def test_messages_filters(viewer_client, campaign, make_campaign):
    other = make_campaign(name="Other")
    seed_messages(other, MIX[:3], prefix="+7915")
    items = walk(viewer_client, f"{API}/messages?campaign={other.pk}", limit=2)
    assert {item["campaign_id"] for item in items} == {other.pk}
    assert len(items) == 3
    items = walk(
        viewer_client,
        f"{API}/messages?campaign={campaign.pk}&status=undelivered",
        limit=50,
    )
    assert len(items) == 3
    assert {i["vendor_text"] for i in items} == {
        "Срок жизни истёк",
        "Абонент недоступен",
    }
    phone = items[0]["phone"]
    found = walk(viewer_client, f"{API}/messages?phone={phone[1:]}", limit=50)
    assert [i["phone"] for i in found] == [phone]
    # Any campaign's and one-off messages (a test send) to the number, newest first.
    one_off = Message.objects.create(
        campaign=None, account=campaign.account, phone=phone, text="test send",
        channel="sms", planned_at=campaign.created_at,
    )  # fmt: skip
    found = walk(viewer_client, f"{API}/messages?phone={phone[1:]}", limit=1)
    assert [i["id"] for i in found] == [one_off.pk, items[0]["id"]]


def test_bad_cursor_is_a_400(viewer_client):
    assert viewer_client.get(f"{API}/messages?cursor=abc").status_code == 400


def test_inbound_list_and_filters(viewer_client, account):
    make_reply(account, phone="+79120000001", text="Спасибо")
    make_reply(account, phone="+79120000002", text="СТОП", is_opt_out=True)
    make_reply(account, phone="+79120000003", text="ok", is_read=True)
    items = walk(viewer_client, f"{API}/inbound", limit=2)
    assert [i["phone"] for i in items] == [
        "+79120000003",
        "+79120000002",
        "+79120000001",
    ]
    unread = walk(viewer_client, f"{API}/inbound?state=unread", limit=10)
    assert {i["phone"] for i in unread} == {"+79120000001", "+79120000002"}
    opt_out = walk(viewer_client, f"{API}/inbound?state=opt_out", limit=10)
    assert [i["text"] for i in opt_out] == ["СТОП"]
    searched = walk(viewer_client, f"{API}/inbound?q=спас", limit=10)
    assert [i["phone"] for i in searched] == ["+79120000001"]


def test_report_counters_equal_a_group_by(viewer_client, campaign):
    body = viewer_client.get(f"{API}/campaigns/{campaign.pk}/report").json()
    messages = Message.objects.filter(campaign=campaign)
    grouped = Counter(messages.values_list("status", flat=True))
    assert {k: v for k, v in body["counts"].items() if v} == dict(grouped)
    assert body["total"] == len(MIX)
    assert body["segments"] == messages.aggregate(s=Sum("segments"))["s"]
    assert float(body["cost"]) == float(messages.aggregate(s=Sum("cost"))["s"])
    assert sum(r["count"] for r in body["failure_reasons"]) == sum(
        grouped[s] for s in ("undelivered", "rejected", "failed")
    )
    named = {o["operator"] for o in body["operators"]} - {""}
    assert named == {"MTS", "Beeline", "MegaFon"}
    assert sum(o["total"] for o in body["operators"]) == body["total"]
    # Every seeded message has an estimate: nothing is left out of the sums.
    assert body["unpriced_messages"] == 0
    priced = messages.filter(cost__isnull=False).count()
    assert body["gateway_priced_messages"] == priced > 0


def test_campaign_report_says_when_the_gateway_priced_nothing(viewer_client, campaign):
    Message.objects.filter(campaign=campaign).update(cost=None)
    body = viewer_client.get(f"{API}/campaigns/{campaign.pk}/report").json()
    assert body["gateway_priced_messages"] == 0
    assert float(body["cost"]) == 0


def test_campaign_report_counts_messages_without_a_price(viewer_client, campaign):
    Message.objects.filter(campaign=campaign, status="sent").update(
        cost=None, estimated_cost=None
    )
    body = viewer_client.get(f"{API}/campaigns/{campaign.pk}/report").json()
    assert body["unpriced_messages"] == Counter(s for s, *_ in MIX)["sent"] == 1


def test_unknown_campaign_report_is_404(viewer_client):
    assert viewer_client.get(f"{API}/campaigns/999999/report").status_code == 404


def test_manager_marks_and_answers_through_the_api(manager_client, simulator):
    account = simulated_account(simulator, "smsc")
    reply = make_reply(account, phone="+79120000077", text="Цена?")
    response = manager_client.post(
        f"{API}/inbound/mark",
        data={"ids": [reply.pk]},
        content_type="application/json",
    )
    assert response.json() == {"changed": 1, "not_found": []}
    # Ids of no reply (mistyped, deleted) were passed over without a word.
    response = manager_client.post(
        f"{API}/inbound/mark",
        data={"ids": [reply.pk, 987654321], "read": False},
        content_type="application/json",
    )
    assert response.json() == {"changed": 1, "not_found": [987654321]}
    response = manager_client.post(
        f"{API}/inbound/{reply.pk}/answer",
        data={"text": "100 ₽"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["campaign_id"] is None
    assert [(s.phone, s.text) for s in simulator.state.submissions] == [
        ("79120000077", "100 ₽")
    ]


def test_empty_answer_is_a_400_with_where(manager_client, account):
    reply = make_reply(account)
    response = manager_client.post(
        f"{API}/inbound/{reply.pk}/answer",
        data={"text": " "},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["where"] == "text"


def test_answer_with_a_control_character_is_a_400_naming_the_place(
    manager_client, account, settings
):
    settings.LANGUAGE_CODE = "en"
    reply = make_reply(account)
    response = manager_client.post(
        f"{API}/inbound/{reply.pk}/answer",
        data={"text": "Ok\x07"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["where"] == "text"
    assert response.json()["detail"] == (
        "Answer: Line 1, column 3: the control character U+0007 cannot be sent by "
        "any gateway. Remove it."
    )
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/messages?cursor=18446744073709551617", 400),
        ("/messages?campaign=18446744073709551617", 422),
        ("/messages?status=nonsense", 422),
        # No digit is no number: refused, where it matched every message.
        ("/messages?phone=%00", 400),
        ("/messages?phone=abc", 400),
        ("/inbound?phone=abc", 400),
        ("/inbound?q=%00abc", 200),
        ("/inbound?state=maybe", 422),
        ("/campaigns/18446744073709551617/report", 404),
    ],
)
def test_odd_input_is_a_client_error_not_a_crash(viewer_client, path, status):
    assert viewer_client.get(API + path).status_code == status


def test_an_answer_retried_with_its_idempotency_key_goes_out_once(
    manager_client, simulator
):
    account = simulated_account(simulator, "smsc")
    reply = make_reply(account, phone="+79120000077", text="Цена?")

    answers = [
        manager_client.post(
            f"{API}/inbound/{reply.pk}/answer",
            data={"text": "100 ₽"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="answer-1",
        )  # fmt: skip
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert len(simulator.state.submissions) == 1
    from accounts.models import AuditEvent

    event = AuditEvent.objects.get(action="sent")  # one, for the one message sent
    assert (event.object_id, event.details["source"]) == (
        str(answers[0].json()["id"]), "inbox")  # fmt: skip


def test_an_answer_key_used_for_another_text_is_a_409(manager_client, simulator):
    account = simulated_account(simulator, "smsc")
    reply = make_reply(account, phone="+79120000077", text="Цена?")
    url = f"{API}/inbound/{reply.pk}/answer"

    manager_client.post(url, data={"text": "100 ₽", "client_key": "k-1"},
                        content_type="application/json")  # fmt: skip
    other = manager_client.post(url, data={"text": "200 ₽", "client_key": "k-1"},
                                content_type="application/json")  # fmt: skip

    assert other.status_code == 409
    assert other.json()["where"] == "client_key"
    assert [s.text for s in simulator.state.submissions] == ["100 ₽"]


def test_a_withdrawn_message_has_no_estimate_and_money_reads_alike(
    viewer_client, make_campaign
):
    """QA: a withdrawn message read cost "0.0000", estimated_cost "3.5000" in
    /messages, while the exports left its estimate blank and the report said
    estimated_cost "0" (written unlike every other money field)."""
    campaign = make_campaign(state=Campaign.State.CANCELLED)
    seed_messages(campaign, [("cancelled", "cancelled", "", "", "", None, 1)])
    Message.objects.filter(campaign=campaign).update(cost=0)

    items = viewer_client.get(f"{API}/messages?campaign={campaign.pk}").json()["items"]
    report = viewer_client.get(f"{API}/campaigns/{campaign.pk}/report").json()

    assert (items[0]["cost"], items[0]["estimated_cost"]) == ("0.0000", None)
    assert (report["cost"], report["estimated_cost"]) == ("0.0000", "0.0000")
