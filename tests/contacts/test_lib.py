"""smsportal/lib helpers used by the importer: csvio and decimals."""

import codecs
import io
from decimal import Decimal

import pytest

from smsportal.lib import csvio
from smsportal.lib.decimals import parse_decimal


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Имя;Телефон\n".encode(), "utf-8-sig"),
        ("Имя;Телефон\n".encode(), "utf-8"),
        ("Имя;Телефон\n".encode("cp1251"), "cp1251"),
        ("Имя\tТелефон\n".encode("utf-16"), "utf-16"),
        (b"name,phone\n", "utf-8"),
    ],
)
def test_encoding_is_detected(data, encoding):
    assert csvio.detect_encoding(data) == encoding


@pytest.mark.parametrize(
    ("late", "encoding"), [("cp1251", "cp1251"), ("utf-8", "utf-8"), (None, "utf-8")]
)
def test_a_file_ascii_at_first_is_told_by_its_first_other_bytes(late, encoding):
    """Latin names for the whole sample, Cyrillic ones after it."""
    head = b"".join(b"+7912%07d;Ivan Petrov\n" % i for i in range(20_000))
    assert len(head) > csvio.SAMPLE_BYTES
    tail = "+79990000000;Пётр Сидоров\n".encode(late) if late else b""
    raw = io.BytesIO(head + tail)
    raw.seek(0)

    found = csvio.detect_file_encoding(raw, raw.read(csvio.SAMPLE_BYTES))

    assert found == encoding
    assert raw.tell() == csvio.SAMPLE_BYTES  # left where the caller had it


def test_utf8_cut_in_the_middle_of_a_letter_is_still_utf8():
    data = "Иван;+79123456789\n".encode() * 10
    assert csvio.detect_encoding(data[:-1] + "Ж".encode()[:1]) == "utf-8"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x00\x01\x02\x03binary", "binary"),
        (csvio.OLE2_MAGIC + b"\x00" * 100, "legacy_excel"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_unreadable_files_are_named(data, code):
    with pytest.raises(csvio.UnreadableFile) as caught:
        csvio.detect_encoding(data)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1;2;3\n", ";"),
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ('name;amount\n"Ivanov, Ivan";"408,71"\n', ";"),
        ("+79123456789\n+79123456780\n", ","),
        # A title above the header: its lines of one cell do not outvote the table.
        ("Клиенты\nВыгрузка из 1С\nТелефон;Имя\n89123456789;Иван\n", ";"),
    ],
)
def test_delimiter_is_detected(text, delimiter):
    assert csvio.detect_delimiter(text) == delimiter


def test_records_are_numbered_like_spreadsheet_rows():
    text = io.StringIO('a,b\n\n1,"two\nlines"\n3,4\n')
    assert list(csvio.iter_records(text, ",")) == [
        (1, ["a", "b"]),
        (3, ["1", "two\nlines"]),
        (4, ["3", "4"]),
    ]


def test_unclosed_quote_names_its_row():
    text = io.StringIO('a,b\n1,2\n3,"never closed\n4,5\n')
    with pytest.raises(csvio.UnreadableFile) as caught:
        list(csvio.iter_records(text, ","))
    assert caught.value.code == "unclosed_quote"
    assert caught.value.params["row"] == 3


