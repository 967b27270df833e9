"""What the contact book's search box searches for words: names, nickname, e-mail.

The five fields are searched as one text, joined by spaces (a typed word holds no
space, so it never matches across two fields). On PostgreSQL one trigram index
serves every such search: migration 0009 builds it on the very SQL Django writes
for contains_text(contact_search_text(), ...), and tests/contacts/test_search.py
checks the planner still picks it, so a change here needs a new index.
"""

from django.db.models import F, Func, Q, TextField

from smsportal.text_search import contains_text

SEARCHED_FIELDS = ("last_name", "first_name", "middle_name", "nickname", "email")
SEARCH_INDEX = "contact_search_trgm"


class _JoinedWithSpaces(Func):
    # Plain || without Concat's COALESCE: the fields are NOT NULL, and the index
    # expression stays short enough to read (and to write by hand in 0009).
    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()


def contact_search_text() -> Func:
    """The contact's searched fields as one text."""
    return _JoinedWithSpaces(*(F(name) for name in SEARCHED_FIELDS))


def contact_words_query(words: list[str]) -> Q:
    """Contacts whose searched fields hold every one of `words` (case and е/ё aside)."""
    query = Q()
    for word in words:
        query &= contains_text(contact_search_text(), word)
    return query
