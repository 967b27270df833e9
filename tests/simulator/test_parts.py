"""The simulators bill parts as the gateways' documents say, which is what the
composer promises (campaigns.segments): GSM-7 extension characters and Latin-1 letters
of the GSM alphabet are no reason for UCS-2."""

import pytest

from campaigns.segments import STANDARD, WEBSMS, count_segments
from providers.simulator.parts import GSM_BASIC, GSM_EXTENDED, sms_parts
from providers.simulator.websms import _parts as websms_parts

TEXTS = [
    "",
    "A" * 160,
    "A" * 161,
    "€" + "A" * 158,  # 160 septets: one part
    "€" + "A" * 159,
    "é" * 160,
    "£" * 161,
    "[" * 80,
    "A" * 152 + "€",  # the escape pair never straddles two parts
    "я" * 70,
    "я" * 71,
    "я" * 134 + "😀",  # a surrogate pair, likewise
    "😀" * 35,
    "Привет, €uro é " * 12,
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_simulator_counts_as_the_composer(text):
    standard = count_segments(text, table=STANDARD).segments or 1
    assert sms_parts(text) == standard
    websms = count_segments(text, table=WEBSMS).segments or 1
    assert websms_parts(text, translit=False, nosplit=False) == websms


def test_the_alphabets_are_the_composers():
    from campaigns import segments

    assert frozenset(segments.GSM_BASIC) == GSM_BASIC
    assert frozenset(segments.GSM_EXTENDED) == GSM_EXTENDED


def test_websms_transliterates_long_cyrillic_and_on_request():
    assert websms_parts("я" * 600, translit=False, nosplit=False) == 4  # 600 / 156
    assert websms_parts("я" * 71, translit=True, nosplit=False) == 1
    assert websms_parts("я" * 700, translit=False, nosplit=True) == 1
