"""What a contact import keeps in memory beyond its rows."""

import subprocess
import sys


def test_csv_import_machinery_loads_no_workbook_reader():
    """openpyxl costs each process about 9 MB; a CSV import (and the web) never needs
    it, so the import modules load it only to read a workbook."""
    code = (
        "import django, os, sys; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'smsportal.settings'); "
        "django.setup(); "
        "import contacts.importing.runner, contacts.importing.preview, contacts.tasks; "
        "print(any(name.startswith('openpyxl') for name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    assert loaded == "False"
