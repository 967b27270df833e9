"""One report (a callback) takes its own SQL path: it must land exactly as in a batch."""

from datetime import timedelta
from decimal import Decimal

import pytest

from django.utils import timezone

from campaigns.models import Message
from campaigns.statuses import message_statuses_apply
from providers.base import DeliveryStatus, FailureReason, StatusReport

FIELDS = ("status", "reason", "vendor_code", "vendor_text", "delivered_at", "cost",
          "operator")  # fmt: skip


def reports_for(gid: str, when) -> list[StatusReport]:
    return [
        StatusReport(gid, DeliveryStatus.SENT, vendor_code="send", occurred_at=when),
        StatusReport(
            gid,
            DeliveryStatus.DELIVERED,
            vendor_code="deliver",
            vendor_text="Доставлено",
            occurred_at=when + timedelta(minutes=1),
            cost=Decimal("2.5000"),
            operator="MTS",
        ),  # fmt: skip
        StatusReport(gid, DeliveryStatus.SENT),  # late: changes nothing
        # No vendor time, code or cost: NULLs and blanks must not erase anything.
        StatusReport(gid, DeliveryStatus.READ),
        # A failure after delivery (late, or older and delayed): the handset has it.
        StatusReport(gid, DeliveryStatus.FAILED, reason=FailureReason.INVALID_NUMBER),
    ]


@pytest.mark.django_db
def test_one_report_per_call_lands_as_in_a_batch(make_campaign):
    campaign = make_campaign()
    account = campaign.account
    single, batched = (
        Message.objects.create(
            campaign=campaign,
            account=account,
            phone=phone,
            text="x",
            channel="sms",
            planned_at=timezone.now(),
            gateway_message_id=gid,
            status=DeliveryStatus.QUEUED,
            operator="before",
        )  # fmt: skip
        for phone, gid in (("+79120000001", "g-single"), ("+79120000002", "g-batch"))
    )
    when = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    results = []
    for alone, in_batch in zip(
        reports_for("g-single", when), reports_for("g-batch", when), strict=True
    ):
        results.append(message_statuses_apply(account=account, reports=[alone]))
        # A second, unknown id makes it a batch of two (the JSON table path).
        message_statuses_apply(
            account=account,
            reports=[in_batch, StatusReport("g-unknown", DeliveryStatus.SENT)],
        )
    assert [r.updated for r in results] == [1, 1, 0, 1, 0]
    assert (results[2].unchanged, results[4].unchanged) == (1, 1)
    single.refresh_from_db()
    batched.refresh_from_db()
    assert single.status == DeliveryStatus.READ
    assert single.reason == ""
    assert (single.vendor_code, single.cost, single.operator) == (
        "deliver", Decimal("2.5000"), "MTS")  # fmt: skip
    assert single.delivered_at == when + timedelta(minutes=1)
    assert single.status_changed_at is not None
    for field in FIELDS:
        assert getattr(single, field) == getattr(batched, field), field


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [False, True])
def test_a_nul_in_a_vendor_text_is_dropped_not_fatal(make_campaign, batched):
    """PostgreSQL text (and jsonb) cannot hold NUL: one such report used to fail its
    whole statement every time, with every report polled or grouped beside it."""
    campaign = make_campaign()
    message = Message.objects.create(
        campaign=campaign, account=campaign.account, phone="+79120000003", text="x",
        channel="sms", planned_at=timezone.now(), gateway_message_id="g-nul",
        status=DeliveryStatus.QUEUED,
    )  # fmt: skip
    reports = [
        StatusReport("g-nul", DeliveryStatus.DELIVERED, vendor_code="ok\x00",
                     vendor_text="Доставлено\x00", operator="MTS\x00"),
    ]  # fmt: skip
    if batched:  # an unknown id with a NUL too: kept as an orphan
        reports.append(
            StatusReport("g-\x00new", DeliveryStatus.SENT, vendor_text="\x00")
        )

    result = message_statuses_apply(account=campaign.account, reports=reports)

    assert result.updated == 1
    message.refresh_from_db()
    assert (message.status, message.vendor_code, message.vendor_text, message.operator) == (
        "delivered", "ok", "Доставлено", "MTS",
    )  # fmt: skip
    assert result.orphaned == (1 if batched else 0)


