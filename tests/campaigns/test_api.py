from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from django.test import Client
from django.utils import timezone

from accounts.services import api_token_create
from campaigns.models import Campaign, Message
from campaigns.services import campaign_start
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

API = "/api/v1/campaigns"
State = Campaign.State
WRITES = ["launch", "pause", "resume", "cancel"]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def people(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7912{i:07d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


def draft_body(account, **overrides) -> dict:
    body = {
        "name": "API draft",
        "account": account.pk,
        "sender": account.default_sender,
        "channel": "sms",
        "text": "Hello {first_name}",
        "extra_numbers": "+79120000001",
        "time_zone": "Europe/Moscow",
    }
    body.update(overrides)
    return body


def post(client, path: str, body: dict | None = None):
    return client.post(path, body or {}, content_type="application/json")


# Permissions -------------------------------------------------------------------


def test_anonymous_gets_401(client, make_campaign):
    campaign = make_campaign()

    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{campaign.pk}").status_code == 401
    assert post(client, f"{API}/{campaign.pk}/launch").status_code == 401


def test_viewer_reads_but_cannot_write(viewer_client, make_campaign, account):
    campaign = make_campaign()

    assert viewer_client.get(API).status_code == 200
    assert viewer_client.get(f"{API}/{campaign.pk}").status_code == 200
    assert post(viewer_client, f"{API}/{campaign.pk}/preview").status_code == 200
    assert post(viewer_client, API, draft_body(account)).status_code == 403
    patch = viewer_client.patch(
        f"{API}/{campaign.pk}", {"name": "x"}, content_type="application/json"
    )
    assert patch.status_code == 403
    for action in WRITES:
        assert post(viewer_client, f"{API}/{campaign.pk}/{action}").status_code == 403
    test_send = post(
        viewer_client, f"{API}/{campaign.pk}/test-send", {"phones": ["+79120000001"]}
    )
    assert test_send.status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT
    assert Campaign.objects.count() == 1


# Drafts ------------------------------------------------------------------------


def test_manager_creates_a_draft(manager_client, manager_user, account, make_group):
    group = make_group("G", people(2))

    response = post(
        manager_client,
        API,
        draft_body(account, text="Hi {first_name}\r\nBye", include_groups=[group.pk]),
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.text == "Hi {first_name}\nBye"
    assert campaign.created_by == manager_user
    assert body["state"] == "draft"
    assert body["include_groups"] == [group.pk]
    assert body["counts"]["total"] == 0


def test_unknown_placeholder_is_a_400_naming_the_field(manager_client, account):
    response = post(manager_client, API, draft_body(account, text="Hi {nmae}"))

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "text"
    assert "{nmae}" in body["detail"]
    assert body["detail"].startswith("Text:")
    assert not Campaign.objects.exists()


def test_a_draft_sends_overnight_through_the_api(manager_client, account):
    response = post(
        manager_client,
        API,
        draft_body(account, respect_quiet_hours=True, window_start="22:00",
                   window_end="06:00"),
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["window_start"], body["window_end"]) == ("22:00:00", "06:00:00")


def test_an_empty_send_window_is_a_400_naming_its_end(manager_client, account):
    response = post(
        manager_client,
        API,
        draft_body(account, respect_quiet_hours=True, window_start="09:00",
                   window_end="09:00"),
    )  # fmt: skip

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "window_end"
    assert body["detail"].startswith("Send until: The send window is empty")
    assert not Campaign.objects.exists()


def test_channel_the_gateway_lacks_is_a_400(manager_client, account):
    response = post(manager_client, API, draft_body(account, channel="voice"))

    assert response.status_code == 400
    assert response.json()["where"] == "channel"


def test_start_at_is_kept_with_its_offset_or_read_in_the_time_zone(
    manager_client, account
):
    day = f"{(timezone.now() + timedelta(days=60)).date():%Y-%m-%d}"
    with_offset = post(
        manager_client,
        API,
        draft_body(account, start_at=f"{day}T12:00:00+03:00"),
    ).json()
    naive = post(
        manager_client,
        API,
        draft_body(account, start_at=f"{day}T19:00:00", time_zone="Asia/Vladivostok"),
    ).json()

    expected = datetime.fromisoformat(f"{day}T09:00:00+00:00")
    assert Campaign.objects.get(pk=with_offset["id"]).start_at == expected
    assert Campaign.objects.get(pk=naive["id"]).start_at == expected


def test_the_answer_gives_the_start_in_utc_and_on_the_campaigns_clock(
    manager_client, account
):
    """start_at is the instant (UTC, as every time of the API); start_local is that
    instant on the clock of the campaign's time_zone, with its offset, so a client
    shows what the composer shows without a zone database of its own."""
    day = f"{(timezone.now() + timedelta(days=60)).date():%Y-%m-%d}"
    created = post(
        manager_client,
        API,
        draft_body(account, start_at=f"{day}T19:00:00", time_zone="Asia/Vladivostok"),
    )
    assert created.status_code == 201, created.json()
    unscheduled = post(manager_client, API, draft_body(account)).json()

    body = manager_client.get(f"{API}/{created.json()['id']}").json()

    assert body["start_at"] == f"{day}T09:00:00Z"
    assert body["start_local"] == f"{day}T19:00:00+10:00"
    assert created.json()["start_local"] == body["start_local"]
    assert unscheduled["start_at"] is None
    assert unscheduled["start_local"] is None
    listed = {c["id"]: c for c in manager_client.get(API).json()}
    assert listed[body["id"]]["start_local"] == body["start_local"]


def test_start_local_is_not_taken_as_input(manager_client, account):
    response = post(
        manager_client,
        API,
        draft_body(account, start_local="2030-01-01T10:00:00+03:00"),
    )

    assert response.status_code == 400
    assert response.json()["where"] == "start_local"


def test_the_openapi_document_says_which_clock_each_start_is_on(
    viewer_client,
):
    schemas = viewer_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    answer = schemas["CampaignOut"]["properties"]

    assert "UTC" in answer["start_at"]["description"]
    assert "time_zone" in answer["start_local"]["description"]
    assert "start_local" not in schemas["CampaignIn"]["properties"]


def test_start_at_keeps_its_seconds_through_a_later_change(manager_client, account):
    """An offset's start lost its seconds (10:00:42 became 10:00:00, so one given
    less than a minute ahead was refused as past), and every PATCH cut them again."""
    start = (timezone.now() + timedelta(days=1)).replace(second=42, microsecond=0)
    created = post(manager_client, API, draft_body(account, start_at=start.isoformat()))
    assert created.status_code == 201, created.json()
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert campaign.start_at == start

    patched = manager_client.patch(
        f"{API}/{campaign.pk}", {"name": "Renamed"}, content_type="application/json"
    )

    assert patched.status_code == 200, patched.json()
    campaign.refresh_from_db()
    assert campaign.start_at == start


def test_update_changes_only_the_given_fields(manager_client, make_campaign):
    campaign = make_campaign(extra_numbers="+79120000001")

    response = manager_client.patch(
        f"{API}/{campaign.pk}",
        {"name": "Renamed", "voice_options": None},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    assert campaign.text == "Hello {first_name}!"
    assert campaign.extra_numbers == "+79120000001"


def test_null_leaves_a_switch_or_a_list_as_it_is(manager_client, account, make_group):
    """Read as a form, null would turn quiet hours off and empty the audience."""
    group = make_group("G", people(1))
    body = draft_body(
        account, include_groups=[group.pk], respect_quiet_hours=None, translit=None
    )
    created = post(manager_client, API, body)
    assert created.status_code == 201, created.json()
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert campaign.respect_quiet_hours is True  # the default, as when left out

    response = manager_client.patch(
        f"{API}/{campaign.pk}",
        {"respect_quiet_hours": None, "include_groups": None, "to_whole_book": None},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.respect_quiet_hours is True
    assert list(campaign.include_groups.values_list("pk", flat=True)) == [group.pk]


def test_a_draft_without_a_sender_takes_the_accounts_default(manager_client, account):
    body = draft_body(account)
    del body["sender"]

    response = post(manager_client, API, body)

    assert response.status_code == 201, response.json()
    assert response.json()["sender"] == account.default_sender == "SMSPORTAL"


def test_the_list_refuses_a_state_there_is_not_and_filters_by_any_account(
    viewer_client, make_campaign
):
    make_campaign(name="A")

    bogus = viewer_client.get(API, {"state": "bogus"})
    no_account = viewer_client.get(API, {"account": 0})
    drafts = viewer_client.get(API, {"state": "draft"})

    assert bogus.status_code == 422  # it answered an empty list
    assert no_account.json() == []  # it answered every campaign
    assert [c["name"] for c in drafts.json()] == ["A"]


def test_update_of_the_time_zone_alone_keeps_the_start_time(
    manager_client, make_campaign
):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=60)
    campaign = make_campaign(start_at=start, time_zone="Europe/Moscow")

    response = manager_client.patch(
        f"{API}/{campaign.pk}",
        {"time_zone": "Asia/Vladivostok"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.time_zone == "Asia/Vladivostok"
    assert campaign.start_at == start  # an instant, not a wall-clock time to move


def test_pasted_garbage_is_a_400_naming_the_field_and_line(manager_client, account):
    response = post(
        manager_client, API, draft_body(account, extra_numbers="+79120000001\nabc")
    )

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "extra_numbers"
    assert (
        body["detail"] == "Extra numbers: Line 2 (abc): no digits in the phone number"
    )


def test_update_of_a_launched_campaign_is_refused(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)

    response = manager_client.patch(
        f"{API}/{campaign.pk}", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["where"] == "state"


# Reading -----------------------------------------------------------------------


def test_list_and_detail_carry_the_counters(viewer_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["delivered", "delivered", "failed", "pending"])
    make_campaign(name="Empty draft")

    listing = viewer_client.get(API, {"state": "sending"}).json()
    detail = viewer_client.get(f"{API}/{campaign.pk}").json()

    assert [row["id"] for row in listing] == [campaign.pk]
    counts = listing[0]["counts"]
    assert counts["by_status"] == {"delivered": 2, "failed": 1, "pending": 1}
    assert counts["total"] == 4
    assert counts["percent"] == 75
    assert detail["counts"] == counts


def test_a_read_only_token_may_preview_a_campaign_which_changes_nothing(
    admin_user, make_campaign, make_group
):
    """A preview is a POST that writes nothing: a read-only token (a reporting tool
    checking a draft's cost) was refused it as a write."""
    campaign = make_campaign([make_group("G", people(2))])
    version = campaign.version
    _token, raw = api_token_create(user=admin_user, name="reports", scope="read")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"{API}/{campaign.pk}/preview"
    )

    assert response.status_code == 200, response.content
    assert response.json()["total"] == 2
    campaign.refresh_from_db()
    assert (campaign.state, campaign.version) == (Campaign.State.DRAFT, version)


def test_preview_returns_counts_segments_and_cost(
    manager_client, make_campaign, make_group
):
    campaign = make_campaign(
        [make_group("G", people(3))], extra_numbers="+79120000000\nbad"
    )

    response = post(manager_client, f"{API}/{campaign.pk}/preview")

    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 3
    assert body["duplicates"] == 1
    assert body["invalid"] == 1
    assert body["segments_histogram"] == {"1": 3}
    assert Decimal(body["estimated_cost"]) == Decimal("7.50")
    assert body["samples"][0]["text"] == "Hello Name0!"
    assert body["empty_placeholders"] == {}  # every contact has a first name


def test_preview_counts_the_texts_too_long_for_the_gateway(
    manager_client, make_campaign, make_group, settings
):
    settings.LANGUAGE_CODE = "en"
    websms = ProviderAccount.objects.create(
        name="W", kind="websms", base_url="http://127.0.0.1:9/x", default_sender="SHOP"
    )
    group = make_group("G", [("+79120000001", "Александра", "Europe/Moscow"),
                             ("+79120000002", "Ян", "Europe/Moscow")])  # fmt: skip
    campaign = make_campaign([group], account=websms, text="я" * 590 + "{first_name}")

    body = post(manager_client, f"{API}/{campaign.pk}/preview").json()
    page = manager_client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()

    assert body["too_long"] == 1
    assert body["segments_histogram"] == {"9": 1, "10": 1}
    assert "longer than WEBSMS takes" in page


def test_a_text_past_the_cap_is_refused_for_a_gateway_without_its_own(
    manager_client, account, settings
):
    # A megabyte of pasted text reached the preview (6,854 segments) and the lists.
    settings.LANGUAGE_CODE = "en"
    response = post(manager_client, API, draft_body(account, text="a" * 5001))
    template = post(
        manager_client, "/api/v1/templates", {"name": "T", "text": "a" * 5001}
    )

    assert response.status_code == template.status_code == 400
    assert response.json()["where"] == "text"
    assert "at most 5000 characters" in response.json()["detail"]
    assert (
        post(manager_client, API, draft_body(account, text="a" * 5000)).status_code
        == 201
    )


def test_an_offset_past_everything_is_an_empty_page(manager_client, make_campaign):
    make_campaign()
    response = manager_client.get(API, {"offset": "99999999999999999999999"})

    assert response.status_code == 200
    assert response.json() == []


def test_a_refused_draft_names_fields_as_the_api_does(manager_client, settings):
    """The composer's own names ('start_local', 'voice_voice') are not the API's."""
    settings.LANGUAGE_CODE = "en"
    websms = ProviderAccount.objects.create(
        name="W", kind="websms", base_url="http://127.0.0.1:9/x", default_sender="SHOP"
    )
    body = draft_body(websms, channel="voice", voice_options={"voice": "a\u0007"})

    response = post(manager_client, API, body)

    assert response.status_code == 400
    assert response.json()["where"] == "voice_options.voice"
    assert list(response.json()["errors"]) == ["voice_options.voice"]


# Actions -----------------------------------------------------------------------


def test_launch_sends_through_the_simulator(
    manager_client, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "websms")
    campaign = make_campaign([make_group("G", people(2))], account=account)

    response = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert response.status_code == 200
    assert response.json()["state"] == "sending"
    campaign_start(campaign_id=campaign.pk)
    assert len(simulator.state.submissions) == 2
    counts = manager_client.get(f"{API}/{campaign.pk}").json()["counts"]
    assert counts["total"] == 2
    assert counts["by_status"].get("pending", 0) == 0


def test_launch_beyond_the_balance_is_a_400(
    manager_client, account, make_group, make_campaign
):
    account.balance = Decimal("1.00")
    account.balance_currency = "RUB"
    account.save(update_fields=["balance", "balance_currency"])
    campaign = make_campaign([make_group("G", people(3))])

    response = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert response.status_code == 400
    assert response.json()["where"] == "account"
    # As the pages write money: grouped, two decimals, the currency.
    detail = response.json()["detail"]
    assert "balance (1.00 RUB) does not cover the estimated cost (7.50 RUB)" in detail
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT


def test_the_balance_pays_for_the_accounts_other_campaigns_under_way_first(
    manager_client, account, make_group, make_campaign
):
    """Two campaigns of 7.50 each, launched on a balance of 10.00 that covers either
    alone, both paused half way when the gateway refused for money."""
    from campaigns.expansion import campaign_expand

    account.balance = Decimal("10.00")
    account.balance_currency = "RUB"
    account.save(update_fields=["balance", "balance_currency"])
    first = make_campaign([make_group("A", people(3))], state=State.SENDING)
    campaign_expand(campaign=first)  # 3 × 2.50, none sent yet
    others = [(f"+7913{i:07d}", f"Other{i}", "Europe/Moscow") for i in range(3)]
    second = make_campaign([make_group("B", others)])

    preview = post(manager_client, f"{API}/{second.pk}/preview").json()
    launch = post(manager_client, f"{API}/{second.pk}/launch")

    assert (preview["estimated_cost"], preview["committed_cost"]) == ("7.50", "7.50")
    assert preview["can_afford"] is False
    assert launch.status_code == 400
    assert (
        "with what the account's other campaigns have still to send (7.50 RUB)"
        in (launch.json()["detail"])
    )
    from django.urls import reverse

    page = manager_client.get(reverse("campaigns:preview", args=[second.pk]))
    assert 'data-preview="committed"' in page.content.decode()
    # Once the first has sent its messages, the balance is for the second alone.
    Message.objects.filter(campaign=first).update(status="delivered")
    again = post(manager_client, f"{API}/{second.pk}/preview").json()
    assert (again["committed_cost"], again["can_afford"]) == ("0.00", True)


def test_a_scheduled_campaign_not_built_yet_is_paid_for_first_at_its_launch_estimate(
    manager_client, account, make_group, make_campaign
):
    """A campaign scheduled for tomorrow has no messages until then; a launch today
    on a balance that covers only one of the two must still be refused."""
    account.balance = Decimal("10.00")
    account.balance_currency = "RUB"
    account.save(update_fields=["balance", "balance_currency"])
    tomorrow = timezone.now() + timedelta(days=1)
    first = make_campaign([make_group("A", people(3))], start_at=tomorrow)
    scheduled = post(manager_client, f"{API}/{first.pk}/launch")
    assert scheduled.status_code == 200, scheduled.content
    first.refresh_from_db()
    assert (first.state, first.launch_estimate) == (State.SCHEDULED, Decimal("7.50"))
    assert not Message.objects.filter(campaign=first).exists()
    others = [(f"+7913{i:07d}", f"Other{i}", "Europe/Moscow") for i in range(3)]
    second = make_campaign([make_group("B", others)])

    preview = post(manager_client, f"{API}/{second.pk}/preview").json()
    launch = post(manager_client, f"{API}/{second.pk}/launch")

    assert (preview["committed_cost"], preview["can_afford"]) == ("7.50", False)
    assert launch.status_code == 400
    # Back to a draft, it promises nothing.
    returned = post(manager_client, f"{API}/{first.pk}/unschedule")
    assert returned.status_code == 200, returned.content
    first.refresh_from_db()
    assert first.launch_estimate is None
    again = post(manager_client, f"{API}/{second.pk}/preview").json()
    assert (again["committed_cost"], again["can_afford"]) == ("0.00", True)


@pytest.mark.parametrize("channel", ["viber", "viber_sms"])
def test_a_viber_campaign_is_not_priced_as_sms_parts_nor_held_to_the_balance(
    manager_client, account, make_group, make_campaign, channel
):
    """A long Viber text is one message, not eight SMS parts at the SMS tariff."""
    account.balance = Decimal("1.00")
    account.save(update_fields=["balance"])
    campaign = make_campaign(
        [make_group("G", people(3))], channel=channel, text="Длинный текст. " * 40,
        viber_text="Длинный текст. " * 40,
    )  # fmt: skip

    preview = post(manager_client, f"{API}/{campaign.pk}/preview").json()
    launch = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert preview["estimated_cost"] is None
    assert preview["can_afford"] is True
    assert launch.status_code == 200
    campaign.refresh_from_db()
    assert campaign.price_per_segment is None  # the messages carry no estimate


def test_pause_resume_and_cancel(manager_client, make_campaign):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["pending", "queued"])

    paused = post(manager_client, f"{API}/{campaign.pk}/pause").json()
    resumed = post(manager_client, f"{API}/{campaign.pk}/resume").json()
    cancelled = post(manager_client, f"{API}/{campaign.pk}/cancel").json()
    again = post(manager_client, f"{API}/{campaign.pk}/cancel")

    assert paused["state"] == "paused"
    assert resumed["state"] == "sending"
    assert cancelled["state"] == "cancelled"
    assert cancelled["withdrawn"] == 1
    assert cancelled["in_flight"] == 0
    assert again.status_code == 400
    assert again.json() == {
        "detail": "This campaign is already cancelled.",
        "where": "state",
    }


def test_a_paused_campaign_takes_another_sender_name(manager_client, make_campaign):
    campaign = make_campaign(state=State.PAUSED, sender="OLD")
    pending, claimed = add_messages(campaign, ["pending", "pending"])
    Message.objects.filter(pk=claimed.pk).update(claimed_at=timezone.now())
    url = f"{API}/{campaign.pk}/sender"

    refused = post(manager_client, url, {"sender": "Nobody"})
    changed = post(manager_client, url, {"sender": "SMSPORTAL"})
    Campaign.objects.filter(pk=campaign.pk).update(state=State.SENDING)
    too_late = post(manager_client, url, {"sender": "SMSPORTAL"})

    assert refused.status_code == 400
    assert refused.json()["where"] == "sender"
    assert changed.status_code == 200
    assert changed.json()["sender"] == "SMSPORTAL"
    senders = dict(Message.objects.values_list("pk", "sender"))
    # A claimed message is on its way (or in doubt) with the name it had.
    assert senders[pending.pk] == "SMSPORTAL"
    assert senders[claimed.pk] != "SMSPORTAL"
    assert too_late.status_code == 400
    assert too_late.json()["where"] == "state"


def test_a_viewer_cannot_change_the_sender_name(viewer_client, make_campaign):
    campaign = make_campaign(state=State.PAUSED, sender="OLD")

    response = post(viewer_client, f"{API}/{campaign.pk}/sender", {"sender": "X"})

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.sender == "OLD"


def test_test_send_reports_each_message(manager_client, simulator, make_campaign):
    account = simulated_account(simulator, "websms")
    campaign = make_campaign(account=account)

    response = post(
        manager_client,
        f"{API}/{campaign.pk}/test-send",
        {"phones": ["+79120000001", "+79120000002"]},
    )

    assert response.status_code == 200, response.json()
    rows = response.json()
    assert [r["phone"] for r in rows] == ["+79120000001", "+79120000002"]
    assert all(r["gateway_message_id"] for r in rows)
    assert {r["status"] for r in rows} <= {"queued", "sent", "delivered"}
    assert len(simulator.state.submissions) == 2


def test_test_send_while_the_rate_limit_is_taken_hands_the_messages_back(
    manager_client, simulator, make_campaign, monkeypatch
):
    import time

    from django.core.cache import cache

    from campaigns import ratelimit

    account = simulated_account(simulator, "websms")
    account.rate_limit = 1
    account.save(update_fields=["rate_limit"])
    campaign = make_campaign(account=account)
    # Other campaigns hold this second and the next ones; waiting is not allowed.
    now = int(time.time() * ratelimit.SLICES)
    for index in range(now - ratelimit.SLICES, now + 5 * ratelimit.SLICES):
        cache.set(f"ratelimit:{account.pk}:{index}", 1, timeout=10)
    monkeypatch.setattr(ratelimit, "MAX_WAIT_SECONDS", 0.0)

    response = post(
        manager_client, f"{API}/{campaign.pk}/test-send", {"phones": ["+79120000001"]}
    )

    assert response.status_code == 400
    assert response.json()["where"] == "account"
    assert "rate limit" in response.json()["detail"]
    assert simulator.state.submissions == []
    # Failed with the reason, not claimed (or pending) for ever with nothing sent:
    # no pump sends a test message later.
    test_message = Message.objects.get(campaign=None)
    assert (test_message.status, test_message.reason) == ("failed", "other")
    assert "rate limit" in test_message.vendor_text


def test_test_send_refused_for_funds_fails_the_messages_and_keeps_the_campaign(
    manager_client, simulator, make_campaign
):
    account = simulated_account(simulator, "smsc", balance="0")
    campaign = make_campaign(account=account)

    response = post(
        manager_client,
        f"{API}/{campaign.pk}/test-send",
        {"phones": ["+79120000001", "+79120000002"]},
    )

    assert response.status_code == 400
    assert response.json()["where"] == "account"
    tests = Message.objects.filter(campaign=None)
    assert {(m.status, m.reason) for m in tests} == {("failed", "insufficient_balance")}
    assert all(m.vendor_code == "3" for m in tests)  # SMSC's error 3
    campaign.refresh_from_db()
    assert (campaign.state, campaign.pause_reason) == ("draft", "")


def test_test_send_with_too_many_numbers_is_a_400(manager_client, make_campaign):
    campaign = make_campaign()

    response = post(
        manager_client,
        f"{API}/{campaign.pk}/test-send",
        {"phones": [f"+791200000{i:02d}" for i in range(11)]},
    )

    assert response.status_code == 400
    assert response.json()["where"] == "phones"


@pytest.mark.parametrize(
    ("body", "where", "detail"),
    [
        ({"text": "Hi {first_name}\nbye\x07"}, "text",
         "Text: Line 2, column 4: the control character U+0007"),
        # json.dumps writes a lone surrogate as \\ud800: it arrives as one.
        ({"text": "Hi \ud800"}, "text",
         "Text: Line 1, column 4: the invalid character U+D800"),
        ({"sender": "SHOP\x00"}, "sender",
         "Sender name: Character 5: the control character U+0000"),
    ],
)  # fmt: skip
def test_characters_no_gateway_can_carry_are_a_400_naming_field_and_place(
    manager_client, account, body, where, detail
):
    response = post(manager_client, API, draft_body(account, **body))

    assert response.status_code == 400, response.content
    assert response.json()["where"] == where
    assert response.json()["detail"] == (
        f"{detail} cannot be sent by any gateway. Remove it."
    )
    assert not Campaign.objects.exists()


def test_update_with_a_control_character_is_a_400(manager_client, make_campaign):
    campaign = make_campaign()

    response = manager_client.patch(
        f"{API}/{campaign.pk}",
        {"channel": "viber_sms", "viber_text": "Sale\x1b[1m today"},
        content_type="application/json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["where"] == "viber_text"
    assert body["detail"].startswith("Viber text: Line 1, column 5:")
    assert "U+001B" in body["detail"]
    campaign.refresh_from_db()
    assert (campaign.channel, campaign.viber_text) == ("sms", "")


def test_test_send_of_a_text_saved_with_a_control_character_is_a_400(
    manager_client, simulator, make_campaign
):
    # Saved before the composer checked, or changed in the admin.
    account = simulated_account(simulator, "websms")
    campaign = make_campaign(account=account, text="Hello\x07 {first_name}")

    response = post(
        manager_client, f"{API}/{campaign.pk}/test-send", {"phones": ["+79120000001"]}
    )

    assert response.status_code == 400
    assert response.json()["where"] == "text"
    assert response.json()["detail"].startswith(
        "Text: Line 1, column 6: the control character U+0007"
    )
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_launch_with_a_start_time_long_past_asks_for_a_new_one(
    manager_client, make_group, make_campaign
):
    start = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)  # 09:30 in Moscow
    campaign = make_campaign(
        [make_group("G", people(2))], start_at=start, time_zone="Europe/Moscow"
    )

    response = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert response.status_code == 400
    assert response.json()["where"] == "start_at"
    assert "01.03.2026 09:30 Moscow" in response.json()["detail"]
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT
    assert not Message.objects.filter(campaign=campaign).exists()


def test_launch_moments_after_the_start_time_sends_at_once(
    manager_client, make_group, make_campaign
):
    start = timezone.now() - timedelta(minutes=1)
    campaign = make_campaign([make_group("G", people(2))], start_at=start)

    response = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert response.status_code == 200
    assert response.json()["state"] == "sending"


def test_launch_of_a_sender_saved_with_a_control_character_is_a_400(
    manager_client, make_campaign
):
    campaign = make_campaign(sender="SHOP\x1b")

    response = post(manager_client, f"{API}/{campaign.pk}/launch")

    assert response.status_code == 400
    assert response.json()["where"] == "sender"
    assert response.json()["detail"].startswith(
        "Sender name: Character 5: the control character U+001B"
    )
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT


def test_test_send_to_a_contact_whose_name_cannot_be_sent_reports_why(
    manager_client, simulator, make_campaign
):
    from contacts.models import Contact

    account = simulated_account(simulator, "websms")
    campaign = make_campaign(account=account, text="Hello {first_name}!")
    Contact.objects.create(phone="+79120000001", first_name="Ann\x07")

    response = post(
        manager_client,
        f"{API}/{campaign.pk}/test-send",
        {"phones": ["+79120000001", "+79120000002"]},
    )

    assert response.status_code == 200, response.json()
    bad, good = response.json()
    assert (bad["status"], bad["reason"]) == ("rejected", "invalid_text")
    assert bad["vendor_text"] == (
        "Text: Line 1, column 10: the control character U+0007 cannot be sent by "
        "any gateway."
    )
    assert not bad["gateway_message_id"]
    assert good["gateway_message_id"]
    assert [s.phone for s in simulator.state.submissions] == ["79120000002"]


@pytest.mark.django_db(transaction=True)
def test_a_nul_byte_in_a_filter_is_a_client_error_and_the_next_request_works(
    viewer_client,
):
    """Refused as no state there is, before PostgreSQL (which cannot hold NUL) sees
    it; nothing stays broken."""
    response = viewer_client.get(API, {"state": "sending\x00"})
    assert response.status_code == 422
    assert viewer_client.get(API).status_code == 200


def test_a_draft_takes_its_text_from_a_template(manager_client, account):
    from campaigns.models import MessageTemplate

    template = MessageTemplate.objects.create(name="T", text="Hi {first_name}")
    body = draft_body(account, template=template.pk)
    del body["text"]

    created = post(manager_client, API, body)
    missing = post(manager_client, API, {**body, "template": 999999})
    own_text = post(manager_client, API, {**body, "text": "Mine", "name": "B"})

    assert created.status_code == 201
    assert created.json()["text"] == "Hi {first_name}"
    assert (missing.status_code, missing.json()["where"]) == (400, "template")
    assert own_text.json()["text"] == "Mine"


def test_a_template_that_is_not_there_is_refused_even_with_a_text(
    manager_client, account
):
    body = draft_body(account, template=999999, text="Mine")

    response = post(manager_client, API, body)

    assert response.status_code == 400
    assert response.json()["where"] == "template"
    assert not Campaign.objects.exists()


def test_the_sender_of_a_campaign_not_paused_stays_saying_when_it_can_change(
    manager_client, account, settings
):
    settings.LANGUAGE_CODE = "en"
    draft = post(manager_client, API, draft_body(account)).json()

    response = post(manager_client, f"{API}/{draft['id']}/sender", {"sender": "X"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The sender name can change only while the campaign is paused.",
        "where": "state",
    }


def test_a_test_send_repeated_with_its_idempotency_key_sends_once(
    manager_client, simulator, make_campaign
):
    account = simulated_account(simulator, "websms")
    campaign = make_campaign(account=account)
    url = f"{API}/{campaign.pk}/test-send"
    phones = {"phones": ["+79120000001", "+79120000002"]}

    first, again = (
        manager_client.post(
            url, phones, content_type="application/json", HTTP_IDEMPOTENCY_KEY="t-1"
        )  # fmt: skip
        for _ in range(2)
    )
    other = post(manager_client, url, {"phones": ["+79120000003"], "client_key": "t-1"})

    assert [r["id"] for r in again.json()] == [r["id"] for r in first.json()]
    assert len(simulator.state.submissions) == 2
    assert other.status_code == 409
    assert other.json()["where"] == "client_key"


def test_a_finished_campaign_is_deleted_but_a_sending_one_is_not(
    manager_client, viewer_user, make_campaign
):
    from django.test import Client

    finished = make_campaign(state=Campaign.State.COMPLETED)
    sending = make_campaign(state=Campaign.State.SENDING)
    viewer = Client()
    viewer.force_login(viewer_user)

    refused = viewer.delete(f"{API}/{finished.pk}")
    deleted = manager_client.delete(f"{API}/{finished.pk}")
    kept = manager_client.delete(f"{API}/{sending.pk}", HTTP_ACCEPT_LANGUAGE="en")

    assert (refused.status_code, deleted.status_code) == (403, 204)
    assert not Campaign.objects.filter(pk=finished.pk).exists()
    assert kept.status_code == 400
    assert kept.json()["where"] == "state"
    assert Campaign.objects.filter(pk=sending.pk).exists()
    assert manager_client.delete(f"{API}/{finished.pk}").status_code == 404


def test_a_cancel_counts_the_messages_being_sent_at_that_moment(
    manager_client, make_campaign
):
    campaign = make_campaign(state=State.SENDING)
    add_messages(campaign, ["pending", "pending", "queued"])
    first = Message.objects.filter(campaign=campaign, status="pending").first()
    Message.objects.filter(pk=first.pk).update(claimed_at=timezone.now())

    cancelled = post(manager_client, f"{API}/{campaign.pk}/cancel").json()

    assert (cancelled["withdrawn"], cancelled["in_flight"]) == (1, 1)
