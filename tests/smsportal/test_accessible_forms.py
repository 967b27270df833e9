"""What a screen reader is pointed at is there: every aria-describedby names an element
of the page (Django gives a field with help text aria-describedby="id_x_helptext", and
one with errors "id_x_error"), every label's `for` names a control, the date ranges of
the filter bars are labelled as a pair, and each contact's checkbox says whose it is."""

from collections import deque
from urllib.parse import urlsplit

import pytest
from lxml import html

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact, ContactGroup, ImportJob
from providers.models import ProviderAccount
from tests.smsportal.test_page_crawl import SKIPPED, everything, links

pytestmark = pytest.mark.django_db

__all__ = ["everything"]  # the crawl's fixture: one of each thing a page lists

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def dangling(page: bytes) -> list[str]:
    """The references of a page that point nowhere."""
    tree = html.fromstring(page)
    ids = set(tree.xpath("//@id"))
    found = []
    for element in tree.xpath("//*[@aria-describedby]"):
        for ref in element.get("aria-describedby").split():
            if ref not in ids:
                found.append(f'aria-describedby="{ref}"')
    for label in tree.xpath("//label[@for]"):
        if label.get("for") not in ids:
            found.append(f'<label for="{label.get("for")}">{label.text_content()}')
    return found


def test_no_dashboard_page_points_a_screen_reader_nowhere(client, everything):
    client.force_login(
        get_user_model().objects.create_superuser("reader", password="x-Pass-1")
    )
    seen: set[str] = set()
    queue = deque(["/"])
    problems = {}
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or url.startswith((*SKIPPED, "/admin/")) or "export" in path:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        if found := dangling(response.content):
            problems[path] = found
        queue.extend(links(response.content))
    assert len(seen) > 40, "the crawl reached fewer pages than there are"
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_forms_with_errors_point_at_their_help_and_errors(manager_client, admin_client):
    """A refused form keeps its references: help text and errors both have ids."""
    account = ProviderAccount.objects.create(
        name="A", kind="smsc", base_url="http://127.0.0.1:9/smsc"
    )
    refused = {
        "password": admin_client.post(
            reverse("accounts:password_change"),
            {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
        ),
        "contact": manager_client.post(reverse("contacts:create"), {"phone": "123"}),
        "campaign": manager_client.post(
            reverse("campaigns:create"), {"name": "", "account": account.pk}
        ),
        "account": admin_client.post(
            reverse("providers:account_create"), {"name": "", "kind": "smsc"}
        ),
        "stop list": manager_client.post(
            reverse("contacts:stoplist"), {"phone": "123", "reason": ""}
        ),
        "token": manager_client.post(reverse("accounts:profile"), {"name": "т" * 300}),
        "filter": manager_client.get(
            reverse("contacts:list"),
            {"created_min": "2026-02-01", "created_max": "2026-01-01"},
        ),
    }
    pages = {name: response.content for name, response in refused.items()}

    for name, page in pages.items():
        assert b'aria-invalid="true"' in page, name  # each really has an error
        # The title says so first: a screen reader reads it before anything else.
        title = html.fromstring(page).findtext(".//title")
        assert title.startswith(("Error: ", "Ошибка: ")), (name, title)
    assert b'id="id_phone_error"' in pages["contact"]
    assert b'aria-describedby="id_phone_error"' in pages["stop list"]
    assert b'aria-describedby="id_name_error"' in pages["token"]
    assert b'aria-describedby="id_new_password1_helptext' in pages["password"]
    assert {name: dangling(page) for name, page in pages.items()} == {
        name: [] for name in pages
    }


def test_a_page_without_errors_has_its_title_alone(manager_client):
    for url in (reverse("contacts:create"), reverse("contacts:list")):
        page = manager_client.get(url, **EN).content
        title = html.fromstring(page).findtext(".//title")
        assert not title.startswith(("Error", "Ошибка")), title


def test_the_import_settings_point_at_their_help(manager_client):
    ContactGroup.objects.create(name="VIP")
    upload = SimpleUploadedFile("book.csv", b"phone\n+79120000001\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    page = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    tree = html.fromstring(page.content)
    # The groups' checkboxes are one fieldset, named by its legend and its help.
    (groups,) = tree.xpath('//fieldset[.//input[@name="groups"]]')
    assert groups.get("aria-describedby") == "id_groups_helptext"
    assert tree.xpath('//*[@id="id_update_helptext"]')
    assert dangling(page.content) == []


@pytest.mark.parametrize(
    ("url_name", "field", "label"),
    [("contacts:list", "created", "Created"), ("accounts:audit_log", "at", "Date")],
)
def test_a_date_range_is_one_labelled_pair(admin_client, url_name, field, label):
    page = html.fromstring(admin_client.get(reverse(url_name), **EN).content)

    (fieldset,) = page.xpath(f'//fieldset[.//input[@id="id_{field}_0"]]')
    assert fieldset.xpath("string(legend)").strip() == label
    first, last = fieldset.xpath(".//input")
    assert (first.get("aria-label"), last.get("aria-label")) == ("from", "until")
    assert page.xpath('//label[@for=""]') == []


def test_each_contact_checkbox_names_its_contact(manager_client):
    Contact.objects.create(phone="+79120000001", first_name="Анна")
    Contact.objects.create(phone="+79120000002")
    page = html.fromstring(manager_client.get(reverse("contacts:list"), **EN).content)

    rows = page.xpath('//input[contains(@class, "js-select-row")]/@aria-label')
    (select_all,) = page.xpath('//input[contains(@class, "js-select-all")]')
    assert sorted(rows) == ["Select +79120000001", "Select +79120000002"]
    assert select_all.get("aria-label") == "Select all contacts on this page"
