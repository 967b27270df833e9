"""The report's tallies (messages and money per operator, failures, deliveries per
minute), kept by the message table's triggers, equal a GROUP BY over the messages
through a campaign's life: inserts, claims, send results, status reports, read
receipts, edits, deletes and squashes."""

import importlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from campaigns.counts import counts_squash
from campaigns.models import (
    Campaign,
    CampaignDeliveryCount,
    CampaignFailureCount,
    CampaignOperatorCount,
    Message,
)
from campaigns.report_tallies import (
    delivered_minutes,
    failure_rows,
    operator_rows,
    scanned_delivered_minutes,
    scanned_failure_rows,
    scanned_operator_rows,
    tallies_mismatches,
)
from campaigns.services import campaign_delete
from campaigns.statuses import message_statuses_apply
from providers.base import DeliveryStatus, StatusReport
from tests.campaigns.report_data import seed_messages

pytestmark = pytest.mark.django_db

TALLIES = (CampaignOperatorCount, CampaignFailureCount, CampaignDeliveryCount)


def by_operator(rows):
    return {
        (r["operator"], r["status"]): (
            r["n"],
            r["reported"] or 0,
            r["estimated"] or 0,
            r["unpriced"],
            r["gateway_priced"],
        )
        for r in rows
    }


def by_failure(rows):
    return {
        (r["status"], r["reason"], r["vendor_code"], r["vendor_text"]): r["n"]
        for r in rows
    }


def assert_tallies_match(*campaigns):
    assert tallies_mismatches() == []
    for campaign in campaigns:
        kept, scanned = (
            operator_rows(campaign_id=campaign.pk),
            scanned_operator_rows(campaign_id=campaign.pk),
        )
        assert by_operator(kept) == by_operator(scanned)
        assert len(kept) == len(scanned)  # no row of nothing left over
        assert by_failure(failure_rows(campaign_id=campaign.pk, limit=100)) == (
            by_failure(scanned_failure_rows(campaign_id=campaign.pk))
        )
        assert delivered_minutes(campaign_id=campaign.pk) == (
            scanned_delivered_minutes(campaign_id=campaign.pk)
        )


@pytest.fixture
def two(make_campaign, smsc_account):
    """Two finished campaigns of the report's mix on two accounts (their gateway ids
    repeat), and a one-off message beside them."""
    first = make_campaign(state=Campaign.State.COMPLETED)
    second = make_campaign(
        state=Campaign.State.COMPLETED, account=smsc_account, name="Second"
    )
    seed_messages(first)
    seed_messages(second, prefix="+7915")
    now = timezone.now()
    Message.objects.create(
        campaign=None, account=first.account, phone="+79160000001", text="One",
        channel="sms", status="delivered", operator="MTS", cost=Decimal("1.5"),
        planned_at=now, submitted_at=now, delivered_at=now,
    )  # fmt: skip
    return first, second


def test_tallies_follow_reports_edits_and_deletes(two):
    first, second = two
    assert_tallies_match(first, second)
    assert CampaignOperatorCount.objects.filter(campaign=first).exists()

    later = timezone.now() + timedelta(minutes=3)
    message_statuses_apply(
        account=first.account,
        reports=[
            # sent -> delivered, priced and with its operator
            StatusReport("1004", DeliveryStatus.DELIVERED, occurred_at=later,
                         cost=Decimal("2.7"), operator="Tele2"),
            # delivered -> read: its delivery minute stays
            StatusReport("1000", DeliveryStatus.READ, occurred_at=later),
            # queued -> undelivered with the gateway's words
            StatusReport("1005", DeliveryStatus.UNDELIVERED, vendor_code="32",
                         vendor_text="Абонент в роуминге", occurred_at=later),
        ],
    )  # fmt: skip
    assert_tallies_match(first, second)

    delivered = Message.objects.filter(campaign=first, status="delivered")
    delivered.filter(operator="MTS").update(cost=Decimal("9.99"))  # a late price
    delivered.filter(operator="Beeline").update(operator="Билайн")
    Message.objects.filter(campaign=first, status="rejected").update(
        vendor_text="Номер не существует"
    )
    Message.objects.filter(campaign=first, status="undelivered").update(
        estimated_cost=None
    )
    assert_tallies_match(first, second)

    Message.objects.filter(campaign=first, status="read").delete()
    Message.objects.filter(campaign=second, status__in=["failed", "pending"]).delete()
    assert_tallies_match(first, second)

    assert counts_squash()
    assert not any(m.objects.filter(is_squashed=False).exists() for m in TALLIES)
    assert_tallies_match(first, second)
    # A key whose messages all moved on is gone after the squash, not kept as zero.
    assert not CampaignOperatorCount.objects.filter(
        campaign=first, status="sent"
    ).exists()


def test_a_deleted_campaign_leaves_no_tallies(two):
    first, second = two
    campaign_delete(campaign=second)
    for model in TALLIES:
        assert not model.objects.filter(campaign_id=second.pk).exists()
        assert model.objects.filter(campaign_id=first.pk).exists()
    assert_tallies_match(first)


def test_the_migration_tallies_the_messages_already_there(two):
    first, second = two
    for model in TALLIES:
        model.objects.all().delete()
    assert tallies_mismatches()
    # 0032's backfill, then 0039's count of the messages the gateway priced.
    with connection.cursor() as cursor:
        for name in ("0032_report_tallies", "0039_operator_count_gateway_priced"):
            migration = importlib.import_module(f"campaigns.migrations.{name}")
            cursor.execute(migration.BACKFILL)
    assert_tallies_match(first, second)


def test_counts_check_lists_a_tally_that_differs(two):
    first, _second = two
    CampaignFailureCount.objects.create(
        campaign=first, status="failed", reason="gateway_error", vendor_code="",
        vendor_text="Не было такого", count=1,
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 count"):
        call_command("counts_check", stdout=io.StringIO(), stderr=err)
    line = next(row for row in err.getvalue().splitlines() if "Не было" in row)
    assert line.startswith("failures")
    assert line.endswith("/ (0,) / (1,)")