@pytest.mark.django_db
def test_the_portable_path_keeps_the_first_delivery_and_never_fails_it(make_campaign):
    """The embedded (SQLite) path, run here on PostgreSQL: a read receipt moved the
    delivery time to the reading, and a late refusal failed a delivered message."""
    from campaigns.statuses import _apply_portable

    campaign = make_campaign()
    message = Message.objects.create(
        campaign=campaign, account=campaign.account, phone="+79120000003", text="x",
        channel="viber", planned_at=timezone.now(), gateway_message_id="g-portable",
        status=DeliveryStatus.SENT,
    )  # fmt: skip
    delivered = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    read = delivered + timedelta(seconds=3)

    _apply_portable(
        campaign.account,
        [StatusReport("g-portable", DeliveryStatus.DELIVERED, occurred_at=delivered)],
    )
    _apply_portable(
        campaign.account,
        [StatusReport("g-portable", DeliveryStatus.READ, occurred_at=read)],
    )
    moved = _apply_portable(
        campaign.account,
        [StatusReport("g-portable", DeliveryStatus.REJECTED, vendor_code="24")],
    )

    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (DeliveryStatus.READ, delivered)
    assert message.status_changed_at == read
    assert moved == set()


@pytest.mark.django_db
def test_early_reports_no_message_claimed_are_forgotten_after_three_days(
    make_campaign,
):
    """They were kept for ever: every foreign or guessed id added a row that could
    later land on a message given the same id."""
    from campaigns.models import OrphanStatusReport
    from campaigns.statuses import orphans_expire
    from campaigns.tasks import orphans_expire as expire_task
    from smsportal.celery import app

    account = make_campaign().account
    now = timezone.now()
    for gid, age in (("old", timedelta(days=4)), ("recent", timedelta(hours=2))):
        OrphanStatusReport.objects.create(
            account=account, gateway_message_id=gid, status=DeliveryStatus.DELIVERED,
            received_at=now - age,
        )  # fmt: skip

    assert orphans_expire(now=now) == 1

    kept = OrphanStatusReport.objects.values_list("gateway_message_id", flat=True)
    assert list(kept) == ["recent"]
    entry = app.conf.beat_schedule["campaigns-orphans-expire"]
    assert entry["task"] == expire_task.name == "campaigns.orphans_expire"


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [False, True])
def test_values_no_row_can_hold_are_fitted_not_fatal(make_campaign, batched):
    """A code past its column, a price of NaN or Infinity, a time in the year 1 or
    9999: one such report failed its statement, and every report polled or grouped
    beside it, at each retry of the callback."""
    campaign = make_campaign()
    message = Message.objects.create(
        campaign=campaign, account=campaign.account, phone="+79120000004", text="x",
        channel="sms", planned_at=timezone.now(), gateway_message_id="g-odd",
        status=DeliveryStatus.QUEUED,
    )  # fmt: skip
    year_one = timezone.datetime(1, 1, 1, tzinfo=timezone.get_fixed_timezone(180))
    reports = [
        StatusReport(
            "g-odd", DeliveryStatus.DELIVERED, vendor_code="c" * 100,
            vendor_text="т" * 5_000_000, operator="o" * 300,
            cost=Decimal("Infinity"), occurred_at=year_one,
        ),
    ]  # fmt: skip
    if batched:  # beside it: a NaN price, an id no row of ours has, a far future
        reports += [
            StatusReport("g-other", DeliveryStatus.SENT, cost=Decimal("NaN")),
            StatusReport("g" * 65, DeliveryStatus.DELIVERED),
            StatusReport(
                "g-later", DeliveryStatus.SENT, cost=Decimal("12345678"),
                occurred_at=timezone.datetime(9999, 12, 31, tzinfo=timezone.get_fixed_timezone(-720)),
            ),
        ]  # fmt: skip
    before = timezone.now()

    result = message_statuses_apply(account=campaign.account, reports=reports)

    assert result.updated == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert (len(message.vendor_code), len(message.vendor_text), len(message.operator)) == (
        64, 1000, 100,
    )  # fmt: skip
    assert message.cost is None
    assert message.delivered_at >= before  # the arrival stood in for the year 1
    assert result.orphaned == (2 if batched else 0)  # the 65-character id: none
    if batched:
        from campaigns.models import OrphanStatusReport

        kept = {o.gateway_message_id: o for o in OrphanStatusReport.objects.all()}
        assert set(kept) == {"g-other", "g-later"}
        assert kept["g-other"].cost is None
        assert kept["g-later"].cost is None
        assert kept["g-later"].occurred_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["single", "batch", "portable"])
