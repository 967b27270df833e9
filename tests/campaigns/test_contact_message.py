"""Writing one SMS to a contact from its page: sent at once through the simulator,
outside any campaign, and refused with a reason where it cannot go."""

import pytest

from django.urls import reverse

from campaigns.models import Message
from contacts.models import Contact, StopListEntry
from providers.models import ProviderAccount
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def maria(db):
    return Contact.objects.create(phone="+79120000042", first_name="Мария")


def write_url(contact) -> str:
    return reverse("campaigns:contact_message", args=[contact.pk])


def test_the_message_reaches_the_gateway_once_and_joins_the_history(
    manager_client, simulator, maria
):
    account = simulated_account(simulator, "webcom")
    detail = manager_client.get(reverse("contacts:detail", args=[maria.pk]))

    response = manager_client.post(
        write_url(maria),
        {"account": account.pk, "text": "{first_name}, заказ готов"},
        follow=True,
    )

    assert write_url(maria) in detail.content.decode()
    assert response.redirect_chain == [
        (reverse("contacts:detail", args=[maria.pk]), 302)
    ]
    message = Message.objects.get()
    assert (message.campaign, message.contact, message.account) == (
        None,
        maria,
        account,
    )
    assert message.sender == account.default_sender
    assert message.gateway_message_id
    submitted = [(s.phone, s.text) for s in simulator.state.submissions]
    assert submitted == [("79120000042", "Мария, заказ готов")]
    page = response.content.decode()
    assert "Message sent to +79120000042" in page
    assert "one-off" in page
    assert "Мария, заказ готов" in page


