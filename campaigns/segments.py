"""SMS segment counting: GSM 03.38 (GSM-7) and UCS-2, pure functions, no Django.

The composer's live counter (static/js/segments.js) implements the same rules; the
character sets (and the whitespace a form strips from a text's ends), transliteration
map and gateway tables it uses are generated from this
module (`python -m campaigns.segments` rewrites the block in segments.js) and a test
fails when the copy drifts from what this module would write.

Rules:
- A text is GSM-7 when every character is in the GSM 03.38 basic or extension table;
  an extension character costs two septets (escape + character). Otherwise the whole
  text is UCS-2 and costs one unit per UTF-16 code unit (an emoji outside the BMP is a
  surrogate pair: two units).
- A text that fits the single-part limit is one segment; a longer one is split into
  parts of the multipart size (the user data header eats the rest). Handsets and
  SMSCs never split an escape sequence or a surrogate pair, so a character that does
  not fit whole in the current part starts the next one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

Encoding = Literal["gsm7", "ucs2"]

# GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1), minus the escape code 0x1B.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table (6.2.1.1): each is sent as ESC + code, so it costs two septets.
GSM_EXTENDED = "\f^{}\\[~]|€"

# What a form keeps of a typed text: Django's form fields strip both ends with
# str.strip(), so a trailing line break or no-break space is never sent and the live
# counter must not count it (JS's trim() differs: it strips U+FEFF, keeps U+001C-1F).
FORM_STRIPPED = "".join(c for c in map(chr, range(0x10000)) if c.isspace())

_GSM_BASIC_SET = frozenset(GSM_BASIC)
_GSM_EXTENDED_SET = frozenset(GSM_EXTENDED)

# Russian letters as Russian SMS gateways transliterate them (the readable scheme,
# close to the passport one but with "ts"/"kh"/"yu"/"ya"); uppercase derived below.
_TRANSLIT_LOWER = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
# Typography that word processors and phones insert and that forces UCS-2 for
# no visible gain.
_TRANSLIT_PUNCTUATION = {
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"',
    # Assumption: single typographic quotes become the apostrophe, like the double
    # ones become the straight quote.
    "‘": "'", "’": "'", "‚": "'",
    "–": "-", "—": "-",
    # Assumption: other dash-like marks (figure dash, minus, non-breaking hyphen)
    # read the same as a hyphen.
    "‒": "-", "−": "-", "‑": "-",
    "\u00a0": " ",
    # Assumption: narrow, thin and figure spaces are typographic variants of the
    # non-breaking space and become a plain space too.
    "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "…": "...", "№": "N",
}  # fmt: skip


def _build_translit_map() -> dict[str, str]:
    table: dict[str, str] = {}
    for lower, latin in _TRANSLIT_LOWER.items():
        table[lower] = latin
        # "Щука" -> "Shchuka"; all-caps words are upgraded in transliterate().
        table[lower.upper()] = latin.capitalize()
    table.update(_TRANSLIT_PUNCTUATION)
    return table


TRANSLIT_MAP: dict[str, str] = _build_translit_map()


@dataclass(frozen=True, slots=True)
class SegmentTable:
    """Per-gateway limits, in units (septets for GSM-7, UTF-16 code units for UCS-2)."""

    name: str
    single_gsm: int = 160
    multi_gsm: int = 153
    single_ucs2: int = 70
    multi_ucs2: int = 67
    max_parts: int | None = None  # None: the gateway documents no limit
    max_characters: int | None = None  # a limit on the text's length as typed


STANDARD = SegmentTable(name="standard")

# WEBSMS (seed 002, "Параметры автоматической разбивки текста сообщения" and "Длина
# одной смс"): 1 SMS = 160 Latin / 70 Cyrillic, as standard.
WEBSMS = SegmentTable(
    name="websms",
    # Assumption: the prose says a part shrinks to 157 Latin / 67 Cyrillic characters
    # but the splitting table computes parts as "длина / 156" and "длина / 66". The
    # table is the rule the gateway charges by and the smaller part never
    # underestimates the cost, so we follow it.
    multi_gsm=156,
    multi_ucs2=66,
    # Assumption: the prose allows 10 parts (1570 Latin / 670 Cyrillic) while the
    # table stops at 1404 Latin = 9 x 156 and 594 Cyrillic = 9 x 66 (longer Cyrillic
    # is transliterated by the gateway). We take 9 so the counter never calls a text
    # fine that the gateway would cut.
    max_parts=9,
)
# Assumption: the WEBSMS document counts "characters" and is silent on the GSM
# extension table and on emoji; we count septets and UTF-16 units as every SMSC does.

# SMSC (REFERENCE.md, send: `mes` "≤1000 chars"): standard parts, the text capped.
# Assumption: characters as a person counts them (code points), the counter's unit for
# everything typed; an emoji is one.
SMSC = SegmentTable(name="smsc", max_characters=1000)

TABLES: dict[str, SegmentTable] = {
    table.name: table for table in (STANDARD, WEBSMS, SMSC)
}


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What a text costs: the encoding, its length in units and the number of parts."""

    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text
    per_segment: int  # capacity of each part at this length (single or multipart)
    remaining: int  # units still free in the last part
    # The distinct characters that force UCS-2, in order of first appearance.
    non_gsm_chars: tuple[str, ...]
    too_long: bool  # more parts than the table's max_parts
    characters: int = 0  # code points, as typed
    too_many_characters: bool = False  # more than the table's max_characters


