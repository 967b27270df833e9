"""What stops a campaign from going out through an account or under a name that no
longer may send, and what keeps "resend to the failed" to one follow-up."""

import threading

import pytest

from django.db import connection

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.services import (
    campaign_launch,
    campaign_resend_failed,
    campaign_resume,
    campaign_test_send,
)
from providers.models import ProviderAccount, SenderName
from smsportal.exceptions import ApplicationError
from tests.campaigns.conftest import add_messages
from tests.campaigns.gateway_accounts import simulated_account

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def phones(n: int) -> list[tuple[str, str, str]]:
    return [(f"+7912{i:07d}", f"Name{i}", "Europe/Moscow") for i in range(n)]


@pytest.mark.django_db
def test_a_campaign_whose_account_was_deactivated_pauses_with_a_banner(
    simulator, make_group, make_campaign
):
    # A scheduled start, or a campaign sending when someone switched the account off.
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(3))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    ProviderAccount.objects.filter(pk=account.pk).update(is_active=False)

    result = campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (result.stopped, result.sent) == (State.PAUSED, 0)
    assert campaign.state == State.PAUSED
    assert "not active" in campaign.pause_message
    assert simulator.state.submissions == []
    with pytest.raises(ApplicationError, match="not active"):
        campaign_resume(campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).state == State.PAUSED


@pytest.mark.django_db
def test_launch_refuses_a_sender_name_the_gateway_no_longer_allows(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "smsc")
    SenderName.objects.create(account=account, name="SHOP", usable=True)
    campaign = make_campaign([make_group("G", phones(2))], account=account,
                             sender="SHOP")  # fmt: skip
    SenderName.objects.filter(account=account, name="SHOP").update(usable=False)

    with pytest.raises(ApplicationError, match="not a usable sender name") as refused:
        campaign_launch(campaign=campaign)

    assert refused.value.where == "sender"
    assert Campaign.objects.get(pk=campaign.pk).state == State.DRAFT


@pytest.mark.django_db
def test_no_test_send_from_a_cancelled_campaign_or_an_inactive_account(
    simulator, make_campaign
):
    account = simulated_account(simulator, "webcom")
    cancelled = make_campaign(account=account, state=State.CANCELLED)
    with pytest.raises(ApplicationError, match="cancelled campaign"):
        campaign_test_send(campaign=cancelled, phones=["+79120000001"])

    draft = make_campaign(account=account)
    ProviderAccount.objects.filter(pk=account.pk).update(is_active=False)
    draft.account.refresh_from_db()
    with pytest.raises(ApplicationError, match="not active"):
        campaign_test_send(campaign=draft, phones=["+79120000001"])
    assert simulator.state.submissions == []
    assert not Message.objects.filter(campaign=None).exists()


@pytest.mark.django_db
def test_resend_waits_for_the_campaign_to_finish(make_campaign):
    campaign = make_campaign(state=State.PAUSED)
    add_messages(campaign, ["failed", "delivered"])

    with pytest.raises(ApplicationError, match="once the campaign has finished"):
        campaign_resend_failed(campaign=campaign)
    assert not Campaign.objects.filter(parent=campaign).exists()


@pytest.mark.django_db(transaction=True)
def test_resend_requests_at_the_same_moment_make_one_follow_up(make_campaign):
    campaign = make_campaign(state=State.COMPLETED)
    add_messages(campaign, ["failed", "undelivered", "delivered"])
    requests = 4
    start = threading.Barrier(requests)
    outcomes: list[str] = []

    def resend() -> None:
        try:
            start.wait(timeout=10)
            campaign_resend_failed(campaign=campaign)
            outcomes.append("made")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=resend) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["made"] + ["refused"] * (requests - 1)
    assert Campaign.objects.filter(parent=campaign).count() == 1


@pytest.mark.django_db
def test_a_passed_start_time_is_told_with_the_zones_city(make_group, make_campaign):
    from datetime import timedelta

    from django.utils import timezone

    campaign = make_campaign(
        [make_group("G", phones(1))],
        start_at=timezone.now() - timedelta(days=2),
        time_zone="Asia/Yekaterinburg",
    )
    with pytest.raises(ApplicationError, match="has passed") as refused:
        campaign_launch(campaign=campaign)
    assert "Yekaterinburg)" in refused.value.message
    assert "Asia/" not in refused.value.message


@pytest.mark.django_db
def test_a_cancelled_campaign_says_when_it_was_cancelled(manager_client, make_campaign):
    from django.utils import timezone

    campaign = make_campaign(state=State.CANCELLED, finished_at=timezone.now())

    page = manager_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert ">Cancelled</dt>" in page
    assert ">Finished</dt>" not in page


@pytest.mark.django_db
def test_the_greetings_list_names_the_zone_by_its_city(manager_client, account):
    from datetime import time

    from campaigns.models import BirthdayGreeting

    BirthdayGreeting.objects.create(
        name="ДР", account=account, text="С днём рождения!", send_time=time(10),
        time_zone="Asia/Tomsk",
    )  # fmt: skip

    page = manager_client.get("/campaigns/greetings/").content.decode()

    assert "Tomsk" in page
    assert "Asia/Tomsk" not in page


