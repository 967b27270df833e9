"""Characters no gateway can carry: which, where (line and column), removing them, and
the messages that say so."""

import pytest
from lxml import etree

from django.core.exceptions import ValidationError
from django.utils import translation

from smsportal.exceptions import ApplicationError
from smsportal.lib.textcheck import (
    BadChar,
    count_unsendable,
    first_unsendable,
    has_unsendable,
    remove_unsendable,
)
from smsportal.textguard import SendableText, check_sendable, unsendable_message

REFUSED = [
    *(chr(c) for c in range(0x00, 0x09)),
    "\x0b",
    "\x0c",
    *(chr(c) for c in range(0x0E, 0x20)),
    "\x7f",
    "\x80",
    "\x85",
    "\x97",
    "\x9f",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ufffe",
    "\uffff",
]
ALLOWED = [
    "\t",
    "\n",
    "\r",
    " ",
    "~",
    "\xa0",
    "ё",
    "€",
    "\ufffd",
    "😀",
    "\u200b",
]


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_refused_characters(char):
    assert has_unsendable(f"a{char}b")
    assert first_unsendable(f"a{char}b") == BadChar(char, 1, 1, 2)


@pytest.mark.parametrize("char", ALLOWED, ids=lambda c: f"U+{ord(c):04X}")
def test_allowed_characters(char):
    assert not has_unsendable(f"a{char}b")
    assert first_unsendable(f"a{char}b") is None
    assert remove_unsendable(f"a{char}b") == f"a{char}b"


@pytest.mark.parametrize(
    "char",
    [c for c in REFUSED if not "\x7f" <= c <= "\x9f"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_every_refused_character_but_del_and_c1_is_one_xml_cannot_carry(char):
    # DEL and the C1 controls are refused by choice (see textcheck); the rest are
    # what lxml refuses.
    with pytest.raises(ValueError, match="XML compatible|surrogates not allowed"):
        etree.Element("text").text = f"a{char}b"


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("Hello\nsecond\x07 line", "U+0007", 2, 7),
        ("Hello\nsecond line\r\nthird \x1b", "U+001B", 3, 7),
        ("a\nb\r\nc\rfourth\x00", "U+0000", 4, 7),
    ],
)
def test_positions_are_line_and_column_from_one(text, code, line, column):
    bad = first_unsendable(text)
    assert (bad.code, bad.line, bad.column) == (code, line, column)
    assert text[bad.index] == bad.char


def test_counting_them_all():
    assert count_unsendable("a\x07b\x1bc\x00") == 3


def test_position_counts_characters_not_bytes_or_utf16_units():
    bad = first_unsendable("Привет 😀\x07")
    assert (bad.line, bad.column, bad.position) == (1, 9, 9)


def test_a_line_break_right_before_the_character():
    bad = first_unsendable("one\r\n\x01")
    assert (bad.line, bad.column) == (2, 1)


def test_removing_drops_controls_and_turns_separators_into_spaces():
    assert remove_unsendable("Ivan\x0bPetrov\x1f") == "Ivan Petrov "
    assert remove_unsendable("\x07Ann\x00a\ud800\ufffe\x7f") == "Anna"
    assert remove_unsendable("keeps\ttab\nand\r\nbreaks") == "keeps\ttab\nand\r\nbreaks"
    assert remove_unsendable("Wait\x85next\x97") == "Wait next"


def test_windows_1251_read_as_latin_1_is_refused_as_control_characters():
    misread = "Скидка 20% — до пятницы…".encode("cp1251").decode("latin-1")
    with translation.override("en"):
        message = unsendable_message(misread)
    assert message.startswith("Line 1, column 12: the control character U+0097 ")


def test_message_names_the_character_and_the_place():
    with translation.override("en"):
        assert unsendable_message("ok") is None
        assert unsendable_message("Hi\nthere\x07") == (
            "Line 2, column 6: the control character U+0007 cannot be sent by any "
            "gateway. Remove it."
        )
        assert unsendable_message("AB\ud800", multiline=False, remedy=False) == (
            "Character 3: the invalid character U+D800 cannot be sent by any gateway."
        )
        assert unsendable_message("\x01\x02\x03").endswith(
            "The value holds 3 such characters."
        )


def test_message_in_russian():
    with translation.override("ru"):
        message = unsendable_message("Привет\x07")
    assert "U+0007" in message
    assert "строка 1" in message.lower()
    assert "столбец 7" in message.lower()


def test_validator_and_service_check():
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            SendableText(multiline=False)("AB\x1b")
        assert caught.value.code == "unsendable"
        assert "Character 3" in caught.value.messages[0]
        assert "U+001B" in caught.value.messages[0]
        SendableText()("fine\r\ntext")
        with pytest.raises(ApplicationError) as refused:
            check_sendable("Ann\x00", where="first_name", label="First name")
    assert refused.value.where == "first_name"
    assert refused.value.message.startswith("First name: Character 4:")
    assert "U+0000" in refused.value.message
