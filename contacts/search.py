"""What the contact book's search box searches for words: names, nickname, e-mail.

The five fields are searched as one text, joined by spaces (a typed word holds no
space, so it never matches across two fields), with «ё» as «е» and upper-cased: the
contact's `search_text`, a column the database writes with the row (contacts 0017).
A search compares each typed word, folded and upper-cased by the database the same
way, with that column: `search_text LIKE UPPER('%word%')`, what Django's icontains
over the expression wrote, without folding and upper-casing the five fields of every
row for every search (a rare word, one scan of the book: 0.8 to 1.0 s at a million
contacts, 0.3 s now).

No index serves it: a trigram index made a search of a million contacts take
milliseconds, but every imported contact had to enter it, and a 1,000,000-row import
took 62 s instead of 23.5 s (bench/bench_import.py; its goal is 20 s). Statistics on
the column tell the planner how common a word is: a common one is found by walking
the primary key until a page is full, a rare one by one scan of the book.
bench/bench_contact_search.py prints the search's times.
"""

from django.db.models import F, Func, Lookup, Q, TextField
from django.db.models.functions import Upper

from smsportal.text_search import contains_text, fold_yo, yo_folded

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


def contact_search_folded() -> Func:
    """contact_search_text() with «ё» as «е», upper-cased: Contact.search_text."""
    return Upper(yo_folded(contact_search_text()))


class _HoldsUpper(Lookup):
    """`lhs` (upper-cased already) holds the text `rhs` upper-cased by the database:
    icontains's right-hand side, without its UPPER() of every row's left-hand side."""

    lookup_name = "holds_upper"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        word = getattr(self.rhs, "value", self.rhs)
        # As icontains: the word's LIKE wildcards escaped, between two of its own, and
        # "LIKE %s" (with SQLite's ESCAPE) as contains and icontains write it.
        pattern = f"%{connection.ops.prep_for_like_query(word)}%"
        operator = connection.operators["contains"] % "UPPER(%s)"
        return f"{lhs} {operator}", [*lhs_params, pattern]


def contact_words_query(words: list[str]) -> Q:
    """Contacts whose searched fields hold every one of `words` (case and е/ё aside)."""
    query = Q()
    for word in words:
        query &= Q(_HoldsUpper(F("search_text"), fold_yo(word)))
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
