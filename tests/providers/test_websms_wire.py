"""WEBSMS requests byte for byte, as the simulator received them: a scheduled send
names the zone its time is written in (`gmt`), and a Viber picture goes as the
number of the cabinet gallery's file (`id_fileid`), in every dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from providers.base import MessageChannel, ViberContent
from providers.simulator import SimAccount
from tests.providers.test_websms import LOGIN, PASSWORD, make, messages, sms

SEND_AT = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)  # 10:08 in Moscow


def cabinet_zone(simulator, hours: int) -> None:
    """The WEBSMS account, its cabinet set to this time zone (hours east of UTC)."""
    simulator.state.add_account(
        SimAccount(gateway="websms", login=LOGIN, password=PASSWORD,
                   balance=Decimal("100.00"), utc_offset_hours=hours)
    )  # fmt: skip


@pytest.mark.parametrize("hours", [3, 4, 5, -2])
def test_a_scheduled_send_goes_out_at_its_moment_whatever_the_cabinets_zone(
    simulator, hours
):
    """send_on without `gmt` was read in the cabinet's zone (the doc's default "+4",
    or whatever its user chose): two hours early in Yekaterinburg's."""
    cabinet_zone(simulator, hours)

    make(simulator).send([sms(send_at=SEND_AT)])

    [message] = messages(simulator)
    assert message.send_at == SEND_AT.timestamp()
    assert (message.extra["send_on"], message.extra["gmt"]) == ("06.05.2031 10:08", "3")


def test_http_in6_bytes_of_a_scheduled_viber_message_with_a_gallery_picture(
    simulator,
):
    cabinet_zone(simulator, 5)
    viber = ViberContent(text="Скидка", button_text="Купить", image_id="17")

    make(simulator).send(
        [sms(channel=MessageChannel.VIBER, viber=viber, send_at=SEND_AT)]
    )

    [message] = messages(simulator)
    assert message.extra["raw_body"] == (
        "http_username=ws-login&http_password=ws-pa%24%24word"
        "&phone_list=%2B79120000001&message=%D0%A1%D0%BA%D0%B8%D0%B4%D0%BA%D0%B0"
        "&fromPhone=SMSPORTAL&packet_id=1001&message_id=1001"
        "&send_on=06.05.2031+10%3A08&gmt=3&mode=viber"
        "&button=%D0%9A%D1%83%D0%BF%D0%B8%D1%82%D1%8C&id_fileid=17&format=txt"
    )
    assert (message.channel, message.extra["id_fileid"]) == ("viber", "17")
    assert message.send_at == SEND_AT.timestamp()


def test_http_in5_bytes_are_windows_1251_with_gmt_and_the_picture(simulator):
    cabinet_zone(simulator, 5)
    viber = ViberContent(text="Скидка", image_id="17")

    make(simulator, dialect="http_in5").send(
        [sms(channel=MessageChannel.VIBER_THEN_SMS, viber=viber, send_at=SEND_AT)]
    )

    [message] = messages(simulator)
    assert message.extra["page"] == "http_in5.asp"
    assert message.extra["raw_body"] == (
        "http_username=ws-login&http_password=ws-pa%24%24word"
        "&phone_list=%2B79120000001&message=%D1%EA%E8%E4%EA%E0"
        "&fromPhone=SMSPORTAL&packet_id=1001&message_id=1001"
        "&send_on=06.05.2031+10%3A08&gmt=3&mode=viber&to_sms=3&id_fileid=17"
        "&format=txt"
    )
    assert message.send_at == SEND_AT.timestamp()


def test_json_in5_carries_gmt_and_the_picture_in_its_json_field(simulator):
    import json
    from urllib.parse import parse_qs

    cabinet_zone(simulator, 5)
    viber = ViberContent(text="Hi", image_id="17")

    make(simulator, dialect="json").send(
        [sms(channel=MessageChannel.VIBER, viber=viber, send_at=SEND_AT)]
    )

    [message] = messages(simulator)
    [field] = parse_qs(message.extra["raw_body"])["json"]
    sent = json.loads(field)
    assert {k: sent[k] for k in ("send_on", "gmt", "mode", "id_fileid")} == {
        "send_on": "06.05.2031 10:08", "gmt": "3", "mode": "viber", "id_fileid": "17",
    }  # fmt: skip
    assert message.send_at == SEND_AT.timestamp()


def test_an_unscheduled_send_names_no_zone(simulator):
    make(simulator).send([sms()])

    [message] = messages(simulator)
    assert "send_on" not in message.extra["raw_body"]
    assert "gmt" not in message.extra["raw_body"]
