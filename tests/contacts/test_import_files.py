"""An import's files do not stay in MEDIA_ROOT for ever: a done import's upload goes
at once, rejected rows (and a failed import's upload) after
SMSPORTAL_IMPORT_FILES_DAYS, and a deleted job's files with it. They all stayed: a
200,000-row CSV left 11.9 MB behind, its rejected rows 2.8 MB more, and deleting the
import in the admin left both."""

import contextlib
import html
from datetime import timedelta
from pathlib import Path

import pytest

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contacts.job_files import import_files_expire
from contacts.models import ImportJob, NumberingPlanLoad
from contacts.tasks import import_uploads_expire
from contacts.timezones import zoned

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MAPPING = {"encoding": "utf-8", "delimiter": ",", "header": "on", "col_0": "phone"}


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.SMSPORTAL_IMPORT_FILES_DAYS = 30
    return tmp_path


def _imported(client, capture, data: bytes, name: str = "book.csv") -> ImportJob:
    client.post(reverse("contacts:import"), {"file": SimpleUploadedFile(name, data)})
    job = ImportJob.objects.get(original_name=name)
    with capture(execute=True):
        client.post(reverse("contacts:import_mapping", args=[job.pk]), MAPPING)
    job.refresh_from_db()
    return job


def _page(client, job: ImportJob) -> str:
    url = reverse("contacts:import_detail", args=[job.pk])
    return client.get(url, HTTP_HX_REQUEST="true", **EN).content.decode()


def _finished_days_ago(job: ImportJob, days: int) -> None:
    finished = timezone.now() - timedelta(days=days)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=finished)


def test_a_done_imports_upload_goes_and_its_rejected_rows_stay(
    manager_client, media, django_capture_on_commit_callbacks
):
    client, capture = manager_client, django_capture_on_commit_callbacks
    upload = b"phone\n89123456789\nnot a number\n"
    client.post(
        reverse("contacts:import"), {"file": SimpleUploadedFile("a.csv", upload)}
    )
    stored = media / ImportJob.objects.get().file.name
    assert stored.exists()

    job = ImportJob.objects.get()
    with capture(execute=True):
        client.post(reverse("contacts:import_mapping", args=[job.pk]), MAPPING)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert not job.file
    assert not stored.exists()
    assert job.rejects
    assert (media / job.rejects.name).exists()
    assert "Download the rows that were not imported" in _page(client, job)


def test_rejected_rows_are_removed_after_the_days_kept_and_the_page_says_so(
    manager_client, media, django_capture_on_commit_callbacks
):
    data = b"phone\n89123456789\nnot a number\n"
    kept = _imported(manager_client, django_capture_on_commit_callbacks, data, "k.csv")
    old = _imported(manager_client, django_capture_on_commit_callbacks, data, "o.csv")
    _finished_days_ago(kept, 29)
    _finished_days_ago(old, 31)
    old_rejects = media / old.rejects.name

    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_expire() == 1

    old.refresh_from_db()
    kept.refresh_from_db()
    assert not old.rejects
    assert not old_rejects.exists()
    assert kept.rejects
    assert (media / kept.rejects.name).exists()
    page = _page(manager_client, old)
    assert "Download the rows that were not imported" not in page
    assert (
        "The file of the rows that were not imported was kept for 30 days after "
        "the import and has been removed." in page
    )
    answer = manager_client.get(f"/api/v1/imports/{old.pk}").json()
    assert (answer["rejects_url"], answer["rejects_removed"]) == (None, True)
    # An old link: the page, which says why; the API's 410 says it too (it said
    # 404 "Not found").
    link = manager_client.get(reverse("contacts:import_rejects", args=[old.pk]))
    assert link.url == reverse("contacts:import_detail", args=[old.pk])
    gone = manager_client.get(f"/api/v1/imports/{old.pk}/rejected.csv", **EN)
    assert gone.status_code == 410
    assert gone.json()["detail"] == (
        "The file of the rows that were not imported was kept for 30 days after "
        "the import and has been removed."
    )
    # Said in advance while it is there.
    until = zoned(kept.finished_at + timedelta(days=30))
    assert f"The file is kept until {until}." in _page(manager_client, kept)


