"""The inbox: listing, filters, marking read, fetching now and answering by SMS."""

from decimal import Decimal
from unittest.mock import patch

import lxml.html
import pytest

from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.models import Campaign, Message, Reply
from contacts.models import Contact, CustomField, StopListEntry
from providers.simulator import Fault
from tests.campaigns.gateway_accounts import simulated_account
from tests.campaigns.report_data import make_reply

pytestmark = pytest.mark.django_db

INBOX = "/campaigns/inbox/"


def listed(response) -> list[Reply]:
    return [row.record for row in response.context["table"].page.object_list]


@pytest.fixture
def replies(account, make_campaign):
    campaign = make_campaign(state=Campaign.State.COMPLETED)
    contact = Contact.objects.create(phone="+79120000001", first_name="Ivan")
    return {
        "thanks": make_reply(account, phone=contact.phone, text="Спасибо",
                             contact=contact, campaign=campaign),
        "stop": make_reply(account, phone="+79120000002", text="СТОП",
                           is_opt_out=True),
        "old": make_reply(account, phone="+79120000003", text="Got it",
                          is_read=True),
    }  # fmt: skip


def test_inbox_is_what_the_navigation_opens(viewer_client):
    assert reverse("reports:inbox") == INBOX
    response = viewer_client.get(INBOX)
    assert response.status_code == 200
    assert f'href="{INBOX}"' in response.content.decode()


