"""The SMSC simulator against the documents: raw HTTP, bodies, encodings, error texts."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from providers.simulator import Fault, SimAccount
from providers.simulator import smsc as sim
from tests.providers.samples import vendor_sample

LOGIN, PASSWORD = "proto", "pa$$-1"
UTF8 = {"charset": "utf-8"}


@pytest.fixture
def account(simulator):
    return simulator.state.add_account(
        SimAccount(gateway="smsc", login=LOGIN, password=PASSWORD, token="api-key-1")
    )


@pytest.fixture
def call(simulator, account):
    def call(path: str, *, method: str = "GET", **params) -> httpx.Response:
        fields = {"login": LOGIN, "psw": PASSWORD, **params}
        url = f"{simulator.url}/smsc/sys/{path}"
        if method == "POST":
            return httpx.post(url, data=fields)
        return httpx.get(url, params=fields)

    return call


def test_auth_error_bodies_match_the_documented_samples(call):
    for fmt, name in (("3", "error_auth.json"), ("0", "error_fmt0.txt")):
        response = call("balance.php", psw="wrong", fmt=fmt, **UTF8)
        assert response.content == vendor_sample("smsc", name)
    assert call("balance.php", psw="wrong", fmt="1").content == vendor_sample(
        "smsc", "balance_error_fmt1.txt"
    )
    xml = call("send.php", psw="wrong", fmt="2", **UTF8).text
    assert xml == "<result><error>authorise error</error><error_code>2</error_code></result>"  # fmt: skip


def test_api_key_and_md5_password_authenticate(call, simulator):
    url = f"{simulator.url}/smsc/sys/balance.php"
    assert httpx.get(url, params={"apikey": "api-key-1", "fmt": "3"}).json() == {
        "balance": "1000.00"
    }
    digest = hashlib.md5(PASSWORD.encode()).hexdigest()  # noqa: S324
    answer = call("balance.php", psw=digest, fmt="3", cur="1").json()
    assert answer == {"balance": "1000.00", "currency": "RUR"}


def test_balance_plain_answer(call):
    assert call("balance.php", fmt="0").text == "1000.00"


def test_send_answers_in_every_format(call):
    first = call("send.php", phones="79120000001", mes="a", fmt="0")
    assert re.fullmatch(r"OK - 1 SMS, ID - \d+", first.text)
    second = call("send.php", phones="79120000002", mes="b", id="42", cost="3", fmt="1")
    assert second.text == "42,1,3.50,993.00"
    third = call("send.php", phones="79120000003", mes="c", id="43", cost="2", fmt="2")
    assert third.text == "<id>43</id><cnt>1</cnt><cost>3.50</cost>"
    fourth = call("send.php", phones="79120000004", mes="d", id="44", fmt="3", **UTF8)
    assert fourth.json() == {"id": 44, "cnt": 1}
    assert fourth.headers["content-type"] == "application/json; charset=utf-8"


def test_send_without_charset_reads_windows_1251(call, simulator):
    text = "Привет, мир"
    body = urlencode(
        {"login": LOGIN, "psw": PASSWORD, "phones": "79120000001", "mes": text},
        encoding="cp1251",
    )
    response = httpx.post(
        f"{simulator.url}/smsc/sys/send.php",
        content=body.encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.headers["content-type"] == "text/plain"  # no charset label
    assert response.text.startswith("OK - 1 SMS")
    assert [s.text for s in simulator.state.submissions] == [text]


def test_cyrillic_status_answer_in_windows_1251(call):
    call("send.php", phones="79120000001", mes="Тест", id="7", **UTF8)
    response = call("status.php", id="7", phone="79120000001", all="1", fmt="3")
    assert response.headers["content-type"] == "application/json"
    answer = json.loads(response.content.decode("cp1251"))
    assert answer["message"] == "Тест"


def test_identical_send_within_a_minute_is_error_9(call, simulator):
    params = {"phones": "79120000001", "mes": "same", "id": "d1", "fmt": "3", **UTF8}
    assert call("send.php", **params).json() == {"id": "d1", "cnt": 1}
    assert call("send.php", **params).json() == {
        "error": "duplicate request, wait a minute",
        "error_code": 9,
    }
    assert len(simulator.state.submissions) == 1
    changed = call("send.php", **{**params, "mes": "other"})
    assert changed.json()["id"] == "d1"


def test_cost_estimate_allows_five_identical_requests(call, simulator):
    params = {"phones": "79120000001,79120000002", "mes": "x", "cost": "1", "fmt": "3"}
    answers = [call("send.php", **params).json() for _ in range(6)]
    assert answers[0] == {"cost": "7.00", "cnt": 2}
    assert answers[4] == answers[0]
    assert answers[5]["error_code"] == 9
    assert simulator.state.submissions == []
    assert call("send.php", phones="79120000001", mes="x", cost="1", fmt="1").text == (
        "3.50,1"
    )


def test_get_answers_refuses_the_fourth_identical_request(call, simulator):
    simulator.state.add_incoming(
        "smsc", LOGIN, phone="79612242243", text="Да", to="79001234567"
    )
    params = {"get_answers": "1", "hour": "48", "fmt": "3", **UTF8}
    answers = [call("get.php", **params).json() for _ in range(4)]
    assert answers[0] == answers[2]
    [row] = answers[0]
    assert set(row) == set(json.loads(vendor_sample("smsc", "incoming.json"))[0])
    assert row["message"] == "Да"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", row["received"])
    assert answers[3]["error_code"] == 9
    # A different window is a different request.
    assert call("get.php", **{**params, "after_id": str(row["id"])}).json() == []


def test_multi_phone_send_with_op_reports_each_phone(call):
    answer = call(
        "send.php",
        phones="79120000001,7999000",
        mes="x",
        id="m1",
        op="1",
        cost="3",
        fmt="3",
    ).json()
    assert answer["cnt"] == 1
    assert answer["phones"] == [
        {"phone": "79120000001", "mccmnc": "25001", "cost": "3.50", "status": "0"},
        {
            "phone": "7999000",
            "mccmnc": "",
            "cost": "0.00",
            "status": "-1",
            "error": "249",
        },  # fmt: skip
    ]


def test_refuse_fault_refuses_every_recipient(call, simulator):
    simulator.state.add_fault("smsc", Fault(mode="refuse"))
    answer = call(
        "send.php", phones="79120000001,79120000002", mes="x", id="r", op="1", fmt="3"
    ).json()
    assert (answer["error_code"], answer["error"], answer["id"]) == (
        8,
        "can't to deliver",
        "r",
    )
    assert {row["error"] for row in answer["phones"]} == {"255"}
    assert simulator.state.submissions == []


def test_send_errors_carry_the_id(call, account):
    assert call("send.php", phones="79120009999", mes="x", id="5", fmt="0").text == (
        "ERROR = 7 (invalid number), ID - 5"
    )
    account.balance = Decimal("1")
    assert call("send.php", phones="79120000001", mes="x", id="6", fmt="1").text == (
        "6,-3"
    )
    denied = call("send.php", phones="79120000001", mes="x", sender="NOPE", fmt="3")
    assert denied.json()["error"] == "message is denied"
    bad_time = call("send.php", phones="79120000001", mes="x", time="someday", fmt="3")
    assert bad_time.json()["error_code"] == 5
    assert call("send.php", mes="x", fmt="3").json()["error_code"] == 1


def test_status_formats_and_not_found(call, simulator):
    call("send.php", phones="79120000001", mes="x", id="s1")
    fmt0 = call("status.php", id="s1", phone="79120000001", fmt="0").text
    assert re.fullmatch(
        r"Status = -?\d+, check_time = \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d, err = 0", fmt0
    )
    assert re.fullmatch(r"-?\d+,\d+,0", call("status.php", id="s1", phone="79120000001", fmt="1").text)  # fmt: skip
    single = call("status.php", id="s1", phone="79120000001", fmt="3").json()
    assert set(single) == {"status", "last_date", "last_timestamp", "flag", "err"}
    multi = call(
        "status.php",
        id="s1,zz",
        phone="79120000001,79120000002",
        fmt="3",
        all="2",
        **UTF8,
    ).json()
    assert [(m["id"], m["status"]) for m in multi][1] == ("zz", -3)
    assert {"country", "operator", "region", "sms_cnt", "status_name"} <= set(multi[0])
    simulator.state.pass_time(60)  # one mass request a minute
    trailing = call("status.php", id="s1,", phone="79120000001,", fmt="3").json()
    assert isinstance(trailing, list)


def test_one_mass_status_request_a_minute(call, simulator):
    """REFERENCE §2.5: more than one mass status request a minute is error 9,
    whatever ids it names; a single message's status is not a mass request."""
    call("send.php", phones="79120000001", mes="x", id="m1")
    mass = {"id": "m1,m2", "phone": "79120000001,79120000002", "fmt": "3"}
    assert isinstance(call("status.php", **mass).json(), list)
    again = call("status.php", id="m1,", phone="79120000001,", fmt="3").json()
    assert again == {"error": "too many requests", "error_code": 9}
    single = call("status.php", id="m1", phone="79120000001", fmt="3").json()
    assert "status" in single
    simulator.state.pass_time(60)
    assert isinstance(call("status.php", **mass).json(), list)


