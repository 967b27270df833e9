import pytest

from providers.parsing import sender_address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("79031234567", "+79031234567"),
        (" +7 903 123-45-67 ", "+79031234567"),
        ("MEGAFON", "MEGAFON"),
        ("Tele2-Info", "Tele2-Info"),  # not "+2"
        ("  Банк ", "Банк"),
        ("A-very-long-sender-name", "A-very-long-send"),  # what the field holds
        ("", ""),
    ],
)
def test_an_incoming_sender_is_a_number_or_a_name_as_written(raw, expected):
    assert sender_address(raw) == expected
