"""The composer's JS counter (static/js/segments.js) says what the Python one says."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from campaigns.segments import (
    FORM_STRIPPED,
    GSM_BASIC,
    GSM_EXTENDED,
    JS_PATH,
    TABLES,
    TRANSLIT_MAP,
    SegmentInfo,
    count_segments,
    js_rules,
    js_rules_in_file,
    js_rules_source,
    transliterate,
    write_js_rules,
)

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_segments.js")
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="node is not on PATH, so the JS counter cannot be run"
)

EMOJI = ["\U0001f600", "\U0001f44d", "\U0001f1f7\U0001f1fa", "\u2764\ufe0f"]
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
TYPOGRAPHY = "«»“”„‘’–—…№\u00a0\u202f\u2009"
WORDS = [
    "Скидка",
    "СКИДКА",
    "Щука",
    "ЩУКА",
    "объём",
    "Юля",
    "«Ёлка»",
    "sale",
    "Hello",
    "{first_name}",
    "€5",
    "~50%",
    "[OK]",
    "a|b",
    "\\n",
    "Ждите…",
    "№ 5",
    "10\u00a0000",
    "—",
    "Ç",
    "ç",
    "ΩΣ",
]


def _cases() -> list[tuple[str, str]]:
    rng = random.Random(20261122)
    # Lone surrogates cannot be typed but can be pasted from broken data.
    texts: list[str] = ["", " ", "\r\n", "\f", "\ud83d", "a\udc00b"]
    fillers = ["a", "ж", "€", "\U0001f600", "Ä", "{a", "ж\U0001f600"]
    for n in (1, 65, 66, 67, 68, 69, 70, 71, 132, 133, 134, 135, 152, 153, 154):
        texts += [(f * n) for f in fillers]
    for n in (155, 156, 157, 159, 160, 161, 305, 306, 307, 312, 313, 459, 460):
        texts += ["a" * n, "a" * (n - 1) + "€", "a" * (n - 1) + "ж"]
    # An extension character or emoji at and around each part boundary.
    for k in range(150, 159):
        texts.append("a" * k + "€" + "a" * (306 - k))
        texts.append("b" * k + "^" + "b" * (160 - k))
    for k in range(63, 70):
        texts.append("ж" * k + "\U0001f600" + "ж" * (134 - k))
        texts.append("ж" * k + "\U0001f600" + "ж" * (70 - k))
    texts += ["a" * 1404, "a" * 1405, "ж" * 594, "ж" * 595, "ж" * 660]
    texts += ["a" * 1000, "ж" * 1001, "\U0001f600" * 1000, "\U0001f600" * 1001]
    pools = [
        GSM_BASIC,
        GSM_BASIC + GSM_EXTENDED,
        CYRILLIC + " ,.!",
        CYRILLIC + TYPOGRAPHY + GSM_BASIC,
        GSM_BASIC + TYPOGRAPHY,
    ]
    for _ in range(300):
        pool = rng.choice(pools)
        length = rng.choice(
            [rng.randint(0, 80), rng.randint(60, 180), rng.randint(130, 480)]
        )
        chars = [rng.choice(pool) for _ in range(length)]
        for _ in range(rng.randint(0, 3)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(EMOJI))
        texts.append("".join(chars))
    for _ in range(100):
        texts.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40))))
    # Hard and soft signs alone, between spaces, line breaks and the text's ends.
    signs = ["ъ", "Ь", "ьъ", " ", "  ", "\n", "\t", "\u00a0", "да", "ОК", ","]
    for _ in range(200):
        texts.append("".join(rng.choice(signs) for _ in range(rng.randint(1, 12))))
    return [(text, table) for text in texts for table in TABLES]


def _as_js(info: SegmentInfo) -> dict:
    return {
        "encoding": info.encoding,
        "units": info.units,
        "segments": info.segments,
        "perSegment": info.per_segment,
        "remaining": info.remaining,
        "nonGsmChars": list(info.non_gsm_chars),
        "tooLong": info.too_long,
        "characters": info.characters,
        "tooManyCharacters": info.too_many_characters,
    }


def _python_result(text: str, table: str) -> dict:
    latin = transliterate(text)
    return {
        "count": _as_js(count_segments(text, table=TABLES[table])),
        "transliteration": latin,
        "after": _as_js(count_segments(latin, table=TABLES[table])),
    }


def _run_node(cases: list[tuple[str, str]]) -> list[dict]:
    completed = subprocess.run(
        [NODE, str(RUNNER)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout)


def test_generated_rules_in_segments_js_are_current():
    assert js_rules_in_file() == js_rules_source(), (
        "static/js/segments.js is stale: run `.venv/bin/python -m campaigns.segments`"
    )


def test_generated_rules_carry_every_table_and_character_set():
    rules = json.loads(js_rules_source().strip().removeprefix("var RULES = ")[:-1])
    assert rules["gsmBasic"] == GSM_BASIC
    assert rules["gsmExtended"] == GSM_EXTENDED
    assert rules["formStripped"] == FORM_STRIPPED
    assert rules["translit"] == TRANSLIT_MAP
    assert set(rules["tables"]) == set(TABLES)
    assert rules["tables"]["websms"] == {
        "singleGsm": 160,
        "multiGsm": 156,
        "singleUcs2": 70,
        "multiUcs2": 66,
        "maxParts": 9,
        "maxCharacters": None,
    }
    assert rules["tables"]["smsc"]["maxCharacters"] == 1000
    assert rules == json.loads(json.dumps(js_rules()))


def test_write_js_rules_repairs_a_stale_copy(tmp_path):
    copy = tmp_path / "segments.js"
    stale = JS_PATH.read_text(encoding="utf-8").replace(
        js_rules_source(), '  var RULES = {"gsmBasic": ""};'
    )
    copy.write_text(stale, encoding="utf-8")
    assert write_js_rules(copy) is True
    assert js_rules_in_file(copy) == js_rules_source()
    assert write_js_rules(copy) is False
    assert copy.read_text(encoding="utf-8") == JS_PATH.read_text(encoding="utf-8")


def test_write_js_rules_refuses_a_file_without_markers(tmp_path):
    copy = tmp_path / "segments.js"
    copy.write_text("var RULES = {};\n", encoding="utf-8")
    with pytest.raises(ValueError, match="GENERATED RULES"):
        write_js_rules(copy)


def test_cases_cover_what_the_brief_lists():
    cases = _cases()
    texts = {text for text, _ in cases}
    assert len(cases) >= 600
    assert any("\U0001f600" in t for t in texts)
    assert any("\u00a0" in t for t in texts)
    assert any("«" in t for t in texts)
    assert {"a" * 160, "a" * 161, "ж" * 70, "ж" * 71, "a" * 306, "a" * 307} <= texts


@needs_node
def test_js_counter_matches_python_on_generated_texts():
    cases = _cases()
    results = _run_node(cases)
    assert len(results) == len(cases)
    mismatches = [
        (text, table, got, want)
        for (text, table), got in zip(cases, results, strict=True)
        if got != (want := _python_result(text, table))
    ]
    if mismatches:
        text, table, got, want = mismatches[0]
        diff = {
            key: (got.get(key), want[key]) for key in want if got.get(key) != want[key]
        }
        pytest.fail(
            f"{len(mismatches)} of {len(cases)} cases differ; first, table {table}, "
            f"text {text[:80]!r} (JS, Python): {diff!r}"[:2000]
        )


@needs_node
def test_js_strip_keeps_what_the_servers_form_keeps():
    """Django's fields strip with str.strip(): a trailing line break or no-break
    space is never sent, so the counter must not count it (a 160-character text
    with a newline was 2 segments on the counter and 1 in the preview)."""
    inner = "a\u00a0\n\u200bж\ufeff"
    texts = [c + inner + c for c in FORM_STRIPPED]
    texts += ["", " \r\n\t", FORM_STRIPPED, "\u200bx\ufeff", "\x1c x \x85"]
    texts += ["a" * 160 + "\n", "ж" * 70 + "\u00a0", "\U0001f600 \u3000"]
    script = (
        f"const s = require({json.dumps(str(JS_PATH))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(s.strip)));"
    )
    out = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=30,
    )
    assert json.loads(out.stdout) == [text.strip() for text in texts]


@needs_node
def test_js_counter_refuses_an_unknown_table():
    script = (
        f"const s = require({json.dumps(str(JS_PATH))});"
        "try { s.count('x', 'nope'); process.exit(1); }"
        "catch (e) { process.stdout.write(e.message); }"
    )
    out = subprocess.run(
        [NODE, "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout == "Unknown segment table: nope"


@needs_node
def test_js_estimate_cost():
    script = (
        f"const s = require({json.dumps(str(JS_PATH))});"
        "process.stdout.write(JSON.stringify(["
        "s.estimateCost(3, 1000, 0.45), s.estimateCost(0, 10, 1)]));"
    )
    out = subprocess.run(
        [NODE, "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(out.stdout) == [pytest.approx(1350), 0]


@needs_node
@pytest.mark.parametrize("name", ["segments.js", "composer.js"])
def test_scripts_parse(name):
    subprocess.run(
        [NODE, "--check", str(ROOT / "static/js" / name)],
        capture_output=True,
        check=True,
        timeout=30,
    )
