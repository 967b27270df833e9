"""A «Resend to failed» follow-up says which of its parent's failures it left out and
why: its own «left out» counts (stop list, invalid, duplicates) are of its audience,
and said 0 while 2 invalid numbers of the parent were not resent."""

import pytest

from campaigns import services
from campaigns.audience import follow_up_audience
from campaigns.models import Campaign
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_views import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(make_campaign):
    parent = make_campaign(name="C1", state=Campaign.State.COMPLETED)
    add_messages(parent, ["failed"] * 5 + ["delivered"] * 3)
    add_messages(
        parent, ["rejected"] * 2, reason="invalid_number", phone_prefix="+7914"
    )
    add_messages(parent, ["failed"], reason="stop_list", phone_prefix="+7915")
    return services.campaign_resend_failed(campaign=parent)


def test_the_follow_up_counts_what_it_left_out_by_reason(follow_up):
    audience = follow_up_audience(follow_up)

    assert audience.count == 5
    assert audience.not_resent == (("stop_list", 1), ("invalid_number", 2))
    assert audience.not_resent_count == 3


def test_its_pages_say_the_failures_not_resent_and_why(
    manager_client, follow_up, settings
):
    settings.LANGUAGE_CODE = "en"
    said = (
        "3 failed messages of the original campaign were not resent: 1 on the stop "
        "list, 2 invalid numbers (they would fail again)."
    )

    detail = manager_client.get(url("detail", follow_up)).content.decode()
    edit = manager_client.get(url("edit", follow_up)).content.decode()

    for page in (detail, edit):
        note = page.split('data-not-resent="3">')[1].split("<")[0]
        assert note == said


def test_nothing_is_said_when_every_failure_is_resent(manager_client, make_campaign):
    parent = make_campaign(state=Campaign.State.COMPLETED)
    add_messages(parent, ["failed", "undelivered"])
    follow_up = services.campaign_resend_failed(campaign=parent)

    page = manager_client.get(url("detail", follow_up)).content.decode()

    assert follow_up_audience(follow_up).not_resent == ()
    assert "data-not-resent" not in page


def test_a_failure_stop_listed_since_is_counted_with_the_stop_list(make_campaign):
    """QA: a failed number put on the stop list after the parent was sent was said
    to be resent («goes to 3») while the preview and the expansion left it out."""
    from campaigns.expansion import campaign_expand
    from contacts.services import stoplist_add

    parent = make_campaign(state=Campaign.State.COMPLETED)
    add_messages(parent, ["delivered"] * 2 + ["undelivered"] * 3)
    add_messages(parent, ["rejected"], reason="invalid_number", phone_prefix="+7914")
    stoplist_add(phone="+79130000002")  # the first undelivered one
    follow_up = services.campaign_resend_failed(campaign=parent)

    before = follow_up_audience(follow_up)
    stats = campaign_expand(campaign=follow_up)
    after = follow_up_audience(follow_up)

    assert before.count == 2 == stats.created
    assert before.not_resent == (("stop_list", 1), ("invalid_number", 1))
    assert after.not_resent == before.not_resent


def test_a_number_stop_listed_after_the_launch_was_resent(make_campaign):
    from campaigns.expansion import campaign_expand
    from contacts.services import stoplist_add

    parent = make_campaign(state=Campaign.State.COMPLETED)
    add_messages(parent, ["undelivered"] * 2)
    follow_up = services.campaign_resend_failed(campaign=parent)
    campaign_expand(campaign=follow_up)
    stoplist_add(phone="+79130000000")

    assert follow_up_audience(follow_up).not_resent == ()
