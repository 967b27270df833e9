from datetime import timedelta

import pytest

from django.utils import timezone

from campaigns.inbox import incoming_fetch, is_opt_out, replies_store
from campaigns.models import Message, Reply
from contacts.models import Contact, StopListEntry
from providers.base import IncomingMessage
from tests.campaigns.gateway_accounts import simulated_account

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text", ["STOP", "stop", "СТОП", " Стоп! ", "отписка.", "«Отписаться»", "stop!!!"]
)
def test_stop_words_in_any_case_with_punctuation(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["Отписаться, пожалуйста", "Отпишите меня от рассылки!", "STOP ALL",
     "Стоп, спасибо", "отписаться от смс", "СТОП СТОП", "stop stop", "СТОП-СТОП",
     "Стоп рассылка", "Стоп рассылке", "Стоп сообщения"],
)  # fmt: skip
def test_a_stop_word_with_courtesy_words_after_it_opts_out(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["Пожалуйста, стоп", "Спасибо, стоп", "Stop. Thanks", "Stop, thank you",
     "Отпишитесь", "cтоп", "СТOП", "ＳＴＯＰ", "ｓｔｏｐ", "отпиcка",
     "Прошу отписать меня", "Хочу отписаться от рассылки", "Unsubscribe, please",
     "Просьба отписать"],
)  # fmt: skip
def test_courtesy_first_latin_look_alikes_and_full_width_letters_still_opt_out(text):
    """A courtesy word before the stop word, a Latin "c" in "cтоп" (a phone keyboard
    mixes them), full-width letters: each was kept as a reply, and the number was
    messaged again by the next campaign."""
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "ST\u041eP",  # a Cyrillic О in a Latin STOP
        "S\u0422O\u0420",  # Cyrillic Т and Р
        "s\u0442o\u0440",  # sтoр
        "\u0405\u0422\u041e\u0420",  # all Cyrillic look-alikes, Ѕ (dze) first
        "Отписаться o\u0054 рассылки",  # an all-Latin "oT" in a Cyrillic phrase
        "STОP, please",
    ],
)
def test_a_latin_stop_word_typed_with_cyrillic_letters_opts_out(text):
    """Only Latin letters in a Cyrillic word were read as Cyrillic, never the other way
    round: 2,889 replies such as "STОP" (a Cyrillic О) were kept as replies, and
    "Отписаться oT рассылки" (Latin "oT") was not an opt-out either."""
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["Unsubscribe me", "unsubscribe me please", "Stop me"])
def test_an_english_stop_word_with_me_opts_out_as_the_russian_with_menya(text):
    """«Отпишите меня» opted out and «Unsubscribe me» was kept as a reply: "me" was
    no courtesy word, and the number was messaged again by the next campaign."""
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["STOPPED the car", "Don't stop", "STOP123", "S\u0422OPPED", "CTO\u0420 the car",
     "не с\u0442оп"],
)  # fmt: skip
def test_look_alike_readings_add_no_opt_outs(text):
    assert not is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["Не стоп", "STOPPED", "стоп-кран", "", "Спасибо", "Спасибо, не стоп",
     "Стоп, а скидка ещё действует?", "Отпишите маму от рассылки", "стоп-стоп-кран",
     "Стоп стоп, а скидка?", "copy", "сору", "Стоп? Почему?", "Не хочу отписываться",
     "Прошу не отписывать", "Хочу скидку"],
)  # fmt: skip
def test_other_replies_are_not_opt_outs(text):
    assert not is_opt_out(text)


def test_configured_words_are_honoured(settings):
    settings.SMSPORTAL_OPT_OUT_WORDS = ["хватит"]
    assert is_opt_out("Хватит!")


def test_replies_are_stored_once_and_stop_words_opt_out(simulator):
    account = simulated_account(simulator, "webcom")
    messages = [
        IncomingMessage("m1", "+79120000001", "СТОП", None),
        IncomingMessage("m2", "+79120000002", "Спасибо", None),
    ]
    assert len(replies_store(account=account, messages=messages)) == 2
    assert replies_store(account=account, messages=messages) == []
    assert Reply.objects.count() == 2
    assert list(StopListEntry.objects.values_list("phone", "source")) == [
        ("+79120000001", "keyword")
    ]


@pytest.mark.parametrize("kind", ["webcom", "smsc"])
def test_incoming_messages_are_fetched_from_the_gateway(kind, simulator):
    account = simulated_account(simulator, kind)
    simulator.state.add_incoming(kind, account.login, phone="79120000055", text="СТОП")
    simulator.state.add_incoming(kind, account.login, phone="79120000056", text="Hello")
    assert incoming_fetch(account=account) == 2
    assert incoming_fetch(account=account) == 0
    assert set(Reply.objects.values_list("phone", "is_opt_out")) == {
        ("+79120000055", True),
        ("+79120000056", False),
    }
    assert StopListEntry.objects.filter(phone="+79120000055").exists()


