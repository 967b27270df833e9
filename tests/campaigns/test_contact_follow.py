"""Messages waiting to leave follow their contact: a deleted contact's are not sent,
a new number's replace the old one's; and a contact's history is its own."""

import pytest

from django.urls import reverse

from campaigns.dispatch import campaign_pump
from campaigns.expansion import campaign_expand
from campaigns.models import Campaign, Message
from contacts import services as contacts
from contacts.models import Contact
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db

MOSCOW = "Europe/Moscow"


def paused_campaign(simulator, make_group, make_campaign, phones):
    account = simulated_account(simulator, "webcom")
    group = make_group("G", [(phone, f"N{phone[-1]}", MOSCOW) for phone in phones])
    campaign = make_campaign([group], account=account, state=Campaign.State.PAUSED)
    campaign_expand(campaign=campaign)
    return campaign


def resume_and_send(campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    campaign_pump(campaign_id=campaign.pk)


def test_a_contact_deleted_while_its_message_waits_is_not_messaged(
    simulator, make_group, make_campaign
):
    campaign = paused_campaign(simulator, make_group, make_campaign,
                               ["+79120000001", "+79120000002"])  # fmt: skip

    contacts.contacts_delete(contacts=Contact.objects.filter(phone="+79120000001"))
    resume_and_send(campaign)

    assert [s.phone for s in simulator.state.submissions] == ["79120000002"]
    gone = Message.objects.get(phone="+79120000001")
    assert (gone.status, gone.reason, gone.contact_id) == (
        "cancelled", "contact_removed", None)  # fmt: skip


def test_a_new_number_gets_the_waiting_message_not_the_old_one(
    simulator, make_group, make_campaign
):
    """The old number may be somebody else's by now."""
    campaign = paused_campaign(simulator, make_group, make_campaign, ["+79120000001"])
    contact = Contact.objects.get(phone="+79120000001")

    contacts.contact_update(contact=contact, phone="+79120000009")
    resume_and_send(campaign)

    assert [(s.phone, s.text) for s in simulator.state.submissions] == [
        ("79120000009", "Hello N1!")
    ]


def test_a_new_number_the_campaign_already_has_keeps_one_message(
    simulator, make_group, make_campaign
):
    campaign = paused_campaign(simulator, make_group, make_campaign,
                               ["+79120000001", "+79120000002"])  # fmt: skip
    # The second contact's number is now also written as a pasted extra: the
    # campaign messages +79120000003 once, through the row that has it.
    Message.objects.filter(phone="+79120000002").update(phone="+79120000003")
    Contact.objects.filter(phone="+79120000002").delete()

    contacts.contact_update(contact=Contact.objects.get(phone="+79120000001"),
                            phone="+79120000003")  # fmt: skip
    resume_and_send(campaign)

    assert [s.phone for s in simulator.state.submissions] == ["79120000003"]
    moved = Message.objects.filter(campaign=campaign).exclude(status="queued").get()
    assert (moved.phone, moved.status, moved.reason) == (
        "+79120000001", "cancelled", "contact_removed")  # fmt: skip


def test_a_contact_page_does_not_show_the_previous_holders_messages(
    manager_client, simulator, make_group, make_campaign
):
    """After a number changed hands, the new contact saw the old one's messages."""
    campaign = paused_campaign(simulator, make_group, make_campaign, ["+79120000001"])
    resume_and_send(campaign)
    first = Contact.objects.get(phone="+79120000001")
    contacts.contact_update(contact=first, phone="+79120000009")
    newcomer = contacts.contact_create(phone="+79120000001", first_name="Другой")
    pasted = Message.objects.create(
        account=campaign.account, phone="+79120000001", text="Код 1",
        channel="sms", planned_at=campaign.created_at, status="queued",
    )  # fmt: skip

    page = manager_client.get(
        reverse("contacts:detail", args=[newcomer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Hello N1!" not in page
    assert pasted.text in page  # to the number, linked to nobody: shown


def test_a_number_changed_in_the_admin_takes_the_waiting_message_along(
    simulator, make_group, make_campaign, rf, django_user_model
):
    from types import SimpleNamespace

    from django.contrib.admin.sites import site

    from contacts.phone import normalize_phone

    campaign = paused_campaign(simulator, make_group, make_campaign, ["+79120000001"])
    contact = Contact.objects.get(phone="+79120000001")
    contact.phone = "+79120000009"
    form = SimpleNamespace(
        changed_data=["phone"], initial={"phone": "+79120000001"},
        normalized=normalize_phone("+79120000009"), save_m2m=lambda: None,
    )  # fmt: skip
    request = rf.post("/")
    request.user = django_user_model.objects.create_superuser("root", password="x")

    site._registry[Contact].save_model(request, contact, form, change=True)
    resume_and_send(campaign)

    assert [s.phone for s in simulator.state.submissions] == ["79120000009"]


def test_a_renumbered_contact_still_sees_what_it_got_at_its_former_number(
    manager_client, simulator, make_group, make_campaign
):
    campaign = paused_campaign(simulator, make_group, make_campaign, ["+79120000001"])
    resume_and_send(campaign)
    contact = Contact.objects.get(phone="+79120000001")
    contacts.contact_update(contact=contact, phone="+79120000009")
    # Whoever has the old number now: neither their messages nor a pasted number's
    # sent there since are the renumbered contact's.
    newcomer = contacts.contact_create(phone="+79120000001", first_name="Другой")
    for text, to in (("Чужое 1", newcomer.pk), ("Чужое 2", None)):
        Message.objects.create(
            account=campaign.account, contact_id=to, phone="+79120000001", text=text,
            channel="sms", planned_at=campaign.created_at, status="queued",
        )  # fmt: skip

    page = manager_client.get(
        reverse("contacts:detail", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Hello N1!" in page
    assert "to the former number +79120000001" in page
    assert "Чужое" not in page
    assert list(contact.former_phones.values_list("phone", flat=True)) == [
        "+79120000001"
    ]


def test_a_number_given_back_is_no_longer_a_former_one(simulator):
    contact = contacts.contact_create(phone="+79120000001")
    contacts.contact_update(contact=contact, phone="+79120000009")
    contacts.contact_update(contact=contact, phone="+79120000001")

    assert list(contact.former_phones.values_list("phone", flat=True)) == [
        "+79120000009"
    ]


def test_a_renumbered_contact_can_be_deleted(simulator):
    contact = contacts.contact_create(phone="+79120000001")
    contacts.contact_update(contact=contact, phone="+79120000009")

    assert contacts.contacts_delete(contacts=Contact.objects.filter(pk=contact.pk)) == 1
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_the_admin_shows_a_contacts_former_numbers(admin_client, simulator):
    contact = contacts.contact_create(phone="+79120000001")
    contacts.contact_update(contact=contact, phone="+79120000009")

    page = admin_client.get(
        reverse("admin:contacts_contact_change", args=[contact.pk])
    ).content.decode()

    assert "+79120000001" in page
