"""Whether "Resend to failed" is offered comes from the kept failure counts.

The progress block of a finished campaign is polled while reports are awaited; it
asked the messages whether any failure could be resent, a scan of the whole
campaign: 0.5 s a poll for a campaign of 900,000 with 97 failures.
"""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign
from tests.campaigns.conftest import add_messages
from tests.campaigns.test_views import url

pytestmark = pytest.mark.django_db


def progress(client, campaign) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url("progress", campaign)).content.decode()
    scans = [
        q["sql"] for q in queries.captured_queries
        if 'FROM "campaigns_message"' in q["sql"] and '"status" IN' in q["sql"]
    ]  # fmt: skip
    return body, scans


@pytest.mark.parametrize(("reason", "offered"), [("", True), ("invalid_number", False)])
def test_resend_is_offered_from_the_counts(
    manager_client, make_campaign, reason, offered
):
    campaign = make_campaign(state=Campaign.State.COMPLETED, finished_at=timezone.now())
    add_messages(campaign, ["delivered"] * 3, gateway_message_id="g")
    add_messages(campaign, ["rejected"], phone_prefix="+7914", reason=reason)

    body, scans = progress(manager_client, campaign)

    assert ('data-action="resend"' in body) is offered
    assert scans == []