def test_a_stop_listed_contact_is_not_offered_the_form_and_is_refused(
    manager_client, simulator, maria
):
    account = simulated_account(simulator, "smsc")
    StopListEntry.objects.create(phone=maria.phone, source="manual")

    detail = manager_client.get(reverse("contacts:detail", args=[maria.pk]))
    page = manager_client.get(write_url(maria)).content.decode()
    response = manager_client.post(
        write_url(maria), {"account": account.pk, "text": "Hello"}
    )

    assert write_url(maria) not in detail.content.decode()
    assert "data-stopped" in page
    assert response.status_code == 200  # the errors shown, as every page form answers
    assert "+79120000042 is on the stop list: no message is sent." in (
        response.content.decode()
    )
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_a_placeholder_the_contact_has_no_value_for_is_refused_on_the_text(
    manager_client, simulator, maria
):
    account = simulated_account(simulator, "webcom")

    response = manager_client.post(
        write_url(maria), {"account": account.pk, "text": "Hi {nickname}"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "has no value for {nickname}" in errors["text"][0]
    assert not Message.objects.exists()


def test_a_text_past_the_limit_is_refused_saying_so_not_cut_by_the_browser(
    manager_client, simulator, maria, settings
):
    settings.LANGUAGE_CODE = "en"
    account = simulated_account(simulator, "webcom")

    page = manager_client.get(write_url(maria)).content.decode()
    response = manager_client.post(
        write_url(maria), {"account": account.pk, "text": "Ы" * 1001}
    )

    textarea = page.split('<textarea name="text"', 1)[1].split(">", 1)[0]
    assert "maxlength" not in textarea  # a pasted longer text was cut silently
    assert 'data-sc-field="page-max-characters"' in page  # the counter warns
    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [
        "Too long: the text has 1,001 characters, at most 1,000 can be sent. "
        "Shorten it."
    ]
    assert not Message.objects.exists()


def test_line_breaks_go_out_and_are_counted_as_the_counter_counts_them(
    manager_client, simulator, maria
):
    """The browser posts CRLF: 160 characters on the counter were 161 at the
    gateway, two parts billed, and a carriage return on the handset."""
    account = simulated_account(simulator, "webcom")
    text = "a" * 80 + "\r\n" + "b" * 79  # the counter: 160 characters, 1 segment

    manager_client.post(write_url(maria), {"account": account.pk, "text": text})

    message = Message.objects.get()
    assert (message.text, message.segments) == ("a" * 80 + "\n" + "b" * 79, 1)
    assert [s.text for s in simulator.state.submissions] == [message.text]


def test_the_length_limit_counts_a_line_break_once(manager_client, simulator, maria):
    account = simulated_account(simulator, "webcom")
    text = ("x" * 99 + "\r\n") * 9 + "x" * 100  # 1,000 on the counter, 1,009 posted

    response = manager_client.post(
        write_url(maria), {"account": account.pk, "text": text}
    )

    assert response.status_code == 302, response.context["form"].errors
    assert len(Message.objects.get().text) == 1000


def test_only_active_accounts_are_offered_and_the_counter_follows_the_gateway(
    manager_client, simulator, maria
):
    websms = simulated_account(simulator, "websms")
    webcom = simulated_account(simulator, "webcom")
    ProviderAccount.objects.filter(pk=webcom.pk).update(is_active=False)

    response = manager_client.get(write_url(maria))

    offered = list(response.context["form"].fields["account"].queryset)
    assert offered == [websms]
    assert 'data-table="websms"' in response.content.decode()


def test_a_viewer_can_neither_see_nor_send(viewer_client, simulator, maria):
    account = simulated_account(simulator, "webcom")

    detail = viewer_client.get(reverse("contacts:detail", args=[maria.pk]))
    response = viewer_client.post(
        write_url(maria), {"account": account.pk, "text": "x"}
    )

    assert write_url(maria) not in detail.content.decode()
    assert response.status_code == 403
    assert simulator.state.submissions == []


def test_the_sender_is_one_of_the_accounts_usable_names(
    manager_client, simulator, maria
):
    from providers.models import SenderName

    account = simulated_account(simulator, "webcom")
    SenderName.objects.create(account=account, name="SHOP", usable=True)
    SenderName.objects.create(account=account, name="OLD", usable=False)
    simulator.state.accounts[("webcom", account.login)].senders["SHOP"] = "completed"

    page = manager_client.get(write_url(maria))
    refused = manager_client.post(
        write_url(maria), {"account": account.pk, "sender": "OLD", "text": "Hi"}
    )
    sent = manager_client.post(
        write_url(maria), {"account": account.pk, "sender": "SHOP", "text": "Hi"}
    )

    options = page.context["form"]["sender"].field.widget.choices
    assert [name for name, _label in options] == [account.default_sender, "SHOP"]
    assert refused.status_code == 200
    assert "is not a usable sender name" in refused.context["form"].errors["sender"][0]
    assert sent.status_code == 302
    assert Message.objects.get().sender == "SHOP"


def test_without_an_active_account_the_page_says_so(admin_client, maria):
    page = admin_client.get(write_url(maria)).content.decode()

    assert "data-no-accounts" in page
    assert 'href="/providers/new/"' in page


def test_the_page_offers_the_message_templates(manager_client, maria):
    from campaigns.models import MessageTemplate

    MessageTemplate.objects.create(name="Готово", text="{first_name}, заказ готов")

    page = manager_client.get(write_url(maria)).content.decode()

    assert 'data-target="id_text"' in page
    assert 'data-text="{first_name}, заказ готов"' in page


def test_the_accounts_sender_names_are_read_in_one_query(
    manager_client, simulator, maria, django_assert_max_num_queries
):
    from campaigns.selectors import composer_account_info
    from providers.models import SenderName

    accounts = [simulated_account(simulator, kind) for kind in ("webcom", "smsc")]
    for account in accounts:
        SenderName.objects.create(account=account, name="SHOP", usable=True)

    with django_assert_max_num_queries(1):
        info = composer_account_info(accounts)

    assert [info[str(a.pk)]["senders"] for a in accounts] == [["SMSPORTAL", "SHOP"]] * 2


def token_of(page: str) -> str:
    import re

    return re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)


def test_a_form_sent_twice_sends_one_message(manager_client, simulator, maria):
    # A double click, or the browser sending the POST again.
    account = simulated_account(simulator, "webcom")
    token = token_of(manager_client.get(write_url(maria)).content.decode())
    form = {"account": account.pk, "text": "Заказ готов", "submission": token}

    first = manager_client.post(write_url(maria), form)
    again = manager_client.post(write_url(maria), form, follow=True)

    assert first.status_code == 302
    assert Message.objects.count() == 1
    assert len(simulator.state.submissions) == 1
    assert "This form was sent already: message to +79120000042" in (
        again.content.decode()
    )


def test_a_form_refused_before_sending_can_be_sent_again(
    manager_client, simulator, maria
):
    account = simulated_account(simulator, "webcom")
    token = token_of(manager_client.get(write_url(maria)).content.decode())
    refused = manager_client.post(
        write_url(maria),
        {"account": account.pk, "text": "x", "sender": "NOPE!", "submission": token},
    )
    sent = manager_client.post(
        write_url(maria), {"account": account.pk, "text": "x", "submission": token}
    )

    assert refused.status_code == 200
    assert sent.status_code == 302
    assert len(simulator.state.submissions) == 1


def test_a_message_the_gateway_answered_unclearly_is_not_said_to_be_sent(
    manager_client, simulator, maria
):
    """«Message sent to … (Pending)» after an answer that never came: it may or may
    not have gone out, and the reconciler will say which."""
    from providers.simulator import Fault

    account = simulated_account(simulator, "webcom")
    simulator.state.add_fault("webcom", Fault(mode="drop_after", count=1))

    response = manager_client.post(
        write_url(maria), {"account": account.pk, "text": "Заказ готов"}, follow=True
    )

    message = Message.objects.get()
    assert (message.status, message.reason) == ("pending", "outcome_unknown")
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert len(shown) == 1
    assert shown[0][0] == "warning"
    assert shown[0][1].startswith(
        "The gateway gave no clear answer for the message to +79120000042"
    )
    assert "Message sent to" not in response.content.decode()