def gsm_units(char: str) -> int | None:
    """Septets one character takes in GSM-7, or None when GSM-7 cannot carry it."""
    if char in _GSM_BASIC_SET:
        return 1
    if char in _GSM_EXTENDED_SET:
        return 2
    return None


def ucs2_units(char: str) -> int:
    """UTF-16 code units of one code point (2 for a surrogate pair)."""
    return 2 if ord(char) > 0xFFFF else 1


def _char_costs(text: str) -> tuple[Encoding, list[int], tuple[str, ...]]:
    non_gsm = tuple(dict.fromkeys(c for c in text if gsm_units(c) is None))
    if non_gsm:
        return "ucs2", [ucs2_units(c) for c in text], non_gsm
    return "gsm7", [gsm_units(c) or 0 for c in text], ()


def _pack(costs: list[int], size: int) -> list[int]:
    """Greedy parts (as units per part); a character never straddles two parts."""
    parts: list[int] = []
    used = 0
    for cost in costs:
        if used + cost > size:
            parts.append(used)
            used = 0
        used += cost
    parts.append(used)
    return parts


def count_segments(text: str, *, table: SegmentTable = STANDARD) -> SegmentInfo:
    """Encoding, length and number of SMS parts of `text` under `table`'s limits."""
    encoding, costs, non_gsm = _char_costs(text)
    units = sum(costs)
    single, multi = (
        (table.single_gsm, table.multi_gsm)
        if encoding == "gsm7"
        else (table.single_ucs2, table.multi_ucs2)
    )
    if units <= single:
        segments, per_segment, remaining = (1 if units else 0), single, single - units
    else:
        parts = _pack(costs, multi)
        segments, per_segment, remaining = len(parts), multi, multi - parts[-1]
    return SegmentInfo(
        encoding=encoding,
        units=units,
        segments=segments,
        per_segment=per_segment,
        remaining=remaining,
        non_gsm_chars=non_gsm,
        too_long=table.max_parts is not None and segments > table.max_parts,
        characters=len(costs),
        too_many_characters=table.max_characters is not None
        and len(costs) > table.max_characters,
    )


def split_parts(text: str, *, table: SegmentTable = STANDARD) -> list[str]:
    """The text of each part as `count_segments` counts them ([] for an empty text)."""
    if not text:
        return []
    encoding, costs, _ = _char_costs(text)
    single = table.single_gsm if encoding == "gsm7" else table.single_ucs2
    if sum(costs) <= single:
        return [text]
    size = table.multi_gsm if encoding == "gsm7" else table.multi_ucs2
    parts: list[str] = []
    start = used = 0
    for index, cost in enumerate(costs):
        if used + cost > size:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


def _is_capital(char: str) -> bool:
    return "A" <= char <= "Z" or (char in TRANSLIT_MAP and char != char.lower())


def transliterate(text: str) -> str:
    """Russian Cyrillic and typographic punctuation to GSM-7 friendly Latin.

    Case is kept: "Щука" -> "Shchuka", and a capital next to another capital is an
    all-caps word, so "ЩУКА" -> "SHCHUKA". Other characters pass through unchanged.
    """
    out: list[str] = []
    last = len(text) - 1
    for index, char in enumerate(text):
        latin = TRANSLIT_MAP.get(char)
        if latin is None:
            out.append(char)
            continue
        if len(latin) > 1 and char != char.lower():
            before = index > 0 and _is_capital(text[index - 1])
            after = index < last and _is_capital(text[index + 1])
            if before or after:
                latin = latin.upper()
        out.append(latin)
    return "".join(_without_lone_sign_spaces(out))


