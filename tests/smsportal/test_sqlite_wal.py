"""The embedded default's SQLite lets pages read while the worker writes (WAL)."""

import sqlite3

from django.db.utils import ConnectionHandler


def backend_connection(path, timeout: float = 0.2):
    """A raw connection as the backend opens it, on a file of this test's own."""
    handler = ConnectionHandler(
        {"default": {"ENGINE": "smsportal.sqlite3", "NAME": str(path),
                     "OPTIONS": {"timeout": timeout}}}
    )  # fmt: skip
    wrapper = handler["default"]
    return wrapper.get_new_connection(wrapper.get_connection_params())


def test_a_read_is_answered_while_a_large_write_is_under_way(tmp_path):
    """A 160-second import made every page read beside it fail with "database is
    locked": its write, too large for the cache, took the whole file."""
    path = tmp_path / "embedded.sqlite3"
    reader = backend_connection(path)
    reader.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, name TEXT)")
    reader.execute("INSERT INTO contact (name) VALUES ('Анна')")
    reader.commit()
    writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    writer.execute("PRAGMA cache_size = 1")  # spills at once, as a large write does
    writer.execute("BEGIN IMMEDIATE")
    writer.executemany(
        "INSERT INTO contact (name) VALUES (?)", [(f"n{i}" * 50,) for i in range(5000)]
    )

    try:
        count = reader.execute("SELECT count(*) FROM contact").fetchone()[0]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.close()

    assert count == 1  # what was committed, read without waiting
    assert backend_connection(path).execute("PRAGMA journal_mode").fetchone() == (
        "wal",
    )
