"""SQLite for the embedded default (`make run`): Django's backend, plus LIKE that
ignores the case of every alphabet. See base.py."""
