"""The numbering plan page: what is loaded, uploading the registry, each load's report."""

import pytest

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact, NumberingPlanLoad, NumberRange
from tests.contacts.test_numbering import EXTRACT

pytestmark = pytest.mark.django_db
URL = "/contacts/numbering-plan/"


def upload(client, *files):
    return client.post(URL, {"files": list(files)})


def registry(text: str = EXTRACT, name: str = "DEF-9xx.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("cp1251"), content_type="text/csv")


def test_the_page_is_where_the_contacts_page_links(manager_client):
    assert reverse("contacts:numbering_plan") == URL
    assert f'href="{URL}"' in manager_client.get("/contacts/").content.decode()
    page = manager_client.get(URL).content.decode()
    assert 'data-loaded-ranges="0"' in page
    assert 'type="file"' in page


def test_uploading_the_registry_loads_it_in_the_background_and_reports(
    manager_client, django_capture_on_commit_callbacks
):
    Contact.objects.create(phone="+79240000001")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(manager_client, registry())
    assert response.status_code == 302
    job = NumberingPlanLoad.objects.get()
    assert not default_storage.exists(job.files[0]["path"])  # loaded, then removed
    assert (job.status, job.report["ranges"], job.report["contacts_zoned"]) == (
        "done", 7, 1,
    )  # fmt: skip
    assert job.report["unknown_regions"] == [["Неведомая земля", 1]]
    assert Contact.objects.get().time_zone == "Asia/Vladivostok"
    page = manager_client.get(URL).content.decode()
    assert 'data-loaded-ranges="7"' in page
    assert "Vladivostok (UTC+10:00)" in page  # by its city, in the language read
    assert "Неведомая земля: 1" in page
    assert 'data-status="done"' in page
    assert "hx-trigger" not in page  # a finished load is not polled


def test_a_file_that_is_not_the_registry_fails_its_load_and_says_why(
    manager_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, registry())
        upload(manager_client, registry("Телефон;Имя\n79241234567;Анна\n", "book.csv"))
    failed = NumberingPlanLoad.objects.first()  # the newest
    assert failed.status == "failed"
    assert "book.csv" in failed.error
    assert "«АВС/ DEF»" in failed.error
    assert NumberRange.objects.count() == 7  # the registry loaded before stays
    partial = manager_client.get(
        reverse("contacts:numbering_plan_load_status", args=[failed.pk])
    )
    assert escape(failed.error) in partial.content.decode()


def test_a_running_load_is_polled(manager_client):
    job = NumberingPlanLoad.objects.create(files=[{"name": "DEF-9xx.csv", "path": "x"}])
    page = manager_client.get(URL).content.decode()
    assert (
        f'hx-get="{reverse("contacts:numbering_plan_load_status", args=[job.pk])}"'
        in page
    )


def test_several_files_load_together(
    manager_client, django_capture_on_commit_callbacks
):
    header, *rows = EXTRACT.splitlines(keepends=True)
    first, second = header + "".join(rows[:3]), header + "".join(rows[3:])
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            manager_client, registry(first, "DEF-1.csv"), registry(second, "DEF-2.csv")
        )
    job = NumberingPlanLoad.objects.get()
    assert str(job) == "DEF-1.csv, DEF-2.csv"
    assert job.report["ranges"] == 7


def test_a_viewer_sees_the_plan_but_cannot_load_one(viewer_client):
    page = viewer_client.get(URL)
    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    assert upload(viewer_client, registry()).status_code == 403
    assert not NumberingPlanLoad.objects.exists()


def test_no_file_is_a_form_error(manager_client):
    response = manager_client.post(URL, {})
    assert response.status_code == 200  # the errors shown, as every page form answers
    assert response.context["form"].errors["files"]


def test_a_load_a_dead_worker_left_running_runs_again_and_a_finished_one_does_not(
    manager_client, django_capture_on_commit_callbacks
):
    from contacts.numbering_jobs import numbering_plan_job_run

    with django_capture_on_commit_callbacks(execute=False):
        upload(manager_client, registry())
    job = NumberingPlanLoad.objects.get()
    job.status = NumberingPlanLoad.Status.RUNNING  # as a killed worker leaves it
    job.save(update_fields=["status"])
    assert numbering_plan_job_run(job_id=job.pk).status == "done"
    assert NumberRange.objects.count() == 7
    NumberRange.objects.all().delete()
    assert numbering_plan_job_run(job_id=job.pk).status == "done"  # redelivered
    assert not NumberRange.objects.exists()  # not loaded a second time


def test_a_failed_load_says_why_in_the_uploaders_language(
    manager_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from contacts import tasks

    queued = []
    monkeypatch.setattr(
        tasks.numbering_plan_load, "delay", lambda *a, **kw: queued.append((a, kw))
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            URL,
            {"files": [registry("Телефон;Имя\n79241234567;Анна\n", "bad.csv")]},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    job = NumberingPlanLoad.objects.get()
    assert queued == [((job.pk,), {"language": "en"})]
    with translation.override("ru"):  # the worker's own language
        tasks.numbering_plan_load(*queued[0][0], **queued[0][1])
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("bad.csv: ")
    assert "header" in job.error
