"""The WEBSMS simulator against the document: raw HTTP, bytes, encodings, error texts."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest

from providers.base import AccountConfig, OutgoingSms
from providers.gateways.websms import WebsmsGateway
from providers.simulator import SimAccount
from providers.simulator.websms import build_status_callback
from tests.providers.samples import vendor_sample

LOGIN, PASSWORD = "логин-ws", "пароль-ws"
TEXT = "Привет, мир! Ёлка «ёж»"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def account(simulator) -> SimAccount:
    return simulator.state.add_account(
        SimAccount(
            gateway="websms", login=LOGIN, password=PASSWORD, balance=Decimal("50")
        )
    )


def post(simulator, page: str, fields: dict, encoding: str = "") -> httpx.Response:
    """POST a form encoded as the page expects unless told otherwise."""
    utf8 = page in ("http_in6.asp", "json_in5.asp", "json_out5.asp")
    encoding = encoding or ("utf-8" if utf8 else "cp1251")
    body = urlencode(fields, encoding=encoding).encode("ascii")
    return httpx.post(
        f"{simulator.url}/websms/{page}", content=body, headers={"Content-Type": FORM}
    )


def creds(**fields) -> dict:
    return {"http_username": LOGIN, "http_password": PASSWORD, **fields}


def form(**fields) -> dict:
    """A send form with defaults that `fields` may override."""
    return creds(**{"message": "Hi", "phone_list": "79120000001", **fields})


def submitted(simulator) -> list[str]:
    return [s.text for s in simulator.state.submissions]


# The Done-when: windows-1251 through http_in5.asp, UTF-8 elsewhere. ----------


def test_cyrillic_reaches_http_in5_as_windows_1251_and_the_others_as_utf8(
    simulator, account
):
    gateways = {
        dialect: WebsmsGateway(
            AccountConfig(
                kind="websms",
                base_url=f"{simulator.url}/websms",
                login=LOGIN,
                password=PASSWORD,
                dialect=dialect,
            )
        )
        for dialect in ("http_in5", "http_in6", "json")
    }
    for number, (_dialect, gateway) in enumerate(gateways.items()):
        gateway.send([OutgoingSms(str(number + 1), "+79120000001", TEXT, sender="")])
    held = sorted(
        simulator.state.messages["websms"].values(), key=lambda m: m.created_at
    )
    assert [m.text for m in held] == [TEXT] * 3
    assert [m.extra["page"] for m in held] == [
        "http_in5.asp",
        "http_in6.asp",
        "json_in5.asp",
    ]
    in5, in6, json_in5 = (m.extra["raw_body"] for m in held)
    # The bytes on the wire: "Привет" percent-encoded from windows-1251, not UTF-8.
    assert urlencode({"message": "Привет"}, encoding="cp1251")[8:] in in5
    assert "%CF%F0%E8%E2%E5%F2" in in5
    assert "%D0%9F" not in in5
    assert "%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82" in in6
    assert "%CF%F0%E8" not in in6
    # json_in5: the JSON text is \u-escaped ASCII, valid UTF-8 whichever way it is read.
    payload = httpx.QueryParams(json_in5)["json"]
    assert payload.isascii()
    assert json.loads(payload)["message"] == TEXT


def test_http_in5_decodes_windows_1251_so_utf8_bytes_arrive_garbled(simulator, account):
    post(simulator, "http_in5.asp", creds(message=TEXT, phone_list="79120000001"))
    login = urlencode(creds(phone_list="79120000002"), encoding="cp1251")
    utf8_text = urlencode({"message": TEXT}, encoding="utf-8")
    httpx.post(
        f"{simulator.url}/websms/http_in5.asp",
        content=f"{login}&{utf8_text}".encode("ascii"),
        headers={"Content-Type": FORM},
    )
    right, garbled = submitted(simulator)
    assert right == TEXT
    assert garbled == TEXT.encode("utf-8").decode("cp1251", "replace")


def test_http_in6_and_json_in5_decode_utf8(simulator, account):
    post(simulator, "http_in6.asp", creds(message=TEXT, phone_list="79120000001"))
    data = json.dumps(creds(message=TEXT, phone_list="79120000002"), ensure_ascii=False)
    post(simulator, "json_in5.asp", {"json": data})
    assert submitted(simulator) == [TEXT, TEXT]


def test_get_query_parameters_work_too(simulator, account):
    query = urlencode(creds(message=TEXT, phone_list="79120000001"), encoding="cp1251")
    httpx.get(f"{simulator.url}/websms/http_in5.asp?{query}")
    assert submitted(simulator) == [TEXT]


# Reply bodies ----------------------------------------------------------------------


def test_http_in5_txt_reply_is_windows_1251_with_the_documented_fields(
    simulator, account
):
    reply = post(
        simulator,
        "http_in5.asp",
        creds(message=TEXT, phone_list="+79120000001"),
        "cp1251",
    )
    assert reply.headers["content-type"] == "text/plain; charset=windows-1251"
    text = reply.content.decode("cp1251")
    assert text.startswith("[Common]\r\nerror_num=OK\r\npacket_id =")
    assert f"message_text={TEXT}\r\n" in text
    assert (
        "summ_ phone=1\r\nsumm_ parts=1\r\npacket_cost=3,50\r\nbalance_after=46,50"
        in text
    )


def test_xml_reply_has_single_quoted_attributes_and_decimal_commas(simulator, account):
    reply = post(
        simulator,
        "http_in6.asp",
        creds(message="Hi", phone_list="79120000001", format="xml"),
    )
    text = reply.text
    assert text.startswith(
        "<?xml version='1.0' encoding='UTF-8' ?>\r\n<XML>\r\n<httpIn "
    )
    assert "error_num='0'" in text
    assert "balance_before='50,00'" in text
    assert "<sms num='1' message_id='" in text


def test_json_reply_uses_err_num_and_string_numbers(simulator, account):
    reply = post(
        simulator,
        "json_in5.asp",
        {"json": json.dumps(creds(message="Hi", phone_list="79120000001"))},
    )
    data = reply.json()
    assert (data["error"], data["err_num"], data["packet_cost"]) == ("OK", 0, "3,50")
    assert data["sms"][0]["message_phone"] == "79120000001"


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"http_password": "wrong"}, 1, "error login, password"),
        ({"http_username": ""}, 22, "empty login"),
        ({"http_password": ""}, 21, "empty password"),
        ({"message": ""}, 11, "empty message text"),
        ({"phone_list": "7912abc"}, 10, "error manual phone list"),
        ({"phone_list": "79120009999"}, 10, "error manual phone list"),
        ({"send_on": "31/12/2030"}, 14, "error format date"),
        ({"send_on": "01.01.2031 10:00", "gmt": "13"}, 14, "error format date"),
        ({"send_on": "01.01.2031 10:00", "gmt": "Москва"}, 14, "error format date"),
        ({"fromPhone": "UNKNOWN"}, 23, "Invalid FromPhone"),
        ({"group": "404"}, 20, "Incorrect Group"),
    ],
)
def test_document_errors_in_txt_xml_and_json(simulator, account, fields, code, text):
    base = form(**fields)
    txt = post(simulator, "http_in6.asp", base).text
    assert txt == f"[Common]\r\nerror_num={text}\r\nerror_code={code}\r\n"
    xml = post(simulator, "http_in6.asp", {**base, "format": "xml"}).text
    assert f"<httpIn error_num='{code}' />" in xml
    data = post(simulator, "json_in5.asp", {"json": json.dumps(base)}).json()
    assert data == {"error": text, "err_num": code}
    assert simulator.state.submissions == []


def test_stop_listed_and_duplicate_numbers_are_removed(simulator, account):
    account.stop_list.add("79120000077")
    reply = post(
        simulator, "http_in6.asp", creds(message="Hi", phone_list="79120000077")
    )
    assert "error_code=12" in reply.text
    both = "79120000001,+79120000001,0079120000002,79120000077"
    post(simulator, "http_in6.asp", creds(message="Hi", phone_list=both))
    assert [s.phone for s in simulator.state.submissions] == [
        "79120000001",
        "79120000002",
    ]


def test_no_money_is_error_3(simulator, account):
    account.balance = Decimal("1")
    reply = post(
        simulator, "http_in6.asp", creds(message="Hi", phone_list="79120000001")
    )
    assert reply.text.endswith("error_num=insufficient funds\r\nerror_code=3\r\n")


@pytest.mark.parametrize(
    ("fmt", "sample"), [("txt", "send_ok.txt"), ("xml", "send_ok.xml")]
)
def test_test_minus_one_answers_the_documented_example_without_credentials(
    simulator, fmt, sample
):
    fields = {"message": "Hi", "phone_list": "79120000001", "test": "-1", "format": fmt}
    reply = post(simulator, "http_in6.asp", fields)
    assert reply.content == vendor_sample("websms", sample)
    json_reply = post(simulator, "json_in5.asp", {"json": json.dumps(fields)})
    assert json_reply.content == vendor_sample("websms", "send_ok.json")
    results = post(simulator, "http_out5.asp", {"message_id": "1", "test": "1"})
    assert results.content == vendor_sample("websms", "status_ok.txt").decode().encode(
        "cp1251"
    )
    assert simulator.state.submissions == []


def test_parameter_names_are_case_insensitive_except_json_fromphone(simulator, account):
    fields = {"Http_username": LOGIN, "Http_password": PASSWORD, "Message": "Hi"}
    post(
        simulator,
        "http_in6.asp",
        {**fields, "Phone_list": "79120000001", "FROMPHONE": "TESTSMS"},
    )
    # In JSON only "fromPhone" names the sender: "FromPhone" is ignored, not refused.
    payload = {**creds(message="Hi", phone_list="79120000002"), "FromPhone": "UNKNOWN"}
    reply = post(simulator, "json_in5.asp", {"json": json.dumps(payload)})
    assert reply.json()["err_num"] == 0
    senders = [m.sender for m in simulator.state.messages["websms"].values()]
    assert senders == ["TESTSMS", ""]


def test_balance_text_xml_and_error(simulator, account):
    plain = post(simulator, "http_credit.asp", creds())
    assert plain.content == b"50,00"
    assert (
        post(simulator, "http_credit.asp", creds(format="XML")).text
        == "<BALANCE>50,00</BALANCE>"
    )
    assert (
        post(simulator, "http_credit.asp", creds(http_password="x")).text
        == "error login, password"
    )
    assert post(simulator, "http_credit.asp", {"test": "1"}).text == "3530,04"


def test_results_by_packet_user_packet_and_message(simulator, account):
    sent = post(
        simulator,
        "http_in6.asp",
        creds(
            message="Hi",
            phone_list="79120000001,79120000002",
            packet_id="77",
            format="xml",
        ),
    ).text
    packet = sent.split("packet_id='")[1].split("'")[0]
    by_packet = post(
        simulator, "http_out5.asp", creds(packet_id=packet)
    ).content.decode("cp1251")
    by_user = post(
        simulator, "http_out5.asp", creds(user_packet_id="77")
    ).content.decode("cp1251")
    # Statuses move on between the two polls: compare which messages came back.
    ids = [line for line in by_packet.splitlines() if line.startswith("message_id")]
    assert ids == [
        line for line in by_user.splitlines() if line.startswith("message_id")
    ]
    assert by_packet.count("num_#=") == 2
    assert "result_Id=" in by_packet
    answer = post(
        simulator, "json_out5.asp", {"json": json.dumps(creds(user_packet_id="77"))}
    )
    data = answer.json()
    assert len(data["sms"]) == 2
    assert isinstance(data["summary"], list)
    unknown = post(simulator, "http_out5.asp", creds(message_id="1")).content.decode(
        "cp1251"
    )
    assert "num_#" not in unknown


def test_delete_answers_in_both_documented_spellings(simulator, account):
    fields = creds(
        message="Hi", phone_list="79120000001", send_on="01.01.2031 10:00", format="xml"
    )
    sent = post(simulator, "http_in6.asp", fields).text
    packet = sent.split("packet_id='")[1].split("'")[0]
    txt = post(simulator, "http_delete.asp", creds(packet_id=packet)).text
    assert txt == "SMSDELETE: 1 \r\nMONEYBACK:3.50 \r\nERROR: 0 \r\n"
    xml = post(simulator, "http_delete.asp", creds(packet_id=packet, format="xml")).text
    assert (
        xml
        == "<XML><PARTSDELETE>0</PARTSDELETE><MONEYBACK>0.00</MONEYBACK><ERROR>OK</ERROR></XML>"
    )
    assert account.balance == Decimal("50.00")


def test_address_book_in_windows_1251(simulator, account):
    added = post(
        simulator, "http_addrbook.asp", creds(act="addgroup", name="группа1"), "cp1251"
    )
    text = added.content.decode("cp1251")
    assert text.startswith("[result]\r\nresult=0\r\nmess=ok, group ")
    group = text.split("group_id=")[1].split("\r\n")[0]
    user = creds(
        act="adduser",
        phone="71231234567",
        nick="Федор",
        name="Дмитрий",
        family="Иванов",
        date="10.12.2001",
        group=group,
    )
    reply = post(simulator, "http_addrbook.asp", user, "cp1251").content.decode(
        "cp1251"
    )
    assert "nick=Федор\r\nname=Дмитрий\r\nfamily=Иванов\r\ndate=10.12.2001\r\n" in reply
    user_id = reply.split("id=")[1].split("\r\n")[0]
    deleted = post(
        simulator, "http_addrbook.asp", creds(act="deluser", id=user_id), "cp1251"
    )
    assert f"mess=ok, user {user_id} deleted" in deleted.content.decode("cp1251")
    gone = post(
        simulator, "http_addrbook.asp", creds(act="delgroup", id=group), "cp1251"
    )
    assert f"mess=ok, group {group} deleted" in gone.content.decode("cp1251")


def test_statistics_is_an_ado_rowset(simulator, account):
    post(simulator, "http_in6.asp", creds(message="Hi", phone_list="79120000001"))
    body = post(simulator, "get_statistic.asp", creds(repformat="3")).text
    assert 'xmlns:rs="urn:schemas-microsoft-com:rowset"' in body
    assert body.count("<z:row ") == 1
    assert 'message_phone="79120000001"' in body


def test_status_callback_bodies_follow_both_documented_shapes(simulator, account):
    post(simulator, "http_in6.asp", creds(message="Hi", phone_list="79120000001"))
    live = next(iter(simulator.state.messages["websms"].values()))
    # Copies: the dispatcher keeps advancing the live message meanwhile.
    account = replace(account, status_callback_url="http://127.0.0.1:9/cb")
    message = replace(live, state="delivered")
    url, body, content_type = build_status_callback(message, account)
    assert url == "http://127.0.0.1:9/cb"
    assert content_type.startswith("text/xml")
    text = body.decode()
    assert text.startswith(f"<status id='{message.id}' date='")
    assert "+0300' package='" in text
    assert "<state>delivered</state>" in text
    assert "<result_id>6</result_id>" in text
    message = replace(live, state="undelivered")
    assert (
        '<state error="Абонент недоступен">undeliverable</state>'
        in build_status_callback(message, account)[1].decode()
    )
    message = replace(live, state="sent")
    assert build_status_callback(message, account) is None


def test_unknown_page_is_404(simulator):
    assert httpx.get(f"{simulator.url}/websms/http_in4.asp").status_code == 404


@pytest.mark.parametrize(
    ("gmt", "utc_hour"),
    [("", 5), ("0", 5), ("3", 7), ("+3", 7), ("-2", 12), ("12", -2)],
)
def test_send_on_is_read_in_the_zone_gmt_names_else_the_cabinets(
    simulator, account, gmt, utc_hour
):
    """Seed 002: `gmt` 0 (or none) is the zone of the cabinet's settings, here +5;
    +12..-12 the zone the time is written in."""
    from datetime import UTC, datetime, timedelta

    account.utc_offset_hours = 5
    fields = form(send_on="01.01.2031 10:00", **({"gmt": gmt} if gmt else {}))
    assert "error_num=OK" in post(simulator, "http_in6.asp", fields).text

    [message] = simulator.state.messages["websms"].values()
    expected = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=utc_hour)
    assert message.send_at == expected.timestamp()


def test_a_viber_message_takes_a_gallery_picture_by_number(simulator, account):
    fields = form(mode="viber", id_fileid="17", button="Купить")
    assert "error_num=OK" in post(simulator, "http_in6.asp", fields).text

    [message] = simulator.state.messages["websms"].values()
    assert (message.channel, message.extra["id_fileid"]) == ("viber", "17")
    assert message.extra["button"] == "Купить"
