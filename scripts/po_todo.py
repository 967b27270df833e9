"""Russian catalogue helper.

`python scripts/po_todo.py` prints untranslated or fuzzy msgids of locale/ru as JSON
(`{"msgid": ""}`, plural entries as `{"msgid": ["one", "few", "many"]}`, entries with a
msgctxt under `{"__context__": {"context": {"msgid": ""}}}`);
`python scripts/po_todo.py FILE.json` writes the translations in FILE.json back.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale/ru/LC_MESSAGES/django.po"
# One English word may need two translations ("Cancelled": a campaign's "Отменена", a
# message's "Отменено"): entries with a context are keyed apart from plain ones.
CONTEXTS = "__context__"


def _slot(table: dict, entry: polib.POEntry) -> dict:
    """The part of a JSON table that holds the entry's msgid (its context's, if any)."""
    if entry.msgctxt is None:
        return table
    return table.get(CONTEXTS, {}).get(entry.msgctxt, {})


def todo(po: polib.POFile) -> dict[str, object]:
    out: dict[str, object] = {}
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # Russian has three plural forms (one, few, many); see the catalogue header.
            if "fuzzy" in entry.flags or not all(entry.msgstr_plural.values()):
                _todo_slot(out, entry)[entry.msgid] = ["", "", ""]
        elif "fuzzy" in entry.flags or not entry.msgstr:
            _todo_slot(out, entry)[entry.msgid] = ""
    return out


def _todo_slot(out: dict, entry: polib.POEntry) -> dict:
    if entry.msgctxt is None:
        return out
    return out.setdefault(CONTEXTS, {}).setdefault(entry.msgctxt, {})


def count(table: dict) -> int:
    plain = sum(1 for key in table if key != CONTEXTS)
    return plain + sum(len(v) for v in table.get(CONTEXTS, {}).values())


def apply(po: polib.POFile, translations: dict[str, object]) -> int:
    done = 0
    for entry in po:
        value = _slot(translations, entry).get(entry.msgid)
        if not value:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(value))
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            # A lone "#| msgid_plural" or "#| msgctxt" left behind is a syntax error
            # for msgfmt.
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
        done += 1
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    return done


if __name__ == "__main__":
    catalogue = polib.pofile(str(PO))
    if len(sys.argv) > 1:
        data = json.loads(Path(sys.argv[1]).read_text())
        print(f"applied {apply(catalogue, data)}; left {count(todo(catalogue))}")
    else:
        print(json.dumps(todo(catalogue), ensure_ascii=False, indent=1))