def test_anonymous_users_are_sent_to_login(client, replies):
    for url in (INBOX, reverse("reports:reply", args=[replies["stop"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("reports:inbox_mark"), {"ids": [1]})
    assert response.status_code == 302


def test_viewers_read_but_cannot_change(viewer_client, replies):
    reply = replies["thanks"]
    assert viewer_client.get(INBOX).status_code == 200
    assert (
        viewer_client.get(reverse("reports:reply", args=[reply.pk])).status_code == 200
    )
    reply.refresh_from_db()
    assert not reply.is_read  # a viewer's visit changes nothing
    for url, data in (
        (reverse("reports:inbox_mark"), {"ids": [reply.pk], "action": "read"}),
        (reverse("reports:inbox_fetch"), {}),
        (reverse("reports:reply_answer", args=[reply.pk]), {"text": "Hi"}),
        (reverse("reports:reply_read", args=[reply.pk]), {"action": "read"}),
    ):
        assert viewer_client.post(url, data).status_code == 403
    assert not Message.objects.exists()


def test_newest_first_with_links_and_opt_out_marked(viewer_client, replies):
    response = viewer_client.get(INBOX)
    assert [r.pk for r in listed(response)] == [
        replies["old"].pk,
        replies["stop"].pk,
        replies["thanks"].pk,
    ]
    content = response.content.decode()
    thanks = replies["thanks"]
    assert reverse("contacts:detail", args=[thanks.contact_id]) in content
    assert reverse("reports:campaign_report", args=[thanks.campaign_id]) in content
    assert f"{reverse('contacts:stoplist')}?q=%2B79120000002" in content
    for reply in replies.values():
        assert f'name="ids" value="{reply.pk}" form="inbox-bulk"' in content
    assert response.context["unread"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=unread", {"thanks", "stop"}),
        ("state=read", {"old"}),
        ("state=opt_out", {"stop"}),
        ("q=спасибо", {"thanks"}),
        ("q=0000003", {"old"}),
        ("q=%2B79120000002", {"stop"}),
    ],
)
def test_filters(viewer_client, replies, query, expected):
    names = {reply.pk: name for name, reply in replies.items()}
    response = viewer_client.get(f"{INBOX}?{query}")
    assert {names[r.pk] for r in listed(response)} == expected


def test_search_finds_the_sender_by_the_contact_name_e_and_yo_alike(
    viewer_client, account, django_assert_num_queries
):
    """The «From» column shows the contact's name, but ?q= looked at phone and text
    only."""
    from campaigns.report_filters import ReplyFilterSet
    from campaigns.report_selectors import reply_list

    anna = Contact.objects.create(
        phone="+79120000101", last_name="Ёлкина", first_name="Анна",
        middle_name="Петровна",
    )  # fmt: skip
    other = Contact.objects.create(phone="+79120000102", last_name="Иванова")
    named = make_reply(account, phone=anna.phone, text="Да", contact=anna)
    make_reply(account, phone=other.phone, text="Нет", contact=other)
    said = make_reply(account, phone="+79120000103", text="Анна? Это вы?")

    for query, expected in [
        ("елкина", {named}),
        ("ЁЛКИНА", {named}),
        ("Анна Елкина", {named}),
        ("петровна", {named}),
        ("анна", {named, said}),
        ("Иванова Ёлкина", set()),
    ]:
        response = viewer_client.get(INBOX, {"q": query})
        assert set(listed(response)) == expected, query
    # Set-based: the replies and their contacts, whatever the rows.
    with django_assert_num_queries(2):
        list(ReplyFilterSet({"q": "анна"}, queryset=reply_list()).qs)


def test_the_search_box_says_what_it_searches(viewer_client):
    page = viewer_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    (box,) = lxml.html.fromstring(page.content).xpath('//input[@name="q"]')
    assert box.get("placeholder") == "Phone, name or text"


def test_filter_by_account(viewer_client, replies, simulator):
    other = simulated_account(simulator, "smsc")
    mine = make_reply(other, phone="+79120000099", text="from smsc")
    response = viewer_client.get(f"{INBOX}?account={other.pk}")
    assert [r.pk for r in listed(response)] == [mine.pk]


def test_bulk_mark_read_and_unread(manager_client, replies):
    ids = [replies["thanks"].pk, replies["stop"].pk]
    response = manager_client.post(
        reverse("reports:inbox_mark"), {"ids": ids, "action": "read"}
    )
    assert response.status_code == 302
    assert not Reply.objects.filter(is_read=False).exists()
    manager_client.post(
        reverse("reports:inbox_mark"),
        {"ids": [replies["old"].pk], "action": "unread", "query": "state=unread"},
    )
    assert list(Reply.objects.filter(is_read=False)) == [replies["old"]]


def test_opening_a_reply_shows_the_opt_out_and_reads_nothing_by_itself(
    manager_client, replies
):
    """A GET read the reply: a link prefetcher, a chat's link preview or a crawler
    with the session marked replies read that nobody had seen. The page reads it
    by a POST of its own (htmx, once it is shown; a button without scripts)."""
    reply = replies["stop"]
    response = manager_client.get(reverse("reports:reply", args=[reply.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="opt-out-notice"' in html
    read_url = reverse("reports:reply_read", args=[reply.pk])
    assert f'hx-post="{read_url}"' in html
    reply.refresh_from_db()
    assert not reply.is_read
    assert manager_client.get(INBOX).context["unread"] == 2


def test_the_page_reads_a_reply_by_post_once_and_marks_it_unread_on_request(
    manager_client, replies
):
    reply = replies["stop"]
    read_url = reverse("reports:reply_read", args=[reply.pk])
    assert manager_client.get(read_url).status_code == 405  # never by a GET
    for _ in range(2):  # as the page's htmx asks: the state's fragment back
        response = manager_client.post(
            read_url, {"action": "read"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert 'id="reply-read-state"' in response.content.decode()
        assert "hx-post" not in response.content.decode()  # not asked again
    reply.refresh_from_db()
    assert reply.is_read
    assert manager_client.get(INBOX).context["unread"] == 1
    # «Mark unread»: back to the inbox, where it counts as unread again.
    response = manager_client.post(read_url, {"action": "unread"})
    assert response.status_code == 302
    assert response["Location"] == INBOX
    reply.refresh_from_db()
    assert not reply.is_read
    assert manager_client.get(INBOX).context["unread"] == 2
    # Without scripts, «Mark read» is a form that comes back to the reply.
    response = manager_client.post(read_url, {"action": "read"})
    assert response["Location"] == reverse("reports:reply", args=[reply.pk])


def test_a_stop_listed_number_gets_a_note_instead_of_an_answer_form(
    manager_client, replies
):
    StopListEntry.objects.create(phone=replies["stop"].phone)

    stopped = manager_client.get(reverse("reports:reply", args=[replies["stop"].pk]))
    other = manager_client.get(reverse("reports:reply", args=[replies["thanks"].pk]))

    answer = reverse("reports:reply_answer", args=[replies["stop"].pk])
    assert 'id="answer-stop-listed"' in stopped.content.decode()
    assert answer not in stopped.content.decode()
    assert 'id="answer-stop-listed"' not in other.content.decode()
    assert reverse("reports:reply_answer", args=[replies["thanks"].pk]) in (
        other.content.decode()
    )


def test_answer_reaches_the_gateway_as_a_one_off_message(manager_client, simulator):
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000042", text="Когда доставка?")
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]), {"text": "Завтра до 18:00"}
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.campaign is None
    assert message.account == account
    assert message.phone == reply.phone
    assert message.status == "queued"
    assert message.gateway_message_id
    submitted = [(s.phone, s.text) for s in simulator.state.submissions]
    assert submitted == [("79120000042", "Завтра до 18:00")]
    reply.refresh_from_db()
    assert reply.is_read
    page = manager_client.get(reverse("reports:reply", args=[reply.pk]))
    assert "Завтра до 18:00" in page.content.decode()


def test_an_answers_line_breaks_are_sent_and_counted_as_the_counter_counts_them(
    manager_client, simulator
):
    """The browser posts CRLF: one segment on the counter was two at the gateway,
    and 1,000 characters there were refused as 1,009."""
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000042")
    url = reverse("reports:reply_answer", args=[reply.pk])

    manager_client.post(url, {"text": "a" * 80 + "\r\n" + "b" * 79})
    long_answer = ("x" * 99 + "\r\n") * 9 + "x" * 100
    response = manager_client.post(url, {"text": long_answer})

    short, long = Message.objects.order_by("pk")
    assert (short.text, short.segments) == ("a" * 80 + "\n" + "b" * 79, 1)
    assert response.status_code == 302
    assert len(long.text) == 1000
    assert "\r" not in long.text


def test_answer_to_a_stop_listed_number_is_refused(manager_client, simulator):
    account = simulated_account(simulator, "smsc")
    reply = make_reply(account, phone="+79120000042", text="СТОП", is_opt_out=True)
    StopListEntry.objects.create(phone=reply.phone, source="keyword")
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "Sorry"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200  # the errors shown, as every page form answers
    assert "stop list" in response.content.decode()
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_the_answer_form_counts_parts_and_cost_as_the_contact_form_does(
    manager_client, simulator
):
    """No counter, and maxlength="1000" cut a pasted longer text without a word."""
    account = simulated_account(simulator, "smsc")
    reply = make_reply(account, phone="+79120000042")

    page = manager_client.get(reverse("reports:reply", args=[reply.pk]))

    html = lxml.html.fromstring(page.content)
    (textarea,) = html.xpath('//textarea[@name="text"]')
    assert textarea.get("maxlength") is None
    (counter,) = html.xpath("//*[@data-segment-counter]")
    assert counter.get("data-textarea-id") == textarea.get("id")
    assert counter.get("data-table") == "smsc"
    assert Decimal(counter.get("data-price-per-segment")) == account.tariff
    assert counter.get("data-max-characters") == "1000"
    assert "js/composer.js" in page.content.decode()


def test_a_too_long_answer_is_refused_saying_so(manager_client, simulator):
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000042")

    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "ж" * 1200},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [
        "Too long: the answer has 1,200 characters, at most 1,000 can be sent. "
        "Shorten it."
    ]
    assert "ж" * 1200 in response.content.decode()  # kept for shortening
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_a_too_long_answers_figures_read_as_the_counter_writes_them(
    manager_client, simulator
):
    """QA: «символов в нём — 5000» beside a counter that says «5 000»."""
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000042")

    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "ж" * 5000},
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    [error] = response.context["form"].errors["text"]
    assert "5\xa0000" in error
    assert "1\xa0000" in error


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "The gateway reports insufficient funds"),
        # Campaign banners are stored untranslated; a one-off refusal is shown at
        # once and must still be translated.
        ("ru", "Шлюз сообщает о нехватке средств"),
    ],
)
def test_an_answer_refused_for_funds_says_so_and_is_failed_not_left_pending(
    manager_client, simulator, language, says
):
    account = simulated_account(simulator, "webcom", balance="0")
    reply = make_reply(account, phone="+79120000042", text="Когда доставка?")
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "Завтра"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    assert simulator.state.submissions == []
    message = Message.objects.get()
    assert (message.status, message.reason) == ("failed", "insufficient_balance")
    assert says in message.vendor_text


