"""A campaign spread over hours, paused in the middle and resumed: the messages left
go on at the campaign's pace from the resume, not all at once (every one that fell
due during the pause used to leave in the first batch)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from django.utils import timezone

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.send_window import SendWindow
from campaigns.services import campaign_pause, campaign_resume
from tests.campaigns.gateway_accounts import simulated_account

MOSCOW = ZoneInfo("Europe/Moscow")


def paused_for(campaign: Campaign, hours: float) -> None:
    """As if the pause had lasted this long: what waits fell due meanwhile."""
    for message in Message.objects.filter(campaign=campaign, is_pending=True):
        Message.objects.filter(pk=message.pk).update(
            planned_at=message.planned_at - timedelta(hours=hours)
        )


def launched(campaign: Campaign) -> Campaign:
    campaign_expand(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SENDING, expanded_at=timezone.now()
    )
    campaign.refresh_from_db()
    return campaign


def contacts(n: int, tz: str = "") -> list[tuple[str, str, str]]:
    return [(f"+7912000000{i}", f"N{i}", tz) for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_resumed_after_a_long_pause_the_rest_goes_on_at_the_same_pace(
    simulator, make_group, make_campaign
):
    # Webcom's GET API cannot schedule: each message is sent when it falls due.
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = launched(
        make_campaign(
            [make_group("G", contacts(4))], account=account, spread_hours=2
        )  # fmt: skip
    )
    assert campaign_pump(campaign_id=campaign.pk).sent == 1  # the first, due now
    campaign_pause(campaign=campaign)
    paused_for(campaign, 3)  # longer than the whole spread
    resumed = timezone.now()

    campaign_resume(campaign=campaign)  # its pump runs here (eager tasks)

    # One more now, the other two half an hour apart (2 hours over 4 messages).
    assert len(simulator.state.submissions) == 2
    messages = Message.objects.filter(campaign=campaign).order_by("planned_at")
    planned = list(messages.values_list("planned_at", flat=True))
    assert abs(planned[1] - resumed) < timedelta(seconds=30)
    assert [s for s in messages.values_list("status", flat=True)] == [
        "queued", "queued", "pending", "pending"]  # fmt: skip
    gaps = [b - a for a, b in zip(planned[1:], planned[2:], strict=False)]
    assert all(abs(gap - timedelta(minutes=30)) < timedelta(seconds=1) for gap in gaps)


@pytest.mark.django_db(transaction=True)
def test_a_resume_keeps_the_respread_inside_the_recipients_window(
    simulator, make_group, make_campaign
):
    """The pace from the resume counts sending hours only: what does not fit before
    the window closes goes on at its next opening, as the expansion plans it."""
    account = simulated_account(simulator, "webcom", dialect="get")
    now = timezone.now().astimezone(MOSCOW)
    # Opened two hours ago, closes within two hours (across midnight, maybe).
    opens = (now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    closes = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    window = SendWindow(opens.time(), closes.time())
    campaign = launched(
        make_campaign(
            [make_group("G", contacts(5, "Europe/Moscow"))],
            account=account,
            spread_hours=5,
            respect_quiet_hours=True,
            time_zone="Europe/Moscow",
            window_start=window.start,
            window_end=window.end,
        )  # fmt: skip
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign_pause(campaign=campaign)
    paused_for(campaign, 30)  # everything left fell due meanwhile

    campaign_resume(campaign=campaign)

    for planned in Message.objects.filter(
        campaign=campaign, status="pending"
    ).values_list("planned_at", flat=True):
        assert window.contains(planned.astimezone(MOSCOW).time()), planned
    # An hour's pace: the ones past the closing go on at the next opening.
    next_day = Message.objects.filter(
        campaign=campaign, status="pending", planned_at__gt=closes
    ).count()
    assert next_day >= 2


@pytest.mark.django_db(transaction=True)
def test_a_short_pause_leaves_the_plan_alone(simulator, make_group, make_campaign):
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = launched(
        make_campaign(
            [make_group("G", contacts(4))], account=account, spread_hours=2
        )  # fmt: skip
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign_pause(campaign=campaign)
    planned = dict(Message.objects.values_list("pk", "planned_at"))

    campaign_resume(campaign=campaign)  # nothing fell due meanwhile

    assert dict(Message.objects.values_list("pk", "planned_at")) == planned


@pytest.mark.django_db
def test_the_python_respread_plans_as_the_sql_one(simulator, make_group, make_campaign):
    """The SQLite demo re-plans in Python: the same times as PostgreSQL's."""
    from campaigns.expansion import _respread_python, campaign_respread
    from campaigns.planning import SendPlan

    account = simulated_account(simulator, "webcom", dialect="get")
    group = make_group("G", contacts(3, "Asia/Vladivostok") + [
        ("+79130000001", "M", "Europe/Moscow"), ("+79130000002", "X", "")])  # fmt: skip
    campaign = launched(
        make_campaign(
            [group],
            account=account,
            spread_hours=30,
            respect_quiet_hours=True,
            time_zone="Europe/Samara",
            extra_numbers="+74232000000",
        )  # fmt: skip
    )
    campaign_pause(campaign=campaign)
    paused_for(campaign, 80)
    waiting = Message.objects.filter(campaign=campaign, is_pending=True)
    before = dict(waiting.values_list("pk", "planned_at"))

    assert campaign_respread(campaign=campaign) == 6
    in_sql = dict(waiting.values_list("pk", "planned_at"))
    for pk, planned in before.items():
        Message.objects.filter(pk=pk).update(planned_at=planned)
    plan = SendPlan.for_campaign(campaign)
    _respread_python(waiting, plan, plan.spread / 6)

    in_python = dict(waiting.values_list("pk", "planned_at"))
    assert in_python.keys() == in_sql.keys()
    for pk, planned in in_sql.items():
        assert abs(in_python[pk] - planned) < timedelta(seconds=5), pk


