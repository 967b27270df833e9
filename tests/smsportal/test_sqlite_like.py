"""The embedded default's SQLite: LIKE (Django's icontains) ignores Cyrillic case."""

import pytest

from django.db.utils import ConnectionHandler

from smsportal.sqlite3.base import sqlite_like


@pytest.fixture
def sqlite():
    """A raw connection as the backend opens it (pytest-django guards the wrapper's
    own; this one is in memory and touches no test database)."""
    handler = ConnectionHandler({"default": {"ENGINE": "smsportal.sqlite3",
                                             "NAME": ":memory:"}})  # fmt: skip
    wrapper = handler["default"]
    connection = wrapper.get_new_connection(wrapper.get_connection_params())
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("Орлов", "%орлов%", True),
        ("ОРЛОВ Пётр", "%пЁтр%", True),
        ("Какие условия?", "%Условия%", True),
        ("Orlov", "%ORL%", True),
        ("Орлова", "Орлов", False),  # no wildcard: the whole value
        ("Орлов", "Орло_", True),
        ("50% off", r"%50\%%", True),  # escaped: a literal percent sign
        ("50 off", r"%50\%%", False),
        ("a_b", r"a\_b", True),
        ("axb", r"a\_b", False),
        ("line\nbreak", "%break", True),
    ],
)
def test_like_ignores_case_in_every_alphabet(sqlite, value, pattern, matches):
    row = sqlite.execute("SELECT ? LIKE ? ESCAPE '\\'", [value, pattern]).fetchone()
    assert bool(row[0]) is matches


def test_null_stays_null(sqlite):
    row = sqlite.execute("SELECT NULL LIKE '%a%', 'a' LIKE NULL").fetchone()
    assert row == (None, None)
    assert sqlite_like(None, "a") is None


def test_without_escape_clause(sqlite):
    assert sqlite.execute("SELECT 'ЁЖИК' LIKE 'ёж%'").fetchone() == (1,)
