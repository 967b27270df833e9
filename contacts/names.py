"""Splitting a full name written in one cell or field into the contact's names."""

import re
from typing import NamedTuple

# A word in quotes or brackets is what people are called, not a patronymic:
# «Ульянова Вера «Верочка»», Иванов Иван "Ваня", Петров Пётр (Петя).
_NICKNAME = re.compile(
    r"«([^«»]*)»|\"([^\"]*)\"|“([^“”]*)”|„([^„“”]*)[“”]|\(([^()]*)\)|\[([^\[\]]*)\]"
)


class FullName(NamedTuple):
    last_name: str
    first_name: str
    middle_name: str
    nickname: str


def full_name_split(text: str) -> FullName:
    """Last, first and middle name in that order (the rest of the words go to the
    middle name; a single word is the last name, as a ФИО column puts it first); the
    first quoted or bracketed part, wherever it stands, is the nickname."""
    nickname = ""
    match = _NICKNAME.search(text)
    if match:
        nickname = " ".join(next(g for g in match.groups() if g is not None).split())
        text = text[: match.start()] + " " + text[match.end() :]
    # "Иванов, Иван Иванович": a comma between the names only separates them.
    words = text.replace(",", " ").split(maxsplit=2)
    words += [""] * (3 - len(words))
    return FullName(words[0], words[1], " ".join(words[2].split()), nickname)
