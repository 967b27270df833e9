"""A session that ends under an open page loses nothing and draws no login page in a
fragment: the composer's preview and polled blocks stop with one banner, the form sent
goes to a login page that says why, and after signing in the text is back."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from contacts.models import Contact, ContactGroup, GroupMembership
from providers.models import ProviderAccount
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "Срочная акция"
TEXT = "Очень длинный текст, который я набирал 20 минут"
DRAFTS = "Object.keys(localStorage).filter(k => k.startsWith('smsportal:draft:'))"


@pytest.fixture
def account(transactional_db) -> ProviderAccount:
    return ProviderAccount.objects.create(
        name="Webcom e2e", kind="webcom", base_url="http://127.0.0.1:9/webcom",
        login="e2e", password="e2e", default_sender="SMSPORTAL", tariff="2.50",
    )  # fmt: skip


@pytest.fixture
def audience(transactional_db) -> ContactGroup:
    group = ContactGroup.objects.create(name="E2E session")
    contact = Contact.objects.create(phone="+79120004001", first_name="Анна")
    GroupMembership.objects.create(contact=contact, group=group)
    return group


def _compose(page) -> None:
    page.goto("/campaigns/new/")
    page.fill("#id_name", NAME)
    page.select_option("#id_account", label="Webcom e2e")
    page.select_option("#id_include_groups", label="E2E session")
    page.fill("#id_text", TEXT)
    live = page.locator("#campaign-preview [data-preview-live]")
    expect(live.locator("[data-preview=total]")).to_have_text("1")


def _log_out_in_another_page(context) -> None:
    other = context.new_page()
    other.goto("/")
    other.locator("#main-nav .dropdown-toggle").click()
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url(re.compile(r"/login/"))
    other.close()


def _sign_in_here(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def _problems_but_the_expected_401(browser_problems) -> list[str]:
    """Chromium logs every 401 answer as a console error: those are the point here."""
    return [
        p for p in browser_problems.take() if "status of 401 (Unauthorized)" not in p
    ]


def test_composer_text_survives_a_logout_in_another_tab(
    admin_page, context, e2e_admin, account, audience, browser_problems, shoot
):
    page = admin_page
    _compose(page)
    _log_out_in_another_page(context)

    # Typing on: the preview's request finds the session gone.
    page.fill("#id_text", TEXT + "!!")
    banner = page.locator("[data-session-ended-alert]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Your session has ended")
    assert page.locator("#campaign-preview #id_username").count() == 0
    assert page.locator("#campaign-preview nav").count() == 0
    assert page.locator("#campaign-preview [data-load-failed]").count() == 0
    page.fill("#id_text", TEXT + "!!!")
    page.wait_for_timeout(1000)  # the preview's delay and its answer
    assert page.locator("[data-session-ended-alert]").count() == 1
    shoot(page, "session-ended-banner")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/login/\?"))
    assert "session=ended" in page.url
    expect(page.locator("[data-session-ended]")).to_contain_text(
        "Your session has ended; sign in to continue"
    )
    _sign_in_here(page, e2e_admin.username)

    assert page.url.endswith("/campaigns/new/")
    notice = page.locator("[data-draft-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("What you typed here and had not saved is back")
    expect(page.locator("#id_name")).to_have_value(NAME)
    expect(page.locator("#id_text")).to_have_value(TEXT + "!!!")
    expect(page.locator("#id_account")).to_have_value(str(account.pk))
    expect(page.locator("#id_include_groups option:checked")).to_have_text(
        "E2E session"
    )
    live = page.locator("#campaign-preview [data-preview-live]")
    expect(live.locator("[data-preview=total]")).to_have_text("1")
    assert not Campaign.objects.exists()
    shoot(page, "session-draft-restored")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/"))
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.text) == (NAME, TEXT + "!!!")
    assert page.evaluate(DRAFTS) == []  # saved: the draft is gone
    page.goto("/campaigns/new/")
    expect(page.locator("#id_name")).to_have_value("")
    assert page.locator("[data-draft-notice]").count() == 0
    assert _problems_but_the_expected_401(browser_problems) == []


def test_signed_in_again_elsewhere_the_open_form_still_saves(
    admin_page, context, e2e_admin, account, audience, browser_problems
):
    """Signing in gives a new security token; the page open from before sends it."""
    page = admin_page
    _compose(page)
    _log_out_in_another_page(context)
    other = context.new_page()
    other.goto("/login/")
    _sign_in_here(other, e2e_admin.username)
    other.close()

    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url(re.compile(r"/campaigns/\d+/"))
    assert Campaign.objects.get().name == NAME
    assert _problems_but_the_expected_401(browser_problems) == []


def test_a_draft_left_behind_comes_back_and_can_be_discarded(
    admin_page, account, audience
):
    page = admin_page
    _compose(page)
    page.goto("/")  # away without saving
    page.goto("/campaigns/new/")
    expect(page.locator("#id_text")).to_have_value(TEXT)

    page.locator("[data-draft-discard]").click()

    expect(page.locator("#id_text")).to_have_value("")
    expect(page.locator("#id_name")).to_have_value("")
    assert page.locator("[data-draft-notice]").count() == 0
    assert page.evaluate(DRAFTS) == []
    page.reload()
    expect(page.locator("#id_name")).to_have_value("")


def test_logging_out_removes_this_browsers_drafts(admin_page, account, audience):
    """A shared machine: the next person must not find the contact data typed."""
    page = admin_page
    _compose(page)
    assert len(page.evaluate(DRAFTS)) == 1

    page.locator("#main-nav .dropdown-toggle").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))

    assert page.evaluate(DRAFTS) == []


@pytest.fixture
def sending_campaign(account) -> Campaign:
    """Stuck in "sending" (no worker runs): the dashboard polls it every 2 s."""
    return Campaign.objects.create(
        name="Распродажа", account=account, sender="SMSPORTAL", text="Hi",
        state=Campaign.State.SENDING, price_per_segment=Decimal("2.50"),
    )  # fmt: skip


def test_polled_block_stops_at_the_first_401_and_keeps_what_it_showed(
    admin_page, context, sending_campaign, browser_problems
):
    page = admin_page
    polls = []
    page.on(
        "request",
        lambda request: polls.append(request) if "/in-flight/" in request.url else None,
    )
    page.goto("/")
    block = page.locator("#in-flight")
    expect(block).to_contain_text("Распродажа")
    with page.expect_response(lambda r: "/in-flight/" in r.url):
        pass  # polling runs
    _log_out_in_another_page(context)

    expect(page.locator("[data-session-ended-alert]")).to_be_visible(timeout=6000)
    asked = len(polls)
    page.wait_for_timeout(5000)  # two more polling periods

    assert len(polls) == asked
    expect(block).to_contain_text("Распродажа")
    assert page.locator("#in-flight #id_username").count() == 0
    assert _problems_but_the_expected_401(browser_problems) == []
