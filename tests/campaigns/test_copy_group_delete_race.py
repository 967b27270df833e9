"""A campaign copied while one of its groups is deleted by another user: the copy
keeps the group (the delete is refused: the copy, a draft, uses it now) or is made
without it and says which group was left out and from what. Never a 500, never a
copy that quietly lost an exclusion (it would send to those meant to be left out)."""

from datetime import timedelta

import pytest

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from tests.campaigns.group_delete_race import group_exists, save_while_group_deleted

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sent(make_group, make_campaign):
    """A completed campaign to Customers except Staff: deleting Staff is allowed."""
    audience = make_group("Customers", [("+79120000001", "Ann", "Europe/Moscow")])
    staff = make_group("Staff", [("+79120000002", "Bob", "Europe/Moscow")])
    campaign = make_campaign(
        [audience], name="Autumn", state=Campaign.State.COMPLETED,
        expanded_at=timezone.now() - timedelta(days=1),
        finished_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    campaign.exclude_groups.set([staff])
    return campaign, audience, staff


def _copy() -> Campaign:
    return Campaign.objects.exclude(name="Autumn").get()


def test_a_campaign_copied_while_its_excluded_group_is_deleted(
    manager_client, other_client, sent, monkeypatch
):
    campaign, audience, staff = sent

    deleted, copied = save_while_group_deleted(
        monkeypatch,
        other_client,
        staff,
        lambda: manager_client.post(reverse("campaigns:copy", args=[campaign.pk])),
    )

    assert deleted.status_code == 302
    assert copied.status_code == 302, copied.content
    copy = _copy()
    assert copied.url == reverse("campaigns:edit", args=[copy.pk])
    assert list(copy.include_groups.all()) == [audience]
    said = [str(m) for m in get_messages(copied.wsgi_request)]
    if group_exists(staff):  # the delete was refused: the copy uses it now
        assert list(copy.exclude_groups.all()) == [staff]
    else:
        assert not copy.exclude_groups.exists()
        assert any("“Staff”" in m and "has been deleted" in m for m in said), said


def test_a_campaign_copied_through_the_api_while_its_group_is_deleted(
    manager_client, other_client, sent, monkeypatch
):
    campaign, audience, staff = sent

    deleted, copied = save_while_group_deleted(
        monkeypatch,
        other_client,
        staff,
        lambda: manager_client.post(f"/api/v1/campaigns/{campaign.pk}/copy"),
    )

    assert deleted.status_code == 302
    assert copied.status_code == 201, copied.content
    answer = copied.json()
    assert answer["include_groups"] == [audience.pk]
    if group_exists(staff):
        assert answer["exclude_groups"] == [staff.pk]
        assert answer["deleted_groups"] == {}
    else:
        assert answer["exclude_groups"] == []
        assert answer["deleted_groups"] == {"exclude_groups": ["Staff"]}
