"""Contacts jobs the task queue lost, or whose worker went away: beat's sweep
(smsportal.job_sweep) sends them again or settles them, and none runs twice."""

import json
import uuid
from base64 import b64decode
from datetime import timedelta

import pytest
import redis as redis_lib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import WorkerHeartbeat
from contacts import bulk_jobs
from contacts.importing.runner import ImportOptions
from contacts.job_claim import job_claim
from contacts.models import (
    Contact,
    ContactBulkJob,
    ContactGroup,
    ImportJob,
    NumberingPlanLoad,
)
from contacts.services import contacts_import, import_job_create, import_job_start
from smsportal import job_sweep, outage, worker_instance
from smsportal.celery import app as celery_app
from tests.redis_servers import broker_url

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1
LATER = timedelta(seconds=301)  # past SMSPORTAL_JOB_REQUEUE_SECONDS (300)


@pytest.fixture(autouse=True)
def _small_chunks(settings, monkeypatch):
    settings.SMSPORTAL_JOB_REQUEUE_SECONDS = 300
    settings.SMSPORTAL_BULK_IN_REQUEST_MAX = 2
    monkeypatch.setattr(bulk_jobs, "CHUNK", 2)


@pytest.fixture
def queue():
    """Tasks published to the suite's Redis (this engineer's database), on a queue
    of the test's own, not run: what the broker holds is read back."""
    name = f"sweep-{uuid.uuid4().hex[:8]}"
    before = (celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = name, False
    client = redis_lib.Redis.from_url(broker_url())
    try:
        yield lambda: _messages(client, name)
    finally:
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = before
        client.delete(name)
        client.close()


def _messages(client, name: str) -> list[tuple[str, list, dict]]:
    """(task, args, kwargs) of each message waiting in the queue."""
    found = []
    for raw in client.lrange(name, 0, -1):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(b64decode(message["body"]))
        found.append((message["headers"]["task"], args, kwargs))
    return found


def _book(count: int) -> list[Contact]:
    return Contact.objects.bulk_create(
        Contact(phone=f"+7912{n:07d}", last_name=f"N{n}") for n in range(count)
    )


def _bulk_job(status: str = "queued", **fields) -> ContactBulkJob:
    group = ContactGroup.objects.get_or_create(name="Клиенты")[0]
    return ContactBulkJob.objects.create(
        action="add_to_group", group=group, group_name=group.name,
        key=uuid.uuid4().hex, status=status, **fields,
    )  # fmt: skip


def _worker(instance: str, seconds_ago: int = 0) -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        instance=instance, hostname="h", started_at=seen, seen_at=seen
    )


def _queued_import(language: str = "ru") -> ImportJob:
    job = import_job_create(
        upload=SimpleUploadedFile("book.csv", b"phone\n+79120000001\n+79120000002\n"),
        kind="contacts",
    )
    with translation.override(language):
        import_job_start(job=job, options=ImportOptions())
    return job


# Sending again ------------------------------------------------------------------------


def test_a_job_queued_while_the_broker_was_down_stays_queued_and_is_sent_later(
    queue, django_capture_on_commit_callbacks
):
    # Outside a request: an earlier test's request may have left its language
    # active in this thread (LocaleMiddleware does not undo it).
    translation.deactivate()
    _book(3)
    group = ContactGroup.objects.create(name="G")
    original = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = NOWHERE
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    outage.forget()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = bulk_jobs.contacts_bulk_job_start(
                action="add_to_group", query="", group=group
            )
        assert outage.BROKER in outage.seen_down()  # pages say the queue is down
    finally:
        celery_app.conf.broker_write_url = original
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        outage.forget()
    job.refresh_from_db()
    assert job.status == "queued"
    assert queue() == []

    assert job_sweep.jobs_sweep().sent_again["ContactBulkJob"] == 0  # not yet
    swept = job_sweep.jobs_sweep(now=timezone.now() + LATER)

    assert swept.sent_again["ContactBulkJob"] == 1
    # Outside a request: the site's language.
    assert queue() == [("contacts.contacts_bulk_run", [job.pk], {"language": "ru"})]


