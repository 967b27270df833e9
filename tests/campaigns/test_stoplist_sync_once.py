"""One stop list sync of an account at a time: beat's run on a worker and a user's
«Sync now» (or two workers) do not both push our numbers to the gateway, and a
sync whose worker died does not keep the next one out."""

import signal
import uuid
from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import StopListSyncState, WorkerHeartbeat
from campaigns.stoplist_sync import stoplist_sync
from contacts.models import StopListEntry
from providers.simulator import Fault
from smsportal.celery import app as celery_app
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.test_worker_crash import start_worker, stop
from tests.providers.contract import wait_for

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PHONES = [f"+7912000000{i}" for i in range(5)]


def ours() -> None:
    StopListEntry.objects.bulk_create(StopListEntry(phone=p) for p in PHONES)


def requests_to(simulator, path: str) -> int:
    return sum(1 for _, p, _ in simulator.state.request_log if p.endswith(path))


def held_by(account, holder: str, *, until=None) -> None:
    StopListSyncState.objects.create(
        account=account,
        lease_token=uuid.uuid4().hex,
        lease_holder=holder,
        lease_since=timezone.now(),
        lease_until=until or timezone.now() + timedelta(minutes=10),
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sync_now_while_beats_sync_runs_on_a_worker_says_so_and_pushes_once(
    simulator, manager_client
):
    account = simulated_account(simulator, "webcom")
    ours()
    # Beat's sync reads the gateway's list, which takes 4 s.
    simulator.state.add_fault(
        "webcom", Fault(mode="timeout_after", delay=4, path="list_stop.php")
    )
    queue = f"stopsync-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue)
    try:
        celery_app.send_task("campaigns.stoplist_sync_all", queue=queue)
        assert wait_for(lambda: requests_to(simulator, "list_stop.php") == 1,
                        timeout=30, interval=0.05)  # fmt: skip
        response = manager_client.post(
            reverse("reports:stoplist_sync_run", args=[account.pk]), follow=True, **EN
        )
        assert "already running" in response.content.decode()
        done = StopListSyncState.objects.filter(account=account, last__pushed=5)
        assert wait_for(done.exists, timeout=30, interval=0.1)
    finally:
        stop(worker, signal.SIGTERM)
    # Each number went to the gateway once, in one request.
    assert requests_to(simulator, "list_stop.php") == 1
    assert requests_to(simulator, "/stop.php") == 1
    state = StopListSyncState.objects.get(account=account)
    assert state.lease_token == ""
    # The next press runs: the lease was given back.
    response = manager_client.post(
        reverse("reports:stoplist_sync_run", args=[account.pk]), follow=True, **EN
    )
    assert "Stop list synced with" in response.content.decode()


@pytest.mark.django_db
def test_a_sync_held_by_a_live_worker_is_not_run_again(simulator, manager_client):
    account = simulated_account(simulator, "webcom")
    ours()
    WorkerHeartbeat.write("celery@busy:1:aa", "busy")
    held_by(account, "celery@busy:1:aa")
    response = manager_client.post(
        reverse("reports:stoplist_sync_run", args=[account.pk]), follow=True, **EN
    )
    assert "already running" in response.content.decode()
    assert simulator.state.request_log == []
    # The page says it too.
    page = manager_client.get(reverse("reports:stoplist_sync"), **EN)
    assert "Running since" in page.content.decode()
    api = manager_client.post(f"/api/v1/stop-list/sync/{account.pk}", **EN)
    assert api.status_code == 409
    assert "already running" in api.json()["detail"]


@pytest.mark.django_db
def test_a_sync_whose_worker_died_or_ran_out_is_taken_over(simulator):
    account = simulated_account(simulator, "webcom")
    ours()
    held_by(account, "celery@gone:1:bb")  # no heartbeat: killed
    assert stoplist_sync(account=account).pushed == 5
    StopListSyncState.objects.filter(account=account).update(
        lease_token="x",
        lease_holder="",  # a web request's, killed by its server's timeout
        lease_since=timezone.now() - timedelta(hours=1),
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    StopListEntry.objects.create(phone="+79120000099")
    assert stoplist_sync(account=account).pushed == 1
    assert StopListSyncState.objects.get(account=account).lease_token == ""