def test_a_done_imports_upload_left_from_before_goes_at_the_next_sweep(
    manager_client, media, django_capture_on_commit_callbacks
):
    job = _imported(
        manager_client, django_capture_on_commit_callbacks, b"phone\n89123456789\n"
    )
    name = default_storage.save("imports/2025/01/left.csv", ContentFile(b"x"))
    ImportJob.objects.filter(pk=job.pk).update(file=name)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_files_expire() == 1

    assert not (media / name).exists()
    job.refresh_from_db()
    assert not job.file


def test_a_failed_imports_upload_is_kept_to_run_again_then_removed(
    manager_client, media, django_capture_on_commit_callbacks
):
    job = _imported(
        manager_client, django_capture_on_commit_callbacks, b"phone\n89123456789\n"
    )
    name = default_storage.save("imports/2025/01/failed.csv", ContentFile(b"phone\n"))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error="worker gone", file=name
    )
    _finished_days_ago(job, 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_files_expire() == 0
    assert (media / name).exists()
    page = _page(manager_client, job)
    assert 'data-action="retry"' in page
    job.refresh_from_db()
    until = zoned(job.finished_at + timedelta(days=30))
    assert (
        f"The uploaded file is kept until {until}; after that, upload it again."
        in html.unescape(page)
    )

    _finished_days_ago(job, 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_files_expire() == 1

    assert not (media / name).exists()
    page = _page(manager_client, job)
    assert 'data-action="retry"' not in page
    assert "The uploaded file was removed 30 days after the import failed" in page
    answer = manager_client.post(
        reverse("contacts:import_retry", args=[job.pk]), follow=True, **EN
    )
    assert (
        "The uploaded file has been removed (an import's files are kept 30 days)"
        in html.unescape(answer.content.decode())
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_deleting_an_import_in_the_admin_removes_its_files(
    admin_client, manager_client, media, django_capture_on_commit_callbacks
):
    data = b"phone\n89123456789\nnot a number\n"
    job = _imported(manager_client, django_capture_on_commit_callbacks, data)
    name = default_storage.save("imports/2025/01/failed.csv", ContentFile(b"phone\n"))
    ImportJob.objects.filter(pk=job.pk).update(file=name)
    files = [media / name, media / job.rejects.name]
    assert all(f.exists() for f in files)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:contacts_importjob_delete", args=[job.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not ImportJob.objects.exists()
    assert not any(f.exists() for f in files)


def test_the_admins_delete_selected_removes_the_files_too(
    admin_client, manager_client, media, django_capture_on_commit_callbacks
):
    data = b"phone\n89123456789\nnot a number\n"
    jobs = [
        _imported(manager_client, django_capture_on_commit_callbacks, data, name)
        for name in ("a.csv", "b.csv")
    ]
    files = [media / job.rejects.name for job in jobs]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:contacts_importjob_changelist"),
            {"action": "delete_selected", "post": "yes",
             "_selected_action": [job.pk for job in jobs]},
        )  # fmt: skip

    assert not ImportJob.objects.exists()
    assert not any(f.exists() for f in files)


def test_a_rolled_back_delete_keeps_the_files(
    manager_client, media, django_capture_on_commit_callbacks
):
    from django.db import transaction

    job = _imported_without_capture(manager_client)
    stored = media / job.file.name
    capture = django_capture_on_commit_callbacks(execute=True)
    rolled_back = contextlib.suppress(RuntimeError)
    with capture as callbacks, rolled_back, transaction.atomic():
        job.delete()
        raise RuntimeError("rolled back")
    assert ImportJob.objects.filter(original_name="w.csv").exists()
    assert stored.exists()
    assert callbacks == []  # the delete's callback went with its savepoint


def _imported_without_capture(client) -> ImportJob:
    upload = SimpleUploadedFile("w.csv", b"phone\n89123456789\n")
    client.post(reverse("contacts:import"), {"file": upload})
    return ImportJob.objects.get(original_name="w.csv")


def test_deleting_a_numbering_plan_load_removes_its_files(
    media, django_capture_on_commit_callbacks
):
    path = default_storage.save("numbering/test/DEF-9xx.csv", ContentFile(b"x"))
    load = NumberingPlanLoad.objects.create(
        files=[{"name": "DEF-9xx.csv", "path": path}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        load.delete()
    assert not (media / path).exists()
