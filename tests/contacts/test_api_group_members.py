"""Groups through the API: one group, renamed, and its members added and removed."""

import pytest

from contacts.models import Contact, ContactGroup
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


def post(api, path, body):
    return api.post(path, body, content_type="application/json",
                    HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip


def members(group):
    return sorted(Contact.objects.filter(groups=group).values_list("phone", flat=True))


def test_a_group_is_read_with_its_member_count(api):
    group = ContactGroup.objects.create(name="VIP", description="Лучшие")
    make_contact("+79120000001").groups.add(group)

    answer = api.get(f"/api/v1/groups/{group.pk}").json()

    assert answer == {"id": group.pk, "name": "VIP", "description": "Лучшие",
                      "member_count": 1, "version": 1}  # fmt: skip
    assert api.get("/api/v1/groups/999999").status_code == 404


def test_a_group_is_renamed_and_keeps_what_is_not_given(api):
    group = ContactGroup.objects.create(name="VIP", description="Лучшие")
    ContactGroup.objects.create(name="Клиенты")

    renamed = api.patch(f"/api/v1/groups/{group.pk}", {"name": "VIP-2"},
                        content_type="application/json")  # fmt: skip
    taken = api.patch(f"/api/v1/groups/{group.pk}", {"name": "клиенты"},
                      content_type="application/json",
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["description"]) == (
        "VIP-2",
        "Лучшие",
    )
    assert taken.status_code == 400
    assert "already exists" in taken.json()["detail"]
    group.refresh_from_db()
    assert group.name == "VIP-2"


def test_members_are_added_by_id_and_by_number_written_any_way(api):
    group = ContactGroup.objects.create(name="VIP")
    first = make_contact("+79120000001")
    make_contact("+79120000002")
    make_contact("+79120000003").groups.add(group)

    answer = post(api, f"/api/v1/groups/{group.pk}/members", {
        "contact_ids": [first.pk, 999999],
        "phones": ["8 (912) 000-00-02", "+7 912 000 00 03", "+79129999999"],
    })  # fmt: skip

    assert answer.status_code == 200
    assert answer.json() == {"added": 2, "already": 1,
                             "not_found": ["999999", "+79129999999"]}  # fmt: skip
    assert members(group) == ["+79120000001", "+79120000002", "+79120000003"]


def test_members_are_removed_and_stay_in_the_book(api):
    group = ContactGroup.objects.create(name="VIP")
    for phone in ("+79120000001", "+79120000002"):
        make_contact(phone).groups.add(group)

    answer = post(api, f"/api/v1/groups/{group.pk}/members/remove",
                  {"phones": ["+79120000001", "+79120000009"]})  # fmt: skip

    assert answer.json() == {"removed": 1, "not_found": ["+79120000009"]}
    assert members(group) == ["+79120000002"]
    assert Contact.objects.filter(phone="+79120000001").exists()


def test_an_unreadable_number_is_refused_naming_its_place(api):
    group = ContactGroup.objects.create(name="VIP")
    make_contact("+79120000001")

    answer = post(api, f"/api/v1/groups/{group.pk}/members",
                  {"phones": ["+79120000001", "not a phone"]})  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["where"] == "phones[1]"
    assert members(group) == []  # nothing half done


def test_too_many_contacts_in_one_request_are_refused(api, settings):
    settings.SMSPORTAL_BULK_IN_REQUEST_MAX = 2
    group = ContactGroup.objects.create(name="VIP")

    answer = post(api, f"/api/v1/groups/{group.pk}/members",
                  {"contact_ids": [1, 2], "phones": ["+79120000001"]})  # fmt: skip

    assert answer.status_code == 400
    assert "At most 2 contacts per request" in answer.json()["detail"]


def test_a_viewer_may_read_a_group_but_not_change_its_members(client, viewer_user):
    from accounts.services import api_token_create

    _token, raw = api_token_create(user=viewer_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    group = ContactGroup.objects.create(name="VIP")
    make_contact("+79120000001")

    assert client.get(f"/api/v1/groups/{group.pk}").status_code == 200
    refused = post(client, f"/api/v1/groups/{group.pk}/members",
                   {"phones": ["+79120000001"]})  # fmt: skip
    renamed = client.patch(f"/api/v1/groups/{group.pk}", {"name": "X"},
                           content_type="application/json")  # fmt: skip
    assert (refused.status_code, renamed.status_code) == (403, 403)
    assert members(group) == []


def test_adding_only_numbers_and_ids_of_no_contact_changes_nothing(api):
    group = ContactGroup.objects.create(name="VIP")
    make_contact("+79120000001")

    answer = post(api, f"/api/v1/groups/{group.pk}/members",
                  {"contact_ids": [999999], "phones": ["+79129999999"]})  # fmt: skip
    empty = post(api, f"/api/v1/groups/{group.pk}/members", {})

    assert answer.status_code == 200
    assert answer.json() == {"added": 0, "already": 0,
                             "not_found": ["999999", "+79129999999"]}  # fmt: skip
    assert empty.json() == {"added": 0, "already": 0, "not_found": []}
    assert members(group) == []
