"""Characters no gateway can carry in a message: found with their place, or removed.

Framework-free. `first_unsendable` says where the first one is (line and column,
1-based, as an editor shows them); callers turn a `BadChar` into a message in the
user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One character class, so a check is a single precompiled regex search.
# - C0 controls except tab, line feed and carriage return: XML 1.0 (Webcom's XML and
#   JSON-from-XML dialects) cannot carry them at all, GSM 03.38 has no code for them
#   (form feed excepted), and no handset shows them. They arrive by accident: pasted
#   from terminals, PDFs, old databases.
# - DEL (U+007F): XML would carry it, but it has no glyph, GSM 7-bit has no code for it
#   (it would silently turn the whole text into UCS-2, doubling the segments), and
#   nobody types it on purpose: refusing it loses nothing that was meant to be sent.
# - C1 controls (U+0080..U+009F), for the same reasons as DEL. They are the mark of
#   windows-1251 text read as Latin-1: "…" becomes U+0085, "«" stays, "—" U+0097; sent,
#   the recipient would see boxes or nothing in a UCS-2 message.
# - U+D800..U+DFFF: a lone surrogate is half of a character; it cannot be encoded as
#   UTF-8, so neither the database nor any gateway can take it.
# - U+FFFE, U+FFFF: noncharacters that XML 1.0 excludes.
UNSENDABLE_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
UNSENDABLE = re.compile(f"[{UNSENDABLE_CHARS}]")
# Invisible formatting characters: zero-width spaces and joiners, direction marks,
# embeddings, overrides and isolates, the word joiner, the soft hyphen, a stray BOM.
# In a contact's name or a custom field they are debris from web pages and messengers:
# nobody sees them, yet one turns a Latin text into UCS-2 (half the characters per
# part, twice the price) and a direction override shows the name reversed on a page.
# Message texts keep them: a joiner is part of an emoji, a mark part of Hebrew text.
INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Controls that separate (vertical tab, form feed, the file/group/record/unit
# separators, next line): removing them would glue words together, so they become a
# space.
_SEPARATORS = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class BadChar:
    """One character that cannot be sent, and where it is."""

    char: str
    index: int  # 0-based offset in the string
    line: int  # 1-based
    column: int  # 1-based, in characters

    @property
    def code(self) -> str:
        """The character as people look it up: "U+0007"."""
        return f"U+{ord(self.char):04X}"

    @property
    def position(self) -> int:
        """1-based offset, for one-line values (a name, a sender)."""
        return self.index + 1


def has_unsendable(text: str) -> bool:
    """Whether `text` holds a character no gateway can carry (one regex search)."""
    return UNSENDABLE.search(text) is not None


def first_unsendable(text: str) -> BadChar | None:
    """The first character no gateway can carry, with its place; None when the text
    is fine."""
    match = UNSENDABLE.search(text)
    if match is None:
        return None
    index = match.start()
    line, line_start = 1, 0
    for brk in _LINE_BREAK.finditer(text, 0, index):
        line += 1
        line_start = brk.end()
    return BadChar(match.group(), index, line, index - line_start + 1)


def count_unsendable(text: str) -> int:
    """How many such characters `text` holds."""
    return sum(1 for _ in UNSENDABLE.finditer(text))


def remove_invisible(text: str) -> str:
    """`text` without invisible formatting characters (INVISIBLE); one fast test for
    the common text that has none."""
    if text.isprintable():
        return text
    return INVISIBLE.sub("", text)


def without_nul(text: str) -> str:
    """`text` as PostgreSQL text and jsonb can hold it. For what others send us (a
    gateway's words, a reply, a search): kept as it came but for NUL, which would fail
    its statement, and every retry of it."""
    return text.replace("\x00", "")


def remove_unsendable(text: str) -> str:
    """The text without such characters; separators become a space, the rest go."""
    if UNSENDABLE.search(text) is None:
        return text
    return UNSENDABLE.sub("", _SEPARATORS.sub(" ", text))
