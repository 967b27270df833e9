"""`manage.py counts_check`: squash, compare with a GROUP BY, fail loudly on a mismatch."""

import io

import pytest

from django.core.management import CommandError, call_command

from campaigns.models import CampaignStatusCount, Message
from tests.campaigns.report_data import seed_messages

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("counts_check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_consistent_counts_pass_after_squashing(make_campaign):
    campaign = make_campaign()
    seed_messages(campaign)
    Message.objects.filter(campaign=campaign, status="sent").update(status="delivered")
    assert CampaignStatusCount.objects.filter(is_squashed=False).count() > 1
    out, _err = run()
    assert "counts match" in out
    assert not CampaignStatusCount.objects.filter(is_squashed=False).exists()


def test_a_mismatch_exits_non_zero_and_is_listed(make_campaign):
    campaign = make_campaign()
    seed_messages(campaign)
    CampaignStatusCount.objects.create(campaign=campaign, status="delivered", count=5)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 count"):
        call_command("counts_check", stdout=io.StringIO(), stderr=err)
    delivered = Message.objects.filter(campaign=campaign, status="delivered").count()
    line = next(row for row in err.getvalue().splitlines() if "delivered" in row)
    assert line.split() == [str(campaign.pk), "delivered", str(delivered),
                            str(delivered + 5)]  # fmt: skip


def test_no_squash_compares_the_delta_rows_as_they_are(make_campaign):
    campaign = make_campaign()
    seed_messages(campaign)
    out, _err = run("--no-squash")
    assert "squashed" not in out
    assert "counts match" in out


def test_a_traffic_mismatch_is_listed_by_its_hour(make_campaign):
    from datetime import UTC

    from campaigns.models import HourlyTraffic

    campaign = make_campaign()
    seed_messages(campaign)
    submitted = Message.objects.filter(campaign=campaign, submitted_at__isnull=False)
    moment = submitted.values_list("submitted_at", flat=True).first()
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    HourlyTraffic.objects.create(hour=hour, status="failed", count=3)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 count"):
        call_command("counts_check", stdout=io.StringIO(), stderr=err)
    line = next(row for row in err.getvalue().splitlines() if "failed" in row)
    counted = submitted.filter(
        status="failed", submitted_at__gte=hour, submitted_at__lt=hour.replace(
            minute=59, second=59, microsecond=999999)
    ).count()  # fmt: skip
    assert line.split()[-3:] == ["failed", str(counted), str(counted + 3)]
    assert line.startswith(f"{hour:%Y-%m-%d %H:%M}")