@pytest.mark.django_db(transaction=True)
def test_an_account_deactivated_while_its_campaign_sends_stops_it_at_the_next_batch(
    simulator, make_group, make_campaign, monkeypatch
):
    """The pump looked at the account only when it started: switched off mid-run,
    the account kept sending until the run's 50 seconds were over."""
    from campaigns import dispatch

    account = simulated_account(simulator, "webcom", rate_limit=10)  # batches of 10
    campaign = make_campaign([make_group("G", phones(40))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    send = dispatch._send_when_built

    def deactivated_during_the_first_request(gateway, request):
        from django.db import connections

        # Committed before the gateway's answer comes in: the pump's check between
        # batches runs as soon as it has (while the answer is read).
        ProviderAccount.objects.filter(pk=account.pk).update(is_active=False)
        connections.close_all()  # this thread's own connection
        return send(gateway, request)

    monkeypatch.setattr(dispatch, "_send_when_built",
                        deactivated_during_the_first_request)  # fmt: skip

    result = campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (result.stopped, result.sent) == (State.PAUSED, 10)
    assert campaign.state == State.PAUSED
    assert "not active" in campaign.pause_message
    assert len(simulator.state.submissions) == 10
    left = Message.objects.filter(campaign=campaign, status="pending")
    assert left.count() == 30
    assert not left.filter(claimed_at__isnull=False).exists()  # released, not stuck


@pytest.mark.django_db(transaction=True)
def test_an_account_deactivated_after_the_last_batch_left_lets_the_campaign_complete(
    simulator, make_group, make_campaign, monkeypatch
):
    """Nothing was left to send through it: completed, not paused with a banner
    asking to activate the account."""
    from campaigns import dispatch, sending

    account = simulated_account(simulator, "webcom")
    campaign = make_campaign([make_group("G", phones(3))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)
    deactivated = threading.Event()
    send, claim_due = dispatch._send_when_built, sending.claim_due

    def deactivated_during_the_only_request(gateway, request):
        from django.db import connections

        answer = send(gateway, request)
        ProviderAccount.objects.filter(pk=account.pk).update(is_active=False)
        connections.close_all()  # this thread's own connection
        deactivated.set()
        return answer

    def next_claim_after_it(**kwargs):
        claimed = claim_due(**kwargs)
        if not claimed:  # the claim that finds nothing left comes after the switch
            assert deactivated.wait(10)
        return claimed

    monkeypatch.setattr(dispatch, "_send_when_built",
                        deactivated_during_the_only_request)  # fmt: skip
    monkeypatch.setattr(sending, "claim_due", next_claim_after_it)

    result = campaign_pump(campaign_id=campaign.pk)

    assert (result.stopped, result.sent, result.finished) == ("", 3, True)
    assert Campaign.objects.get(pk=campaign.pk).state == State.COMPLETED


@pytest.mark.django_db
def test_a_pump_whose_rate_limiter_is_down_hands_its_batch_back(
    simulator, make_group, make_campaign, monkeypatch
):
    """Redis down: the limit cannot hold across workers, so nothing leaves, and the
    batch is not left claimed (the pump's task failed with it claimed before)."""
    from django.core.cache import cache

    account = simulated_account(simulator, "webcom", rate_limit=10)
    campaign = make_campaign([make_group("G", phones(5))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(cache, "add", down)
    result = campaign_pump(campaign_id=campaign.pk)

    assert result.sent == 0
    assert simulator.state.submissions == []
    pending = Message.objects.filter(campaign=campaign, status="pending")
    assert pending.count() == 5
    assert not pending.filter(claimed_at__isnull=False).exists()


@pytest.mark.django_db
def test_launch_refuses_an_account_in_a_test_mode_its_gateway_lacks(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom", test_mode=True)
    campaign = make_campaign([make_group("G", phones(2))], account=account)

    with pytest.raises(ApplicationError, match="has no test mode") as refused:
        campaign_launch(campaign=campaign)

    assert refused.value.where == "account"
    assert Campaign.objects.get(pk=campaign.pk).state == State.DRAFT


@pytest.mark.django_db
def test_a_sending_campaign_through_such_an_account_pauses_sending_nothing(
    simulator, make_group, make_campaign
):
    """Launched before the check (or the account saved so since): nothing leaves,
    and the banner says why, not "sent" nor "test mode: not sent"."""
    account = simulated_account(simulator, "webcom", test_mode=True)
    campaign = make_campaign([make_group("G", phones(3))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)

    result = campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (result.stopped, result.sent) == (State.PAUSED, 0)
    assert "in test mode, but its gateway has none" in campaign.pause_message
    assert set(campaign.messages.values_list("status", flat=True)) == {"pending"}
    assert simulator.state.submissions == []


@pytest.mark.django_db
def test_a_campaign_through_an_smsc_account_in_test_mode_sends_nothing(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "smsc", test_mode=True)
    campaign = make_campaign([make_group("G", phones(3))], account=account,
                             state=State.SENDING)  # fmt: skip
    campaign_expand(campaign=campaign)

    campaign_pump(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert set(campaign.messages.values_list("status", "reason")) == {
        ("cancelled", "test_mode")
    }
    assert campaign.state == State.COMPLETED
    assert simulator.state.submissions == []
