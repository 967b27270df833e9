"""The composer preselects an account that works; failing ones stay, labelled."""

import re

import pytest

from django.urls import reverse

from providers.models import ProviderAccount

pytestmark = pytest.mark.django_db


def make_account(name: str, **fields) -> ProviderAccount:
    return ProviderAccount.objects.create(
        name=name, kind="websms", base_url="http://127.0.0.1:9/x",
        default_sender="SHOP", **fields,
    )  # fmt: skip


def selected_account(html: str) -> str:
    select = html.split('name="account"', 1)[1].split("</select>", 1)[0]
    return re.search(r"<option value=\"\d+\" selected>([^<]*)<", select)[1]


def test_a_new_campaign_preselects_a_working_account(manager_client):
    make_account("Bad SMSC", last_error="Authentication failed: wrong password")
    make_account("Good WEBSMS")

    html = manager_client.get(
        reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert selected_account(html) == "Good WEBSMS"
    assert "Bad SMSC — authentication failed" in html  # still offered, labelled


def test_with_every_account_failing_the_first_is_preselected(manager_client):
    make_account("Bad one", last_error="Authentication failed: wrong password")
    make_account("Bad two", last_error="The gateway could not be reached: no route")

    html = manager_client.get(
        reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert selected_account(html) == "Bad one — authentication failed"


def test_a_saved_draft_keeps_its_own_account(manager_client, make_campaign):
    bad = make_account("Bad SMSC", last_error="Authentication failed: wrong password")
    make_account("Good WEBSMS")
    draft = make_campaign(account=bad, sender="SHOP")

    html = manager_client.get(
        reverse("campaigns:edit", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert selected_account(html) == "Bad SMSC — authentication failed"


@pytest.mark.parametrize(
    "url", ["campaigns:edit", "admin:campaigns_campaign_change"]
)  # fmt: skip
def test_a_draft_on_a_deactivated_account_keeps_it_chosen(
    admin_client, make_campaign, url
):
    """The account was left out of the select, whose first active account the browser
    showed chosen: saving the draft for a changed word moved it to that account."""
    make_account("Another")
    old = make_account("Old SMSC")
    draft = make_campaign(account=old, sender="SHOP")
    ProviderAccount.objects.filter(pk=old.pk).update(is_active=False)

    html = admin_client.get(
        reverse(url, args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert selected_account(html) == "Old SMSC (inactive)"


def test_a_greeting_on_a_deactivated_account_keeps_it_chosen(admin_client):
    from campaigns.models import BirthdayGreeting

    make_account("Another")
    old = make_account("Old SMSC", is_active=False)
    greeting = BirthdayGreeting.objects.create(
        name="ДР", account=old, sender="SHOP", text="С днём рождения!",
        to_whole_book=True,
    )  # fmt: skip

    html = admin_client.get(
        reverse("campaigns:greeting_edit", args=[greeting.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    assert selected_account(html) == "Old SMSC (inactive)"


def test_a_new_campaign_offers_no_inactive_account(manager_client):
    make_account("Old SMSC", is_active=False)
    make_account("Good WEBSMS")

    html = manager_client.get(
        reverse("campaigns:create"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Old SMSC" not in html
