"""The pure segment counter: GSM 03.38, UCS-2, part sizes, WEBSMS, transliteration."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.segments import (
    GSM_BASIC,
    GSM_EXTENDED,
    SMSC,
    STANDARD,
    TABLES,
    TRANSLIT_MAP,
    WEBSMS,
    SegmentTable,
    count_segments,
    estimate_cost,
    gsm_units,
    split_parts,
    transliterate,
    transliteration_saving,
    ucs2_units,
)

EMOJI = "\U0001f600"  # 😀, one code point, two UTF-16 units
NBSP = "\u00a0"


def _summary(text: str, table: SegmentTable = STANDARD) -> tuple:
    info = count_segments(text, table=table)
    return info.encoding, info.units, info.segments, info.per_segment, info.remaining


# --- the character tables -----------------------------------------------------------


def test_gsm_tables_have_the_3gpp_sizes():
    # 128 codes minus ESC in the basic table; ten characters in the extension table.
    assert len(GSM_BASIC) == len(set(GSM_BASIC)) == 127
    assert sorted(GSM_EXTENDED) == sorted("\f^{}\\[~]|€")
    assert not set(GSM_BASIC) & set(GSM_EXTENDED)


@pytest.mark.parametrize("char", list("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r"))
def test_gsm_basic_specials_are_one_septet(char):
    assert gsm_units(char) == 1


@pytest.mark.parametrize("char", list("\f^{}\\[~]|€"))
def test_extension_characters_are_two_septets(char):
    assert gsm_units(char) == 2
    assert _summary("a" + char) == ("gsm7", 3, 1, 160, 157)


@pytest.mark.parametrize(
    "char",
    [
        "ç",  # only the capital Ç is in the table
        "Α",  # Greek capital alpha looks Latin but is not in GSM 03.38
        "`",
        NBSP,
        "«",
        "“",
        "–",
        "…",
        "№",
        "ж",
        EMOJI,
    ],
)
def test_characters_outside_gsm(char):
    assert gsm_units(char) is None
    assert count_segments("ok " + char).encoding == "ucs2"


def test_ucs2_units_count_surrogate_pairs():
    assert ucs2_units("ж") == 1
    assert ucs2_units(EMOJI) == 2
    assert ucs2_units("\uffff") == 1
    assert ucs2_units("\U00010000") == 2


# --- single part and multipart boundaries (standard table) -------------------------


def test_empty_text_is_zero_segments():
    info = count_segments("")
    assert (info.encoding, info.units, info.segments, info.remaining) == (
        "gsm7",
        0,
        0,
        160,
    )
    assert info.non_gsm_chars == ()
    assert split_parts("") == []


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (1, ("gsm7", 1, 1, 160, 159)),
        (160, ("gsm7", 160, 1, 160, 0)),
        (161, ("gsm7", 161, 2, 153, 145)),
        (306, ("gsm7", 306, 2, 153, 0)),
        (307, ("gsm7", 307, 3, 153, 152)),
        (459, ("gsm7", 459, 3, 153, 0)),
        (460, ("gsm7", 460, 4, 153, 152)),
    ],
)
def test_gsm_boundaries(length, expected):
    assert _summary("a" * length) == expected


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (1, ("ucs2", 1, 1, 70, 69)),
        (70, ("ucs2", 70, 1, 70, 0)),
        (71, ("ucs2", 71, 2, 67, 63)),
        (134, ("ucs2", 134, 2, 67, 0)),
        (135, ("ucs2", 135, 3, 67, 66)),
        (201, ("ucs2", 201, 3, 67, 0)),
        (202, ("ucs2", 202, 4, 67, 66)),
    ],
)
def test_ucs2_boundaries(length, expected):
    assert _summary("ж" * length) == expected


def test_eighty_extension_characters_fill_one_part_exactly():
    assert _summary("{" * 80) == ("gsm7", 160, 1, 160, 0)
    # 76 braces (152 septets) fill the first part; the 77th would straddle it.
    assert _summary("{" * 80 + "a") == ("gsm7", 161, 2, 153, 144)


def test_extension_character_is_not_split_across_parts():
    # 152 + 2 would overflow the first part at 153, so "€" opens the second one:
    # 306 septets need three parts, not the two a plain division gives.
    text = "a" * 152 + "€" + "a" * 152
    info = count_segments(text)
    assert (info.units, info.segments, info.remaining) == (306, 3, 152)
    parts = split_parts(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")
    assert [sum(gsm_units(c) for c in p) for p in parts] == [152, 153, 1]


def test_extension_character_that_fits_stays_in_the_part():
    text = "a" * 151 + "€" + "a" * 153
    info = count_segments(text)
    assert (info.units, info.segments, info.remaining) == (306, 2, 0)


def test_emoji_is_not_split_across_ucs2_parts():
    # 66 + 2 would overflow a 67-unit part, so the emoji opens the second part.
    text = "ж" * 66 + EMOJI + "ж" * 66
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments, info.remaining) == (
        "ucs2",
        134,
        3,
        66,
    )
    parts = split_parts(text)
    assert parts[0] == "ж" * 66
    assert parts[1].startswith(EMOJI)
    assert "".join(parts) == text


def test_emoji_counts_two_units_and_forces_ucs2():
    info = count_segments(EMOJI * 35)
    assert (info.encoding, info.units, info.segments, info.remaining) == (
        "ucs2",
        70,
        1,
        0,
    )
    assert info.non_gsm_chars == (EMOJI,)
    assert count_segments(EMOJI * 36).segments == 2


def test_cyrillic_text_is_ucs2():
    info = count_segments("Привет, мир!")
    assert (info.encoding, info.units, info.segments) == ("ucs2", 12, 1)
    assert info.non_gsm_chars == ("П", "р", "и", "в", "е", "т", "м")


def test_extension_character_in_ucs2_is_one_unit():
    assert _summary("€ж") == ("ucs2", 2, 1, 70, 68)


def test_typographic_quotes_force_ucs2_and_are_reported_once():
    info = count_segments("Say «hi» and «bye»")
    assert info.encoding == "ucs2"
    assert info.non_gsm_chars == ("«", "»")


def test_non_breaking_space_forces_ucs2():
    info = count_segments(f"Sale{NBSP}50%")
    assert info.encoding == "ucs2"
    assert info.non_gsm_chars == (NBSP,)
    assert count_segments("Sale 50%").encoding == "gsm7"


def test_newlines_count_as_characters():
    assert _summary("a\r\nb") == ("gsm7", 4, 1, 160, 156)


def test_standard_table_has_no_part_limit():
    assert STANDARD.max_parts is None
    assert count_segments("a" * 10_000).too_long is False


# --- WEBSMS table --------------------------------------------------------------------


def test_websms_table_values():
    assert TABLES["websms"] is WEBSMS
    assert (
        WEBSMS.single_gsm,
        WEBSMS.multi_gsm,
        WEBSMS.single_ucs2,
        WEBSMS.multi_ucs2,
        WEBSMS.max_parts,
    ) == (160, 156, 70, 66, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("gsm7", 160, 1, 160, 0)),
        ("a" * 161, ("gsm7", 161, 2, 156, 151)),
        ("a" * 312, ("gsm7", 312, 2, 156, 0)),
        ("a" * 313, ("gsm7", 313, 3, 156, 155)),
        ("ж" * 70, ("ucs2", 70, 1, 70, 0)),
        ("ж" * 71, ("ucs2", 71, 2, 66, 61)),
        ("ж" * 132, ("ucs2", 132, 2, 66, 0)),
        ("ж" * 133, ("ucs2", 133, 3, 66, 65)),
    ],
)
def test_websms_boundaries(text, expected):
    assert _summary(text, WEBSMS) == expected


@pytest.mark.parametrize(
    ("text", "segments", "too_long"),
    [
        ("a" * 1404, 9, False),
        ("a" * 1405, 10, True),
        ("ж" * 594, 9, False),
        ("ж" * 595, 10, True),
    ],
)
def test_websms_part_limit(text, segments, too_long):
    info = count_segments(text, table=WEBSMS)
    assert (info.segments, info.too_long) == (segments, too_long)
    assert count_segments(text).too_long is False


@pytest.mark.parametrize(
    ("text", "too_many"),
    [("a" * 1000, False), ("a" * 1001, True), ("\U0001f600" * 1000, False)],
)
def test_smsc_caps_the_text_in_characters(text, too_many):
    info = count_segments(text, table=SMSC)
    assert (info.too_many_characters, info.too_long) == (too_many, False)
    assert info.characters == len(text)
    assert count_segments(text).too_many_characters is False


def test_websms_keeps_extension_characters_whole():
    text = "a" * 155 + "€" + "a" * 10
    assert [len(p) for p in split_parts(text, table=WEBSMS)] == [155, 11]


def test_another_gateway_can_bring_its_own_table():
    table = SegmentTable(name="tiny", single_gsm=10, multi_gsm=5, max_parts=2)
    info = count_segments("a" * 11, table=table)
    assert (info.segments, info.per_segment, info.remaining, info.too_long) == (
        3,
        5,
        4,
        True,
    )


# --- transliteration ----------------------------------------------------------------


def test_transliterates_the_whole_russian_alphabet():
    lower = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    assert transliterate(lower) == ("abvgdeyozhziyklmnoprstufkhtschshshchyeyuya")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Щука", "Shchuka"),
        ("ЩУКА", "SHCHUKA"),
        ("Ёлка", "Yolka"),
        ("Юля и Яна", "Yulya i Yana"),
        ("ЮЛЯ", "YULYA"),
        ("Я", "Ya"),
        ("Я И ТЫ", "Ya I TY"),
        ("ЧP", "CHP"),  # a Latin capital next door also means all caps
        ("подъезд", "podezd"),
        ("Мальчик", "Malchik"),
        ("ОБЪЁМ", "OBYOM"),
        ("Хорошо", "Khorosho"),
        ("Цех", "Tsekh"),
        ("Эй", "Ey"),
    ],
)
def test_transliteration_keeps_case(text, expected):
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("«Ёлка»", '"Yolka"'),
        ("“quoted” „low“", '"quoted" "low"'),
        ("‘single’", "'single'"),
        ("a – b — c", "a - b - c"),
        (f"10{NBSP}000", "10 000"),
        ("Ждите…", "Zhdite..."),
        ("Заказ № 5", "Zakaz N 5"),
    ],
)
def test_transliteration_of_typography(text, expected):
    assert transliterate(text) == expected


# A hard or soft sign standing alone (a typo, a letter quoted on its own, a name
# placeholder's value "Ь") becomes nothing: the space it stood between goes with it,
# never a line break, and no other space.
LONE_SIGNS = [
    ("Ъ", ""),
    ("ь", ""),
    ("ЪЬ", ""),
    ("а ъ б", "a b"),
    ("ъ б", "b"),
    ("а ь", "a"),
    ("Ъ Ь", ""),
    ("а ъ ь б", "a b"),
    ("а ъ\nб", "a\nb"),
    ("а\nь б", "a\nb"),
    ("а\nъ\nб", "a\n\nb"),
    ("а\tъ б", "a\tb"),
    (f"а{NBSP}ъ б", "a b"),
    ("а  ъ б", "a  b"),
    ("ъ, б", ", b"),
    ("съезд ь объём", "sezd obyom"),
    ("Подъезд Ъ", "Podezd"),
]


@pytest.mark.parametrize(("text", "expected"), LONE_SIGNS)
def test_a_sign_standing_alone_leaves_no_double_or_trailing_space(text, expected):
    """Ъ alone left "a  b", and " b" or "a " at the text's ends."""
    assert transliterate(text) == expected