def test_delete_scheduled_and_error_5(call):
    call("send.php", phones="79120000001", mes="later", id="t1", time="+60")
    call("send.php", phones="79120000002", mes="now", id="t2")
    deleted = call("status.php", id="t1", phone="79120000001", **{"del": "1"}, fmt="3")
    assert deleted.json() == {"result": "OK"}
    refused = call("status.php", id="t2", phone="79120000002", **{"del": "1"}, fmt="3")
    assert refused.json() == {"error": "error deleting a message", "error_code": 5}


def test_senders_and_black_list(call, account):
    assert call("senders.php", get="1", fmt="3").json() == [{"sender": "SMSPORTAL"}]
    assert "id" in call("senders.php", add="1", sender="NEW", fmt="3").json()
    assert account.senders["NEW"] == "moderation"
    call("phones.php", add_black="1", phone="79120000077", type="0", fmt="3")
    blocked = call("send.php", phones="79120000077", mes="x", op="1", fmt="3").json()
    assert blocked["error_code"] == 8
    assert blocked["phones"][0]["error"] == "250"
    call("phones.php", del_black="1", phone="79120000077", fmt="3")
    assert account.stop_list == set()


def test_contacts(call):
    call("phones.php", add="1", phone="79120000001", name="Анна", grp="3", **UTF8)
    rows = call("phones.php", get="1", grp="3", fmt="3", **UTF8).json()
    assert rows == [{"phone": "79120000001", "name": "Анна", "grp": "3"}]


