"""What a contact import keeps in memory beyond its rows."""

from tests.fresh_process import loads_module


def test_csv_import_machinery_loads_no_workbook_reader():
    """openpyxl costs each process about 9 MB; a CSV import (and the web) never needs
    it, so the import modules load it only to read a workbook."""
    imports = "import contacts.importing.runner, contacts.importing.preview"
    assert not loads_module(imports + ", contacts.tasks", "openpyxl")
    assert loads_module("import openpyxl", "openpyxl")  # the check can see it
