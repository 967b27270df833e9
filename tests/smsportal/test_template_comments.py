"""Django's {# #} comment ends on its own line: one that runs on is printed on the page."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_short_comment_closes_on_its_line():
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").glob("**/*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert unclosed == []
