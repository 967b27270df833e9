"""Names, a group's name and a stop-list reason take one line: a name lands in a
message's placeholder, where a line break would split the text."""

import pytest

from django.urls import reverse

from contacts.forms import ContactForm, ContactGroupForm, StopListAddForm
from contacts.models import Contact, ContactGroup, StopListEntry

pytestmark = pytest.mark.django_db

MESSAGE = "Character 3: a line break. This field takes a single line."


@pytest.mark.parametrize("name", ["first_name", "last_name", "middle_name", "nickname"])
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\u2028"])
def test_a_line_break_in_a_name_is_refused_by_the_api_and_the_page(api, name, brk):
    value = f"Ив{brk}ан"

    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", name: value},
        content_type="application/json",
    )
    form = ContactForm({"phone": "+79123456789", name: value})

    assert response.status_code == 400
    assert response.json()["where"] == name
    assert response.json()["detail"].endswith(MESSAGE)
    assert not form.is_valid()
    assert form.errors[name] == [MESSAGE]
    assert not Contact.objects.exists()


def test_a_line_break_in_an_update_is_refused(api):
    contact = Contact.objects.create(phone="+79123456789", first_name="Иван")

    response = api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"last_name": "Пет\nров"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["where"] == "last_name"


def test_a_trailing_line_break_is_only_trimmed(api):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "first_name": "Иван\n"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert Contact.objects.get().first_name == "Иван"


def test_a_line_break_in_a_group_name_is_refused(api):
    response = api.post(
        "/api/v1/groups", {"name": "VI\nP"}, content_type="application/json"
    )
    form = ContactGroupForm({"name": "VI\nP"})

    assert response.status_code == 400
    assert response.json() == {"detail": f"Name: {MESSAGE}", "where": "name"}
    assert not form.is_valid()
    assert form.errors["name"] == [MESSAGE]
    assert not ContactGroup.objects.exists()


def test_a_line_break_in_a_stop_list_reason_is_refused(api, manager_client):
    response = api.post(
        "/api/v1/stoplist",
        {"phone": "+79123456789", "reason": "по\nпросьбе"},
        content_type="application/json",
    )
    form = StopListAddForm({"phone": "+79123456789", "reason": "по\nпросьбе"})
    page = manager_client.post(
        reverse("contacts:stoplist"), {"phone": "+79123456789", "reason": "по\nпросьбе"}
    )

    assert response.status_code == 400
    assert response.json() == {"detail": f"Reason: {MESSAGE}", "where": "reason"}
    assert not form.is_valid()
    assert form.errors["reason"] == [MESSAGE]
    assert page.status_code == 200
    assert not StopListEntry.objects.exists()


def test_a_group_description_keeps_its_lines(api):
    response = api.post(
        "/api/v1/groups",
        {"name": "VIP", "description": "one\ntwo"},
        content_type="application/json",
    )

    assert response.status_code == 201