def test_a_stop_word_after_the_routing_keyword_of_a_shared_number_opts_out(
    simulator,
):
    """Seed 000: on a number several clients share, Webcom routes a message to us by
    the keyword it opens with (its `prefix`), so a subscriber must write "IGRA СТОП"
    to reach us at all. The keyword read as a word of the reply made no STOP count."""
    account = simulated_account(simulator, "webcom")
    for phone, text in [("79120000061", "IGRA СТОП"), ("79120000062", "igra, stop!"),
                        ("79120000063", "IGRA когда скидки?")]:  # fmt: skip
        simulator.state.add_incoming(
            "webcom", account.login, phone=phone, text=text, prefix="IGRA"
        )

    assert incoming_fetch(account=account) == 3

    assert dict(Reply.objects.values_list("phone", "is_opt_out")) == {
        "+79120000061": True,
        "+79120000062": True,
        "+79120000063": False,
    }
    assert set(StopListEntry.objects.values_list("phone", flat=True)) == {
        "+79120000061",
        "+79120000062",
    }
    assert Reply.objects.get(phone="+79120000061").text == "IGRA СТОП"  # as written


def test_a_routing_keyword_is_read_only_where_the_reply_opens_with_it():
    assert is_opt_out("СТОП", keyword="IGRA")  # the gateway left it out
    assert not is_opt_out("IGRA", keyword="IGRA")
    assert not is_opt_out("СТОП IGRA", keyword="IGRA")
    assert not is_opt_out("IGRA СТОП", keyword="")


def test_a_nul_in_a_reply_is_dropped_not_fatal(simulator):
    """PostgreSQL text cannot hold NUL: one such reply (SMSC's JSON can carry it) used
    to fail every fetch of the account's inbox, and its opt-out with it."""
    account = simulated_account(simulator, "smsc")
    simulator.state.add_incoming(
        "smsc", account.login, phone="79120000057", text="СТОП\x00"
    )
    simulator.state.add_incoming("smsc", account.login, phone="79120000058", text="ok")

    assert incoming_fetch(account=account) == 2

    reply = Reply.objects.get(phone="+79120000057")
    assert (reply.text, reply.is_opt_out) == ("СТОП", True)
    assert StopListEntry.objects.filter(phone="+79120000057").exists()


def test_a_number_in_national_form_is_linked_and_opted_out_as_e164(simulator):
    """An originator written 8912... (parsed to "+8912...") used to stop the whole
    batch: the opt-out refused it as an invalid number, so no reply was stored."""
    account = simulated_account(simulator, "webcom")
    contact = Contact.objects.create(phone="+79120000061", first_name="Ann")
    messages = [
        IncomingMessage("n1", "+89120000061", "Стоп", None),
        IncomingMessage("n2", "+79120000062", "СТОП", None),
    ]

    assert len(replies_store(account=account, messages=messages)) == 2

    reply = Reply.objects.get(gateway_message_id="n1")
    assert (reply.phone, reply.contact_id) == ("+79120000061", contact.pk)
    assert set(StopListEntry.objects.values_list("phone", flat=True)) == {
        "+79120000061",
        "+79120000062",
    }


def test_a_stop_word_from_a_number_that_is_not_a_phone_does_not_lose_the_batch(
    simulator,
):
    account = simulated_account(simulator, "smsc")
    messages = [
        IncomingMessage("s1", "+900", "STOP", None),
        IncomingMessage("s2", "+79120000063", "stop", None),
    ]

    assert len(replies_store(account=account, messages=messages)) == 2

    # Marked an opt-out only where a number went on the stop list: the inbox says so.
    assert not Reply.objects.get(gateway_message_id="s1").is_opt_out
    assert Reply.objects.get(gateway_message_id="s2").is_opt_out
    assert list(StopListEntry.objects.values_list("phone", flat=True)) == [
        "+79120000063"
    ]


def test_a_reply_is_linked_to_the_campaign_sent_before_it_arrived(
    simulator, make_campaign
):
    """Fetched late (incoming is polled), a reply used to go to the newest campaign
    sent to the number, even one sent after the reply arrived."""
    account = simulated_account(simulator, "webcom")
    answered, later = make_campaign(account=account), make_campaign(account=account)
    now = timezone.now()
    for campaign, sent in ((answered, now - timedelta(hours=2)), (later, now)):
        Message.objects.create(
            campaign=campaign, account=account, phone="+79120000064", text="x",
            channel="sms", planned_at=sent, submitted_at=sent, status="delivered",
            gateway_message_id=f"g{campaign.pk}",
        )  # fmt: skip
    received = now - timedelta(hours=1)
    replies_store(
        account=account,
        messages=[IncomingMessage("r1", "+79120000064", "Да", received)],
    )

    assert Reply.objects.get().campaign_id == answered.pk