# Around a hard or soft sign standing alone, what its dropping leaves side by side:
# one space or tab of the two goes with it; a line break never does.
_SIGN_NEIGHBOURS = frozenset({None, " ", "\t", "\n", "\r"})
_SIGN_SPACES = frozenset({" ", "\t"})


def _without_lone_sign_spaces(pieces: list[str]) -> list[str]:
    """`pieces` (each character's Latin) less a space beside each run of ъ/ь that
    stood alone ("а ъ б" -> "a b", not "a  b"; "а ь" -> "a"). Only such a run's
    own space goes: other spacing is kept as typed. Mirrored in segments.js."""
    drop: set[int] = set()
    index, end = 0, len(pieces)
    while index < end:
        if pieces[index]:
            index += 1
            continue
        after = index
        while after < end and not pieces[after]:
            after += 1
        left = pieces[index - 1] if index > 0 else None
        right = pieces[after] if after < end else None
        if left in _SIGN_NEIGHBOURS and right in _SIGN_NEIGHBOURS:
            if right in _SIGN_SPACES:
                drop.add(after)
            elif left in _SIGN_SPACES:
                drop.add(index - 1)
        index = after
    return [piece for at, piece in enumerate(pieces) if at not in drop]


def transliteration_saving(
    text: str, *, table: SegmentTable = STANDARD
) -> tuple[SegmentInfo, SegmentInfo]:
    """Counts before and after transliteration, for the composer's "saves N" hint."""
    before = count_segments(text, table=table)
    after = count_segments(transliterate(text), table=table)
    return before, after


def estimate_cost(
    segments: int, *, recipients: int, price_per_segment: Decimal
) -> Decimal:
    """Recipients x segments x price; the price is per SMS part, as gateways bill."""
    return Decimal(recipients) * segments * price_per_segment


# --- rules shared with static/js/segments.js --------------------------------------

JS_PATH = Path(__file__).resolve().parent.parent / "static/js/segments.js"
_JS_BLOCK = re.compile(
    r"(// BEGIN GENERATED RULES[^\n]*\n).*?(\n\s*// END GENERATED RULES)", re.DOTALL
)


def js_rules() -> dict[str, object]:
    """Everything the JS counter needs as data, so only the algorithm is duplicated."""
    return {
        "gsmBasic": GSM_BASIC,
        "gsmExtended": GSM_EXTENDED,
        "formStripped": FORM_STRIPPED,
        "translit": TRANSLIT_MAP,
        "tables": {
            name: {
                "singleGsm": t.single_gsm,
                "multiGsm": t.multi_gsm,
                "singleUcs2": t.single_ucs2,
                "multiUcs2": t.multi_ucs2,
                "maxParts": t.max_parts,
                "maxCharacters": t.max_characters,
            }
            for name, t in TABLES.items()
        },
    }


def js_rules_source() -> str:
    """The line segments.js holds between its generated-rules markers."""
    # ASCII-only escapes keep invisible characters (NBSP, form feed) reviewable.
    payload = json.dumps(js_rules(), ensure_ascii=True, sort_keys=True)
    return f"  var RULES = {payload};"


def js_rules_in_file(path: Path = JS_PATH) -> str:
    """The generated block as it stands in segments.js (compared by a test)."""
    source = path.read_text(encoding="utf-8")
    match = _JS_BLOCK.search(source)
    if match is None:
        raise ValueError(f"{path}: no // BEGIN/END GENERATED RULES block")
    return source[match.end(1) : match.start(2)]


def write_js_rules(path: Path = JS_PATH) -> bool:
    """Rewrite the generated block in segments.js; True when the file changed."""
    source = path.read_text(encoding="utf-8")
    if _JS_BLOCK.search(source) is None:
        raise ValueError(f"{path}: no // BEGIN/END GENERATED RULES block")
    updated = _JS_BLOCK.sub(
        lambda m: m.group(1) + js_rules_source() + m.group(2), source, count=1
    )
    if updated != source:
        path.write_text(updated, encoding="utf-8")
    return updated != source


if __name__ == "__main__":  # python -m campaigns.segments
    write_js_rules()
