"""How messages are stored so that status reports stay cheap (migration 0012)."""

import pytest

from django.db import connection
from django.utils import timezone

from campaigns.models import Message
from campaigns.statuses import message_statuses_apply
from providers.base import DeliveryStatus, StatusReport
from tests.campaigns.conftest import add_messages


@pytest.mark.django_db
def test_is_pending_follows_the_status(make_campaign):
    campaign = make_campaign()
    pending, queued = add_messages(
        campaign, [DeliveryStatus.PENDING, DeliveryStatus.QUEUED]
    )
    pending.refresh_from_db()
    queued.refresh_from_db()
    assert (pending.is_pending, queued.is_pending) == (True, False)

    Message.objects.filter(pk=pending.pk).update(status=DeliveryStatus.QUEUED)
    Message.objects.filter(pk=queued.pk).update(status=DeliveryStatus.PENDING)
    assert set(
        Message.objects.filter(campaign=campaign, is_pending=True).values_list(
            "pk", flat=True
        )
    ) == {queued.pk}


def _updates_of_messages() -> tuple[int, int]:
    """(row updates, of which heap-only) on the message table in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'campaigns_message'"
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_status_reports_write_no_index_entries_on_postgresql(make_campaign):
    if connection.vendor != "postgresql":
        pytest.skip("heap-only updates are PostgreSQL's")
    campaign = make_campaign()
    now = timezone.now()
    # Ten rows of about 250 bytes: fillfactor 50 leaves at least half of each page they
    # land on free, and ten new versions fit in it. Forty filled whole half pages, their
    # new versions did not always fit beside them, and the test failed by test order.
    Message.objects.bulk_create(
        Message(
            campaign=campaign,
            account=campaign.account,
            phone=f"+7914{i:07d}",
            text="Hi",
            channel="sms",
            planned_at=now,
            status=DeliveryStatus.QUEUED,
            gateway_message_id=f"hot-{i}",
        )
        for i in range(10)
    )
    updates_before, hot_before = _updates_of_messages()

    result = message_statuses_apply(
        account=campaign.account,
        reports=[
            StatusReport(f"hot-{i}", DeliveryStatus.DELIVERED, vendor_code="deliver")
            for i in range(10)
        ],
    )

    updates, hot = _updates_of_messages()
    assert result.updated == 10
    assert updates - updates_before == 10
    # Every new version stayed on its page without index entries: no index has the
    # status in it, and the pages kept room for it.
    assert hot - hot_before == 10
