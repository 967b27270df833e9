"""A group deleted by one person while another saves a birthday greeting with it:
the group stays (the greeting uses it now) or the save says the group is gone. A
greeting never loses a group without a word, and the save is no 500."""

import pytest

from django.urls import reverse

from campaigns.models import BirthdayGreeting
from tests.campaigns.group_delete_race import group_exists, save_while_group_deleted
from tests.page_forms import form_values

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/greetings"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def groups(make_group):
    audience = make_group("Customers", [("+79120000001", "Ann", "Europe/Moscow")])
    staff = make_group("Staff", [("+79120000002", "Bob", "Europe/Moscow")])
    return audience, staff


def _greeting(account, audience) -> BirthdayGreeting:
    greeting = BirthdayGreeting.objects.create(
        name="Birthdays", account=account, sender="SMSPORTAL",
        text="{first_name}, happy birthday!", time_zone="Europe/Moscow",
    )  # fmt: skip
    greeting.include_groups.set([audience])
    return greeting


def _chosen(field: str, audience, staff) -> list[int]:
    return [audience.pk, staff.pk] if field == "include_groups" else [staff.pk]


@pytest.mark.parametrize("field", ["include_groups", "exclude_groups"])
def test_a_group_deleted_while_a_greeting_is_saved_with_it(
    manager_client, other_client, account, groups, monkeypatch, field
):
    audience, staff = groups
    greeting = _greeting(account, audience)
    edit = reverse("campaigns:greeting_edit", args=[greeting.pk])
    values = form_values(
        manager_client.get(edit).content.decode(),
        having="name",
        replace={field: [str(pk) for pk in _chosen(field, audience, staff)]},
    )

    deleted, saved = save_while_group_deleted(
        monkeypatch, other_client, staff, lambda: manager_client.post(edit, values)
    )

    assert deleted.status_code == 302
    kept = set(getattr(greeting, field).values_list("pk", flat=True))
    if group_exists(staff):  # the delete was refused: the greeting uses it now
        assert saved.status_code == 302
        assert staff.pk in kept
    else:  # deleted: the save was refused saying so, the greeting as it was
        assert saved.status_code == 200, f"saved with {field}, now {kept}"
        page = saved.content.decode()
        assert "“Staff” was deleted meanwhile" in page
        assert kept == ({audience.pk} if field == "include_groups" else set())


def test_a_group_deleted_while_a_new_greeting_is_saved_with_it(
    manager_client, other_client, account, groups, monkeypatch
):
    audience, staff = groups
    create = reverse("campaigns:greeting_create")
    values = form_values(
        manager_client.get(create).content.decode(),
        having="name",
        replace={"name": "New", "account": str(account.pk), "sender": "",
                 "text": "Hi {first_name}", "send_time": "10:00",
                 "time_zone": "Europe/Moscow", "include_groups": [str(audience.pk)],
                 "exclude_groups": [str(staff.pk)]},
    )  # fmt: skip

    deleted, saved = save_while_group_deleted(
        monkeypatch, other_client, staff, lambda: manager_client.post(create, values)
    )

    assert deleted.status_code == 302
    new = BirthdayGreeting.objects.filter(name="New").first()
    if group_exists(staff):
        assert saved.status_code == 302
        assert list(new.exclude_groups.values_list("pk", flat=True)) == [staff.pk]
    else:
        assert saved.status_code == 200
        assert "“Staff” was deleted meanwhile" in saved.content.decode()
        assert new is None


@pytest.mark.parametrize("field", ["include_groups", "exclude_groups"])
def test_a_group_deleted_while_the_api_saves_a_greeting_with_it(
    manager_client, other_client, account, groups, monkeypatch, field
):
    audience, staff = groups
    greeting = _greeting(account, audience)

    deleted, saved = save_while_group_deleted(
        monkeypatch,
        other_client,
        staff,
        lambda: manager_client.patch(
            f"{API}/{greeting.pk}",
            {field: _chosen(field, audience, staff)},
            content_type="application/json",
        ),
    )

    assert deleted.status_code == 302
    kept = set(getattr(greeting, field).values_list("pk", flat=True))
    if group_exists(staff):
        assert saved.status_code == 200, saved.content
        assert staff.pk in kept
    else:
        assert saved.status_code == 400, saved.content
        assert saved.json()["where"] == field
        assert "“Staff” was deleted meanwhile" in saved.json()["detail"]
        assert staff.pk not in kept
