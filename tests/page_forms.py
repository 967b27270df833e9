"""What a browser would post: a page's form read back with its current values."""

from __future__ import annotations

import lxml.html


def form_values(html: str, *, having: str, replace: dict | None = None) -> dict:
    """The values of the page's form holding a field named `having` (lists for names
    given more than once), with `replace` put over them."""
    document = lxml.html.fromstring(html)
    form = next(f for f in document.forms if f.xpath(f'.//*[@name="{having}"]'))
    values: dict = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    data = {k: v[0] if len(v) == 1 else v for k, v in values.items()}
    data.update(replace or {})
    return data


def conflict_rows(html: str) -> list[list[str]]:
    """A refused form's table of what changed: field, as opened, now, yours."""
    document = lxml.html.fromstring(html)
    rows = document.xpath("//*[@data-version-conflict]//table/tbody/tr")
    return [
        [cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in rows
    ]


def default_submit(html: str, *, having: str) -> str:
    """The name ("" for none) of the button Enter in a field presses in the page's form
    holding a field named `having`: its first submit button in document order (HTML's
    "default button"), hidden or not."""
    document = lxml.html.fromstring(html)
    form = next(f for f in document.forms if f.xpath(f'.//*[@name="{having}"]'))
    buttons = form.xpath(
        './/button[not(@type) or @type="submit"]'
        '|.//input[@type="submit" or @type="image"]'
    )
    assert buttons, "the form has no submit button"
    return buttons[0].get("name") or ""
