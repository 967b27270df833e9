import csv
from io import StringIO

import openpyxl
import pytest

from django.core.management import CommandError, call_command

from contacts.models import Contact, ContactGroup, StopListEntry
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_import_contacts_prints_the_report_and_writes_rejects(tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(
        "Телефон;Имя;Фамилия\n89123456789;Иван;Иванов\n123;Пётр;\n".encode("cp1251")
    )
    rejects = tmp_path / "rejects.csv"
    out = StringIO()
    call_command(
        "import_contacts", str(path), "--group", "VIP", "--group", "Новые",
        "--rejects", str(rejects), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Read as cp1251, ';'" in text
    assert "created              1" in text
    assert "invalid              1" in text
    assert "row 3: column “Телефон”: too few digits" in text
    contact = Contact.objects.get()
    assert set(contact.groups.values_list("name", flat=True)) == {"VIP", "Новые"}
    rows = list(csv.reader(rejects.open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[1][:3] == ["3", rows[1][1], "123"]


def test_import_contacts_map_update_encoding_and_delimiter(tmp_path):
    make_contact("+79123456789", first_name="Старое")
    path = tmp_path / "book.txt"
    path.write_text("x|y\n", encoding="utf-8")
    path.write_bytes("номер,кто\n89123456789,Новое\n".encode("cp1251"))
    call_command(
        "import_contacts", str(path), "--encoding", "cp1251", "--delimiter", ",",
        "--map", "номер=phone", "--map", "2=first_name", "--update", stdout=StringIO(),
    )  # fmt: skip
    assert Contact.objects.get().first_name == "Новое"


def test_import_contacts_fails_when_the_file_cannot_be_read(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CommandError, match="binary data"):
        call_command("import_contacts", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "import_contacts", str(tmp_path / "missing.csv"), stdout=StringIO()
        )
    path.write_text("phone\n89123456789\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown field"):
        call_command(
            "import_contacts", str(path), "--map", "1=nonsense", stdout=StringIO()
        )


def test_import_stoplist(tmp_path):
    path = tmp_path / "stop.csv"
    path.write_text("+79123456789\n89123456780\n", encoding="utf-8")
    out = StringIO()
    call_command("import_stoplist", str(path), "--reason", "жалобы", stdout=out)
    assert "created              2" in out.getvalue()
    assert set(StopListEntry.objects.values_list("reason", flat=True)) == {"жалобы"}


def test_export_contacts_csv_and_xlsx(tmp_path):
    group = ContactGroup.objects.create(name="VIP")
    make_contact("+79123456789", first_name="Иван").groups.add(group)
    make_contact("+79031112233", first_name="Анна")
    out = tmp_path / "vip.csv"
    call_command("export_contacts", "--group", "VIP", "-o", str(out), stderr=StringIO())
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert [r[0] for r in rows[1:]] == ["+79123456789"]
    xlsx = tmp_path / "all.xlsx"
    call_command(
        "export_contacts", "--format", "xlsx", "-o", str(xlsx), stderr=StringIO()
    )
    assert openpyxl.load_workbook(xlsx).active.max_row == 3
    with pytest.raises(CommandError, match="No group named"):
        call_command("export_contacts", "--group", "nope")


def test_import_contacts_refuses_a_group_name_the_group_form_refuses(tmp_path):
    """--group "A;B" made a group that an export wrote back as two; a name over 100
    characters stopped the command with a database traceback."""
    path = tmp_path / "book.csv"
    path.write_text("phone\n+79123456789\n", encoding="utf-8")

    with pytest.raises(CommandError, match="--group 'A;B': .*“;”"):
        call_command("import_contacts", str(path), "--group", "A;B", stdout=StringIO())
    with pytest.raises(CommandError, match="at most 100 characters"):
        call_command(
            "import_contacts", str(path), "--group", "x" * 101, stdout=StringIO()
        )

    assert not ContactGroup.objects.exists()
    assert not Contact.objects.exists()


def test_import_contacts_of_a_missing_file_makes_no_group(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "import_contacts", str(tmp_path / "missing.csv"), "--group", "Новые",
            stdout=StringIO(),
        )  # fmt: skip

    assert not ContactGroup.objects.exists()


@pytest.mark.parametrize("column", ["0", "4"])
def test_import_contacts_refuses_a_column_number_outside_the_header(tmp_path, column):
    """--map 0=... mapped the last column (index -1), and a number past the end was
    taken without a word."""
    path = tmp_path / "book.csv"
    path.write_text("name;note;phone\nИван;x;+79123456789\n", encoding="utf-8")

    with pytest.raises(CommandError, match=f"no column {column}: the header has 3"):
        call_command(
            "import_contacts", str(path), "--map", f"{column}=full_name",
            stdout=StringIO(),
        )  # fmt: skip

    assert not Contact.objects.exists()


def test_the_import_report_counts_the_contacts_of_the_book_put_in_groups(tmp_path):
    make_contact("+79123456789")
    path = tmp_path / "book.csv"
    path.write_text("phone\n+79123456789\n+79123456780\n", encoding="utf-8")
    out = StringIO()

    call_command("import_contacts", str(path), "--group", "VIP", stdout=out)

    assert "created              1" in out.getvalue()
    assert "in book, to groups   1" in out.getvalue()
    assert ContactGroup.objects.get().contacts.count() == 2
