"""What the contact book's search box searches for words: names, nickname, e-mail.

The five fields are searched as one text, joined by spaces (a typed word holds no
space, so it never matches across two fields).

No index serves it: a trigram index on this expression made a search of a million
contacts take milliseconds instead of about 1.3 s, but every imported contact had
to enter it, and a 1,000,000-row import took 62 s instead of 23.5 s
(bench/bench_import.py; its goal is 20 s). Statistics on the expression (contacts
0016, an import pays only its ANALYZE's sample) tell the planner how common a word
is: a common one is found by walking the primary key until a page is full, a rare
one by one scan of the book. bench/bench_contact_search.py prints the search's times.
"""

from django.db.models import F, Func, Q, TextField

from smsportal.text_search import contains_text

SEARCHED_FIELDS = ("last_name", "first_name", "middle_name", "nickname", "email")
NAME_FIELDS = ("last_name", "first_name", "middle_name")


class _JoinedWithSpaces(Func):
    # Plain || without Concat's COALESCE: the fields are NOT NULL.
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


def contact_name_query(words: list[str], *, via: str) -> Q:
    """Rows whose linked contact (`via` the relation, "contact__") has every one of
    `words` in its last, first or middle name, case and е/ё aside: the name other
    pages show for a number. No contact linked is no match."""
    name = _JoinedWithSpaces(*(F(f"{via}{field}") for field in NAME_FIELDS))
    query = Q()
    for word in words:
        query &= contains_text(name, word)
    return query
