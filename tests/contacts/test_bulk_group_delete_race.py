"""Contacts put in a group (the list's bulk action, the API) while another user
deletes the group: they went into a group that no longer was (memberships carry no
database key) and the page said «Done: 3 contacts.». Now the group stays (the
delete sees the action's job) or the action says the group is gone and adds
nothing."""

import pytest

from django.contrib.messages import get_messages
from django.urls import reverse

from contacts import bulk_jobs
from contacts.models import Contact, ContactBulkJob, ContactGroup, GroupMembership
from tests.campaigns.group_delete_race import group_exists, save_while_group_deleted

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SMSPORTAL_BULK_IN_REQUEST_MAX = 5


def _book(count: int) -> None:
    Contact.objects.bulk_create(
        Contact(phone=f"+7912{n:07d}", last_name=f"N{n}") for n in range(count)
    )


@pytest.mark.parametrize("count", [3, 7], ids=["in the request", "queued"])
def test_contacts_added_to_a_group_deleted_meanwhile(
    manager_client, other_client, monkeypatch, count
):
    _book(count)
    group = ContactGroup.objects.create(name="Clients")

    deleted, done = save_while_group_deleted(
        monkeypatch,
        other_client,
        group,
        lambda: manager_client.post(
            reverse("contacts:bulk"),
            {"action": "add_to_group", "group": group.pk, "select_all": "on"},
        ),
    )

    assert deleted.status_code == 302
    said = [str(m) for m in get_messages(done.wsgi_request)]
    if group_exists(group):  # the delete was refused: the action's job uses it
        assert ContactBulkJob.objects.filter(group=group).exists() or (
            group.contacts.count() == count
        )
    else:
        assert any("“Clients” was deleted meanwhile" in m for m in said), said
        assert not GroupMembership.objects.exists()
        assert not ContactBulkJob.objects.exists()


def test_the_api_adds_members_to_a_group_deleted_meanwhile(
    manager_client, other_client, monkeypatch
):
    _book(2)
    group = ContactGroup.objects.create(name="Clients")
    ids = list(Contact.objects.values_list("pk", flat=True))

    deleted, answer = save_while_group_deleted(
        monkeypatch,
        other_client,
        group,
        lambda: manager_client.post(
            f"/api/v1/groups/{group.pk}/members",
            {"contact_ids": ids},
            content_type="application/json",
        ),
    )

    assert deleted.status_code == 302
    if group_exists(group):
        assert answer.status_code == 200, answer.content
    else:
        assert answer.status_code == 400, answer.content
        assert "“Clients” was deleted meanwhile" in answer.json()["detail"]
        assert not GroupMembership.objects.exists()


def test_a_bulk_job_is_not_started_for_a_group_already_gone():
    group = ContactGroup.objects.create(name="Clients")
    ContactGroup.objects.filter(pk=group.pk).delete()

    with pytest.raises(bulk_jobs.ApplicationError, match="deleted meanwhile"):
        bulk_jobs.contacts_bulk_job_start(
            action="add_to_group", query="q=", group=group
        )
    assert not ContactBulkJob.objects.exists()
