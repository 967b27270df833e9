"""A finished campaign whose groups are deleted afterwards keeps the record of them:
its page still says whom it was sent to and whom it left out, and a copy of it says
that an exclusion is gone rather than quietly sending to those it left out."""

from datetime import timedelta

import pytest

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_cancel, campaign_copy, campaign_launch
from contacts.models import ContactGroup
from contacts.services import group_delete
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_sending import launch
from tests.campaigns.test_views import people, url

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _delete(*groups: ContactGroup) -> None:
    for group in groups:
        group_delete(group=group)
    assert not ContactGroup.objects.filter(pk__in=[g.pk for g in groups]).exists()


@pytest.fixture
def sent(simulator, make_group, make_campaign, manager_user):
    """Sent through the gateway to Customers except Staff, then both groups deleted."""
    account = simulated_account(simulator, "webcom")
    customers = make_group("Customers", people(3))
    staff = make_group("Staff", people(1, prefix="+7913"))
    campaign = make_campaign([customers], name="Autumn", account=account)
    campaign.exclude_groups.set([staff])
    launch(campaign, manager_user)
    assert campaign.state == State.COMPLETED
    _delete(customers, staff)
    return campaign


def _audience(page: str) -> str:
    start = page.index('data-setting="audience"')
    return page[start : page.index("</dd>", start)]


def test_the_page_of_a_sent_campaign_names_its_deleted_groups(manager_client, sent):
    audience = _audience(manager_client.get(url("detail", sent)).content.decode())

    assert "Groups: “Customers” (deleted)" in audience
    assert "Except groups: “Staff” (deleted)" in audience


def test_a_copy_says_its_excluded_group_is_gone(manager_client, sent):
    response = manager_client.post(url("copy", sent))

    edit = manager_client.get(response.url).content.decode()
    assert "alert-warning" in edit
    assert "“Staff”" in edit
    assert "the copy does not leave out its members" in edit
    assert "the copy does not send to its members" in edit
    copy = Campaign.objects.exclude(pk=sent.pk).get()
    assert not copy.exclude_groups.exists()


def test_the_service_and_the_api_name_the_groups_gone(manager_client, sent):
    copy = campaign_copy(campaign=sent)
    answer = manager_client.post(f"/api/v1/campaigns/{sent.pk}/copy")

    expected = {"include_groups": ["Customers"], "exclude_groups": ["Staff"]}
    assert copy.deleted_groups == expected
    assert answer.status_code == 201
    assert answer.json()["deleted_groups"] == expected


def test_a_group_still_there_is_named_as_it_is_now(
    manager_client, simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "webcom")
    customers = make_group("Customers", people(2))
    staff = make_group("Staff", people(1, prefix="+7913"))
    campaign = make_campaign([customers], account=account)
    campaign.exclude_groups.set([staff])
    launch(campaign)
    ContactGroup.objects.filter(pk=customers.pk).update(name="Clients")
    _delete(staff)

    audience = _audience(manager_client.get(url("detail", campaign)).content.decode())

    assert "Groups: Clients" in audience
    assert "Customers" not in audience
    assert "Except groups: “Staff” (deleted)" in audience


@pytest.mark.parametrize("scheduled", [False, True])
def test_a_campaign_cancelled_before_it_was_sent_keeps_them_too(
    manager_client, make_group, make_campaign, scheduled
):
    """A draft cancelled, or one cancelled while it waited for its start: neither
    read its groups, which may be deleted from then on."""
    customers = make_group("Customers", people(2))
    staff = make_group("Staff", people(1, prefix="+7913"))
    campaign = make_campaign([customers], start_at=timezone.now() + timedelta(days=1))
    campaign.exclude_groups.set([staff])
    if scheduled:
        campaign = campaign_launch(campaign=campaign)
    campaign_cancel(campaign=campaign)
    _delete(customers, staff)

    audience = _audience(manager_client.get(url("detail", campaign)).content.decode())

    assert "Groups: “Customers” (deleted)" in audience
    assert "Except groups: “Staff” (deleted)" in audience
    assert campaign_copy(campaign=campaign).deleted_groups == {
        "include_groups": ["Customers"],
        "exclude_groups": ["Staff"],
    }


def test_the_api_names_a_launched_campaigns_deleted_groups(manager_client, sent):
    """Its group lists hold the groups that exist: the deleted ones are named apart,
    by the names they had, in the campaign and in the list."""
    detail = manager_client.get(f"/api/v1/campaigns/{sent.pk}").json()
    listed = manager_client.get("/api/v1/campaigns").json()

    assert (detail["include_groups"], detail["exclude_groups"]) == ([], [])
    assert {field: [g["name"] for g in groups]
            for field, groups in detail["groups_deleted"].items()} == {
        "include_groups": ["Customers"], "exclude_groups": ["Staff"]}  # fmt: skip
    assert listed[0]["groups_deleted"] == detail["groups_deleted"]


def test_a_draft_or_a_campaign_with_its_groups_has_none_deleted(
    manager_client, make_group, make_campaign, manager_user, simulator
):
    account = simulated_account(simulator, "webcom")
    draft = make_campaign([make_group("Customers", people(1))], account=account)
    sent = make_campaign([make_group("Others", people(1, prefix="+7913"))],
                         account=account)  # fmt: skip
    launch(sent, manager_user)

    for campaign in (draft, sent):
        answer = manager_client.get(f"/api/v1/campaigns/{campaign.pk}").json()
        assert answer["groups_deleted"] == {}
        assert len(answer["include_groups"]) == 1
