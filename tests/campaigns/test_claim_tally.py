"""The messages claimed and not answered, counted from the trigger-kept tally per
claim minute (campaigns 0049), equal a count of the messages themselves through
claims, records, releases, decisions, deletes and squashes; and the campaign page
finds its messages in doubt from it."""

import importlib
from datetime import timedelta

import pytest

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.claim_tally import (
    claim_mismatches,
    minute_floor,
    unanswered_claimed_before,
    unanswered_claims,
)
from campaigns.counts import counts_squash
from campaigns.models import Campaign, CampaignClaimCount, Message
from campaigns.reconcile import message_decide
from campaigns.sending import claim_due, release
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db
LATER = timezone.now() + timedelta(days=1)


def claimed_before(campaign: Campaign, moment) -> int:
    """The tally's answer, checked against the messages' at the same moment."""
    before = minute_floor(moment)
    kept = unanswered_claimed_before(campaign.pk, before)
    assert kept == unanswered_claims(campaign.pk).filter(claimed_at__lt=before).count()
    return kept


def test_the_tally_follows_claims_records_releases_decisions_and_deletes(
    make_campaign,
):
    campaign = make_campaign(state=Campaign.State.SENDING)
    other = make_campaign(state=Campaign.State.SENDING, name="Other")
    add_messages(campaign, ["pending"] * 8)
    add_messages(other, ["pending"] * 3, claimed_at=timezone.now())
    now = timezone.now()

    claimed = claim_due(
        campaign_id=campaign.pk, limit=6, horizon=now, login_generation=0
    )
    assert len(claimed) == 6
    assert claimed_before(campaign, LATER) == 6
    assert claimed_before(other, LATER) == 3
    assert claim_mismatches() == []

    ids = [message.id for message in claimed]
    # Recorded (handed over), as the pump's record writes it; one answered "pending"
    # is still unanswered until its submit time is there.
    Message.objects.filter(pk=ids[0]).update(
        status="queued", gateway_message_id="g1", submitted_at=now
    )
    release([ids[1]], reason="")
    message_decide(message_ids=[ids[2]], resend=False)  # given up: failed
    Message.objects.filter(pk=ids[3]).update(reason="outcome_unknown")  # no change
    Message.objects.filter(pk=ids[4]).delete()
    assert claimed_before(campaign, LATER) == 2
    assert claim_mismatches() == []

    # Claimed again an hour later: it moves to that minute.
    an_hour_ago = now - timedelta(hours=1)
    Message.objects.filter(pk=ids[3]).update(claimed_at=an_hour_ago)
    assert claimed_before(campaign, now - timedelta(minutes=30)) == 1
    assert claimed_before(campaign, an_hour_ago) == 0

    assert counts_squash()
    assert not CampaignClaimCount.objects.filter(is_squashed=False).exists()
    assert claimed_before(campaign, LATER) == 2
    assert claim_mismatches() == []


def test_the_migration_tallies_the_claims_already_there(make_campaign):
    campaign = make_campaign(state=Campaign.State.SENDING)
    add_messages(campaign, ["pending"] * 3, claimed_at=timezone.now())
    add_messages(campaign, ["pending", "queued"], phone_prefix="+7914")
    CampaignClaimCount.objects.all().delete()
    assert claim_mismatches()

    migration = importlib.import_module("campaigns.migrations.0049_claim_counts")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    assert claim_mismatches() == []
    assert claimed_before(campaign, LATER) == 3


def detail(client, campaign) -> str:
    return client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()


def test_the_page_lists_the_messages_in_doubt_by_id_and_no_other(
    manager_client, make_campaign
):
    """Among a sending campaign's messages, those claimed long ago and not answered:
    not those a pump has out now, not those answered, not those waiting."""
    campaign = make_campaign(state=Campaign.State.SENDING)
    long_ago = timezone.now() - timedelta(hours=1)
    add_messages(campaign, ["pending"] * 5, phone_prefix="+7911")
    doubtful = add_messages(
        campaign, ["pending"] * 3, claimed_at=long_ago, phone_prefix="+7912"
    )
    add_messages(
        campaign, ["pending"] * 2, claimed_at=timezone.now(), phone_prefix="+7913"
    )
    add_messages(
        campaign,
        ["queued", "delivered"],
        claimed_at=long_ago,
        submitted_at=long_ago,
        phone_prefix="+7914",
    )
    # The earliest planned last: the page shows them by id all the same.
    Message.objects.filter(pk=doubtful[0].pk).update(planned_at=long_ago)

    page = detail(manager_client, campaign)

    shown = [int(pk) for pk in _shown_ids(page)]
    assert shown == sorted(message.pk for message in doubtful)


def test_the_page_shows_at_most_200_in_doubt(manager_client, make_campaign):
    campaign = make_campaign(state=Campaign.State.SENDING)
    long_ago = timezone.now() - timedelta(hours=1)
    add_messages(campaign, ["pending"] * 205, claimed_at=long_ago)

    assert len(_shown_ids(detail(manager_client, campaign))) == 200


def _shown_ids(page: str) -> list[str]:
    section = page[page.index("data-in-doubt") :] if "data-in-doubt" in page else ""
    return [part.split('"', 1)[0] for part in section.split('data-message="')[1:]]
