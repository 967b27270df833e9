"""Uploaded files (imports, rejected rows: people's numbers and names) are never
served from /media/, not even under `make run` (DEBUG): Django's file view handed
them to anyone signed in. They are read through views that check permissions."""

import importlib

import pytest

from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import clear_url_caches, reverse

import smsportal.urls
from contacts.models import ImportJob

pytestmark = pytest.mark.django_db

REJECTS = b"row,reason\n2,too short\n"


def _reloaded_urls() -> None:
    clear_url_caches()
    importlib.reload(smsportal.urls)


@pytest.fixture
def job(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    job = ImportJob.objects.create(original_name="book.csv", status="done")
    job.file.save("book.csv", ContentFile(b"phone\n+79123456789\n"))
    job.rejects.save("rejects.csv", ContentFile(REJECTS))
    return job


def test_media_files_are_not_served_with_debug_on(client, django_user_model, job):
    someone = django_user_model.objects.create_user("someone", password="x-Pass-1")
    client.force_login(someone)  # signed in, with no permission at all
    try:
        with override_settings(DEBUG=True):
            _reloaded_urls()
            upload = client.get(f"/media/{job.file.name}")
            rejects = client.get(f"/media/{job.rejects.name}")
    finally:
        _reloaded_urls()

    assert upload.status_code == rejects.status_code == 404
    assert b"+79123456789" not in upload.content
    assert REJECTS not in rejects.content


def test_the_import_admin_page_links_to_the_checked_download(viewer_client, job):
    html = viewer_client.get(
        reverse("admin:contacts_importjob_change", args=[job.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    download = reverse("contacts:import_rejects", args=[job.pk])

    assert "/media/" not in html
    assert f'href="{download}"' in html
    assert "Download the rows that were not imported (CSV)" in html
    assert viewer_client.get(download).status_code == 200
