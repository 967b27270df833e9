"""The admin's contact list reads a search once and counts it no further than it
pages (contacts.admin_paging): Django's list counted the search over the whole book
and then read the page, 2 to 2.5 s at a million contacts."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.admin import ContactAdmin
from contacts.admin_paging import FirstRowsPaginator
from contacts.models import Contact, StopListEntry

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:contacts_contact_changelist"


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="x-Pass-1")
    client.force_login(user)
    return client


def book(count: int, last_name: str = "Ёлкин") -> list[Contact]:
    return [
        Contact.objects.create(phone=f"+7912000{n:04d}", last_name=last_name)
        for n in range(count)
    ]


def contact_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if '"contacts_contact"' in q["sql"]]


def searched(statements: list[str]) -> list[str]:
    """The statements that ran the word search over the book (not by ids)."""
    return [s for s in statements if "LIKE" in s and '"id" IN (' not in s]


def test_a_search_is_read_once_and_not_counted(superuser_client):
    found = book(3)
    other = Contact.objects.create(phone="+79990000000", last_name="Орлов")

    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(
            reverse(CHANGELIST), {"q": "елкин"}, HTTP_ACCEPT_LANGUAGE="en"
        )

    statements = contact_statements(queries)
    changelist = response.context["cl"]
    assert [c.pk for c in changelist.result_list] == [c.pk for c in reversed(found)]
    assert changelist.result_count == 3
    assert other.phone not in response.content.decode()
    assert not [s for s in statements if "COUNT(" in s]
    assert len(searched(statements)) == 1


def test_pages_are_read_by_the_ids_of_the_one_read(superuser_client, monkeypatch):
    monkeypatch.setattr(ContactAdmin, "list_per_page", 2)
    found = list(reversed(book(5)))  # the list's order: newest first

    pages = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.get(
                reverse(CHANGELIST), {"q": "елкин", "p": number}
            )
        pages.append([c.pk for c in response.context["cl"].result_list])
        assert len(searched(contact_statements(queries))) == 1
        assert response.context["cl"].result_count == 5

    assert pages == [[c.pk for c in found[i : i + 2]] for i in (0, 2, 4)]


def test_above_the_cap_the_list_says_more_than_and_pages_up_to_it(
    superuser_client, monkeypatch
):
    monkeypatch.setattr(FirstRowsPaginator, "cap", 4)
    monkeypatch.setattr(ContactAdmin, "list_per_page", 2)
    found = list(reversed(book(7)))

    response = superuser_client.get(
        reverse(CHANGELIST), {"q": "елкин"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    last = superuser_client.get(reverse(CHANGELIST), {"q": "елкин", "p": 2})
    beyond = superuser_client.get(reverse(CHANGELIST), {"q": "елкин", "p": 3})

    page = response.content.decode()
    changelist = response.context["cl"]
    assert changelist.count_capped
    assert "<span data-result-count>Contacts: more than 4</span>" in page
    assert "more than 4 results" in page
    # Selecting across the pages takes every contact found, not 4.
    assert "Select all contacts found (more than 4)" in page
    assert response.context["selection_note_all"] == (
        "All contacts found selected (more than 4)"
    )
    assert [c.pk for c in last.context["cl"].result_list] == [c.pk for c in found[2:4]]
    assert beyond.status_code == 302  # Django's "invalid page" (?e=1)


def test_a_list_below_the_cap_is_counted_exactly(superuser_client):
    book(2)

    response = superuser_client.get(reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert not response.context["cl"].count_capped
    assert "<span data-result-count>Contacts: 2</span>" in page
    assert "more than" not in page


def test_selecting_across_a_capped_search_acts_on_every_contact_found(
    superuser_client, monkeypatch
):
    monkeypatch.setattr(FirstRowsPaginator, "cap", 2)
    book(5)
    Contact.objects.create(phone="+79990000000", last_name="Орлов")

    response = superuser_client.post(
        reverse(CHANGELIST) + "?q=елкин",
        {"action": "opt_out", "select_across": "1", "index": "0",
         "_selected_action": [Contact.objects.first().pk]},
    )  # fmt: skip

    assert response.status_code == 302
    assert StopListEntry.objects.count() == 5
