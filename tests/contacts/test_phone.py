import random

import pytest

from django.utils import translation

from contacts.phone import (
    InvalidPhone,
    NormalizedPhone,
    _parse,
    fast_prefix,
    normalize_phone,
    normalize_phone_fast,
    normalize_phones,
)


@pytest.mark.parametrize(
    "raw",
    [
        "89123456789",
        "+79123456789",
        "79123456789",
        "9123456789",
        "8 912 345 67 89",
        "8-912-345-67-89",
        "8.912.345.67.89",
        "8 (912) 345-67-89",
        "+7 (912) 345-67-89",
        " +7 912 3456789 ",
        "+7(912)345.67.89",
    ],
)
def test_common_russian_formats_give_the_same_number(raw):
    assert normalize_phone(raw).e164 == "+79123456789"


def test_mobile_number_is_marked_mobile_and_has_no_single_zone():
    phone = normalize_phone("8 912 345-67-89")
    assert phone == NormalizedPhone("+79123456789", True, "")


def test_landlines_are_not_mobile_and_get_their_zone():
    moscow = normalize_phone("+7 495 123-45-67")
    vladivostok = normalize_phone("8 (423) 222-33-44")
    assert (moscow.is_mobile, moscow.time_zone) == (False, "Europe/Moscow")
    assert (vladivostok.is_mobile, vladivostok.time_zone) == (False, "Asia/Vladivostok")


def test_region_defaults_to_the_setting_and_can_be_given(settings):
    settings.SMSPORTAL_DEFAULT_REGION = "DE"
    assert normalize_phone("030 123456").e164 == "+4930123456"
    assert normalize_phone("8 912 345 67 89", region="RU").e164 == "+79123456789"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("phone", "no digits"),
        ("8912345", "too few digits"),
        # Russia's trunk 8 and a digit short: not "no such number".
        ("8 916 123 45 6", "too few digits"),
        ("8 (495) 123-45-6", "too few digits"),
        ("+7 890 123 45 67", "no such number"),
        ("+7 912 345 67 89 12345", "too many digits"),
        ("+999 123 456 789", "unknown country code"),
        ("+7 000 000 00 00", "no such number"),
        # A keypad's letters would be read as digits: somebody else's number.
        ("8-800-ABC-1234", "letters among the digits"),
        ("8 912 345-67-8О", "letters among the digits"),  # a Cyrillic О for a zero
        ("+7 912 345 67 89 доб. 12", "letters among the digits"),
    ],
)
def test_invalid_numbers_raise_with_a_reason(raw, reason):
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        "+7 916 123-45-67, +7 916 765-43-21",  # amoCRM's export
        "8 (916) 123-45-67 / 8 (916) 765-43-21",
        "+79161234567 и +79167654321",
        "+79161234567\n+79167654321",  # Bitrix24's, a line each
    ],
)
def test_two_numbers_in_one_cell_are_said_to_be_two(raw):
    """Refused as «не номер телефона», the writer looked for a typo in either."""
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert caught.value.reason.startswith("several phone numbers in one cell")


def test_a_bad_number_beside_a_good_one_keeps_its_own_reason():
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone("+79161234567 / 8912345")
    assert not caught.value.reason.startswith("several phone numbers")


def test_a_label_before_the_number_is_skipped():
    assert normalize_phone("тел. 8 (912) 345-67-89").e164 == "+79123456789"


def test_bulk_function_returns_results_and_reasons_in_order():
    results = list(normalize_phones(["89123456789", "123", "+74951234567"]))
    assert results[0].e164 == "+79123456789"
    assert isinstance(results[1], InvalidPhone)
    assert results[2].e164 == "+74951234567"


def _formats(national: str, rnd: random.Random) -> str:
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    styles = (
        f"8 ({a}) {b}-{c}-{d}", f"+7 {a} {b}-{c}-{d}", f"7{national}", national,
        f"8-{a}-{b}-{c}-{d}", f"+7({a}){b}{c}{d}", f"8{national}", f"8.{a}.{b}.{c}.{d}",
        f" +7{national} ", f"+ 7 {national}", f"8 {national}", f"7 {a} {b} {c} {d}",
        f"+8{national}", f"++7{national}", f"7{national}1", f"8{national[:-1]}",
        f"+7 {a}/{b}/{c}{d}", f"８{national}", f"+7{national}доб.12", f"({a}) {b}{c}{d}",
    )  # fmt: skip
    return rnd.choice(styles)


def test_fast_path_equals_phonenumbers_on_a_large_sample():
    """Random numbers of every 9XX range and other ranges, written every common way."""
    rnd = random.Random(20260101)
    for _ in range(25_000):
        first = rnd.choice("9999999934812")
        national = first + "".join(rnd.choice("0123456789") for _ in range(9))
        raw = _formats(national, rnd)
        region = rnd.choice(("RU", "RU", "RU", "KZ", "DE"))
        assert _outcome(normalize_phone_fast, raw, region) == _outcome(
            _parse, raw, region
        ), (raw, region)


def test_fast_path_prefix_decides_validity_type_and_zone():
    """Numbers sharing fast_prefix() get one answer from phonenumbers: every prefix of
    the 93X range (decided by six digits), a sample of six-digit prefixes elsewhere."""
    rnd = random.Random(7)
    prefixes = [str(p) for p in range(930_000, 940_000)]
    prefixes += [
        f"9{second}{rnd.randrange(10_000):04d}"
        for second in "012456789"
        for _ in range(400)
    ]
    answers: dict[str, object] = {}
    for prefix in prefixes:
        for _ in range(2):
            raw = f"+7{prefix}{rnd.randrange(10_000):04d}"
            outcome = _shape(_outcome(_parse, raw, "RU"))
            assert answers.setdefault(fast_prefix(raw[2:]), outcome) == outcome, raw
            assert _outcome(normalize_phone_fast, raw, "RU") == _outcome(
                _parse, raw, "RU"
            )


def _shape(outcome):
    if isinstance(outcome, NormalizedPhone):
        return outcome.is_mobile, outcome.time_zone
    return outcome


def _outcome(function, raw, region):
    try:
        if function is normalize_phone_fast:
            return function(raw, region=region)
        return function(raw, region)
    except InvalidPhone as exc:
        return ("invalid", exc.reason)


def test_cached_fast_path_reason_follows_the_language():
    raw = "+7 930 000 00 00"  # 93000X is not allocated: invalid on the fast path
    reasons = {}
    for language in ("en", "ru", "en"):
        with translation.override(language), pytest.raises(InvalidPhone) as caught:
            normalize_phone_fast(raw, region="RU")
        with translation.override(language):
            reasons.setdefault(language, set()).add(caught.value.reason)
    assert reasons == {
        "en": {"no such number in the numbering plan"},
        "ru": {"такого номера нет в плане нумерации"},
    }
