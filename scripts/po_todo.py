"""Russian catalogue helper.

`python scripts/po_todo.py` prints untranslated or fuzzy msgids of locale/ru as JSON
(`{"msgid": ""}`, plural entries as `{"msgid": ["one", "few", "many"]}`);
`python scripts/po_todo.py FILE.json` writes the translations in FILE.json back.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale/ru/LC_MESSAGES/django.po"


def todo(po: polib.POFile) -> dict[str, object]:
    out: dict[str, object] = {}
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # Russian has three plural forms (one, few, many); see the catalogue header.
            if "fuzzy" in entry.flags or not all(entry.msgstr_plural.values()):
                out[entry.msgid] = ["", "", ""]
        elif "fuzzy" in entry.flags or not entry.msgstr:
            out[entry.msgid] = ""
    return out


def apply(po: polib.POFile, translations: dict[str, object]) -> int:
    done = 0
    for entry in po:
        value = translations.get(entry.msgid)
        if not value:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(value))
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
        done += 1
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    return done


if __name__ == "__main__":
    catalogue = polib.pofile(str(PO))
    if len(sys.argv) > 1:
        data = json.loads(Path(sys.argv[1]).read_text())
        print(f"applied {apply(catalogue, data)}; left {len(todo(catalogue))}")
    else:
        print(json.dumps(todo(catalogue), ensure_ascii=False, indent=1))