def test_a_second_sweep_does_not_send_it_again_before_the_threshold(queue):
    job = _bulk_job(enqueued_at=timezone.now() - LATER, language="ru")
    job_sweep.jobs_sweep()
    job_sweep.jobs_sweep()
    assert queue() == [("contacts.contacts_bulk_run", [job.pk], {"language": "ru"})]
    job.refresh_from_db()
    assert timezone.now() - job.enqueued_at < timedelta(seconds=10)


def test_jobs_queued_recently_or_started_are_left_alone(queue):
    _bulk_job(enqueued_at=timezone.now() - timedelta(seconds=30))
    _worker("celery@a:1:alive")
    _bulk_job("running", worker="celery@a:1:alive", enqueued_at=timezone.now() - LATER)
    _bulk_job("running", enqueued_at=timezone.now() - LATER)  # names no worker
    ImportJob.objects.create(original_name="a.csv")  # uploaded, no columns yet
    swept = job_sweep.jobs_sweep()
    assert queue() == []
    assert sum(swept.resumed.values()) == sum(swept.failed.values()) == 0


def test_a_job_sent_twice_runs_once():
    """The sweep's copy and the lost one both arrive: the second finds it taken."""
    contacts = _book(3)
    job = _bulk_job(enqueued_at=timezone.now() - LATER)
    stale = ContactBulkJob.objects.get(pk=job.pk)  # as the second delivery read it
    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result["count"]) == ("done", 1, 3)
    assert not job_claim(stale, startable=bulk_jobs.UNFINISHED)
    assert job.group.contacts.count() == len(contacts)


def test_two_deliveries_of_an_import_claim_it_once():
    job = _queued_import()
    stale = ImportJob.objects.get(pk=job.pk)
    assert contacts_import(job_id=job.pk).status == "done"
    assert not job_claim(stale, startable=("queued", "uploaded"))
    assert contacts_import(job_id=job.pk).attempts == 1  # delivered again: nothing


def test_the_sweep_runs_a_lost_import_eagerly_in_its_uploaders_language():
    job = _queued_import(language="en")
    ImportJob.objects.filter(pk=job.pk).update(
        enqueued_at=timezone.now() - LATER, status="queued"
    )
    job_sweep.jobs_sweep()
    job.refresh_from_db()
    assert (job.status, job.report["created"]) == ("done", 2)


# Jobs whose worker is gone ------------------------------------------------------------


def test_an_import_whose_worker_died_is_failed_with_why_in_its_language(
    manager_client,
):
    job = _queued_import(language="en")
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", worker="celery@a:1:dead", attempts=1
    )
    _worker("celery@a:1:dead", seconds_ago=120)  # missed its heartbeats
    swept = job_sweep.jobs_sweep()
    job.refresh_from_db()
    assert swept.failed["ImportJob"] == 1
    assert job.status == "failed"
    assert job.error.startswith("The worker running this import stopped")
    page = manager_client.get(reverse("contacts:import_detail", args=[job.pk]), **EN)
    assert "Run this import again" in page.content.decode()


