"""A campaign to the whole contact book: every contact, grouped or not, but the stop
list and the groups left out."""

import pytest

from django.urls import reverse

from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from campaigns.services import campaign_preview
from contacts.models import Contact, StopListEntry
from tests.campaigns.test_api import API, draft_body, post
from tests.campaigns.test_expansion import python_only  # noqa: F401 (fixture)
from tests.campaigns.test_views import composer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(make_group):
    """Two grouped contacts, two in no group; one of each kind stop-listed or left out."""
    clients = make_group("Clients", [("+79120000001", "Анна", ""),
                                     ("+79120000002", "Борис", "")])  # fmt: skip
    left_out = make_group("Left out", [("+79120000003", "Вера", "")])
    Contact.objects.bulk_create(
        [Contact(phone="+79120000004", first_name="Глеб"),
         Contact(phone="+79120000005", first_name="Дина")]
    )  # fmt: skip
    StopListEntry.objects.create(phone="+79120000005")
    return clients, left_out


@pytest.mark.parametrize("path", ["sql", "python"])
def test_the_whole_book_reaches_contacts_in_no_group(
    request, make_campaign, book, path
):
    if path == "python":
        request.getfixturevalue("python_only")  # SQLite's way of expanding
    clients, left_out = book
    campaign = make_campaign([], to_whole_book=True)
    campaign.exclude_groups.set([left_out])

    stats = campaign_expand(campaign=campaign)

    assert set(Message.objects.values_list("phone", flat=True)) == {
        "+79120000001", "+79120000002", "+79120000004",
    }  # fmt: skip
    assert (stats.created, stats.stop_listed) == (3, 1)


def test_the_preview_counts_what_the_expansion_makes(make_campaign, book):
    campaign = make_campaign([], to_whole_book=True, extra_numbers="+79120000001")
    preview = campaign_preview(campaign=campaign)
    # Four reachable contacts; the pasted number is one of them.
    assert (preview.total, preview.stop_listed, preview.duplicates) == (4, 1, 1)
    assert campaign_expand(campaign=campaign).created == 4


def test_ticking_the_whole_book_drops_the_groups_to_send_to(
    manager_client, account, book
):
    clients, _ = book
    data = composer_data(
        account, to_whole_book="on", include_groups=[clients.pk], extra_numbers=""
    )
    response = manager_client.post(reverse("campaigns:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.to_whole_book
    assert not campaign.include_groups.exists()

    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Вся книга контактов" in page


def test_the_live_preview_counts_the_whole_book(manager_client, account, book):
    data = composer_data(account, to_whole_book="on", extra_numbers="")
    body = manager_client.post(reverse("campaigns:compose_preview"), data).content
    assert b'data-preview-total="4"' in body


def test_the_campaign_page_names_its_groups_and_pasted_numbers(
    manager_client, make_campaign, book
):
    clients, left_out = book
    campaign = make_campaign([clients], extra_numbers="+79990000001, +79990000002\n")
    campaign.exclude_groups.set([left_out])
    page = manager_client.get(
        reverse("campaigns:detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Группы: Clients" in page
    assert "Кроме групп: Left out" in page
    assert "2 вставленных номера" in page


def test_the_api_creates_and_launches_a_whole_book_draft(manager_client, account, book):
    response = post(
        manager_client, API, draft_body(account, to_whole_book=True, extra_numbers="")
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["to_whole_book"], body["include_groups"]) == (True, [])
    preview = post(manager_client, f"{API}/{body['id']}/preview").json()
    assert preview["total"] == 4


def test_pasted_numbers_are_split_the_same_everywhere():
    from campaigns.audience import parse_extra_numbers, pasted_items
    from campaigns.forms import TestSendForm

    text = "+79990000001; +79990000002\r\n\r\n , 8 999 000-00-03,\nnonsense"

    assert list(pasted_items(text)) == [
        (1, "+79990000001"), (1, "+79990000002"), (3, "8 999 000-00-03"),
        (4, "nonsense"),
    ]  # fmt: skip
    parsed = parse_extra_numbers(text)
    assert [n.line for n in parsed.valid] == [1, 1, 3]
    assert [line for line, _raw, _why in parsed.invalid] == [4]
    form = TestSendForm({"phones": text})
    assert form.is_valid()
    assert form.cleaned_data["phones"] == [raw for _line, raw in pasted_items(text)]