def test_transliteration_leaves_other_characters_alone():
    text = f"Hello {EMOJI} €5 ї Ç"
    assert transliterate(text) == text


def test_transliteration_saving_for_cyrillic():
    text = "Ваш заказ №123 готов к выдаче. Ждём вас «сегодня» до 21:00 по адресу ул. Ленина, 5"
    before, after = transliteration_saving(text)
    assert (before.encoding, before.segments) == ("ucs2", 2)
    assert (after.encoding, after.segments) == ("gsm7", 1)
    assert after.non_gsm_chars == ()


def test_transliteration_saving_with_an_emoji_left():
    before, after = transliteration_saving("Привет " + EMOJI)
    assert before.encoding == after.encoding == "ucs2"
    assert after.non_gsm_chars == (EMOJI,)
    assert after.units == len("Privet ") + 2


def test_transliteration_saving_uses_the_table():
    text = "ж" * 71
    before, after = transliteration_saving(text, table=WEBSMS)
    assert (before.per_segment, before.segments) == (66, 2)
    assert (after.encoding, after.units, after.segments) == ("gsm7", 142, 1)


def test_estimate_cost():
    assert estimate_cost(
        3, recipients=1000, price_per_segment=Decimal("0.45")
    ) == Decimal("1350.00")
    assert estimate_cost(0, recipients=10, price_per_segment=Decimal("1")) == 0