def test_a_failed_import_runs_again_from_its_page(
    manager_client, django_capture_on_commit_callbacks
):
    job = _queued_import()
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="Worker gone")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("contacts:import_retry", args=[job.pk]))
    assert response.url == reverse("contacts:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.error, job.report["created"]) == ("done", "", 2)
    assert job.attempts == 1  # failed before a worker took it


def test_an_import_that_never_got_its_columns_cannot_run_again(manager_client):
    job = ImportJob.objects.create(original_name="a.csv", status="failed")
    response = manager_client.post(
        reverse("contacts:import_retry", args=[job.pk]), follow=True, **EN
    )
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Only a failed import whose columns were chosen" in response.content.decode()


def test_a_viewer_cannot_run_an_import_again(viewer_client):
    job = _queued_import()
    ImportJob.objects.filter(pk=job.pk).update(status="failed")
    response = viewer_client.post(reverse("contacts:import_retry", args=[job.pk]))
    assert response.status_code == 403


def test_a_bulk_action_whose_worker_died_goes_on_after_its_last_chunk(queue):
    contacts = _book(6)
    job = _bulk_job(
        "running", worker="celery@a:1:dead", attempts=1, total=6, done=2,
        last_id=contacts[1].pk, result={"count": 2, "already": 0},
    )  # fmt: skip
    job.group.contacts.add(*contacts[:2])
    swept = job_sweep.jobs_sweep()  # no heartbeat at all: stopped or gone
    assert swept.resumed["ContactBulkJob"] == 1
    job.refresh_from_db()
    assert (job.status, job.worker, job.done) == ("queued", "", 2)
    assert queue() == [("contacts.contacts_bulk_run", [job.pk], {"language": None})]

    bulk_jobs.contacts_bulk_job_run(job_id=job.pk)  # what a worker then does

    job.refresh_from_db()
    assert (job.status, job.done, job.result["count"], job.attempts) == (
        "done", 6, 6, 2,
    )  # fmt: skip


def _waiting_job_page(client, *, attempts: int, ago: timedelta) -> str:
    """The progress fragment of a bulk job sent to the workers `ago`."""
    _book(6)
    job = _bulk_job(attempts=attempts, enqueued_at=timezone.now() - ago)
    return client.get(
        reverse("contacts:bulk_job", args=[job.pk]), HTTP_HX_REQUEST="true", **EN
    ).content.decode()


def test_its_page_says_it_waits_for_a_worker_and_that_none_runs(manager_client):
    html = _waiting_job_page(manager_client, attempts=1, ago=timedelta(minutes=3))
    assert "Waiting for a worker to start it…" in html
    assert "It was started before and did not finish" in html
    assert "Sent to the workers 3\xa0minutes ago" in html
    assert 'data-workers-notice="none"' in html


def test_a_job_sent_moments_ago_says_so_not_0_minutes(manager_client):
    html = _waiting_job_page(manager_client, attempts=0, ago=timedelta(seconds=20))
    assert "Sent to the workers 20\xa0seconds ago" in html
    assert "0\xa0minutes" not in html


def test_a_bulk_action_that_keeps_killing_workers_is_failed(queue, monkeypatch):
    # The catalogue is compiled later: the language the reason is put in is seen.
    monkeypatch.setattr(
        job_sweep, "_", lambda text: f"{translation.get_language()}: {text}"
    )
    job = _bulk_job(
        "running", worker="celery@a:1:dead", attempts=job_sweep.MAX_RUNS, language="ru"
    )
    job_sweep.jobs_sweep()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("ru: Workers stopped several times")
    assert queue() == []


def test_a_failed_bulk_action_continues_from_the_list(
    manager_client, django_capture_on_commit_callbacks
):
    contacts = _book(4)
    job = _bulk_job(
        "failed", total=4, done=2, last_id=contacts[1].pk,
        result={"count": 2, "already": 0}, error="Stopped",
    )  # fmt: skip
    page = manager_client.get(
        reverse("contacts:bulk_job", args=[job.pk]), HTTP_HX_REQUEST="true", **EN
    ).content.decode()
    assert "Continue from where it stopped" in page
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:bulk_job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.done, job.result["count"]) == ("done", 4, 4)
    assert job.group.contacts.count() == 2  # only the two after the last chunk


def test_a_numbering_load_whose_worker_died_runs_again(queue):
    job = NumberingPlanLoad.objects.create(
        files=[], status="running", worker="celery@a:1:dead", attempts=1
    )
    job_sweep.jobs_sweep()
    job.refresh_from_db()
    assert job.status == "queued"
    assert queue() == [("contacts.numbering_plan_load", [job.pk], {"language": None})]