def test_status_callback_format(simulator, account, call):
    account.status_callback_url = "http://127.0.0.1:9/cb"
    call("send.php", phones="79120000001", mes="x", id="cb")
    message = simulator.state.messages["smsc"]["cb:79120000001"]
    url, body, content_type = sim.build_status_callback(message, account)
    fields = dict(parse_qsl(body.decode()))
    assert url == "http://127.0.0.1:9/cb"
    # No secret set in the cabinet: nothing to sign with (an assumption).
    assert set(fields) == {"id", "phone", "status", "err", "ts", "time", "cnt", "type"}  # fmt: skip
    assert (fields["id"], fields["phone"], fields["status"]) == ("cb", "79120000001", "-1")  # fmt: skip

    account.callback_secret = "Секрет-1"  # set in the cabinet
    _url, body, _type = sim.build_status_callback(message, account)
    fields = dict(parse_qsl(body.decode()))
    signed = "cb:79120000001:-1:Секрет-1".encode("cp1251")  # the account's charset
    assert fields["md5"] == hashlib.md5(signed).hexdigest()  # noqa: S324


def test_callbacks_are_signed_with_the_cabinet_secret_not_the_password(
    simulator, account
):
    account.callback_secret = "s3cret"
    item = simulator.state.add_incoming(
        "smsc", LOGIN, phone="79612242243", text="Стоп", to="79001234567"
    )
    account.incoming_callback_url = "http://127.0.0.1:9/in"
    _url, body, _type = sim.build_incoming_callback(item, account)
    fields = dict(parse_qsl(body.decode("ascii"), encoding="cp1251"))
    signed = f"{item.id}:79612242243:Стоп:79001234567:s3cret".encode("cp1251")
    assert fields["md5"] == hashlib.md5(signed).hexdigest()  # noqa: S324
    assert PASSWORD not in body.decode("ascii")


def test_unknown_path_is_404(simulator):
    assert httpx.get(f"{simulator.url}/smsc/sys/nothing.php").status_code == 404


def test_a_call_takes_only_the_documented_voices_and_is_recorded(call, simulator):
    refused = call("send.php", phones="79031234567", mes="Привет", call="1",
                   voice="robot", fmt="3", **UTF8).json()  # fmt: skip
    sent = call("send.php", phones="79031234568", mes="Привет", call="1",
                voice="w2", fmt="3", **UTF8).json()  # fmt: skip

    assert refused["error_code"] == 1
    assert "id" in sent
    [submitted] = simulator.state.submissions
    assert (submitted.channel, submitted.extra["voice"]) == ("voice", "w2")
