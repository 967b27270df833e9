"""Every page a signed-in user can reach by following links, and each of them with a
nonsense page, page size and sort order in its address, answers without a server
error. A crawl found a few that did not (a page size of -5, a page past what
PostgreSQL can offset); this keeps it so."""

from collections import deque
from urllib.parse import urlsplit

import pytest
from lxml import html

from django.contrib.auth import get_user_model

from accounts.models import AuditEvent
from campaigns.models import Campaign, Reply
from contacts.models import (
    Contact,
    ContactGroup,
    CustomField,
    ImportJob,
    StopListEntry,
)
from providers.base import DeliveryStatus
from providers.models import ProviderAccount
from tests.campaigns.conftest import add_messages

pytestmark = pytest.mark.django_db

# Leaving, switching language, static files and downloads say nothing about pages.
SKIPPED = ("/logout", "/i18n/", "/static/", "/favicon", "/api/v1/docs")
NONSENSE = ("page=abc", "page=-3", "per_page=-5", "sort=no_such_column")
MAX_PAGES = 400


@pytest.fixture
def everything():
    """One of each thing a page lists, so each page has a row to render."""
    account = ProviderAccount.objects.create(
        name="Crawl", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="crawl", password="crawl-pass", default_sender="SMSPORTAL",
    )  # fmt: skip
    group = ContactGroup.objects.create(name="Crawl group")
    contact = Contact.objects.create(phone="+79120000001", first_name="Анна")
    contact.groups.add(group)
    StopListEntry.objects.create(phone="+79120000002", reason="crawl")
    CustomField.objects.create(key="city", label="Город")
    ImportJob.objects.create(original_name="book.csv", status=ImportJob.Status.DONE)
    campaign = Campaign.objects.create(
        name="Crawl campaign", account=account, text="Hi {first_name}",
        state=Campaign.State.COMPLETED,
    )  # fmt: skip
    add_messages(campaign, [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
    Campaign.objects.create(name="Crawl draft", account=account, text="Hi")
    Reply.objects.create(
        account=account, phone="+79120000001", text="СТОП", contact=contact,
        campaign=campaign, is_opt_out=True,
    )  # fmt: skip
    AuditEvent.objects.create(action="login", actor_name="crawler")


def links(page: bytes) -> list[str]:
    tree = html.fromstring(page)
    found = tree.xpath("//a/@href | //@hx-get")
    return [link.split("#")[0] for link in found if link.startswith("/")]


@pytest.mark.parametrize(
    ("role", "least_pages"),
    [("superuser", 60), ("manager_user", 30), ("viewer_user", 20)],
)
def test_no_page_a_link_reaches_answers_with_a_server_error(
    request, client, everything, role, least_pages
):
    # Each role sees other buttons and links: a viewer's pages render other branches.
    client.raise_request_exception = False
    if role == "superuser":
        user = get_user_model().objects.create_superuser("crawler", password="x-Pass-1")
    else:
        user = request.getfixturevalue(role)
    client.force_login(user)
    seen: set[str] = set()
    queue = deque(["/"])
    failures = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or url.startswith(SKIPPED) or "export" in url:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        queue.extend(links(response.content))
        path = urlsplit(url).path
        for nonsense in NONSENSE:
            queue.append(f"{path}?{nonsense}")
    assert len(seen) > least_pages, "the crawl reached fewer pages than there are"
    assert failures == []
