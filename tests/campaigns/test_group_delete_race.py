"""A group deleted by one person while another saves a draft with it: the group
stays (the draft uses it now) or the save says the group is gone; a draft never
loses a group it was saved with, without a word."""

import pytest

from django.urls import reverse

from contacts.models import ContactGroup
from tests.campaigns.group_delete_race import save_while_group_deleted
from tests.page_forms import form_values

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize("field", ["include_groups", "exclude_groups"])
def test_a_group_deleted_while_a_draft_is_saved_with_it(
    manager_client, other_client, make_campaign, make_group, monkeypatch, field
):
    audience = make_group("Customers", [("+79120000001", "Ann", "Europe/Moscow")])
    staff = make_group("Staff", [("+79120000002", "Bob", "Europe/Moscow")])
    draft = make_campaign([audience], name="Autumn")
    edit = reverse("campaigns:edit", args=[draft.pk])
    chosen = [audience.pk, staff.pk] if field == "include_groups" else [staff.pk]
    values = form_values(
        manager_client.get(edit).content.decode(),
        having="name",
        replace={field: [str(pk) for pk in chosen]},
    )

    # B's delete found the group unused and is about to delete it; A saves the
    # draft with it meanwhile (held until A's save is done, or 2 s).
    deleted, saved = save_while_group_deleted(
        monkeypatch, other_client, staff, lambda: manager_client.post(edit, values)
    )

    assert deleted.status_code == 302
    saved_ok = saved.status_code == 302
    draft.refresh_from_db()
    kept = set(getattr(draft, field).values_list("pk", flat=True))
    if ContactGroup.objects.filter(pk=staff.pk).exists():
        # The delete was refused: the draft uses the group now.
        assert saved_ok
        assert staff.pk in kept
        assert "still used by" in _messages(other_client)
    else:
        # Deleted: the save was refused saying so, and the draft is as it was.
        assert not saved_ok, f"draft saved with {field} {chosen}, now {kept}"
        assert "Staff" in saved.content.decode()
        assert staff.pk not in kept


def _messages(client) -> str:
    return client.get(reverse("contacts:group_list")).content.decode()