def test_closed_quote_on_the_last_line_without_newline_is_fine():
    text = io.StringIO('a,b\n1,"x\ny"')
    assert list(csvio.iter_records(text, ","))[-1] == (2, ["1", "x\ny"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("408,71", "408.71"),
        ("408.71", "408.71"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("-7", "-7"),
        ("1,000,000", "1000000"),
    ],
)
def test_decimals_as_people_write_them(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3.4.5", "NaN", "Infinity", "12a"])
def test_not_a_number_raises(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(text)


def test_text_after_a_closing_quote_is_malformed_with_its_row():
    text = io.StringIO('a,b\n1,2\n3,"x"y\n')
    with pytest.raises(csvio.UnreadableFile) as caught:
        list(csvio.iter_records(text, ","))
    assert (caught.value.code, caught.value.params["row"]) == ("malformed", 3)


def test_quotes_inside_an_unquoted_cell_are_text():
    text = io.StringIO('a,b\n1,Иван "Ваня" Петров\n')
    assert list(csvio.iter_records(text, ","))[-1] == (2, ["1", 'Иван "Ваня" Петров'])


@pytest.mark.parametrize("name", ["Анна", "Иван"])  # "Анна" has no byte cp1251 lacks
def test_utf8_with_a_broken_byte_stays_utf8(name):
    # A database export that cut one value mid-letter: read as windows-1251, every
    # name in the file would turn to mojibake; as UTF-8 only that row is rejected.
    rows = f"{name};+79123456789\n".encode() * 50
    data = rows + "Ж".encode()[:1] + b";+79123456780\n" + rows
    assert csvio.detect_encoding(data) == "utf-8"


def test_windows_1251_with_a_valid_utf8_pair_is_still_windows_1251():
    # "Ёлка" in windows-1251 holds A8 after a letter: a few byte pairs may read as
    # UTF-8 by chance, the rest does not.
    data = "Ёлка;Телефон\nИван;+79123456789\n".encode("cp1251") * 20
    assert csvio.detect_encoding(data) == "cp1251"


UNICODE_TEXT = "Мобильный\tИмя\r\n+79123456789\tИван\r\n+79123456780\tПётр\r\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_in_its_byte_order(codec):
    data = UNICODE_TEXT.encode(codec)
    assert csvio.text_codec("utf-16", data) == codec
    assert csvio.detect_encoding(data) == "utf-16"
    text = csvio.open_text(io.BytesIO(data), csvio.text_codec("utf-16", data))
    assert [cells for _n, cells in csvio.iter_records(text, "\t")][1] == [
        "+79123456789",
        "Иван",
    ]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + UNICODE_TEXT.encode(),
        UNICODE_TEXT.encode("cp1251"),
        b"\x00\x01\x02\x03binary" * 10,
    ],
    ids=["utf-8 with BOM", "windows-1251", "binary"],
)
def test_a_file_that_is_not_utf16_read_as_utf16_is_named_not_a_crash(data):
    with pytest.raises(csvio.UnreadableFile) as caught:
        csvio.text_codec("utf-16", data)
    assert caught.value.code == "not_utf16"


def test_a_utf16_file_with_its_byte_order_mark_keeps_the_plain_codec():
    data = UNICODE_TEXT.encode("utf-16")
    assert csvio.text_codec("utf-16", data) == "utf-16"
    assert csvio.text_codec("cp1251", data) == "cp1251"


KOI8R_SAMPLES = {
    "an Excel export": (
        "Телефон;Фамилия;Имя;Отчество\r\n"
        "8 (912) 345-67-89;Иванов;Иван;Иванович\r\n"
        "+7 903 111-22-33;Петрова;Анна;Сергеевна\r\n"
    ),
    "a database export in capitals": (
        "ТЕЛЕФОН;ФИО\r\n79161234567;ИВАНОВ ИВАН ИВАНОВИЧ\r\n"
        "79161234568;ПЕТРОВА АННА СЕРГЕЕВНА\r\n79161234569;СИДОРОВ ПЁТР\r\n"
    ),
    "small letters only": "телефон;имя\n79161234567;ёлкина жанна\n79161234568;щукин олег\n",
    "a header alone": "Имя;Телефон\n",
}


@pytest.mark.parametrize("text", KOI8R_SAMPLES.values(), ids=KOI8R_SAMPLES.keys())
def test_koi8r_is_told_from_windows_1251_by_its_letters(text):
    """KOI8-R read as windows-1251 came in as «фЕМЕЖПО» without a word."""
    assert csvio.detect_encoding(text.encode("koi8-r")) == "koi8-r"
    assert csvio.detect_encoding(text.encode("cp1251")) == "cp1251"


@pytest.mark.parametrize("text", KOI8R_SAMPLES.values(), ids=KOI8R_SAMPLES.keys())
def test_cp866_is_told_from_windows_1251_by_its_letters(text):
    """Excel's "CSV (MS-DOS)" read as windows-1251 came in as «’Ґ«Ґд®­»."""
    assert csvio.detect_encoding(text.encode("cp866")) == "cp866"


@pytest.mark.parametrize("mark", ["—", "«VIP»", "№ 5", "\xa0", "Coca-Cola®", "…"])
def test_windows_1251_typography_among_latin_names_is_not_taken_for_cp866(mark):
    """Its bytes are letters in CP866 ("—" is "Ч"); as typography they tell nothing."""
    text = f"phone;name\n79161234567;John Smith {mark}\n"
    assert csvio.detect_encoding(text.encode("cp1251")) == "cp1251"


def test_a_few_letters_that_tell_neither_way_stay_windows_1251():
    """The commoner encoding by far wins when the letters are too few to tell."""
    assert csvio.detect_encoding("phone;name\n79161234567;Цой\n".encode("koi8-r")) == (
        "cp1251"
    )
