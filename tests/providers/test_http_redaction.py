"""What an exchange keeps of a long body: its first characters, redacted as the whole
body would be, though only a prefix of it is searched for secrets."""

import pytest

from providers.base import AccountConfig
from providers.http import EXCHANGE_KEPT, GatewayHttp, redact, redacted_prefix

# A Cyrillic password: its URL-encoded and JSON-escaped forms are the longest.
SECRETS = ("bench", "пароль-секрет")


@pytest.mark.parametrize("form", [0, 1, 2])
def test_a_secret_cut_at_the_kept_length_leaves_no_piece(form):
    written = written_password(form)
    for at in range(EXCHANGE_KEPT - 120, EXCHANGE_KEPT + 120):
        text = "x" * at + written + "y" * 5000
        kept = redacted_prefix(text, SECRETS, EXCHANGE_KEPT)
        # As the whole body redacted, then cut: a piece of the password never.
        assert kept == redact(text, SECRETS)[:EXCHANGE_KEPT], (form, at)
        assert kept.strip("x").strip("*").strip("y") == "", (form, at)


def written_password(form: int) -> str:
    """The password as a body carries it: raw, URL-encoded (UTF-8), JSON-escaped."""
    from urllib.parse import quote

    password = SECRETS[1]
    if form == 1:
        return quote(password, safe="")
    if form == 2:
        return "".join(f"\\u{ord(c):04x}" if ord(c) > 127 else c for c in password)
    return password


def test_secrets_before_the_cut_are_masked_and_the_length_kept():
    # Many secrets early shorten the redacted prefix: more of the body is read.
    text = ("login=bench&" * 400) + "z" * 10_000
    kept = redacted_prefix(text, SECRETS, EXCHANGE_KEPT)
    assert "bench" not in kept
    assert kept == redact(text, SECRETS)[:EXCHANGE_KEPT]
    assert len(kept) == EXCHANGE_KEPT


def test_an_exchange_keeps_the_redacted_start_of_each_body():
    config = AccountConfig(
        kind="webcom", base_url="http://127.0.0.1:9", login="bench",
        password=SECRETS[1],
    )  # fmt: skip
    http = GatewayHttp(config)
    body = ('<password value="' + SECRETS[1] + '"/>' + "<a/>" * 30_000).encode()
    answer = "<r>" + "bench " * 20_000 + "</r>"
    http._remember("POST", "http://127.0.0.1:9/xml", None, None, body, 200, answer)
    exchange = http.last_exchange
    assert exchange.request_body == redact(body.decode(), SECRETS)[:EXCHANGE_KEPT]
    assert exchange.response_body == redact(answer, SECRETS)[:EXCHANGE_KEPT]
    assert SECRETS[1] not in exchange.request_body
    assert "bench" not in exchange.response_body
