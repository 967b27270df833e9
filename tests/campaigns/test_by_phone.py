"""A number's messages through the (campaign, phone) index (campaigns.by_phone)."""

import pytest

from django.db import connection

from campaigns.by_phone import latest_sent_to, sent_to
from campaigns.models import Campaign, Message
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(make_campaign, account):
    first, second = make_campaign(name="First"), make_campaign(name="Second")
    # +7912 0000000 and 0000001 in the first campaign, 0000000 in the second.
    add_messages(first, ["queued", "delivered"], phone_prefix="+7912")
    add_messages(second, ["delivered"], phone_prefix="+7912")
    one_off = Message.objects.create(
        campaign=None, account=account, phone="+79120000000", text="test send",
        channel="sms", planned_at=first.created_at,
    )  # fmt: skip
    return first, second, one_off


def test_finds_the_number_in_every_campaign_and_in_one_off_messages(sent):
    first, second, one_off = sent
    found = Message.objects.filter(sent_to("+79120000000"))
    assert sorted((m.campaign_id or 0) for m in found) == sorted(
        [first.pk, second.pk, 0]
    )
    assert one_off in found
    assert not Message.objects.filter(sent_to("+79120000009")).exists()


def test_limited_to_some_campaigns_leaves_one_off_messages_out(sent):
    _first, second, _one_off = sent
    found = Message.objects.filter(
        sent_to("+79120000000", campaigns=Campaign.objects.filter(pk=second.pk))
    )
    assert [m.campaign_id for m in found] == [second.pk]


def test_latest_messages_come_newest_first_from_campaigns_and_one_offs(sent):
    first, second, one_off = sent
    latest = latest_sent_to("+79120000000")
    assert [m.pk for m in latest] == sorted((m.pk for m in latest), reverse=True)
    assert {m.campaign_id for m in latest} == {first.pk, second.pk, None}
    assert latest_sent_to("+79120000000", limit=1) == [one_off]


@pytest.mark.parametrize(
    ("campaigns", "index"),
    [(True, "message_phone_once_per_campaign"), (False, "message_one_off_phone")],
)
def test_each_lookup_is_one_indexs_condition(sent, campaigns, index):
    """The message table has no index on the phone alone: each query must be one an
    index answers by its leading columns, not by reading all of it."""
    condition = (
        {"campaign__in_array": Campaign.objects.values("pk")}
        if campaigns
        else {"campaign__isnull": True}
    )
    queryset = Message.objects.filter(phone="+79120000000", **condition)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
    condition_line = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "phone" in condition_line
    if campaigns:
        assert "campaign_id = ANY" in condition_line
