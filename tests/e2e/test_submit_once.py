"""A double click on a campaign's buttons acts once: the second click used to send a
second request before the first page came back (a second copy, a second draft, or
"already cancelled" shown for a cancel that had worked)."""

import contextlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from django.utils import timezone

from campaigns.models import Campaign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class HeldPosts:
    """POSTs to one path, held unanswered until released: the page stays where the
    first click left it, as on a slow connection, while the second click comes."""

    def __init__(self, page, path: str):
        self.held = []
        page.route(
            re.compile(rf"{re.escape(path)}$"),
            lambda route: (
                self.held.append(route)
                if route.request.method == "POST"
                else route.continue_()
            ),
        )

    def count(self, page) -> int:
        """How many the browser sent: the first, awaited, and any second, given the
        time a second click's request takes to show (an absence has no event)."""
        for _ in range(100):
            if self.held:
                break
            page.wait_for_timeout(50)
        page.wait_for_timeout(500)
        return len(self.held)

    def release(self) -> None:
        for route in self.held:
            # One the browser gave up on (a second click's first) is gone.
            with contextlib.suppress(Exception):
                route.continue_()


def double_click(page, button) -> None:
    """Two clicks, the second after the first request has left (the mouse's own:
    a locator's click waits for the first navigation to finish)."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(150)  # a person's double click, not a wait for a result
    page.mouse.click(x, y)


def test_a_double_click_on_copy_makes_one_copy(admin_page, gateway_account):
    page = admin_page
    campaign = Campaign.objects.create(
        name="Sale", account=gateway_account, sender="SMSPORTAL", text="Sale today",
        extra_numbers="+79120004001",
    )  # fmt: skip
    page.goto(f"/campaigns/{campaign.pk}/")
    posts = HeldPosts(page, f"/campaigns/{campaign.pk}/copy/")

    double_click(page, page.locator("[data-action=copy]"))

    assert posts.count(page) == 1
    posts.release()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+/edit/$"))
    assert Campaign.objects.filter(name__startswith="Sale (").count() == 1


def test_a_double_click_on_save_makes_one_draft(admin_page, gateway_account):
    page = admin_page
    page.goto("/campaigns/new/")
    page.fill("#id_name", "Twice")
    page.fill("#id_text", "Hello")
    page.fill("#id_extra_numbers", "+79120004002")
    posts = HeldPosts(page, "/campaigns/new/")

    double_click(page, page.locator("main form button[type=submit]").first)

    assert posts.count(page) == 1
    posts.release()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+/edit/$"))
    assert Campaign.objects.filter(name="Twice").count() == 1


def test_a_double_click_on_cancel_says_cancelled(admin_page, gateway_account):
    """The second click asks nothing more and sends nothing: the page says the
    campaign was cancelled, not that it already was."""
    page = admin_page
    campaign = Campaign.objects.create(
        name="Later", account=gateway_account, sender="SMSPORTAL", text="Soon",
        extra_numbers="+79120004003", state=Campaign.State.SCHEDULED,
        start_at=timezone.now() + timedelta(days=1), launched_at=timezone.now(),
    )  # fmt: skip
    page.goto(f"/campaigns/{campaign.pk}/")
    posts = HeldPosts(page, f"/campaigns/{campaign.pk}/cancel/")
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))

    double_click(page, page.locator("[data-action=cancel]"))

    assert posts.count(page) == 1
    assert len(questions) == 1
    posts.release()
    expect(page.locator(".alert-success")).to_contain_text("Campaign cancelled")
    expect(page.locator(".alert-danger")).to_have_count(0)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
