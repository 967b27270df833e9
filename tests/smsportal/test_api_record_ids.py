"""An id in a request body is a whole number: true is no contact 1."""

import pytest

from contacts.models import Contact, ContactGroup

pytestmark = pytest.mark.django_db


def test_true_is_refused_as_an_id_not_read_as_contact_1(manager_api):
    contact = Contact.objects.create(phone="+79161234567")
    group = ContactGroup.objects.create(name="VIP")

    response = manager_api.post(
        f"/api/v1/groups/{group.pk}/members",
        {"contact_ids": [True]},
        content_type="application/json",
    )
    by_number = manager_api.post(
        f"/api/v1/groups/{group.pk}/members",
        {"contact_ids": [contact.pk]},
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert response.json()["message"] == "contact_ids.0: must be a whole number"
    assert by_number.status_code == 200
    assert list(group.contacts.values_list("pk", flat=True)) == [contact.pk]
