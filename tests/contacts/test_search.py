"""The contact book's word search: «е» and «ё» are one letter."""

import re

import pytest

from django.urls import reverse

from accounts.services import api_token_create
from contacts.models import StopListEntry
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    return {
        "yolkin": make_contact("+79120000001", last_name="Ёлкин", first_name="Пётр"),
        "eliseev": make_contact(
            "+79120000002", last_name="Елисеев", first_name="Семён", nickname="Сёма"
        ),
        "other": make_contact("+79120000003", last_name="Орлов", email="yo@ёлка.рф"),
    }


SEARCHES = [
    ("елкин", {"yolkin"}),  # е typed for ё
    ("ЕЛКИН", {"yolkin"}),
    ("Ёлкин", {"yolkin"}),
    ("ёлкин", {"yolkin"}),
    ("петр елкин", {"yolkin"}),
    ("Ёлисеев", {"eliseev"}),  # ё typed for е
    ("семен", {"eliseev"}),
    ("СЕМА", {"eliseev"}),
    ("елка", {"other"}),  # e-mail too
    ("ёлкин семён", set()),  # every word, in the same contact
]


def names(book, contacts) -> set[str]:
    by_pk = {contact.pk: name for name, contact in book.items()}
    return {by_pk[contact.pk] for contact in contacts}


@pytest.mark.parametrize(("query", "expected"), SEARCHES)
def test_contact_list_reads_ye_and_yo_as_one_letter(
    manager_client, book, query, expected
):
    response = manager_client.get(reverse("contacts:list"), {"q": query})
    records = [row.record for row in response.context["table"].page.object_list]
    assert names(book, records) == expected


@pytest.mark.parametrize(("query", "expected"), SEARCHES)
def test_api_reads_ye_and_yo_as_one_letter(client, manager_user, book, query, expected):
    _token, raw = api_token_create(user=manager_user, name="test")
    response = client.get(
        "/api/v1/contacts", {"q": query}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    phones = {item["phone"] for item in response.json()["items"]}
    assert phones == {book[name].phone for name in expected}


@pytest.mark.parametrize(("query", "expected"), [("все", 1), ("ВСЁ", 1), ("нет", 0)])
def test_stop_list_reason_search_reads_ye_and_yo_as_one_letter(
    manager_client, query, expected
):
    StopListEntry.objects.create(phone="+79120000009", reason="Всё, хватит")
    response = manager_client.get(reverse("contacts:stoplist"), {"q": query})
    assert len(response.context["table"].page.object_list) == expected


def test_a_common_words_search_is_planned_from_the_books_statistics():
    # Statistics on the searched text (contacts 0016): the planner guessed one match
    # in 10,000 contacts for any word, and read a million-contact book in full for a
    # first name a quarter of it has instead of walking the key to a page's worth.
    from django.db import connection

    from contacts.filters import search_contacts
    from contacts.models import Contact

    Contact.objects.bulk_create(
        Contact(phone=f"+7912{n:07d}", first_name="Иван" if n % 2 else "Пётр")
        for n in range(2_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")

    plan = search_contacts(Contact.objects.all(), "иван").explain()

    estimated = int(re.search(r"rows=(\d+)", plan).group(1))
    assert estimated >= 500, plan  # 1,000 of 2,000 match
