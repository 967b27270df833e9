"""A launch from a preview someone changed since is refused, in the browser: the
manager lands on the composer with who changed it, and the new preview to check."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from contacts.models import Contact, ContactGroup, GroupMembership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def group_of(name: str, phones: list[str]) -> ContactGroup:
    group = ContactGroup.objects.create(name=name)
    contacts = Contact.objects.bulk_create(Contact(phone=p) for p in phones)
    GroupMembership.objects.bulk_create(
        GroupMembership(contact=c, group=group) for c in contacts
    )
    return group


def test_a_launch_after_someone_changed_the_draft_is_refused(
    admin_page, gateway_account, browser_problems
):
    page = admin_page
    two = group_of("Two", ["+79120003001", "+79120003002"])
    three = group_of("Three", ["+79120003003", "+79120003004", "+79120003005"])
    campaign = Campaign.objects.create(
        name="Sale A", account=gateway_account, sender="SMSPORTAL",
        text="Sale 10% today", respect_quiet_hours=False,
    )  # fmt: skip
    campaign.include_groups.set([two])
    page.goto(f"/campaigns/{campaign.pk}/edit/")
    preview = page.locator("#campaign-preview [data-campaign-preview]")
    expect(preview.locator("[data-preview=total]")).to_have_text("2")

    # Someone else saves a new text and more groups while the preview is shown.
    campaign.text = "Sale 90% today"
    campaign.save()
    campaign.include_groups.set([two, three])
    page.locator("[data-action=launch]").click()  # confirm() is accepted

    expect(page).to_have_url(re.compile(rf"/campaigns/{campaign.pk}/edit/$"))
    expect(page.get_by_text("Nothing was launched")).to_be_visible()
    expect(preview.locator("[data-preview=total]")).to_have_text("5")
    expect(preview.locator("[data-preview=samples]")).to_contain_text("Sale 90%")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    browser_problems.assert_none("on the refused launch")