def test_a_reply_is_not_linked_to_a_campaign_still_held_at_the_gateway(
    simulator, make_campaign
):
    """A spread campaign's message handed over with a later send time (Webcom
    time_send) has not reached the phone; neither has a refused one."""
    account = simulated_account(simulator, "webcom")
    delivered, held, refused = (make_campaign(account=account) for _ in range(3))
    now = timezone.now()
    # Each handed over after the one before: the latest submit is not the answer.
    for order, (campaign, planned, status) in enumerate(
        (
            (delivered, now - timedelta(minutes=10), "delivered"),
            (held, now + timedelta(minutes=40), "queued"),
            (refused, now - timedelta(minutes=1), "rejected"),
        )
    ):
        Message.objects.create(
            campaign=campaign, account=account, phone="+79120000065", text="x",
            channel="sms", planned_at=planned,
            submitted_at=now - timedelta(minutes=10 - 4 * order),
            status=status, gateway_message_id=f"g{campaign.pk}",
        )  # fmt: skip
    replies_store(
        account=account,
        messages=[IncomingMessage("r2", "+79120000065", "СТОП", now)],
    )

    assert Reply.objects.get().campaign_id == delivered.pk


def test_a_batch_of_replies_costs_the_same_few_statements_as_one(
    simulator, make_campaign, django_assert_max_num_queries
):
    """Linking each reply to its campaign and each opt-out to the stop list took a
    query per reply; a fetch brings hundreds."""
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account)
    sent = timezone.now() - timedelta(hours=1)
    phones = [f"+7912000{n:04d}" for n in range(200)]
    Message.objects.bulk_create(
        Message(
            campaign=campaign,
            account=account,
            phone=phone,
            text="x",
            channel="sms",
            planned_at=sent,
            submitted_at=sent,
            status="delivered",
        )  # fmt: skip
        for phone in phones
    )
    messages = [
        IncomingMessage(f"b{n}", phone, "СТОП" if n % 2 else "Да", None)
        for n, phone in enumerate(phones)
    ]
    messages.append(IncomingMessage("", "+79120009999", "Кто это?", None))

    # Contacts, the known ids, two inserts, the link and its read-back, the stop
    # list, and the savepoint around them.
    with django_assert_max_num_queries(9):
        stored = replies_store(account=account, messages=messages)

    assert len(stored) == 201
    assert Reply.objects.filter(campaign=campaign).count() == 200
    assert Reply.objects.get(gateway_message_id="").campaign_id is None
    assert {r.campaign_id for r in stored[:200]} == {campaign.pk}
    assert all(r.pk for r in stored)
    assert StopListEntry.objects.filter(source="keyword").count() == 100


def test_a_gateway_listing_a_reply_twice_stores_it_once(simulator):
    account = simulated_account(simulator, "smsc")
    twice = IncomingMessage("d1", "+79120000070", "СТОП", None)

    assert len(replies_store(account=account, messages=[twice, twice])) == 1
    assert Reply.objects.count() == 1
    assert StopListEntry.objects.get().reason == "«СТОП»"


def test_an_opt_out_keeps_an_existing_stop_list_entry(simulator):
    account = simulated_account(simulator, "webcom")
    StopListEntry.objects.create(phone="+79120000071", reason="asked by phone")

    replies_store(
        account=account,
        messages=[IncomingMessage("k1", "+79120000071", "stop", None)],
    )

    entry = StopListEntry.objects.get()
    assert (entry.reason, entry.source) == ("asked by phone", "manual")


def test_a_reply_no_row_can_hold_is_fitted_and_the_stop_beside_it_kept(simulator):
    """A 300-digit sender, an id past its column, a text of 200,000 characters, a
    time in the year 1: one such reply failed the whole batch's insert, at every
    fetch and every retry of the push, and the STOP beside it was never applied."""
    account = simulated_account(simulator, "webcom")
    year_one = timezone.datetime(1, 1, 1, tzinfo=timezone.get_fixed_timezone(180))
    messages = [
        IncomingMessage("x" * 100, "+" + "7" * 300, "ж" * 200_000, year_one,
                        to="9" * 50),
        IncomingMessage("s1", "+79120000063", "СТОП", None),
    ]  # fmt: skip

    stored = replies_store(account=account, messages=messages)
    again = replies_store(account=account, messages=messages)

    assert len(stored) == 2
    assert again == []  # the fitted id still tells a repeat
    odd = Reply.objects.get(gateway_message_id="x" * 64)
    assert (len(odd.phone), len(odd.text), len(odd.to)) == (16, 40_000, 32)
    assert odd.received_at.year == timezone.now().year
    assert StopListEntry.objects.filter(phone="+79120000063").exists()


