"""A contact saved with a group another user deletes meanwhile: the contact was
added (or changed) and its page answered 500, the group membership lost; now the
group stays (the delete sees the contact in it) or the save says it is gone and
saves nothing."""

import pytest

from django.urls import reverse

from contacts.models import Contact, ContactGroup
from tests.campaigns.group_delete_race import group_exists, save_while_group_deleted
from tests.page_forms import form_values

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_contact_added_to_a_group_deleted_meanwhile(
    manager_client, other_client, monkeypatch
):
    group = ContactGroup.objects.create(name="Clients")
    create = reverse("contacts:create")
    values = form_values(
        manager_client.get(create).content.decode(),
        having="phone",
        replace={"phone": "+79123456789", "first_name": "Ivan",
                 "groups": [str(group.pk)]},
    )  # fmt: skip

    deleted, saved = save_while_group_deleted(
        monkeypatch, other_client, group, lambda: manager_client.post(create, values)
    )

    assert deleted.status_code == 302
    if group_exists(group):
        assert saved.status_code == 302
        assert list(group.contacts.values_list("phone", flat=True)) == ["+79123456789"]
    else:
        assert saved.status_code == 200, saved
        assert "“Clients” was deleted meanwhile" in saved.content.decode()
        assert not Contact.objects.exists()


def test_a_contact_changed_into_a_group_deleted_meanwhile(
    manager_client, other_client, monkeypatch
):
    group = ContactGroup.objects.create(name="Clients")
    contact = Contact.objects.create(phone="+79123456789", first_name="Ivan")
    edit = reverse("contacts:edit", args=[contact.pk])
    values = form_values(
        manager_client.get(edit).content.decode(),
        having="phone",
        replace={"first_name": "Ivan P.", "groups": [str(group.pk)]},
    )

    deleted, saved = save_while_group_deleted(
        monkeypatch, other_client, group, lambda: manager_client.post(edit, values)
    )

    assert deleted.status_code == 302
    contact.refresh_from_db()
    if group_exists(group):
        assert saved.status_code == 302
        assert list(contact.groups.all()) == [group]
    else:
        assert saved.status_code == 200, saved
        assert "“Clients” was deleted meanwhile" in saved.content.decode()
        assert contact.first_name == "Ivan"  # nothing saved
