"""A download's file name: any characters in `filename*` (RFC 6266, RFC 5987's UTF-8
encoding), and an ASCII `filename` beside it for a client that reads only that.

Django's content_disposition_header gives one or the other, so a Russian name came
without any fallback; and names made of what a user typed (a group, a campaign, an
uploaded file) must lose what a file system refuses before they go in.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# Not in a file name on Windows ("/" nowhere); quotes and backslashes would also end
# or escape the header's quoted string.
_NOT_IN_FILE_NAMES = str.maketrans(dict.fromkeys('<>:"/\\|?*', "_"))

# The ASCII fallback's Russian letters (the ISO 9 / passport style most people
# recognise); other scripts become "_".
_RUSSIAN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e", "iu", "ia"],
        strict=True,
    )
)  # fmt: skip
_RUSSIAN.update({cyr.upper(): lat.capitalize() for cyr, lat in _RUSSIAN.items()})
NAME_LIMIT = 80  # of a user's name within a file name: it stays readable in a list


def file_name_part(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` (a group's, a campaign's, an uploaded file's name) fit to go into a
    file name: control characters dropped, those a file system refuses replaced,
    shortened to `limit` characters."""
    kept = "".join(ch for ch in text if ch.isprintable()).translate(_NOT_IN_FILE_NAMES)
    kept = kept.strip(" .")  # Windows drops them at the end; at the start, hidden
    return kept[:limit].rstrip(" .") if len(kept) > limit else kept


def ascii_file_name(name: str) -> str:
    """The name in ASCII for `filename=`: Russian transliterated, accents dropped,
    anything else "_"."""
    out = []
    for ch in name:
        if ch in _RUSSIAN:
            out.append(_RUSSIAN[ch])
            continue
        plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(plain if plain.isprintable() and plain else "_")
    return "".join(out).translate(_NOT_IN_FILE_NAMES)


def attachment_disposition(filename: str) -> str:
    """The Content-Disposition of a download named `filename` (in any language)."""
    name = file_name_part(filename, limit=255)
    fallback = ascii_file_name(name)
    if fallback == name:
        return f'attachment; filename="{name}"'
    return (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
