"""A group chosen for an import («Add to groups») deleted before the import ran: the
file's contacts went in without the group, or the import failed, with nothing said
at the delete. An import queued or running into a group keeps it from deletion (as
a bulk action's does), and one started with a group deleted meanwhile says so."""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGER
from contacts.models import Contact, ContactGroup, ImportJob
from contacts.services import contacts_import
from tests.campaigns.group_delete_race import group_exists, save_while_group_deleted
from tests.conftest import _user_with_role

DATA = "Телефон;Имя\r\n8 912 345-67-89;Иван\r\n".encode("cp1251")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _mapping(client: Client, group: ContactGroup) -> tuple[ImportJob, dict]:
    upload = SimpleUploadedFile("book.csv", DATA, content_type="text/csv")
    client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"encoding": "cp1251", "delimiter": ";", "header": "on", "col_0": "phone",
            "col_1": "first_name", "groups": [group.pk]}  # fmt: skip
    return job, post


@pytest.mark.django_db
def test_a_group_an_import_is_queued_into_cannot_be_deleted(manager_client):
    group = ContactGroup.objects.create(name="Clients")
    job, post = _mapping(manager_client, group)
    manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED

    refused = manager_client.post(
        reverse("contacts:group_delete", args=[group.pk]), follow=True
    )
    contacts_import(job_id=job.pk)  # the worker gets to it

    assert ContactGroup.objects.filter(pk=group.pk).exists()
    assert "still used by" in refused.content.decode()
    assert "book.csv" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert list(group.contacts.values_list("phone", flat=True)) == ["+79123456789"]


@pytest.mark.django_db(transaction=True)
def test_an_import_started_while_its_group_is_deleted(
    manager_client, django_user_model, monkeypatch
):
    group = ContactGroup.objects.create(name="Clients")
    job, post = _mapping(manager_client, group)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(_user_with_role(django_user_model, "bob-manager", MANAGER))

    deleted, started = save_while_group_deleted(
        monkeypatch,
        other,
        group,
        lambda: manager_client.post(
            reverse("contacts:import_mapping", args=[job.pk]), post
        ),
    )

    assert deleted.status_code == 302
    job.refresh_from_db()
    if group_exists(group):  # the delete was refused: the import is queued into it
        assert job.status == ImportJob.Status.QUEUED
    else:  # the start was refused, saying so; the columns' page again
        assert started.status_code == 200, started
        assert "“Clients” was deleted meanwhile" in started.content.decode()
        assert job.status == ImportJob.Status.UPLOADED
        assert not Contact.objects.exists()
