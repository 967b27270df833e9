"""docs/gateways.md and the gateway pages say what each gateway declares: the test
mode of SMSC and WEBSMS was in neither the capability table nor WEBSMS's list."""

import re
from pathlib import Path

from providers.base import Capability
from providers.registry import GATEWAYS
from providers.selectors import gateway_info

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _table_capabilities() -> set[str]:
    """The capabilities named in the first cell of the table's rows."""
    names = set()
    for line in (DOCS / "gateways.md").read_text().splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([a-z_]+)`", first_cell))
    return names


def test_the_capability_table_has_a_row_for_every_capability():
    missing = {c.value for c in Capability} - _table_capabilities()

    assert sorted(missing) == []


def test_a_page_that_lists_the_declared_capabilities_lists_them_all():
    checked = []
    for kind in GATEWAYS:
        page = (DOCS / "gateways" / f"{kind}.md").read_text()
        found = re.search(r"Declared capabilities: (.+?)\.\n", page, re.DOTALL)
        if found is None:
            continue
        listed = {name.strip() for name in found.group(1).split(",")}
        assert listed == {c.value for c in gateway_info(kind).capabilities}, kind
        checked.append(kind)

    assert checked  # websms.md lists them
