"""A "Groups" column: an export keeps each contact's groups, an import puts them back."""

import pytest

from contacts import exporting
from contacts.importing.groups import split_group_cell
from contacts.importing.reasons import reason_text
from contacts.models import Contact, ContactGroup, GroupMembership
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


def groups_of(phone: str) -> list[str]:
    contact = Contact.objects.get(phone=phone)
    return sorted(contact.groups.values_list("name", flat=True))


def export_bytes(fmt_key: str) -> bytes:
    with exporting.export_to_file(
        Contact.objects.all(), fmt=exporting.FORMATS[fmt_key], custom_fields=[]
    ) as out:
        return out.read()


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Клиенты; VIP", ["Клиенты", "VIP"]),
        ("клиенты,  новые ;; vip", ["Клиенты", "новые", "VIP"]),
        # A known name with a comma in it stays whole, alone or among others.
        ("Москва, центр", ["Москва, центр"]),
        ("VIP; москва, центр", ["VIP", "Москва, центр"]),
        ("VIP, VIP; vip", ["VIP"]),
        ("  ", []),
    ],
)
def test_a_cell_names_its_groups_once_each_as_the_book_writes_them(cell, names):
    known = {n.casefold(): n for n in ("Клиенты", "VIP", "Москва, центр")}

    assert split_group_cell(cell, known) == names


@pytest.mark.parametrize("fmt_key", ["csv", "csv-1251", "xlsx"])
def test_an_exported_file_puts_contacts_back_into_their_groups(
    do_import, fmt_key, stage_kind
):
    clients = ContactGroup.objects.create(name="Клиенты")
    centre = ContactGroup.objects.create(name="Москва, центр")
    vip = ContactGroup.objects.create(name="VIP")
    ivan = make_contact("+79123456789", first_name="Иван")
    anna = make_contact("+79123456780", first_name="Анна")
    make_contact("+79123456781", first_name="Олег")
    ivan.groups.add(clients, centre, vip)
    anna.groups.add(clients)
    data = export_bytes(fmt_key)
    # Someone tidied up: the memberships and a group are gone.
    GroupMembership.objects.all().delete()
    vip.delete()

    report, rejects = do_import(
        data, name=f"export.{exporting.FORMATS[fmt_key].extension}"
    )

    assert groups_of("+79123456789") == ["VIP", "Клиенты", "Москва, центр"]
    assert groups_of("+79123456780") == ["Клиенты"]
    assert groups_of("+79123456781") == []
    assert report.groups_created == ["VIP"]
    assert (report.added_to_groups, report.unchanged, report.invalid) == (2, 1, 0)
    assert rejects.count("\n") == 1  # the header only


def test_new_contacts_join_their_rows_groups_and_the_imports_own(
    do_import, group, stage_kind
):
    data = (
        "Телефон;Имя;Группы\n"
        "+79123456789;Иван;VIP, новые\n"
        "+79123456780;Анна;клиенты\n"
        "+79123456781;Олег;\n"
    ).encode()

    report, _rejects = do_import(data, group_ids=[group.pk])

    assert report.created == 3
    assert groups_of("+79123456789") == ["VIP", "Клиенты", "новые"]
    assert groups_of("+79123456780") == ["Клиенты"]  # the same group, once
    assert groups_of("+79123456781") == ["Клиенты"]
    assert report.groups_created == ["VIP", "новые"]


def test_existing_contacts_join_their_groups_without_the_rest_of_the_row_checked(
    do_import, stage_kind
):
    make_contact("+79123456789", first_name="Иван", email="ivan@example.ru")
    # Not updating: the e-mail cell is not looked at, the groups are still joined.
    data = "Телефон;Эл. почта;Группы\n+79123456789;не почта;Опт\n".encode()

    report, _rejects = do_import(data)

    assert (report.added_to_groups, report.invalid, report.updated) == (1, 0, 0)
    assert groups_of("+79123456789") == ["Опт"]
    assert Contact.objects.get().email == "ivan@example.ru"


def test_an_updated_contact_that_also_joins_a_group_counts_once_as_updated(
    do_import, stage_kind
):
    make_contact("+79123456789", first_name="Иван")
    make_contact("+79123456780", first_name="Анна")
    data = "Телефон;Имя;Группы\n+79123456789;Иоанн;Опт\n+79123456780;Анна;Опт\n"

    report, _rejects = do_import(data.encode(), update=True)

    assert (report.updated, report.added_to_groups, report.unchanged) == (1, 1, 0)
    assert groups_of("+79123456789") == groups_of("+79123456780") == ["Опт"]


def test_a_group_name_too_long_rejects_the_row_naming_the_column(do_import, stage_kind):
    long_name = "Г" * 101
    data = f"Телефон;Группы\n+79123456789;{long_name}\n+79123456780;Опт\n".encode()

    report, rejects = do_import(data)

    assert (report.created, report.invalid) == (1, 1)
    assert report.errors[0]["row"] == 2
    reason = reason_text(report.errors[0]["reason"])
    assert "“Группы”" in reason
    assert "100" in reason
    assert long_name in rejects
    assert not ContactGroup.objects.filter(name__startswith="ГГ").exists()


def test_a_failed_import_creates_no_group(do_import, monkeypatch, stage_kind):
    from contacts.importing.groups import GroupResolver

    create = GroupResolver._create

    def create_then_fail(self, name):
        create(self, name)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(GroupResolver, "_create", create_then_fail)
    data = "Телефон;Группы\n+79123456789;Опт\n".encode()

    with pytest.raises(RuntimeError):
        do_import(data)

    assert not ContactGroup.objects.exists()
    assert not Contact.objects.exists()


def test_a_cp1251_export_is_refused_for_a_group_name_it_cannot_write(
    manager_client, settings
):
    settings.LANGUAGE_CODE = "en"
    contact = make_contact("+79123456789", first_name="Иван")
    contact.groups.add(ContactGroup.objects.create(name="Kunden Müller"))

    problem = exporting.cp1251_problem(Contact.objects.all(), [])

    assert "“ü”" in problem
    assert "Kunden Müller" in problem


def test_a_group_name_may_not_hold_the_columns_separator(manager_client, settings):
    """ "Опт; розница" would come back from an export as two groups."""
    from django.urls import reverse

    from contacts.services import group_create
    from smsportal.exceptions import ApplicationError

    settings.LANGUAGE_CODE = "en"
    refusal = "A group name cannot hold “;”"

    page = manager_client.post(
        reverse("contacts:group_create"), {"name": "Опт; розница"}
    )
    with pytest.raises(ApplicationError) as by_service:  # the API's way in
        group_create(name="Опт; розница")

    assert refusal in page.content.decode()
    assert refusal in by_service.value.message
    assert by_service.value.where == "name"
    assert not ContactGroup.objects.exists()


def test_a_group_name_is_taken_without_invisible_characters(do_import, stage_kind):
    """ "Опт" pasted from a web page with a zero-width space made a second "Опт"."""
    ContactGroup.objects.create(name="Опт")
    data = "Телефон;Группы\n+79123456789;Опт\u200b\n+79123456780;\u200bVIP\n"

    report, _rejects = do_import(data.encode())

    assert groups_of("+79123456789") == ["Опт"]
    assert groups_of("+79123456780") == ["VIP"]
    assert report.groups_created == ["VIP"]