def _queue_backlog(simulator, account, count: int) -> set[str]:
    """`count` replies waiting at SMSC, every tenth a STOP; the STOP senders."""
    stops = set()
    for n in range(count):
        phone = f"7977{n:07d}"
        text = "Стоп" if n % 10 == 0 else "ок"
        simulator.state.add_incoming("smsc", account.login, phone=phone, text=text)
        if text == "Стоп":
            stops.add(f"+{phone}")
    return stops


def test_an_smsc_backlog_past_one_fetchs_page_cap_is_read_by_the_next_fetches(
    simulator, monkeypatch
):
    """A backlog larger than one fetch reads (QA: 12,500 replies, 200 × 51 pages) was
    stored up to the cap and then never again: every fetch restarted from the oldest
    reply of its window, and the STOPs past the cap were lost. Pages shrunk here so
    that 150 replies are three fetches' worth."""
    monkeypatch.setattr("providers.gateways.smsc.INCOMING_PAGE", 20)
    monkeypatch.setattr("providers.gateways.smsc.INCOMING_PAGES_MAX", 3)
    account = simulated_account(simulator, "smsc")
    stops = _queue_backlog(simulator, account, 150)

    fetched = [incoming_fetch(account=account) for _ in range(4)]

    assert fetched == [60, 60, 30, 0]
    assert Reply.objects.filter(account=account).count() == 150
    assert (
        Reply.objects.values("gateway_message_id").distinct().count() == 150
    )  # each once
    assert set(StopListEntry.objects.values_list("phone", flat=True)) == stops
    account.refresh_from_db()
    assert account.incoming_cursor == max(
        Reply.objects.values_list("gateway_message_id", flat=True), key=int
    )


def test_a_fetch_goes_on_after_its_cursor_not_after_a_pushed_reply(
    simulator, monkeypatch
):
    """A reply pushed by SMSC's callback may be newer than a backlog not fetched yet:
    the fetch goes on from where the last fetch stopped, not from the newest reply."""
    monkeypatch.setattr("providers.gateways.smsc.INCOMING_PAGE", 20)
    monkeypatch.setattr("providers.gateways.smsc.INCOMING_PAGES_MAX", 1)
    account = simulated_account(simulator, "smsc")
    _queue_backlog(simulator, account, 50)
    assert incoming_fetch(account=account) == 20
    newest = simulator.state.add_incoming(
        "smsc", account.login, phone="79120000070", text="pushed"
    )
    replies_store(
        account=account,
        messages=[IncomingMessage(newest.id, "+79120000070", "pushed", None)],
    )

    assert [incoming_fetch(account=account) for _ in range(3)] == [20, 10, 0]
    assert Reply.objects.filter(account=account).count() == 51


def test_a_reply_is_not_linked_to_a_voice_call(simulator, make_campaign):
    """A call cannot be answered by SMS: a reply after a voice message answers the
    text sent before it, not «Голос: напоминание»."""
    account = simulated_account(simulator, "webcom")
    texted, called = make_campaign(account=account), make_campaign(account=account)
    now = timezone.now()
    for campaign, channel, sent in (
        (texted, "sms", now - timedelta(hours=3)),
        (called, "voice", now - timedelta(hours=1)),
    ):
        Message.objects.create(
            campaign=campaign, account=account, phone="+79120000066", text="x",
            channel=channel, planned_at=sent, submitted_at=sent, status="delivered",
            gateway_message_id=f"g{campaign.pk}",
        )  # fmt: skip
    replies_store(
        account=account,
        messages=[IncomingMessage("r6", "+79120000066", "Да", now)],
    )

    assert Reply.objects.get().campaign_id == texted.pk


def test_a_reply_after_a_message_of_unknown_fate_answers_its_campaign(
    simulator, make_campaign
):
    """Webcom's partly_deliver (some parts arrived) reads «unknown»: the reply to it
    was linked to no campaign."""
    account = simulated_account(simulator, "webcom")
    campaign = make_campaign(account=account)
    sent = timezone.now() - timedelta(hours=1)
    Message.objects.create(
        campaign=campaign, account=account, phone="+79120000066", text="x",
        channel="sms", planned_at=sent, submitted_at=sent, status="unknown",
        gateway_message_id="g-unknown",
    )  # fmt: skip

    replies_store(
        account=account,
        messages=[IncomingMessage("r3", "+79120000066", "Да", timezone.now())],
    )

    assert Reply.objects.get().campaign_id == campaign.pk
