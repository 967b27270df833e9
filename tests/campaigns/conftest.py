from decimal import Decimal

import pytest

from django.utils import timezone

from campaigns.models import Campaign, Message
from contacts.models import Contact, ContactGroup, GroupMembership
from providers.models import ProviderAccount


def add_messages(
    campaign, statuses, *, phone_prefix="+7913", **fields
) -> list[Message]:
    """Messages of `campaign` with these statuses, planned now; a second call for the
    same campaign takes another `phone_prefix` (a phone appears once per campaign)."""
    now = timezone.now()
    return Message.objects.bulk_create(
        Message(
            campaign=campaign,
            account=campaign.account,
            phone=f"{phone_prefix}{i:07d}",
            text="Hi",
            channel="sms",
            planned_at=now,
            status=status,
            **fields,
        )
        for i, status in enumerate(statuses)
    )


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(
        name="Webcom test",
        kind="webcom",
        base_url="http://127.0.0.1:9/webcom",
        login="campaign-login",
        password="campaign-pass",
        default_sender="SMSPORTAL",
        tariff=Decimal("2.50"),
    )


@pytest.fixture
def smsc_account(db):
    """An SMSC account whose callbacks are signed with the secret set for it."""
    return ProviderAccount.objects.create(
        name="SMSC callbacks", kind="smsc", base_url="http://127.0.0.1:9/smsc",
        login="u", password="p", callback_secret="first-secret",
    )  # fmt: skip


@pytest.fixture
def websms(db):
    """A WEBSMS account no request reaches (forms, previews, the API's checks)."""
    return ProviderAccount.objects.create(
        name="WEBSMS", kind="websms", base_url="http://127.0.0.1:9/x",
        default_sender="SHOP",
    )  # fmt: skip


@pytest.fixture
def make_group(db):
    def make(name: str, phones_and_names: list[tuple[str, str, str]] = ()):
        group = ContactGroup.objects.create(name=name)
        contacts = [
            Contact(phone=phone, first_name=first, time_zone=tz)
            for phone, first, tz in phones_and_names
        ]
        created = Contact.objects.bulk_create(contacts)
        GroupMembership.objects.bulk_create(
            [GroupMembership(contact=c, group=group) for c in created]
        )
        return group

    return make


@pytest.fixture
def make_campaign(db, account):
    def make(groups=(), **fields):
        defaults = {
            "name": "Test campaign",
            "account": account,
            "sender": "SMSPORTAL",
            "text": "Hello {first_name}!",
            "respect_quiet_hours": False,
            "price_per_segment": Decimal("2.50"),
        }
        defaults.update(fields)
        campaign = Campaign.objects.create(**defaults)
        campaign.include_groups.set(groups)
        return campaign

    return make


@pytest.fixture
def short_timeout(monkeypatch):
    """The gateway's answer is never waited for long: a hanging answer times out."""
    from providers import http as gateway_http

    monkeypatch.setattr(
        gateway_http, "_shared_client", lambda: gateway_http.build_client(timeout=0.5)
    )
