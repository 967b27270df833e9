"""A worker on another machine, with a MEDIA_ROOT of its own: it cannot read what the
web server stored, and the web server cannot read what it wrote. Each says so, with
the host and where to fix it, instead of an internal error."""

import logging
import socket

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from contacts.importing.runner import ImportOptions
from contacts.models import ImportJob, NumberingPlanLoad
from contacts.numbering_jobs import numbering_plan_job_run, numbering_plan_upload
from contacts.services import contacts_import, import_job_create

pytestmark = pytest.mark.django_db
HOST = socket.gethostname()


@pytest.fixture
def web_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "web"
    return settings.MEDIA_ROOT


def _move_to_the_workers_machine(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "worker"


def _queued_import(data: bytes) -> ImportJob:
    job = import_job_create(
        upload=SimpleUploadedFile("book.csv", data), kind="contacts"
    )
    job.options = ImportOptions().as_dict()
    job.status = ImportJob.Status.QUEUED
    job.save()
    return job


def test_an_import_on_a_worker_without_the_upload_names_the_host_and_the_fix(
    settings, tmp_path, web_root, caplog
):
    """It failed with «internal error; nothing was imported» and a FileNotFoundError
    traceback in the worker's log."""
    job = _queued_import("Телефон\n89123456789\n".encode())
    _move_to_the_workers_machine(settings, tmp_path)

    with translation.override("en"):
        contacts_import(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "book.csv is not reachable from the worker on host" in job.error
    assert HOST in job.error
    assert "MEDIA_ROOT" in job.error
    assert "internal error" not in job.error
    assert "Traceback" not in caplog.text
    assert str(tmp_path / "worker") in caplog.text  # where it looked, for the admin


def test_the_import_page_shows_the_reason(settings, tmp_path, web_root, manager_client):
    job = _queued_import(b"phone\n89123456789\n")
    _move_to_the_workers_machine(settings, tmp_path)
    with translation.override("en"):
        contacts_import(job_id=job.pk)

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert f"not reachable from the worker on host {HOST}" in page


def test_an_import_with_its_upload_at_hand_still_runs(web_root):
    job = _queued_import(b"phone\n89123456789\n")

    contacts_import(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.error == ""


def test_rejected_rows_written_on_another_machine_are_explained_not_a_500(
    settings, tmp_path, web_root, manager_client, api
):
    """The download crashed on FileNotFoundError."""
    job = _queued_import(b"phone\n123\n")
    contacts_import(job_id=job.pk)  # the worker, writing the rejects on its disk
    job.refresh_from_db()
    assert job.rejects
    settings.MEDIA_ROOT = tmp_path / "web-elsewhere"  # the web server, without them

    page = manager_client.get(
        reverse("contacts:import_rejects", args=[job.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    answer = api.get(
        f"/api/v1/imports/{job.pk}/rejected.csv", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert page.redirect_chain[0][0] == reverse("contacts:import_detail", args=[job.pk])
    assert f"The file of rejected rows is not on host {HOST}" in page.content.decode()
    assert answer.status_code == 404
    assert "MEDIA_ROOT" in answer.json()["detail"]


def test_a_numbering_plan_load_on_a_worker_without_the_files_says_why(
    settings, tmp_path, web_root, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.ERROR)
    upload = SimpleUploadedFile("DEF-9xx.csv", b"x")
    with django_capture_on_commit_callbacks(execute=False):
        job = numbering_plan_upload(uploads=[upload])
    _move_to_the_workers_machine(settings, tmp_path)

    with translation.override("en"):
        numbering_plan_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == NumberingPlanLoad.Status.FAILED
    assert f"DEF-9xx.csv is not reachable from the worker on host {HOST}" in job.error
    assert "failed unexpectedly" not in job.error
    assert "Traceback" not in caplog.text