def test_empty_answer_is_a_form_error(manager_client, simulator):
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account)
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]), {"text": "  "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Message.objects.exists()


def test_answer_with_a_control_character_is_a_form_error_naming_the_place(
    manager_client, simulator
):
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account)
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "Thanks!\r\nSee you\x00 soon"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [
        "Line 2, column 8: the control character U+0000 cannot be sent by any "
        "gateway. Remove it."
    ]
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


def test_placeholders_in_an_answer_are_filled_from_the_contact(
    manager_client, simulator
):
    """`{first_name}` used to reach the phone as typed."""
    account = simulated_account(simulator, "webcom")
    CustomField.objects.create(key="order", label="Order")
    Contact.objects.create(
        phone="+79120000042", first_name="Анна", attributes={"order": "A-17"}
    )
    reply = make_reply(account, phone="+79120000042", text="Где заказ?")
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": "{first_name}, заказ {order} у курьера. Смайл: {{ok}}"},
    )
    assert response.status_code == 302
    assert [s.text for s in simulator.state.submissions] == [
        "Анна, заказ A-17 у курьера. Смайл: {ok}"
    ]
    assert Message.objects.get().text == "Анна, заказ A-17 у курьера. Смайл: {ok}"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "Здравствуйте, {first_name}!",
            "+79120000043 has no value for {first_name}: write the text in its "
            "place. To send braces as text, double them: {{first_name}}.",
        ),
        (
            "Код {SALE}",
            "Unknown placeholder {SALE}. To send braces as text, double them: "
            "{{SALE}}.",
        ),
    ],
)
def test_an_answer_with_a_placeholder_it_cannot_fill_is_refused(
    manager_client, simulator, text, error
):
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000043", text="?")  # not a contact
    response = manager_client.post(
        reverse("reports:reply_answer", args=[reply.pk]),
        {"text": text},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [error]
    assert not Message.objects.exists()
    assert simulator.state.submissions == []


@pytest.mark.parametrize("kind", ["webcom", "smsc"])
def test_fetch_now_stores_new_replies(manager_client, simulator, kind):
    account = simulated_account(simulator, kind)
    simulator.state.add_incoming(kind, account.login, phone="79120000055", text="Да")
    response = manager_client.post(reverse("reports:inbox_fetch"), follow=True)
    assert response.status_code == 200
    assert list(Reply.objects.values_list("phone", "text")) == [("+79120000055", "Да")]
    assert "Да" in response.content.decode()


def test_fetch_now_warns_of_an_account_whose_gateway_failed(manager_client, simulator):
    """A gateway answering 500 was counted as asked, under a green "0 new replies"."""
    webcom = simulated_account(simulator, "webcom")
    simulated_account(simulator, "smsc")
    simulator.state.add_incoming("webcom", webcom.login, phone="79120000056", text="Да")
    simulator.state.add_fault("smsc", Fault(mode="http500", count=3, path="get.php"))

    response = manager_client.post(
        reverse("reports:inbox_fetch"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    said = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert said == [
        (
            "warning",
            "smsc simulated: replies were not fetched. The gateway answered with "
            "an error: server error (HTTP 500)",
        ),
        ("success", "1 new reply (accounts that answered: 1)."),
    ]
    assert list(Reply.objects.values_list("phone", flat=True)) == ["+79120000056"]


def test_fetch_now_with_every_account_down_says_nothing_went_well(
    manager_client, simulator
):
    simulated_account(simulator, "smsc")
    simulator.state.add_fault("smsc", Fault(mode="http500", count=3, path="get.php"))

    response = manager_client.post(reverse("reports:inbox_fetch"), follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert "smsc simulated" in response.content.decode()


def test_fetch_now_without_an_account_to_ask_is_not_a_success(manager_client, db):
    response = manager_client.post(
        reverse("reports:inbox_fetch"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    said = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert said == [("info", "No active account can fetch replies.")]


def test_an_answer_can_start_from_a_message_template(manager_client, account):
    from campaigns.models import MessageTemplate

    MessageTemplate.objects.create(name="Ответ", text="{first_name}, спасибо!")
    reply = make_reply(account)

    page = manager_client.get(
        reverse("reports:reply", args=[reply.pk])
    ).content.decode()

    assert 'data-text="{first_name}, спасибо!"' in page
    assert "js/campaigns.js" in page


def test_replies_in_the_same_second_read_in_the_order_they_came(account):
    """Four replies in one second showed ОТПИСКА above the Стоп sent before it."""
    from django.utils import timezone

    from campaigns.report_selectors import conversation

    second = timezone.now().replace(microsecond=0)
    replies = [
        make_reply(account, phone="+79120000070", text=text, received_at=second)
        for text in ("Стоп", "СТОП", "стоп!", "ОТПИСКА")
    ]

    shown = conversation(reply=replies[-1])

    assert [item.text for item in shown] == ["Стоп", "СТОП", "стоп!", "ОТПИСКА"]


def test_an_opt_out_taken_off_the_stop_list_since_says_so(
    manager_client, account, settings
):
    """The badge and the notice said "on the stop list" for ever, whatever became of
    the entry since."""
    settings.LANGUAGE_CODE = "en"
    kept = make_reply(account, phone="+79120000080", text="СТОП", is_opt_out=True)
    taken_off = make_reply(account, phone="+79120000081", text="СТОП", is_opt_out=True)
    StopListEntry.objects.create(phone=kept.phone)

    inbox = manager_client.get(INBOX).content.decode()
    detail = manager_client.get(f"{INBOX}{taken_off.pk}/").content.decode()

    assert inbox.count("opt-out: on the stop list") == 1
    assert inbox.count("opt-out: taken off the stop list since") == 1
    assert "and has been taken off it since" in detail


def test_the_inbox_page_reads_its_contacts_apart_from_the_replies(
    viewer_client, replies
):
    """Joined, a deep page made the planner hash the whole contact book (about a
    second at a million contacts); the page's few contacts are read by id."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(INBOX)

    page = [q["sql"] for q in queries if 'FROM "campaigns_reply"' in q["sql"]]
    assert page
    assert not [sql for sql in page if 'JOIN "contacts_contact"' in sql]
    named = [r for r in listed(response) if r.contact_id]
    assert named
    assert all(r.contact.phone == r.phone for r in named)


def test_a_reply_puts_its_number_on_the_stop_list_from_its_page(
    manager_client, manager_user, account
):
    reply = make_reply(account, phone="+79120000090", text="Хватит  мне\nписать")
    url = reverse("reports:reply", args=[reply.pk])
    stop_list = reverse("reports:reply_stop_list", args=[reply.pk])
    assert stop_list in manager_client.get(url).content.decode()

    response = manager_client.post(stop_list, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert response.redirect_chain == [(url, 302)]
    entry = StopListEntry.objects.get()
    assert (entry.phone, entry.source, entry.created_by) == (
        "+79120000090",
        StopListEntry.Source.MANUAL,
        manager_user,
    )
    assert entry.reason == "From the inbox: “Хватит мне писать”"
    event = AuditEvent.objects.get(action=AuditEvent.Action.STOP_LISTED)
    assert (event.actor, event.object_repr) == (manager_user, "+79120000090")
    page = response.content.decode()
    assert "+79120000090 is on the stop list." in page
    assert 'id="stop-listed"' in page  # the state, where the button was
    assert stop_list not in page
    assert 'id="answer-stop-listed"' in page


def test_a_number_already_on_the_stop_list_keeps_its_entry(manager_client, account):
    reply = make_reply(account, phone="+79120000091", text="Стоп")
    StopListEntry.objects.create(phone=reply.phone, reason="по телефону")
    page = manager_client.get(reverse("reports:reply", args=[reply.pk]))
    stop_list = reverse("reports:reply_stop_list", args=[reply.pk])
    assert stop_list not in page.content.decode()
    assert 'id="stop-listed"' in page.content.decode()

    response = manager_client.post(stop_list, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "+79120000091 has been on the stop list since" in response.content.decode()
    assert StopListEntry.objects.get().reason == "по телефону"


def test_a_sender_name_is_offered_no_stop_list_button(manager_client, account):
    reply = make_reply(account, phone="MEGAFON", text="Баланс")
    stop_list = reverse("reports:reply_stop_list", args=[reply.pk])
    page = manager_client.get(reverse("reports:reply", args=[reply.pk]))
    assert stop_list not in page.content.decode()

    manager_client.post(stop_list)

    assert not StopListEntry.objects.exists()


def test_a_viewer_can_neither_see_nor_use_the_stop_list_button(viewer_client, account):
    reply = make_reply(account, phone="+79120000092", text="Стоп")
    stop_list = reverse("reports:reply_stop_list", args=[reply.pk])
    page = viewer_client.get(reverse("reports:reply", args=[reply.pk]))
    assert page.status_code == 200
    assert stop_list not in page.content.decode()
    assert 'id="stop-list-add"' not in page.content.decode()

    assert viewer_client.post(stop_list).status_code == 403
    assert not StopListEntry.objects.exists()


@pytest.mark.parametrize("text", ["", " \n "])
def test_an_empty_reply_says_so_where_its_text_would_be(manager_client, account, text):
    """The inbox (the dashboard, the contact's page) showed an empty link, nothing to
    click; the reply page nothing."""
    contact = Contact.objects.create(phone="+79120000093")
    reply = make_reply(account, phone=contact.phone, text=text, contact=contact)
    url = reverse("reports:reply", args=[reply.pk])

    inbox = manager_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    detail = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    dashboard = manager_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    history = manager_client.get(
        reverse("contacts:detail", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    for page in (inbox, dashboard, history):
        (link,) = lxml.html.fromstring(page.content).xpath(f'//a[@href="{url}"]')
        assert link.text_content().strip() == "(empty message)"
    (bubble,) = lxml.html.fromstring(detail.content).xpath(
        '//*[@id="conversation"]/div'
    )
    assert "(empty message)" in bubble.text_content()


def test_the_campaign_a_reply_answers_is_said_in_reply_to(viewer_client, replies):
    """English said "Answers" above the campaign's name, a verb read as a noun."""
    reply = replies["thanks"]
    inbox = viewer_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    detail = viewer_client.get(
        reverse("reports:reply", args=[reply.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    export = viewer_client.get(
        reverse("reports:inbox_export"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    headers = lxml.html.fromstring(inbox.content).xpath("//thead//th")
    assert "In reply to" in [th.text_content().strip() for th in headers]
    report = reverse("reports:campaign_report", args=[reply.campaign_id])
    assert f'In reply to: <a href="{report}">' in detail.content.decode()
    first_line = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert "In reply to" in first_line.split(",")


@pytest.mark.parametrize(
    ("unread", "word"),
    [(1, "непрочитанный"), (3, "непрочитанных"), (5, "непрочитанных")],
)
def test_the_unread_count_agrees_with_replies_as_on_the_dashboard(
    viewer_client, account, unread, word
):
    """The inbox said «1 непрочитанное» (a message), the dashboard «1 непрочитанный»
    (a reply) of the same replies."""
    for i in range(unread):
        make_reply(account, phone=f"+7912000011{i}")

    inbox = viewer_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="ru")
    dashboard = viewer_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="ru")

    (header,) = lxml.html.fromstring(inbox.content).xpath('//*[@id="unread-count"]')
    assert header.text_content() == f"{unread} {word}"
    assert f'text-secondary">{word}</span>' in dashboard.content.decode()


def test_the_unread_count_is_grouped_as_the_rest_of_the_ui(viewer_client, account):
    """«109269 непрочитанных»: the header alone wrote a large count ungrouped."""
    make_reply(account, phone="+79120000111")
    with patch("campaigns.inbox_views.unread_replies_count", return_value=109_269):
        inbox = viewer_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="ru")

    (header,) = lxml.html.fromstring(inbox.content).xpath('//*[@id="unread-count"]')
    assert header.text_content() == "109\xa0269 непрочитанных"


def test_an_answer_sent_twice_from_one_form_goes_out_once_and_is_audited(
    manager_client, manager_user, simulator
):
    """A double click, a second tab, a browser's repeated POST: one SMS."""
    account = simulated_account(simulator, "webcom")
    reply = make_reply(account, phone="+79120000042", text="Когда доставка?")
    page = manager_client.get(reverse("reports:reply", args=[reply.pk]))
    token = page.context["form"]["submission"].value()
    post = {"text": "Завтра до 18:00", "submission": token}
    url = reverse("reports:reply_answer", args=[reply.pk])

    manager_client.post(url, post)
    again = manager_client.post(url, post, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert len(simulator.state.submissions) == 1
    assert "This form was sent already" in again.content.decode()
    message = Message.objects.get()
    event = AuditEvent.objects.get(action="sent")
    assert (event.actor, event.object_id, event.object_repr) == (
        manager_user, str(message.pk), "+79120000042")  # fmt: skip
    assert event.details["source"] == "inbox"


def test_a_reply_from_a_number_added_to_the_book_later_names_its_contact(
    viewer_client, account
):
    """A reply from a number not yet in the book stayed nameless after the number
    was added as a contact: its link to a contact was set only when it came."""
    reply = make_reply(account, phone="+79120000005", text="Кто это?")
    later = Contact.objects.create(phone="+79120000005", first_name="Пётр")
    url = reverse("contacts:detail", args=[later.pk])

    inbox = viewer_client.get(INBOX).content.decode()
    page = viewer_client.get(reverse("reports:reply", args=[reply.pk]))

    assert f'<a href="{url}">Пётр</a>' in inbox
    assert f'<a href="{url}">Пётр</a>' in page.content.decode()
