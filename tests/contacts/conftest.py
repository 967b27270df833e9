import io
import zipfile
from collections.abc import Callable

import pytest

from django.utils import translation

from contacts.importing import stages
from contacts.importing.rejects import DEFAULT_DELIMITER, rejects_lines
from contacts.importing.runner import ImportOptions, ImportReport, run_import
from contacts.models import Contact, ContactGroup, CustomField, StopListEntry


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English; the Russian catalogue has its own test."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(params=["postgres", "orm"])
def stage_kind(request, monkeypatch):
    """Run importer tests through the COPY path and the bulk ORM fallback (SQLite's)."""
    if request.param == "orm":
        monkeypatch.setattr(stages, "PostgresStage", stages.FileStage)
    return request.param


@pytest.fixture
def do_import(db) -> Callable[..., tuple[ImportReport, str]]:
    """Import bytes; return the report and the rejects CSV text as a download has it
    (the reasons in the active language)."""

    def run(
        data: bytes, name: str = "contacts.csv", **options
    ) -> tuple[ImportReport, str]:
        rejects = io.StringIO()
        report = run_import(
            io.BytesIO(data),
            name=name,
            options=ImportOptions(**options),
            rejects=rejects,
        )
        rejects.seek(0)
        delimiter = report.delimiter or DEFAULT_DELIMITER
        return report, "".join(rejects_lines(rejects, delimiter=delimiter))

    return run


@pytest.fixture
def custom_fields(db):
    return [
        CustomField.objects.create(key="city", label="Город", kind="text"),
        CustomField.objects.create(key="balance", label="Баланс", kind="number"),
        CustomField.objects.create(key="visit", label="Визит", kind="date"),
    ]


@pytest.fixture
def group(db):
    return ContactGroup.objects.create(name="Клиенты")


def make_contact(phone: str = "+79123456789", **fields) -> Contact:
    return Contact.objects.create(phone=phone, **fields)


def stop(phone: str) -> StopListEntry:
    return StopListEntry.objects.create(phone=phone, reason="test")


def assert_no_formulas(workbook: bytes) -> None:
    """Every text cell of every sheet is an inline string; none is a formula."""
    package = zipfile.ZipFile(io.BytesIO(workbook))
    for name in package.namelist():
        if name.startswith("xl/worksheets/"):
            xml = package.read(name).decode()
            assert "<f>" not in xml
            assert "<f " not in xml
            assert 't="str"' not in xml


@pytest.fixture
def api(client, manager_user):
    """The test client with a manager's API token."""
    from accounts.services import api_token_create

    _token, raw = api_token_create(user=manager_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client
