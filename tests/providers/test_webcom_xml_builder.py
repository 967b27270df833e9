"""The send document is built as text; it must be exactly what lxml would write.

The oracle below is the element-by-element construction the builder replaced (lxml
escapes, one line, line breaks in texts as \\n); random batches with every
character XML treats specially, Viber fields, schedules and validity must serialise
to the same bytes, and characters XML cannot carry are refused the same way.
"""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from providers.base import MessageChannel, OutgoingSms, ViberContent
from providers.gateways import webcom_parse as wp

SPECIAL = "&<>\"'\n\r\t €😀Жё{}[]\\"


def lxml_send_request(batch, credentials) -> bytes:
    messages = []
    for fields, recipients in wp.group_messages(batch):
        message = etree.Element(
            "message", {k: fields[k] for k in wp.MESSAGE_ATTRIBUTES if k in fields}
        )
        for name in wp.MESSAGE_ELEMENTS:
            if name in fields:
                etree.SubElement(message, name).text = fields[name]
        for number, sms in recipients:
            etree.SubElement(message, "abonent", wp.recipient_fields(sms, number))
        messages.append(message)
    return wp.xml_request(credentials, *messages, security_first=False)


def random_text(rng: random.Random) -> str:
    alphabet = "abc Привет 123" + SPECIAL
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))


def random_sms(rng: random.Random, n: int) -> OutgoingSms:
    at = datetime(2026, 3, 1, 7, 0, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(10**6)
    )
    channel = rng.choice(list(MessageChannel))
    viber = None
    if channel in (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS):
        viber = ViberContent(text=rng.choice(["", random_text(rng)]), sender="V&V",
                             button_text=random_text(rng), button_url="https://e.ru/?a=1&b=<2>",
                             image_url=rng.choice(["", "https://e.ru/i.png"]))  # fmt: skip
    return OutgoingSms(
        reference=rng.choice([str(n), f"ref-{n}"]),
        phone=f"+7912{n:07d}",
        text=rng.choice(["Одинаковый текст", random_text(rng)]),
        sender=rng.choice(["SMSPORTAL", 'A&"B']),
        channel=channel,
        send_at=rng.choice([None, at]),
        valid_until=rng.choice([None, at + timedelta(hours=3)]),
        viber=viber,
    )


@pytest.mark.parametrize("seed", range(30))
def test_the_text_builder_writes_what_lxml_writes(seed):
    rng = random.Random(seed)
    batch = [random_sms(rng, n) for n in range(rng.randrange(1, 40))]
    credentials = rng.choice([{"login": "l&<", "password": 'p"\n'}, {"token": "t"}])
    built = wp.xml_send_request(batch, credentials)
    assert built == lxml_send_request(batch, credentials)
    assert b"\n" not in built
    assert b"\r" not in built
    assert wp.read_xml(built).findall("message")  # and it parses


@pytest.mark.parametrize("bad", ["\x00", "\x0c", "\x1f", "\ud800", "\ufffe"])
def test_characters_xml_cannot_carry_are_refused_like_lxml_does(bad):
    batch = [OutgoingSms(reference="1", phone="+79120000001", text=f"a{bad}b",
                         sender="S")]  # fmt: skip
    with pytest.raises(ValueError, match="XML compatible|surrogates"):
        lxml_send_request(batch, {"login": "l", "password": "p"})
    with pytest.raises(ValueError, match="XML compatible"):
        wp.xml_send_request(batch, {"login": "l", "password": "p"})


def test_a_viber_only_message_carries_no_sms_text_of_its_own():
    """<text> of a Viber-only message repeats the Viber text (seed 004 marks it
    required), so an SMS text left in the message never travels."""
    sms = OutgoingSms(reference="1", phone="+79120000001", text="SMS text, unused",
                      sender="S", channel=MessageChannel.VIBER,
                      viber=ViberContent(text="Viber text", sender="S"))  # fmt: skip
    message = wp.read_xml(wp.xml_send_request([sms], {"token": "t"})).find("message")
    json_message = json.loads(wp.json_send_request([sms], {"token": "t"}))["message"]
    get = wp.get_send_params([sms], {"token": "t"})

    assert (message.findtext("text"), message.findtext("text_viber")) == (
        "Viber text", "Viber text",
    )  # fmt: skip
    assert (json_message["text"], json_message["text_viber"]) == (
        "Viber text", "Viber text",
    )  # fmt: skip
    assert (get["text"], get["text_viber"]) == ("Viber text", "Viber text")
