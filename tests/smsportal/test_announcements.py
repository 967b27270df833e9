"""A polled block's short summary, when the page shows the same figures, is for the
live region alone (static/js/app.js copies it there): in browse mode a screen reader
read it besides the figures it repeats."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HIDDEN_SUMMARY = re.compile(r"<p\b[^>]*\bvisually-hidden\b[^>]*\bdata-announce=[^>]*>")


def test_every_hidden_summary_is_hidden_from_browse_mode_too():
    found = {
        path.relative_to(TEMPLATES).as_posix(): tag
        for path in TEMPLATES.rglob("*.html")
        for tag in HIDDEN_SUMMARY.findall(path.read_text())
    }
    assert found, "the summaries moved: update this test"
    assert {
        name: tag for name, tag in found.items() if 'aria-hidden="true"' not in tag
    } == {}
