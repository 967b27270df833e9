"""Concurrent status callbacks of one process share a statement (group commit)."""

import threading
import time

import pytest

from django.db import connections

from campaigns.status_batching import StatusBatcher
from campaigns.statuses import AccountChanged, ApplyResult, message_statuses_apply
from providers.base import DeliveryStatus, StatusReport


def report(gid: str) -> StatusReport:
    return StatusReport(gateway_message_id=gid, status=DeliveryStatus.DELIVERED)


class HeldApply:
    """Records each statement's reports; the first one waits until `held_for`
    more callers are queued behind it, so the second statement must carry them all."""

    def __init__(self, batcher_ref: list, held_for: int, fail_first: bool = False):
        self.batcher_ref = batcher_ref
        self.held_for = held_for
        self.fail_first = fail_first
        self.statements: list[list[str]] = []

    def __call__(self, *, account, reports, unless_changed, wait_for_disk):
        assert wait_for_disk is False
        if not self.statements:
            deadline = time.monotonic() + 10
            batcher = self.batcher_ref[0]
            while batcher.waiting(account.pk, unless_changed) < self.held_for:
                assert time.monotonic() < deadline, "the other callers never queued"
                time.sleep(0.005)
        self.statements.append([r.gateway_message_id for r in reports])
        if self.fail_first and len(self.statements) == 1:
            raise RuntimeError("database went away")
        return ApplyResult(len(reports), 0, 0)


def run_callers(batcher, account, gids: list[str]) -> dict[str, object]:
    """Each gid from its own thread, the first one surely first; what each got."""
    outcomes: dict[str, object] = {}

    def call(gid: str) -> None:
        try:
            outcomes[gid] = batcher.apply(
                account=account, reports=[report(gid)], unless_changed=None
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcomes[gid] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=call, args=(gids[0],))
    first.start()
    deadline = time.monotonic() + 10
    while not batcher._writing:  # the first caller is writing its statement
        assert time.monotonic() < deadline
        time.sleep(0.001)
    others = [threading.Thread(target=call, args=(gid,)) for gid in gids[1:]]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=20)
    return outcomes


class FakeAccount:
    pk = 7


def test_callers_that_arrive_during_a_statement_go_in_the_next_one_together():
    ref: list = []
    apply = HeldApply(ref, held_for=3)
    batcher = StatusBatcher(apply)
    ref.append(batcher)

    outcomes = run_callers(batcher, FakeAccount(), ["1", "2", "3", "4"])

    assert apply.statements[0] == ["1"]
    assert sorted(apply.statements[1]) == ["2", "3", "4"]
    assert len(apply.statements) == 2
    assert outcomes["1"] == ApplyResult(1, 0, 0)
    for gid in "234":
        assert outcomes[gid] == ApplyResult(3, 0, 0)  # the statement they shared
    assert batcher._writing == set()  # nobody left holding the turn


def test_a_failed_statement_fails_each_of_its_callers_and_the_next_one_still_runs():
    ref: list = []
    apply = HeldApply(ref, held_for=2, fail_first=True)
    batcher = StatusBatcher(apply)
    ref.append(batcher)

    outcomes = run_callers(batcher, FakeAccount(), ["1", "2", "3"])

    assert isinstance(outcomes["1"], RuntimeError)  # answered 5xx: the gateway retries
    assert outcomes["2"] == outcomes["3"] == ApplyResult(2, 0, 0)
    assert batcher._writing == set()


def test_a_lone_caller_goes_straight_through():
    calls = []

    def apply(**kwargs):
        calls.append(kwargs["reports"])
        return ApplyResult(1, 0, 0)

    batcher = StatusBatcher(apply)
    assert batcher.apply(
        account=FakeAccount(), reports=[report("9")], unless_changed=None
    ) == ApplyResult(1, 0, 0)
    assert [[r.gateway_message_id for r in c] for c in calls] == [["9"]]
    assert batcher._writing == set()
    assert batcher._queues == {}


# Callers on threads of their own, with connections of their own: rows committed.
@pytest.mark.django_db(transaction=True)
def test_reports_of_concurrent_callers_all_reach_the_database(account):
    from django.utils import timezone

    from campaigns.models import Campaign, Message

    campaign = Campaign.objects.create(name="Batched", account=account, text="x")
    gids = [str(900 + n) for n in range(6)]
    Message.objects.bulk_create(
        Message(
            campaign=campaign, account=account, phone=f"+7912000000{n}",
            text="x", channel="sms", planned_at=timezone.now(),
            gateway_message_id=gid, status="queued",
        )
        for n, gid in enumerate(gids)
    )  # fmt: skip
    ref: list = []
    held = HeldApply(ref, held_for=5)

    def real_apply(**kwargs):
        held(**kwargs)  # holds the first statement, records the shapes
        return message_statuses_apply(**kwargs)

    batcher = StatusBatcher(real_apply)
    ref.append(batcher)

    outcomes = run_callers(batcher, account, gids)

    assert len(held.statements) == 2
    assert outcomes[gids[0]] == ApplyResult(1, 0, 0)
    assert all(outcomes[gid] == ApplyResult(5, 0, 0) for gid in gids[1:])
    statuses = set(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    assert statuses == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_a_stale_account_version_raises_account_changed(account):
    from datetime import timedelta

    from campaigns.statuses import AccountVersion

    stale = AccountVersion(
        account.pk,
        account.callback_token,
        account.updated_at - timedelta(seconds=1),
    )
    batcher = StatusBatcher()
    with pytest.raises(AccountChanged):
        batcher.apply(account=account, reports=[report("1")], unless_changed=stale)
    assert batcher._writing == set()
