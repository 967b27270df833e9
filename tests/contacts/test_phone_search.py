"""One reading of a typed phone for every search: contact book, stop list, admin,
message table, inbox."""

import pytest

from django.db.models import Q
from django.urls import reverse

from accounts.models import AuditEvent
from contacts.filters import search_contacts
from contacts.models import Contact, StopListEntry
from contacts.phone import normalize_phone
from contacts.phone_search import looks_like_phone, phone_query
from contacts.selectors import stoplist_list
from tests.contacts.conftest import make_contact, stop

pytestmark = pytest.mark.django_db

IVAN = "+79123456789"
ANNA = "+79031112233"
# Holds "8912" in the middle, so a fragment "8 912" must still find it.
OTHER = "+74958912000"


@pytest.mark.parametrize(
    "text",
    ["+7 (912) 345-67-89", "8 912 345", "912", "7-912", "+375 29 123", " 912 "],
)
def test_numbers_written_any_way_look_like_phones(text):
    assert looks_like_phone(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "Иванов", "ivan@mail.ru", "user1", "№ 5", "+-()"]
)
def test_words_do_not_look_like_phones(text):
    assert not looks_like_phone(text)


@pytest.fixture
def book():
    make_contact(IVAN, first_name="Иван", last_name="Иванов")
    make_contact(ANNA, first_name="Анна", email="anna1@mail.ru")
    make_contact(OTHER, last_name="Петров")


def found(text: str) -> set[str]:
    return set(
        search_contacts(Contact.objects.all(), text).values_list("phone", flat=True)
    )


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        # Whole numbers, as people write them: exactly that contact.
        ("+7 (912) 345-67-89", {IVAN}),
        ("8 (912) 345-67-89", {IVAN}),
        ("89123456789", {IVAN}),
        ("9123456789", {IVAN}),
        # Fragments: anywhere in the number; the trunk 8 also stands for +7.
        ("912", {IVAN, OTHER}),
        ("8 912", {IVAN, OTHER}),
        ("8 912 345", {IVAN}),
        ("+7 903", {ANNA}),
        ("+7 495", {OTHER}),
        ("+7 9", {IVAN, ANNA}),
        ("+912", set()),  # from the "+" on: no number begins +912
        ("11-22", {ANNA}),
        # Other text: names and e-mail, every word.
        ("иванов", {IVAN}),
        ("иван иванов", {IVAN}),
        ("anna1", {ANNA}),
        ("петров иван", set()),
    ],
)
def test_contact_search(book, text, phones):
    assert found(text) == phones


# Written as the contact form takes them: dashes and spaces from a document or a
# messenger (en dash, non-breaking hyphen, minus sign, non-breaking space),
# brackets of either kind.
COPIED = [
    "8 912 345\u201367\u201389",
    "+7 912 345\u201467\u201489",
    "8\u00a0912\u00a0345\u201167\u201189",
    "+7 912 345\u221267\u221289",
    "+7 [912] 345-67-89",
]


@pytest.mark.parametrize("text", COPIED)
def test_a_number_the_contact_form_takes_is_found_written_the_same_way(book, text):
    assert normalize_phone(text).e164 == IVAN  # what the form saves
    assert found(text) == {IVAN}
    stop(IVAN)
    assert set(stoplist_list(search=text).values_list("phone", flat=True)) == {IVAN}


# Copied with its label, as a signature or a card writes a number.
LABELLED = ["тел. 8 912 345-67-89", "Тел.: +7 912 345 67 89", "моб. 89123456789",
            "tel: +79123456789", "Телефон 8 (912) 345-67-89", "т. 8 912 345"]  # fmt: skip


@pytest.mark.parametrize("text", LABELLED)
def test_a_number_copied_with_its_label_is_found(book, text):
    assert looks_like_phone(text)
    assert found(text) == {IVAN}
    stop(IVAN)
    assert set(stoplist_list(search=text).values_list("phone", flat=True)) == {IVAN}


@pytest.mark.parametrize("text", ["тел", "телефон Иванова", "тел. Иванов", "моб"])
def test_a_label_without_a_number_is_words(text):
    assert not looks_like_phone(text)


def test_a_fragment_with_such_dashes_is_a_fragment(book):
    assert found("345\u201367") == {IVAN}
    assert found("8\u00a0912\u00a0345") == {IVAN}


def test_a_fragment_with_a_leading_8_is_also_read_as_that_digit(book):
    # "8912" is in OTHER's digits as typed; the trunk reading adds IVAN.
    assert found("8912") == {IVAN, OTHER}
    assert found("8912000") == {OTHER}


def test_text_without_digits_puts_no_condition_on_the_phone():
    # The inbox ORs this with a search of the reply's text.
    assert phone_query("Стоп") == Q()
    assert phone_query("8 912") != Q()


def test_stop_list_search_reads_phones_the_same_way():
    stop(IVAN)
    StopListEntry.objects.create(phone=ANNA, reason="жалоба 8 марта")

    def phones(text: str) -> set[str]:
        return set(stoplist_list(search=text).values_list("phone", flat=True))

    assert phones("8 (912) 345-67-89") == {IVAN}
    assert phones("8 912 345") == {IVAN}
    assert phones("жалоба") == {ANNA}
    assert phones("8 марта") == {ANNA}  # words: the reason, not a phone


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="x-Pass-1")
    client.force_login(user)
    return client


def changelist_phones(client, model: str, text: str) -> set[str]:
    response = client.get(reverse(f"admin:contacts_{model}_changelist"), {"q": text})
    assert response.status_code == 200
    return {row.phone for row in response.context["cl"].result_list}


def test_admin_contact_search_is_the_contact_page_search(superuser_client, book):
    # Django's own search looked for "8", "(912)" and "345-67-89" each in every field.
    assert changelist_phones(superuser_client, "contact", "8 (912) 345-67-89") == {IVAN}
    assert changelist_phones(superuser_client, "contact", "8 912") == {IVAN, OTHER}
    assert changelist_phones(superuser_client, "contact", "анна") == {ANNA}
    assert changelist_phones(superuser_client, "contact", "") == {IVAN, ANNA, OTHER}


def test_admin_stop_list_search_and_removal(superuser_client):
    for phone in (IVAN, ANNA, OTHER):
        stop(phone)
    assert changelist_phones(superuser_client, "stoplistentry", "8 912 345") == {IVAN}
    chosen = StopListEntry.objects.filter(phone__in=[IVAN, ANNA])
    response = superuser_client.post(
        reverse("admin:contacts_stoplistentry_changelist"),
        {
            "action": "remove_from_stoplist",
            "_selected_action": [entry.pk for entry in chosen],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert set(StopListEntry.objects.values_list("phone", flat=True)) == {OTHER}
    assert str(list(response.context["messages"])[0]).startswith("2 ")
    # Each number taken off is in the audit log, as when taken off one at a time.
    removed = AuditEvent.objects.filter(action="unstop_listed")
    assert set(removed.values_list("object_repr", flat=True)) == {IVAN, ANNA}
