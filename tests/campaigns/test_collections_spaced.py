"""The hot paths that run with the cycle collector spaced out (smsportal.lib.gcspacing):
what bench_dispatch and bench_statuses measured."""

import gc

import pytest

from campaigns import dispatch, polling, statuses
from campaigns.models import Campaign
from smsportal.lib.gcspacing import SPACED_THRESHOLD

SPACED = (SPACED_THRESHOLD, 10, 10)
DEFAULT = (700, 10, 10)


@pytest.fixture(autouse=True)
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(*DEFAULT)
    yield
    gc.set_threshold(*saved)


def recording(seen: list, returns):
    def record(*args, **kwargs):
        seen.append(gc.get_threshold())
        return returns

    return record


def test_the_pump_runs_spaced(monkeypatch, make_campaign):
    campaign = make_campaign(state=Campaign.State.SENDING)
    seen = []
    monkeypatch.setattr(dispatch, "_next_chunk", recording(seen, []))
    dispatch.campaign_pump(campaign_id=campaign.pk)
    assert seen == [SPACED]
    assert gc.get_threshold() == DEFAULT


def test_status_batches_are_applied_spaced(monkeypatch):
    seen = []
    # Nothing to apply: no database needed.
    monkeypatch.setattr(statuses, "_strongest", recording(seen, ([], {})))
    statuses.message_statuses_apply(account=None, reports=[])
    assert seen == [SPACED]
    assert gc.get_threshold() == DEFAULT


class _NotPolled:
    def supports(self, capability) -> bool:
        return False


def test_polling_runs_spaced(monkeypatch, account):
    seen = []
    monkeypatch.setattr(polling, "gateway_for", recording(seen, _NotPolled()))
    polling.statuses_poll()
    assert seen == [SPACED]
    assert gc.get_threshold() == DEFAULT
