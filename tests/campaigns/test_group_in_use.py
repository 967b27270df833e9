"""A group something still reads is not deleted (contacts asks campaigns, by hook)."""

import pytest

from django.urls import reverse
from django.utils import timezone

from campaigns.models import BirthdayGreeting, Campaign
from contacts.models import ContactGroup

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def group():
    return ContactGroup.objects.create(name="VIP")


def delete_by_api(client, group):
    return client.delete(f"/api/v1/groups/{group.pk}")


@pytest.mark.parametrize("state", [State.SCHEDULED, State.SENDING, State.PAUSED])
def test_a_campaign_yet_to_build_its_audience_keeps_its_groups(
    manager_client, make_campaign, group, state
):
    """Gone, an included group would send to nobody, an excluded one to its members."""
    make_campaign([group], name="Autumn", state=state)
    other = ContactGroup.objects.create(name="Staff")
    make_campaign(name="Winter", state=state).exclude_groups.set([other])

    included = delete_by_api(manager_client, group)
    excluded = delete_by_api(manager_client, other)

    assert included.status_code == 400
    assert included.json()["detail"] == (
        "The group “VIP” is still used by campaign “Autumn”: take it out of their "
        "audience (or let them finish) before deleting it."
    )
    assert excluded.status_code == 400
    assert "campaign “Winter”" in excluded.json()["detail"]
    assert ContactGroup.objects.count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"state": State.SENDING, "expanded_at": timezone.now()},  # audience built
        {"state": State.COMPLETED},
    ],
)
def test_a_group_nothing_reads_any_more_is_deleted(
    manager_client, make_campaign, group, fields
):
    make_campaign([group], **fields)

    response = delete_by_api(manager_client, group)

    assert response.status_code == 204
    assert not ContactGroup.objects.exists()


def test_a_birthday_greeting_keeps_its_groups_active_or_not(
    manager_client, account, group
):
    """An inactive greeting may be switched on again, with the audience it shows."""
    greeting = BirthdayGreeting.objects.create(
        name="С днём рождения", account=account, text="Поздравляем!"
    )
    greeting.include_groups.set([group])

    refused = delete_by_api(manager_client, group)
    BirthdayGreeting.objects.update(is_active=False)
    refused_inactive = delete_by_api(manager_client, group)
    greeting.delete()
    deleted = delete_by_api(manager_client, group)

    assert refused.status_code == 400
    assert "birthday greeting “С днём рождения”" in refused.json()["detail"]
    assert refused_inactive.status_code == 400
    assert "birthday greeting “С днём рождения”" in refused_inactive.json()["detail"]
    assert deleted.status_code == 204


def test_a_draft_keeps_the_groups_it_includes_and_excludes(
    manager_client, make_campaign, group
):
    """Dropped from a draft's exclusions, "the whole book except Staff" would become
    the whole book, and its launch would message the staff."""
    staff = ContactGroup.objects.create(name="Staff")
    make_campaign(name="Everyone but staff", to_whole_book=True).exclude_groups.set(
        [staff]
    )
    make_campaign([group], name="VIP offer")

    excluded = delete_by_api(manager_client, staff)
    included = delete_by_api(manager_client, group)

    assert excluded.status_code == 400
    assert excluded.json()["detail"] == (
        "The group “Staff” is still used by draft “Everyone but staff”: take it out "
        "of their audience (or let them finish) before deleting it."
    )
    assert included.status_code == 400
    assert "draft “VIP offer”" in included.json()["detail"]
    assert ContactGroup.objects.count() == 2


def test_the_page_says_why_the_group_stays(manager_client, make_campaign, group):
    make_campaign([group], name="Autumn", state=State.SCHEDULED)

    response = manager_client.post(
        reverse("contacts:group_delete", args=[group.pk]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse(
        "contacts:group_edit", args=[group.pk]
    )
    assert "is still used by campaign “Autumn”" in response.content.decode()
    assert ContactGroup.objects.filter(pk=group.pk).exists()


def test_the_admin_refuses_as_the_pages_do(admin_client, make_campaign, group):
    make_campaign([group], name="Autumn", state=State.SCHEDULED)
    unused = ContactGroup.objects.create(name="Old")

    one = admin_client.post(
        reverse("admin:contacts_contactgroup_delete", args=[group.pk]),
        {"post": "yes"},
        follow=True,
    )
    bulk = admin_client.post(
        reverse("admin:contacts_contactgroup_changelist"),
        {"action": "delete_selected", "post": "yes",
         "_selected_action": [group.pk, unused.pk]},
        follow=True,
    )  # fmt: skip

    assert "is still used by campaign “Autumn”" in one.content.decode()
    assert "is still used by campaign “Autumn”" in bulk.content.decode()
    # The success message counts what was deleted, not what was ticked.
    assert "Successfully deleted 1 group." in bulk.content.decode()
    assert list(ContactGroup.objects.all()) == [group]


def test_the_admins_bulk_delete_confirms_only_the_groups_it_will_delete(
    admin_client, make_campaign, group
):
    make_campaign([group], name="Autumn", state=State.SCHEDULED)
    unused = ContactGroup.objects.create(name="Old")
    changelist = reverse("admin:contacts_contactgroup_changelist")

    confirm = admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [group.pk, unused.pk]},
    ).content.decode()
    alone = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [group.pk]},
        follow=True,
    )  # fmt: skip

    assert "is still used by campaign “Autumn”" in confirm
    assert f'name="_selected_action" value="{unused.pk}"' in confirm
    assert f'name="_selected_action" value="{group.pk}"' not in confirm
    # Every ticked group refused: back to the list with the reason, nothing to confirm.
    assert alone.redirect_chain == [(changelist, 302)]
    assert "is still used by campaign “Autumn”" in alone.content.decode()
    assert ContactGroup.objects.count() == 2


def test_a_viewer_gets_the_admins_403_not_why_the_group_is_in_use(
    viewer_client, make_campaign, group
):
    """The in-use check ran before the permission's: a viewer was told which
    campaigns use the group, and redirected, instead of being refused."""
    make_campaign([group], name="Autumn", state=State.SCHEDULED)

    response = viewer_client.get(
        reverse("admin:contacts_contactgroup_delete", args=[group.pk])
    )

    assert response.status_code == 403
    assert ContactGroup.objects.filter(pk=group.pk).exists()