# --- properties ---------------------------------------------------------------------

_CONVERTIBLE = (
    GSM_BASIC
    + GSM_EXTENDED
    + "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЖЩЪЫЬЭЮЯ"
    + "«»“”„‘’–—…№\u00a0\u202f"
)
_INTERESTING = _CONVERTIBLE + EMOJI + "\U0001f44d\U0001f1f7\U0001f1fa"
texts = st.one_of(
    st.text(alphabet=_INTERESTING, max_size=700),
    # Any code point at all, lone surrogates included (Python strings can hold them).
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=400),
)


@given(text=texts, table=st.sampled_from([STANDARD, WEBSMS]))
def test_counts_are_consistent_with_the_parts(text, table):
    info = count_segments(text, table=table)
    parts = split_parts(text, table=table)
    assert (info.segments >= 1) == bool(text)
    assert len(parts) == info.segments
    assert "".join(parts) == text
    unit = ucs2_units if info.encoding == "ucs2" else gsm_units
    part_units = [sum(unit(c) for c in part) for part in parts]
    assert sum(part_units) == info.units
    assert all(u <= info.per_segment for u in part_units)
    if info.segments > 1:
        single = table.single_gsm if info.encoding == "gsm7" else table.single_ucs2
        assert info.units > single
        assert info.per_segment == (
            table.multi_gsm if info.encoding == "gsm7" else table.multi_ucs2
        )
    if parts:
        assert info.remaining == info.per_segment - part_units[-1]
    assert 0 <= info.remaining <= info.per_segment
    assert (info.encoding == "gsm7") == (not info.non_gsm_chars)
    assert len(set(info.non_gsm_chars)) == len(info.non_gsm_chars)
    assert all(gsm_units(c) is None for c in info.non_gsm_chars)


@given(text=st.text(alphabet=_CONVERTIBLE, max_size=300))
def test_transliterated_russian_and_typography_fit_gsm(text):
    assert count_segments(transliterate(text)).encoding == "gsm7"


@given(text=texts)
def test_transliteration_is_idempotent_and_keeps_unmapped_text(text):
    latin = transliterate(text)
    assert transliterate(latin) == latin
    unmapped = "".join(c for c in text if c not in TRANSLIT_MAP)
    assert transliterate(unmapped) == unmapped
