"""Gateway parsers never crash: any body is either read or refused with a GatewayError."""

import contextlib

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.base import AccountConfig, InboundRequest, OutgoingSms
from providers.exceptions import GatewayError
from providers.parsing import BodyError
from providers.registry import GATEWAYS, gateway_class

KINDS = sorted(GATEWAYS)
BASE = "http://127.0.0.1:9"
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

# Bodies that look like what the vendors send, mutated; plus arbitrary bytes.
vendor_like = st.sampled_from(
    [
        b'<?xml version="1.0"?><response><information number_sms="1" id_sms="5" parts="1">send</information></response>',
        b'<response><state id_sms="5" time="2024-01-01 10:00:00">deliver</state></response>',
        b'{"id": 5, "cnt": 1}',
        b'[{"id_sms":"5","state":"deliver"}]',
        b"[result]\r\nerror_num = 0\r\npacket_id = 12\r\n",
        b"<status id='1' date=''><state>delivered</state></status>",
        b"ERROR = 2 (authorization failed)",
        "Неправильный логин или пароль".encode("cp1251"),
    ]
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.tuples(vendor_like, st.integers(0, 120), st.binary(max_size=8)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    ),
)
fields = st.dictionaries(
    st.sampled_from(["id", "phone", "status", "err", "time", "ts", "md5", "mes", "to",
                     "xml", "state", "id_sms"]),
    st.text(max_size=40),
    max_size=6,
)  # fmt: skip


def gateway(kind: str):
    config = AccountConfig(
        kind=kind, base_url=f"{BASE}/{kind}", login="l", password="p"
    )
    return gateway_class(kind)(config)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(body=bodies, form=fields, query=fields)
def test_status_callback_parsing_never_crashes(kind, body, form, query):
    request = InboundRequest(method="POST", query=query, form=form, body=body,
                             content_type="text/xml")  # fmt: skip
    gw = gateway(kind)
    try:
        gw.verify_callback(request)
        gw.parse_status_callback(request)
    except (GatewayError, BodyError):
        pass


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(body=bodies, status=st.sampled_from([200, 400]))
def test_send_and_status_answers_never_crash(kind, body, status):
    gw = gateway(kind)
    sms = OutgoingSms(reference="42", phone="+79120000001", text="Привет", sender="S")
    with respx.mock(base_url=f"{BASE}/{kind}", assert_all_called=False) as mock:
        mock.route().mock(return_value=httpx.Response(status, content=body))
        for call in (
            lambda: gw.send([sms]),
            lambda: gw.fetch_statuses(["5"]),
            gw.balance,
        ):
            with contextlib.suppress(GatewayError):
                call()
