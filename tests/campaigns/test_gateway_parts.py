"""The gateway's count of parts is the one billed: a message whose send answer counts
more (or fewer) parts than we did takes the gateway's count and the estimate at it."""

from decimal import Decimal

import pytest

from campaigns.expansion import campaign_expand
from campaigns.models import Message
from campaigns.report_selectors import campaign_report
from campaigns.sending import claim_ids, record_results
from providers.base import DeliveryStatus as S
from providers.base import SendResult
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_sending import phones

pytestmark = pytest.mark.django_db


def test_the_estimate_follows_the_parts_the_gateway_counted(
    simulator, make_group, make_campaign
):
    account = simulated_account(simulator, "smsc")
    campaign = make_campaign(
        [make_group("Clients", phones(3))], account=account, text="€" + "A" * 158
    )
    campaign_expand(campaign=campaign)
    # The price per part the expansion took (the gateway's estimate or the tariff).
    Message.objects.update(estimated_cost=Decimal("3.50"))
    assert set(Message.objects.values_list("segments", "estimated_cost")) == {
        (1, Decimal("3.50"))
    }
    more, same, unsaid = claim_ids(
        message_ids=list(
            Message.objects.filter(campaign=campaign)
            .order_by("phone")
            .values_list("id", flat=True)
        ),
        login_generation=0,
    )

    record_results(
        account=account,
        claimed=[more, same, unsaid],
        results=[
            SendResult(str(more.id), "g-1", S.QUEUED, segments=3),
            SendResult(str(same.id), "g-2", S.QUEUED, segments=1),
            SendResult(str(unsaid.id), "g-3", S.QUEUED),
        ],
    )

    stored = {
        m.id: (m.segments, m.estimated_cost)
        for m in Message.objects.filter(campaign=campaign)
    }
    assert stored == {
        more.id: (3, Decimal("10.50")),
        same.id: (1, Decimal("3.50")),
        unsaid.id: (1, Decimal("3.50")),
    }
    spending = campaign_report(campaign=campaign).spending
    assert (spending.segments, spending.estimated) == (5, Decimal("17.50"))


def test_a_message_with_no_estimate_gets_none(simulator, make_group, make_campaign):
    """No price, no estimate: the gateway's count gives none either."""
    account = simulated_account(simulator, "smsc")
    campaign = make_campaign([make_group("Clients", phones(1))], account=account)
    campaign_expand(campaign=campaign)
    Message.objects.update(estimated_cost=None)
    (claimed,) = claim_ids(
        message_ids=list(Message.objects.values_list("id", flat=True)),
        login_generation=0,
    )

    record_results(
        account=account,
        claimed=[claimed],
        results=[SendResult(str(claimed.id), "g-1", S.QUEUED, segments=2)],
    )

    assert Message.objects.values_list("segments", "estimated_cost").get() == (2, None)


@pytest.mark.parametrize("kind", ["webcom", "smsc", "websms"])
@pytest.mark.parametrize("text", ["€" + "A" * 158, "é" * 160, "£ " * 80])
def test_a_gsm7_text_the_composer_calls_one_sms_is_billed_as_one(
    kind, text, simulator, make_group, make_campaign
):
    """€ (GSM-7 extension) and é £ (GSM-7 basic) are no reason for UCS-2: the
    simulators billed them as 3 parts while the composer promised one."""
    from tests.campaigns.test_sending import launch

    account = simulated_account(simulator, kind)
    launch(make_campaign([make_group("G", phones(1))], account=account, text=text))

    assert Message.objects.values_list("status", "segments").get() == ("queued", 1)
    (billed,) = simulator.state.messages[kind].values()
    assert billed.parts == 1