def test_a_numbering_load_failed_for_good_leaves_no_files(
    queue, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    path = default_storage.save("numbering/test/DEF-9xx.csv", ContentFile(b"x"))
    job = NumberingPlanLoad.objects.create(
        files=[{"name": "DEF-9xx.csv", "path": path}],
        status="running",
        worker="celery@a:1:dead",
        attempts=job_sweep.MAX_RUNS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        job_sweep.jobs_sweep()
    job.refresh_from_db()
    assert job.status == "failed"
    assert not default_storage.exists(path)


def test_a_numbering_load_taken_over_leaves_the_outcome_to_the_new_run(monkeypatch):
    """A worker thought gone finishes after the sweep gave its job to another: it
    neither writes over that run's outcome nor takes its files away."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from contacts.numbering_jobs import numbering_plan_job_run

    path = default_storage.save("numbering/test/DEF-9xx.csv", ContentFile(b"x"))
    job = NumberingPlanLoad.objects.create(
        files=[{"name": "DEF-9xx.csv", "path": path}], status="queued"
    )
    original_claim = job_claim

    def claim_then_taken_over(job, *, startable):
        claimed = original_claim(job, startable=startable)
        # Meanwhile the sweep queued it again and another worker claimed it.
        NumberingPlanLoad.objects.filter(pk=job.pk).update(
            status="running", attempts=job.attempts + 1, worker="celery@b:1:x"
        )
        return claimed

    monkeypatch.setattr("contacts.numbering_jobs.job_claim", claim_then_taken_over)
    numbering_plan_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.worker) == ("running", "celery@b:1:x")
    assert default_storage.exists(path)
    default_storage.delete(path)


@pytest.mark.parametrize("ending", ["done", "failed"])
def test_an_import_taken_over_leaves_the_outcome_and_upload_to_the_new_run(
    ending, monkeypatch, django_capture_on_commit_callbacks
):
    """As a numbering load: a worker thought gone finishes after the sweep gave its
    import to another run; that run's upload (which it reads) and outcome stay, and
    the old run's rejected rows go."""
    from contacts import services

    job = import_job_create(
        upload=SimpleUploadedFile("book.csv", b"phone\n+79120000001\nnot a phone\n"),
        kind="contacts",
    )
    import_job_start(job=job, options=ImportOptions())
    upload = job.file.name
    rejects_dir = ImportJob._meta.get_field("rejects").generate_filename(job, "x")
    rejects_dir = rejects_dir.rsplit("/", 1)[0]
    rejects_before = set(job.file.storage.listdir(rejects_dir)[1]) if (
        job.file.storage.exists(rejects_dir)
    ) else set()  # fmt: skip
    original_claim = services.job_claim

    def claim_then_taken_over(job, *, startable):
        claimed = original_claim(job, startable=startable)
        ImportJob.objects.filter(pk=job.pk).update(
            status="running", attempts=job.attempts + 1, worker="celery@b:1:x"
        )
        return claimed

    monkeypatch.setattr(services, "job_claim", claim_then_taken_over)
    if ending == "failed":
        monkeypatch.setattr(
            services, "run_import", lambda *a, **k: (_ for _ in ()).throw(
                services.ApplicationError("broken")
            ),
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        contacts_import(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.worker, job.error) == ("running", "celery@b:1:x", "")
    assert job.file.name == upload
    assert job.file.storage.exists(upload)
    assert not job.rejects
    rejects_after = set(job.file.storage.listdir(rejects_dir)[1]) if (
        job.file.storage.exists(rejects_dir)
    ) else set()  # fmt: skip
    assert rejects_after == rejects_before  # the old run's rejected rows went


def test_a_worker_claims_with_its_instance_name(monkeypatch):
    monkeypatch.setattr(worker_instance, "current", "celery@b:7:abcd")
    job = _queued_import()
    assert contacts_import(job_id=job.pk).worker == "celery@b:7:abcd"
