"""Every table page takes whatever "page" and "per_page" a URL carries: a typed or
stale link shows a page, never an error."""

import pytest

from django.urls import reverse

from contacts.models import Contact, ContactGroup, StopListEntry
from smsportal.tables import MAX_PER_PAGE

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "contacts:list",  # LazyPaginator: no count, so the offset reached PostgreSQL
    "contacts:group_list",
    "contacts:stoplist",
    "campaigns:list",
    "reports:inbox",  # LazyPaginator
    "providers:list",
    "accounts:audit_log",
]


@pytest.fixture
def book():
    Contact.objects.bulk_create(
        Contact(phone=f"+7912000{i:04d}") for i in range(MAX_PER_PAGE + 5)
    )
    ContactGroup.objects.create(name="VIP")
    StopListEntry.objects.create(phone="+79120000000")


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "-5"},
        {"per_page": "0"},
        {"per_page": "99999999999999999999"},
        {"page": "99999999999999999999"},
        {"page": "-3"},
        {"page": "abc", "per_page": "abc"},
    ],
)
def test_any_page_and_page_size_in_the_url_shows_a_page(
    admin_client, book, name, params
):
    response = admin_client.get(reverse(name), params)
    assert response.status_code == 200


def test_the_page_size_a_url_asks_for_is_capped(admin_client, book):
    response = admin_client.get(reverse("contacts:list"), {"per_page": "100000"})
    assert len(response.context["table"].page.object_list) == MAX_PER_PAGE
    response = admin_client.get(reverse("contacts:list"), {"per_page": "7"})
    assert len(response.context["table"].page.object_list) == 7


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_page_past_the_end_shows_the_last_page_and_says_so(admin_client, book, name):
    """ "page=1998" of 1,997 pages showed page 1 on the lists that count no rows
    (LazyPaginator), under a URL still saying 1998."""
    response = admin_client.get(
        reverse(name), {"page": "1998", "per_page": "50"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    shown = response.context["table"].page
    expected = 5 if name == "contacts:list" else 1  # 205 contacts; one row elsewhere
    assert shown.number == expected
    assert (
        f"There is no page 1998: this is the last page, {expected}."
        in response.content.decode()
    )


def test_a_page_within_the_list_has_no_notice(admin_client, book):
    response = admin_client.get(reverse("contacts:list"), {"page": "5"})
    assert response.context["table"].page.number == 5
    assert response.context["table"].page_past_end is None
    page = response.content.decode()
    # (The session notices' hidden <template> holds an alert of the same class.)
    assert (
        'class="alert alert-info" role="status">' not in page.split("</template>")[-1]
    )