def paused_three_hours(simulator, make_group, make_campaign) -> Campaign:
    """A spread of 4 messages over 2 hours (Webcom's GET: each sent when due), its
    first sent, then paused for longer than the whole spread."""
    account = simulated_account(simulator, "webcom", dialect="get")
    campaign = launched(
        make_campaign(
            [make_group("G", contacts(4))], account=account, spread_hours=2
        )  # fmt: skip
    )
    campaign_pump(campaign_id=campaign.pk)
    campaign_pause(campaign=campaign)
    paused_for(campaign, 3)
    return campaign


@pytest.mark.django_db
def test_the_resume_plans_nothing_itself_and_no_claim_is_made_before_its_pump_does(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    """A million messages took up to half a minute to plan again: not in the
    request. Nothing is claimed from the old plan meanwhile (beat's tick may start a
    pump first): that would send what fell due in one burst."""
    from campaigns.sending import claim_due

    campaign = paused_three_hours(simulator, make_group, make_campaign)
    planned = dict(Message.objects.values_list("pk", "planned_at"))

    with django_capture_on_commit_callbacks(execute=False):
        campaign_resume(campaign=campaign)

    campaign.refresh_from_db()
    assert (campaign.state, campaign.replan_due) == ("sending", True)
    assert dict(Message.objects.values_list("pk", "planned_at")) == planned
    claimed = claim_due(campaign_id=campaign.pk, limit=10, horizon=timezone.now(),
                        login_generation=0, while_sending=True)  # fmt: skip
    assert claimed == []

    assert campaign_pump(campaign_id=campaign.pk).sent == 1  # plans, then claims
    campaign.refresh_from_db()
    assert campaign.replan_due is False
    assert len(simulator.state.submissions) == 2


@pytest.mark.django_db
def test_a_pump_finding_another_planning_again_sends_nothing_and_comes_back(
    simulator, make_group, make_campaign, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    campaign = paused_three_hours(simulator, make_group, make_campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_resume(campaign=campaign)
    cache.set(f"campaign-replan:{campaign.pk}", "another-worker", timeout=60)
    try:
        result = campaign_pump(campaign_id=campaign.pk)
    finally:
        cache.delete(f"campaign-replan:{campaign.pk}")

    assert (result.sent, result.replanning, result.finished) == (0, True, False)
    assert len(simulator.state.submissions) == 1