def test_a_message_held_for_its_time_is_not_sent_before_it(make_campaign, path):
    """Webcom answers "send" of a message it holds: «Отправлено» stood beside «waits
    at the gateway for its time». Queued until then; its time come, sent."""
    campaign = make_campaign()
    now = timezone.now()
    held, due = (
        Message.objects.create(
            campaign=campaign, account=campaign.account, phone=phone, text="x",
            channel="sms", planned_at=planned, gateway_message_id=gid,
            status=DeliveryStatus.QUEUED,
        )
        for phone, planned, gid in (
            ("+79120000001", now + timedelta(hours=3), "held-1"),
            ("+79120000002", now - timedelta(minutes=1), "due-1"),
        )
    )  # fmt: skip
    reports = [
        StatusReport(m.gateway_message_id, DeliveryStatus.SENT) for m in (held, due)
    ]
    if path == "batch":
        message_statuses_apply(account=campaign.account, reports=reports)
    elif path == "single":
        for report in reports:
            message_statuses_apply(account=campaign.account, reports=[report])
    else:  # SQLite's (the embedded default), run here through the ORM
        from campaigns.statuses import _apply_portable

        _apply_portable(campaign.account, reports)
    held.refresh_from_db()
    due.refresh_from_db()
    assert (held.status, due.status) == ("queued", "sent")
    # Not an orphan: the message is known, only not gone yet.
    from campaigns.models import OrphanStatusReport

    assert not OrphanStatusReport.objects.exists()
    # A delivery report is the truth whatever the time.
    message_statuses_apply(
        account=campaign.account,
        reports=[StatusReport("held-1", DeliveryStatus.DELIVERED)],
    )
    held.refresh_from_db()
    assert held.status == "delivered"


@pytest.mark.django_db
def test_an_early_report_the_record_missed_is_applied_by_beat(
    make_campaign, smsc_account
):
    """A callback that overtook its send result is kept as an orphan, and the record
    of the batch applies it. But the record's look for orphans can run while the
    callback is still storing its orphan (both in flight at once): the report then
    waited three days to be forgotten, the message «queued» unless polling asked."""
    from campaigns.models import OrphanStatusReport
    from campaigns.tasks import orphans_adopt as adopt_task
    from smsportal.celery import app

    campaign = make_campaign()
    account = campaign.account
    message = Message.objects.create(
        campaign=campaign, account=account, phone="+79120000009", text="x",
        channel="sms", planned_at=timezone.now(), status=DeliveryStatus.PENDING,
    )  # fmt: skip
    delivered = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    early = StatusReport("g-race", DeliveryStatus.DELIVERED, occurred_at=delivered)
    assert message_statuses_apply(account=account, reports=[early]).orphaned == 1
    # The record landed after the callback's update and looked for orphans before
    # the callback's one was there: the gateway id is stored, the orphan is not used.
    Message.objects.filter(pk=message.pk).update(
        gateway_message_id="g-race", status=DeliveryStatus.QUEUED
    )
    other = smsc_account
    OrphanStatusReport.objects.create(  # another account's id alike stays an orphan
        account=other, gateway_message_id="g-race",
        status=DeliveryStatus.DELIVERED,
    )  # fmt: skip

    assert adopt_task() == 1

    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("delivered", delivered)
    left = OrphanStatusReport.objects.values_list("account_id", flat=True)
    assert list(left) == [other.pk]
    entry = app.conf.beat_schedule["campaigns-orphans-adopt"]
    assert (entry["task"], entry["schedule"]) == ("campaigns.orphans_adopt", 60)


@pytest.mark.django_db
@pytest.mark.parametrize("portable", [False, True])
@pytest.mark.parametrize("together", [False, True])
def test_a_read_receipt_first_leaves_the_delivery_its_own_time(
    make_campaign, monkeypatch, portable, together
):
    """Viber's read receipt overtook its delivery report (in one polled body, or a
    callback sooner): the message was delivered at the reading, and the delivery
    report, lower in rank, was dropped; the delivery chart and the time to deliver
    moved to when the person opened it."""
    from campaigns import statuses

    campaign = make_campaign()
    message = Message.objects.create(
        campaign=campaign, account=campaign.account, phone="+79120000010", text="x",
        channel="viber", planned_at=timezone.now(), gateway_message_id="g-viber",
        status=DeliveryStatus.QUEUED,
    )  # fmt: skip
    delivered = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    read = delivered + timedelta(hours=1)
    reports = [
        StatusReport("g-viber", DeliveryStatus.READ, occurred_at=read),
        StatusReport("g-viber", DeliveryStatus.DELIVERED, occurred_at=delivered),
    ]
    if portable:  # the embedded (SQLite) path, run here on PostgreSQL
        monkeypatch.setattr(statuses, "is_postgres", lambda: False)
    for batch in [reports] if together else [[r] for r in reports]:
        message_statuses_apply(account=campaign.account, reports=batch)

    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("read", delivered)
    assert message.status_changed_at == read
    # A late duplicate of the delivery changes nothing; nor does a later one.
    for moment in (delivered, read + timedelta(minutes=5)):
        late = StatusReport("g-viber", DeliveryStatus.DELIVERED, occurred_at=moment)
        message_statuses_apply(account=campaign.account, reports=[late])
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("read", delivered)
