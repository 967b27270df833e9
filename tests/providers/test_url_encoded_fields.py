"""Form and query fields read from the bytes a gateway sent, in UTF-8 or windows-1251."""

import pytest

from providers.parsing import url_encoded_fields


@pytest.mark.parametrize("charset", ["utf-8", "cp1251"])
def test_percent_encoded_fields_come_back_with_their_charset(charset):
    from urllib.parse import urlencode

    raw = urlencode({"mes": "СТОП, «пожалуйста»", "to": ""}, encoding=charset)
    assert url_encoded_fields(raw) == (
        {"mes": "СТОП, «пожалуйста»", "to": ""},
        charset,
    )


def test_raw_eight_bit_bytes_read_like_their_escapes():
    body = "mes=Отписаться&id=1".encode("cp1251")
    assert url_encoded_fields(body) == ({"mes": "Отписаться", "id": "1"}, "cp1251")
    assert url_encoded_fields("mes=Ёж".encode()) == ({"mes": "Ёж"}, "utf-8")


def test_the_byte_windows_1251_leaves_undefined_does_not_lose_the_rest():
    fields, charset = url_encoded_fields(b"mes=%98%D1%F2%EE%EF&id=9")
    assert charset == "cp1251"
    assert fields == {"mes": "\ufffdСтоп", "id": "9"}


def test_a_repeated_field_keeps_its_last_value_and_plus_is_a_space():
    assert url_encoded_fields("a=1&a=2&b=x+y") == ({"a": "2", "b": "x y"}, "utf-8")
