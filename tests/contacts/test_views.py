import codecs
import io
import re
from datetime import date

import openpyxl
import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import api_token_create
from contacts.models import (
    Contact,
    ContactGroup,
    CustomField,
    GroupMembership,
    ImportJob,
    StopListEntry,
)
from tests.contacts.conftest import make_contact, stop

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "contacts:list",
        "contacts:group_list",
        "contacts:stoplist",
        "contacts:import",
        "contacts:create",
    ],
)
def test_anonymous_is_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "url_name",
    [
        "contacts:list",
        "contacts:group_list",
        "contacts:stoplist",
        "contacts:custom_fields",
    ],
)
def test_viewer_can_read_the_lists(viewer_client, url_name):
    make_contact(first_name="Иван")
    assert viewer_client.get(reverse(url_name)).status_code == 200


def test_viewer_gets_403_on_every_write(viewer_client, group):
    contact = make_contact()
    writes = [
        ("get", reverse("contacts:create"), {}),
        ("post", reverse("contacts:create"), {"phone": "89123456780"}),
        ("get", reverse("contacts:edit", args=[contact.pk]), {}),
        ("post", reverse("contacts:delete", args=[contact.pk]), {}),
        ("get", reverse("contacts:group_create"), {}),
        ("post", reverse("contacts:group_delete", args=[group.pk]), {}),
        ("post", reverse("contacts:stoplist"), {"phone": "89123456780"}),
        ("post", reverse("contacts:stoplist_remove"), {"phone": "+79123456789"}),
        ("get", reverse("contacts:import"), {}),
        ("get", reverse("contacts:stoplist_import"), {}),
        (
            "post",
            reverse("contacts:custom_fields"),
            {"label": "x", "key": "x", "kind": "text"},
        ),
    ]
    for method, url, data in writes:
        assert getattr(viewer_client, method)(url, data).status_code == 403, url
    response = viewer_client.post(
        reverse("contacts:bulk"), {"action": "delete", "ids": [contact.pk]}
    )
    assert response.status_code == 302
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not StopListEntry.objects.exists()


def test_contact_list_searches_and_filters(manager_client, group):
    ivan = make_contact("+79123456789", first_name="Иван", last_name="Иванов")
    make_contact("+79031112233", first_name="Анна")
    ivan.groups.add(group)
    stop("+79031112233")

    def phones(**params):
        response = manager_client.get(reverse("contacts:list"), params)
        assert response.status_code == 200
        return {row.record.phone for row in response.context["table"].page.object_list}

    assert phones() == {"+79123456789", "+79031112233"}
    assert phones(q="8 912 345") == {"+79123456789"}
    assert phones(q="иванов") == {"+79123456789"}
    assert phones(q="АННА") == {"+79031112233"}  # any case, on SQLite too
    assert phones(group=group.pk) == {"+79123456789"}
    assert phones(stopped="true") == {"+79031112233"}
    assert phones(stopped="false") == {"+79123456789"}


def test_contact_list_pages_without_counting(
    manager_client, django_assert_max_num_queries
):
    for i in range(60):
        make_contact(f"+7912000{i:04d}")
    response = manager_client.get(reverse("contacts:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "page=2" in html
    assert response.context["table"].paginator.__class__.__name__ == "LazyPaginator"


def test_contact_list_counts_a_small_book_exactly(manager_client):
    from django.db import connection

    for i in range(5):
        make_contact(f"+7912000{i:04d}", last_name="Иванов", first_name="Иван")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")  # statistics agree: still exact
    response = manager_client.get(reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "5 contacts in the book" in html
    assert "about" not in html.split("contacts in the book")[0][-40:]
    # The column holds last, first and middle names: a person's full name.
    assert response.context["table"].columns["name"].header == "Full name"
    assert "Иванов Иван" in html


def test_contact_list_says_about_when_the_size_is_an_estimate(
    manager_client, monkeypatch
):
    from django.db import connection

    from contacts import selectors

    for i in range(3):
        make_contact(f"+7912000{i:04d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 2)
    size = selectors.contact_book_size()
    html = manager_client.get(
        reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    # Above the limit the statistics answer, and the questions say "about".
    assert (size.exact, size.at_least, size.count) == (False, False, 3)
    assert "about 3 contacts in the book" in html
    assert (
        'data-confirm-matching="Add the whole book, about 3 contacts, to the stop '
        'list?"' in html
    )


def test_an_unanalysed_book_above_the_count_says_more_than_never_a_number(
    manager_client, monkeypatch
):
    """Never analysed, the size was "about 100 001" (the count's limit plus one), and
    the whole-book question named "100 001 contacts" as if counted."""
    from django.db import connection

    from contacts import selectors

    # Statistics behind the book: taken empty (ANALYZE writes pg_class in place, so
    # a test cannot count on a table never analysed).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    for i in range(3):
        make_contact(f"+7912000{i:04d}")
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 2)
    size = selectors.contact_book_size()
    html = manager_client.get(
        reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (size.exact, size.at_least, size.count) == (False, True, 2)
    assert "more than 2 contacts in the book" in html
    assert 'data-confirm-matching="Delete the whole book, more than 2 contacts?"' in (
        html
    )
    assert "3 contacts" not in html


def test_create_edit_and_delete_a_contact(manager_client, group, custom_fields):
    response = manager_client.post(
        reverse("contacts:create"),
        {
            "phone": "8 (912) 345-67-89",
            "first_name": "Иван",
            "groups": [group.pk],
            "cf_balance": "12.5",
        },
    )
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert (contact.phone, contact.first_name, contact.is_mobile) == (
        "+79123456789",
        "Иван",
        True,
    )
    assert list(contact.groups.all()) == [group]
    assert contact.attributes == {"balance": 12.5}

    response = manager_client.post(
        reverse("contacts:edit", args=[contact.pk]),
        {"phone": "+7 495 123 45 67", "first_name": "Пётр"},
    )
    contact.refresh_from_db()
    assert (contact.phone, contact.time_zone, contact.first_name) == (
        "+74951234567",
        "Europe/Moscow",
        "Пётр",
    )
    assert contact.attributes == {}

    manager_client.post(reverse("contacts:delete", args=[contact.pk]))
    assert not Contact.objects.exists()


def test_invalid_or_taken_phone_is_a_form_error(manager_client):
    make_contact("+79123456789")
    response = manager_client.post(reverse("contacts:create"), {"phone": "123"})
    assert response.status_code == 200
    assert "not a valid phone number" in response.content.decode()
    response = manager_client.post(reverse("contacts:create"), {"phone": "89123456789"})
    assert "already in the book" in response.content.decode()


def test_every_problem_of_the_contact_form_is_said_at_once(manager_client):
    response = manager_client.post(
        reverse("contacts:create"),
        {"phone": "12abc", "email": "a@b", "birthday": "2099-01-01"},
    )

    errors = response.context["form"].errors
    assert set(errors) == {"phone", "email", "birthday"}
    assert "not a valid phone number" in errors["phone"][0]
    assert "is in the future" in errors["birthday"][0]
    assert not Contact.objects.exists()


def test_a_name_no_gateway_can_carry_is_a_form_error_naming_the_place(
    manager_client, custom_fields
):
    response = manager_client.post(
        reverse("contacts:create"),
        {"phone": "89123456789", "first_name": "Ив\x07ан", "cf_city": "Tver\x1b",
         "email": "a\x00@b.ru"},
    )  # fmt: skip

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["email"][0].startswith("Character 2: the control character U+0000")
    assert errors["first_name"] == [
        "Character 3: the control character U+0007 cannot be sent by any gateway. "
        "Remove it."
    ]
    assert errors["cf_city"][0].startswith("Character 5: the control character U+001B")
    assert not Contact.objects.exists()


def test_contact_detail_shows_stop_flag_and_history_slot(manager_client):
    contact = make_contact(first_name="Иван")
    stop(contact.phone)
    response = manager_client.get(reverse("contacts:detail", args=[contact.pk]))
    assert response.status_code == 200
    assert response.context["contact"].is_stopped
    assert "history_template" in response.context


def test_contact_page_asks_before_it_puts_the_number_on_the_stop_list(manager_client):
    """It acted at once; the inbox's button asks first. Both say what follows."""
    import re

    contact = make_contact(first_name="Иван")

    response = manager_client.get(
        reverse("contacts:detail", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    form = re.search(r"<form[^>]*data-stop-list-add[^>]*>", response.content.decode())
    assert form, "no stop-list form"
    asks = re.search(r'data-confirm="([^"]*)"', form.group(0))
    assert asks, "the form acts without asking"
    assert asks.group(1) == (
        f"Put {contact.phone} on the stop list? No campaign or answer will be sent to "
        "it, and messages waiting at a gateway for a later send time are withdrawn."
    )


def test_contact_detail_says_whose_zone_quiet_hours_follow(manager_client):
    mobile = make_contact("+79240000001")
    page = manager_client.get(reverse("contacts:detail", args=[mobile.pk]))
    body = page.content.decode()
    assert "quiet hours follow the campaign" in body
    assert f'href="{reverse("contacts:numbering_plan")}"' in body
    landline = make_contact("+74232223344", time_zone="Asia/Vladivostok")
    page = manager_client.get(reverse("contacts:detail", args=[landline.pk]))
    assert "Vladivostok" in page.content.decode()  # by its city


def test_bulk_actions(manager_client, group):
    one, two = make_contact("+79123456789"), make_contact("+79123456780")
    url = reverse("contacts:bulk")
    manager_client.post(
        url, {"action": "add_to_group", "group": group.pk, "ids": [one.pk, two.pk]}
    )
    assert group.contacts.count() == 2
    manager_client.post(
        url, {"action": "remove_from_group", "group": group.pk, "ids": [one.pk]}
    )
    assert list(group.contacts.all()) == [two]
    manager_client.post(url, {"action": "opt_out", "ids": [two.pk]})
    assert StopListEntry.objects.get().phone == two.phone
    manager_client.post(
        url, {"action": "delete", "select_all": "on", "query": "q=9123456789"}
    )
    assert list(Contact.objects.all()) == [two]


def test_a_filter_on_a_group_that_is_gone_never_reaches_the_whole_book(
    manager_client, settings
):
    """A bulk action on "all matching" and an export under an unreadable filter are
    refused with the reason; before, the filter was dropped and all contacts matched."""
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456789")
    make_contact("+79123456780")

    bulk = manager_client.post(
        reverse("contacts:bulk"),
        {"action": "delete", "select_all": "on", "query": "group=999999"},
        follow=True,
    )
    export = manager_client.get(reverse("contacts:export"), {"group": 999999})

    export_page = manager_client.get(export.url)

    assert Contact.objects.count() == 2
    assert "Group: Select a valid choice." in bulk.content.decode()
    assert export.status_code == 302
    assert export.url.endswith("?group=999999")
    # Said once, by its label: not «group: Group: Select…».
    for page in (bulk, export_page):
        assert "group: Group:" not in page.content.decode()
    assert "Group: Select a valid choice." in export_page.content.decode()


def test_a_reversed_creation_range_is_refused_with_both_days(manager_client, settings):
    """From December to January matched nothing and said nothing: an empty export."""
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456789")

    export = manager_client.get(
        reverse("contacts:export"),
        {"created_min": "2026-12-01", "created_max": "2026-01-31"},
        follow=True,
    )
    listing = manager_client.get(
        reverse("contacts:list"),
        {"created_min": "2026-12-01", "created_max": "2026-01-31"},
    ).content.decode()

    assert "Created: The first day (01.12.2026) is after the last (31.01.2026)." in (
        export.content.decode()
    )
    assert export.redirect_chain  # back to the list, no file
    assert 'data-filter-error="created"' in listing


def test_groups_pages(manager_client):
    response = manager_client.post(
        reverse("contacts:group_create"), {"name": "VIP", "description": ""}
    )
    assert response.status_code == 302
    group = ContactGroup.objects.get()
    make_contact().groups.add(group)
    response = manager_client.get(reverse("contacts:group_list"))
    assert "VIP" in response.content.decode()
    assert response.context["table"].rows[0].record.member_count == 1
    response = manager_client.post(reverse("contacts:group_create"), {"name": "vip"})
    assert "already exists" in response.content.decode()
    manager_client.post(reverse("contacts:group_delete", args=[group.pk]))
    assert not ContactGroup.objects.exists()
    assert Contact.objects.exists()


def test_group_list_counts_members_per_group_and_groups_without_them(manager_client):
    big, small, empty = (
        ContactGroup.objects.create(name=name) for name in ("Big", "Small", "Empty")
    )
    for i in range(3):
        make_contact(f"+7912000000{i}").groups.add(big)
    make_contact("+79120000009").groups.add(big, small)
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(
            reverse("contacts:group_list"), {"sort": "-member_count"}
        )
    counts = [
        (row.record.name, row.record.member_count)
        for row in response.context["table"].rows
    ]
    assert counts == [("Big", 4), ("Small", 1), ("Empty", 0)]
    # The paginator counts groups alone; grouping every membership to count groups
    # took 90 ms with a million members.
    (count_query,) = [
        q["sql"]
        for q in queries
        if "contacts_contactgroup" in q["sql"] and '"__count"' in q["sql"]
    ]
    assert "groupmembership" not in count_query
    # Each group's members are counted as rows, which its index alone answers: a
    # count of their ids read every membership's row from the table (3.5x slower).
    (list_query,) = [q["sql"] for q in queries if "groupmembership" in q["sql"]]
    assert "(SELECT COUNT(*) AS" in list_query


def test_stoplist_page_adds_and_removes(manager_client):
    manager_client.post(
        reverse("contacts:stoplist"), {"phone": "8 912 345 67 89", "reason": "жалоба"}
    )
    entry = StopListEntry.objects.get()
    assert (entry.phone, entry.reason, entry.source) == (
        "+79123456789",
        "жалоба",
        "manual",
    )
    response = manager_client.post(reverse("contacts:stoplist"), {"phone": "abc"})
    assert "not a valid phone number" in response.content.decode()
    assert (
        "+79123456789"
        in manager_client.get(reverse("contacts:stoplist")).content.decode()
    )
    manager_client.post(reverse("contacts:stoplist_remove"), {"phone": "+79123456789"})
    assert not StopListEntry.objects.exists()


def test_a_stop_list_reason_too_long_is_refused_where_it_was_typed(manager_client):
    response = manager_client.post(
        reverse("contacts:stoplist"), {"phone": "+79161234567", "reason": "ж" * 300}
    )

    page = response.content.decode()
    assert not StopListEntry.objects.exists()
    assert 'data-error-for="reason"' in page
    assert "ж" * 300 in page  # what was typed is kept
    assert 'maxlength="255"' in page


def test_adding_a_number_already_stopped_says_since_when(manager_client):
    def added(phone):
        response = manager_client.post(
            reverse("contacts:stoplist"), {"phone": phone, "reason": "x"}, follow=True
        )
        return [str(m) for m in response.context["messages"]]

    assert added("+79123456789") == ["+79123456789 is on the stop list."]
    again = added("8 912 345-67-89")
    assert len(again) == 1
    assert again[0].startswith("+79123456789 has been on the stop list since ")
    assert StopListEntry.objects.get().reason == "x"


def test_stoplist_page_names_a_control_character_in_the_reason(
    manager_client, settings
):
    settings.LANGUAGE_CODE = "en"
    response = manager_client.post(
        reverse("contacts:stoplist"), {"phone": "89123456789", "reason": "spam\x00"}
    )

    assert (
        response.context["form"]
        .errors["reason"][0]
        .startswith("Character 5: the control character U+0000")
    )
    assert not StopListEntry.objects.exists()


def test_import_wizard_end_to_end(
    manager_client, group, django_capture_on_commit_callbacks
):
    data = "Телефон;Имя;Заметка\r\n8 912 345-67-89;Иван;x\r\n123;Пётр;y\r\n".encode(
        "cp1251"
    )
    upload = SimpleUploadedFile("book.csv", data, content_type="text/csv")
    response = manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.url == reverse("contacts:import_mapping", args=[job.pk])

    response = manager_client.get(response.url)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["encoding"] == "cp1251"
    assert form.initial["delimiter"] == ";"
    assert [form.initial[f"col_{i}"] for i in range(3)] == ["phone", "first_name", ""]
    assert "Иван" in response.content.decode()

    post = {"encoding": "cp1251", "delimiter": ";", "header": "on", "col_0": "phone",
            "col_1": "first_name", "col_2": "", "groups": [group.pk]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("contacts:import_mapping", args=[job.pk]), post
        )
    assert response.url == reverse("contacts:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.report["created"] == 1
    assert job.report["invalid"] == 1
    assert Contact.objects.get().first_name == "Иван"
    assert list(group.contacts.values_list("phone", flat=True)) == ["+79123456789"]

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert reverse("contacts:import_rejects", args=[job.pk]) in page
    # "Done" once, as the status; the button says where it leads.
    assert page.count(">Done<") == 1
    assert f'href="{reverse("contacts:list")}">Go to the contacts</a>' in page
    rejects = manager_client.get(reverse("contacts:import_rejects", args=[job.pk]))
    # Back in the upload's encoding (windows-1251, no BOM) and delimiter.
    assert rejects["Content-Type"] == "text/csv; charset=windows-1251"
    body = b"".join(rejects.streaming_content).decode("cp1251")
    assert "3;column “Телефон”: too few digits" in body.replace('"', "")
    assert "Пётр" in body


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "charset", "start", "encoding", "delimiter"),
    [
        # UTF-8 without a BOM: Excel needs one to read UTF-8 at all.
        ("a.csv", "Телефон,Имя\n123,Пётр\n".encode(), "utf-8", codecs.BOM_UTF8,
         "utf-8-sig", ","),
        ("b.csv", "\ufeffТелефон;Имя\n123;=Пётр\n".encode(), "utf-8",
         codecs.BOM_UTF8, "utf-8-sig", ";"),
        ("c.csv", "Телефон\tИмя\n123\tПётр\n".encode("utf-16"), "utf-16",
         codecs.BOM_UTF16, "utf-16", "\t"),
        ("d.csv", "Телефон;Имя\n123;Пётр\n".encode("cp1251"), "windows-1251",
         "Ст".encode("cp1251"), "cp1251", ";"),
        # A workbook has no encoding: UTF-8 with a BOM and ";" for Russian Excel.
        ("e.xlsx", _xlsx([["Телефон", "Имя"], ["123", "Пётр"]]), "utf-8",
         codecs.BOM_UTF8, "utf-8-sig", ";"),
    ],
)  # fmt: skip
def test_rejected_rows_come_back_in_the_uploads_encoding_and_delimiter(
    manager_client, settings, name, data, charset, start, encoding, delimiter
):
    import csv
    import io

    from contacts.importing.runner import ImportOptions
    from contacts.services import contacts_import, import_job_create

    settings.LANGUAGE_CODE = "ru"
    upload = SimpleUploadedFile(name, data)
    job = import_job_create(upload=upload, kind="contacts")
    job.options = ImportOptions().as_dict()
    job.status = ImportJob.Status.QUEUED
    job.save()
    contacts_import(job_id=job.pk)
    response = manager_client.get(reverse("contacts:import_rejects", args=[job.pk]))
    assert response["Content-Type"] == f"text/csv; charset={charset}"
    body = b"".join(response.streaming_content)
    assert body.startswith(start)
    rows = list(csv.reader(io.StringIO(body.decode(encoding)), delimiter=delimiter))
    assert rows[0][0] == "Строка"
    assert rows[1][0] == "2"
    assert rows[1][1].startswith("столбец «Телефон»")
    # The formula guard stays: a cell Excel would run gets an apostrophe.
    assert rows[1][3] in ("Пётр", "'=Пётр")
    assert len(rows) == 2


def test_mapping_without_phone_is_a_form_error(manager_client):
    upload = SimpleUploadedFile("book.csv", "Телефон;Имя\n89123456789;Иван\n".encode())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    response = manager_client.post(
        reverse("contacts:import_mapping", args=[job.pk]),
        {
            "encoding": "utf-8",
            "delimiter": ";",
            "header": "on",
            "col_0": "",
            "col_1": "first_name",
        },
    )
    assert response.status_code == 200
    assert "Choose the column that holds the phone number" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"\x00\x01\x02\x03" * 100, "binary data"),
        ("Телефон;Имя\n".encode(), "header row but no data rows"),
    ],
)
def test_bad_upload_gets_a_clear_page_not_a_500(manager_client, data, message):
    upload = SimpleUploadedFile("bad.csv", data)
    response = manager_client.post(
        reverse("contacts:import"),
        {"file": upload},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code in (200, 400)
    assert message in response.content.decode()


def test_too_big_upload_is_refused_with_the_limit(manager_client, settings):
    settings.SMSPORTAL_IMPORT_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.csv", b"89123456789\n" * 20)
    response = manager_client.post(reverse("contacts:import"), {"file": upload})
    assert response.status_code == 200
    # Stopped as it arrived (smsportal.uploads), before the import's own check.
    assert "larger than 100" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_failed_job_shows_its_error(manager_client, django_capture_on_commit_callbacks):
    good = "".join(f"8912345{i:04d}\n" for i in range(20))
    upload = SimpleUploadedFile("b.csv", f'phone\n{good}"89123456780\n'.encode())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"encoding": "utf-8", "delimiter": ",", "header": "on", "col_0": "phone"}
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "b.csv, row 22: a quoted cell is never closed" in job.error
    assert not Contact.objects.exists()
    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert "never closed" in page.content.decode()


def test_stoplist_import_page(manager_client, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("stop.csv", codecs.BOM_UTF8 + b"phone\n89123456789\n")
    response = manager_client.post(
        reverse("contacts:stoplist_import"), {"file": upload}
    )
    job = ImportJob.objects.get()
    assert job.kind == "stoplist"
    post = {"encoding": "utf-8-sig", "delimiter": ",", "header": "on", "col_0": "phone"}
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("contacts:import_mapping", args=[job.pk]), post
        )
    assert response.status_code == 302
    assert StopListEntry.objects.get().phone == "+79123456789"


def test_export_view_streams_csv_of_the_filter(manager_client, group):
    make_contact("+79123456789", first_name="Иван").groups.add(group)
    make_contact("+79031112233", first_name="Анна")
    response = manager_client.get(
        reverse("contacts:export"), {"group": group.pk, "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "+79123456789" in body
    assert "+79031112233" not in body
    response = manager_client.get(
        reverse("contacts:export"), {"group": group.pk, "format": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment")
    # Named after the group (filename*=, being Cyrillic).
    assert response["Content-Disposition"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    phones = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert phones == ["+79123456789"]


def test_a_contact_form_sets_the_zone_a_mobile_number_lacks(manager_client):
    manager_client.post(
        reverse("contacts:create"),
        {"phone": "+79123456789", "time_zone": "Asia/Vladivostok"},
    )
    contact = Contact.objects.get()
    assert contact.time_zone == "Asia/Vladivostok"
    form = manager_client.get(reverse("contacts:edit", args=[contact.pk])).context[
        "form"
    ]
    assert form.initial["time_zone"] == "Asia/Vladivostok"


def test_a_landline_zone_shows_as_by_the_number_and_follows_a_new_number(
    manager_client,
):
    manager_client.post(reverse("contacts:create"), {"phone": "+74951234567"})
    contact = Contact.objects.get()
    assert contact.time_zone == "Europe/Moscow"
    edit = reverse("contacts:edit", args=[contact.pk])
    form = manager_client.get(edit).context["form"]
    assert form.initial["time_zone"] == ""
    # Saved as shown, with a Vladivostok landline: the zone follows the number.
    manager_client.post(edit, {"phone": "+74232223344", "time_zone": ""})
    contact.refresh_from_db()
    assert contact.time_zone == "Asia/Vladivostok"


def test_an_imports_reasons_are_in_each_readers_language_whatever_the_uploaders(
    manager_client, monkeypatch, django_capture_on_commit_callbacks
):
    """A Russian uploader's import, run by a worker in English: the rejected rows'
    file and the report page speak the language of whoever opens them."""
    from django.utils import translation

    from contacts import tasks

    queued = []
    monkeypatch.setattr(
        tasks.contacts_import, "delay", lambda *a, **kw: queued.append((a, kw))
    )
    upload = SimpleUploadedFile("book.csv", "Телефон;Имя\n123;Пётр\n".encode())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"encoding": "utf-8", "delimiter": ";", "header": "on",
            "col_0": "phone", "col_1": "first_name"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            reverse("contacts:import_mapping", args=[job.pk]),
            post,
            HTTP_ACCEPT_LANGUAGE="ru",
        )
    assert queued == [((job.pk,), {"language": "ru"})]

    with translation.override("en"):  # the worker's own language
        tasks.contacts_import(*queued[0][0], **queued[0][1])
    url = reverse("contacts:import_rejects", args=[job.pk])
    russian = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    body = b"".join(russian.streaming_content).decode("utf-8-sig")
    assert body.startswith("Строка;Ошибка;Телефон;Имя\r\n")
    assert "2;столбец «Телефон»: слишком мало цифр: «123»;123;Пётр" in body

    english = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = b"".join(english.streaming_content).decode("utf-8-sig")
    assert body == (
        "Row;Error;Телефон;Имя\r\n2;column “Телефон”: too few digits: “123”;123;Пётр\r\n"
    )
    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Row 2: column “Телефон”: too few digits: “123”" in page.content.decode()
    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "столбец «Телефон»: слишком мало цифр: «123»" in page.content.decode()


def test_the_import_page_names_the_sheets_it_left_out(manager_client, settings):
    from contacts.importing.runner import ImportOptions
    from contacts.services import contacts_import, import_job_create

    settings.LANGUAGE_CODE = "en"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "Иван"])
    notes = workbook.create_sheet("Заметки")
    notes.append(["Что", "Когда"])
    notes.append(["позвонить", "завтра"])
    out = io.BytesIO()
    workbook.save(out)
    job = import_job_create(
        upload=SimpleUploadedFile("book.xlsx", out.getvalue()), kind="contacts"
    )
    job.options = ImportOptions().as_dict()
    job.status = ImportJob.Status.QUEUED
    job.save()
    contacts_import(job_id=job.pk)

    page = manager_client.get(reverse("contacts:import_detail", args=[job.pk]))

    html = page.content.decode()
    warning = html.split("data-skipped-sheets>", 1)[1].split("</div>", 1)[0]
    assert "Sheets not imported" in warning
    assert "Заметки" in warning
    assert Contact.objects.get().first_name == "Иван"


def test_the_group_form_refuses_a_control_character_with_its_place(
    manager_client, settings
):
    settings.LANGUAGE_CODE = "en"

    response = manager_client.post(
        reverse("contacts:group_create"), {"name": "VIP\x06", "description": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"][0].startswith("Character 4:")
    assert not ContactGroup.objects.exists()


def test_the_mapping_page_says_a_title_row_was_left_out(manager_client, settings):
    settings.LANGUAGE_CODE = "en"
    data = "Клиенты на 01.12.2026;;\nТелефон;Имя;Фамилия\n89123456789;Иван;Петров\n"
    upload = SimpleUploadedFile("book.csv", data.encode("cp1251"))
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    page = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    html = page.content.decode()
    assert "data-title-rows" in html
    assert "held a title or column group captions: it was left out" in html
    assert page.context["preview"].columns == ["Телефон", "Имя", "Фамилия"]


@pytest.mark.parametrize(
    ("groups_cell", "warned"), [("Клиенты; VIP", True), ('"Клиенты; VIP"', False)]
)
def test_the_mapping_page_warns_of_values_past_the_header(
    manager_client, settings, groups_cell, warned
):
    """An unquoted "Клиенты; VIP" in a ;-separated file split into an unnamed column
    the mapping ignored: the VIP group was lost without a word."""
    settings.LANGUAGE_CODE = "en"
    data = (
        f"Телефон;Имя;Группы\n89123456789;Иван;{groups_cell}\n89123456780;Ольга;VIP\n"
    )
    html = mapping_page(manager_client, "book.csv", data)

    assert ("data-beyond-header" in html) is warned
    if warned:
        assert "1 of the first rows has more values than the header" in html
        assert "must be in quotes" in html


def test_the_mapping_page_tells_a_workbook_of_no_delimiter(manager_client, settings):
    """A note beside a workbook's row, past its header, was warned of as a value
    split by the delimiter «» (a workbook has none) to be put in quotes."""
    settings.LANGUAGE_CODE = "en"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "Иван", None, "перезвонить после 18:00"])
    out = io.BytesIO()
    workbook.save(out)
    upload = SimpleUploadedFile("book.xlsx", out.getvalue())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    page = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    assert "data-beyond-header" not in page.content.decode()
    assert page.context["preview"].columns[3] == "Column 4"


def mapping_page(client, name: str, data: str) -> str:
    """The column mapping page of `data` uploaded in Windows-1251 as `name`."""
    upload = SimpleUploadedFile(name, data.encode("cp1251"))
    client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    return client.get(
        reverse("contacts:import_mapping", args=[job.pk])
    ).content.decode()


def test_the_mapping_page_names_an_exports_columns_no_import_reads(
    manager_client, settings
):
    """An export's consent columns were preset to "— ignore —" without a word: a
    book restored from its export lost its consent records silently."""
    settings.LANGUAGE_CODE = "en"
    data = (
        "Телефон;Имя;В стоп-листе;Источник согласия;Согласие дано\n"
        "89123456789;Иван;нет;форма на сайте;01.12.2026 10:00\n"
    )
    html = mapping_page(manager_client, "export.csv", data)

    assert "data-export-only" in html
    assert "Not imported: «В стоп-листе», «Источник согласия», «Согласие дано»." in html


def test_the_mapping_page_knows_the_consent_column_by_its_zoned_header(
    manager_client, settings
):
    """The export names the clock of its consent times in the header («Согласие
    дано (Москва, UTC+03:00)»): imported back, it is still that export's column,
    whichever zone the export was taken in."""
    settings.LANGUAGE_CODE = "en"
    data = (
        "Телефон;Имя;Источник согласия;Согласие дано (Владивосток, UTC+10:00)\n"
        "89123456789;Иван;форма на сайте;2026-12-01 10:00:00\n"
    )
    html = mapping_page(manager_client, "export.csv", data)

    assert (
        "Not imported: «Источник согласия», «Согласие дано (Владивосток, UTC+10:00)»."
        in html
    )


@pytest.mark.parametrize("key", ["first_name", "Phone", "full_name", "time_zone"])
def test_a_custom_field_under_a_contacts_own_name_is_refused(
    manager_client, settings, key
):
    """A custom "first_name" was listed twice in the contact form, the composer and
    the import mapping, and never used in texts: the contact's own field won."""
    settings.LANGUAGE_CODE = "en"

    response = manager_client.post(
        reverse("contacts:custom_fields"), {"label": "Имя", "key": key, "kind": "text"}
    )

    assert response.status_code == 200
    assert f"“{key}” is a contact's own field: choose another key." in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    ("label", "says"),
    [
        ("город ", "Another custom field is labelled “город”"),
        ("Email", "“Email” is the name of a column"),
        ("Эл. почта", "“Эл. почта” is the name of a column"),
        ("Группы", "“Группы” is the name of a column"),
        ("Источник согласия", "“Источник согласия” is the name of a column"),
        # The consent time's header names the zone the export was taken in.
        (
            "Согласие дано (Москва, UTC+03:00)",
            "“Согласие дано (Москва, UTC+03:00)” reads as the column “Consent given”",
        ),
        (
            "consent given (Vladivostok, UTC+10:00)",
            "“consent given (Vladivostok, UTC+10:00)” reads as the column",
        ),
    ],
)
def test_a_custom_field_under_a_label_an_export_already_writes_is_refused(
    manager_client, settings, custom_fields, label, says
):
    """An export names a custom field's column by its label and an import maps it back
    by that name: a second "Город" got the first one's values, and a field labelled
    "Email" the contacts' e-mail addresses, when an export was imported back."""
    settings.LANGUAGE_CODE = "en"

    response = manager_client.post(
        reverse("contacts:custom_fields"),
        {"label": label, "key": "other", "kind": "text"},
    )

    assert response.status_code == 200
    assert says in response.content.decode().replace("&#x27;", "'")
    assert not CustomField.objects.filter(key="other").exists()


@pytest.mark.parametrize(
    "label", ["Email (рабочий)", "Согласие", "Дата согласия (Москва, UTC+03:00)"]
)
def test_a_custom_field_label_with_a_bracket_is_refused_only_as_the_consent_column(
    manager_client, settings, label
):
    settings.LANGUAGE_CODE = "en"

    response = manager_client.post(
        reverse("contacts:custom_fields"),
        {"label": label, "key": "other", "kind": "text"},
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert CustomField.objects.get(key="other").label == label


@pytest.mark.parametrize(
    ("label", "key", "where", "says"),
    [
        ("City", "other", "label", "Another custom field has the key “city”"),
        ("Vip level", "other", "label", "Another custom field has the key “vip_level”"),
        ("Область", "gorod", "key", "Another custom field is labelled “Gorod”"),
        ("Уровень", "vip-level", "key", "Another custom field has the key “vip_level”"),
    ],
)
def test_a_custom_field_named_as_another_ones_key_is_refused(
    manager_client, settings, custom_fields, label, key, where, says
):
    """An import maps a column to a custom field by its label or its key: a field
    labelled «city» beside the field keyed city had its exported column read back
    into that other field, and its own values were lost."""
    settings.LANGUAGE_CODE = "en"
    CustomField.objects.create(key="vip_level", label="Статус", kind="text")
    CustomField.objects.create(key="region", label="Gorod", kind="text")

    response = manager_client.post(
        reverse("contacts:custom_fields"), {"label": label, "key": key, "kind": "text"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert says in errors[where][0]
    assert CustomField.objects.count() == len(custom_fields) + 2


def test_a_file_no_setting_can_read_ends_its_import_as_failed(manager_client, settings):
    """Refused on the mapping page, it stayed among the recent imports "waiting for
    column mapping" for ever."""
    settings.LANGUAGE_CODE = "en"
    upload = SimpleUploadedFile("photo.xlsx", b"\x89PNG not a table")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    job.refresh_from_db()
    assert response.status_code == 400
    assert job.status == ImportJob.Status.FAILED
    assert "The file is named .xlsx but is not an Excel workbook." in job.error
    assert job.finished_at is not None


def test_choice_filters_and_the_gateway_select_offer_words_not_dashes(
    admin_client, settings
):
    settings.LANGUAGE_CODE = "en"
    contacts = admin_client.get(reverse("contacts:list")).content.decode()
    account = admin_client.get(reverse("providers:account_create")).content.decode()

    assert "---------" not in contacts
    assert "---------" not in account
    assert '<option value="" selected>Choose the gateway</option>' in account


def _mapping_post_form(page: str) -> str:
    """The mapping page's form that starts the import."""
    start = page.index('<form method="post" id="import-mapping"')
    return page[start : page.index("</form>", start)]


def test_the_import_uses_the_reading_settings_on_screen_not_the_previews(
    manager_client, group, django_capture_on_commit_callbacks
):
    """The encoding, delimiter and header selectors sat in a form of their own; "Start
    the import" sent hidden copies of the old ones, so a setting changed without "Read
    again" was ignored and the file imported as first read."""
    # Latin column names: a header garbled by the encoding would stop the import.
    data = "Phone;Name\r\n89123456789;Иван\r\n".encode("cp1251")
    upload = SimpleUploadedFile("book.csv", data)
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    url = reverse("contacts:import_mapping", args=[job.pk])
    form = _mapping_post_form(manager_client.get(url).content.decode())
    assert '<select name="encoding"' in form
    assert '<select name="delimiter"' in form
    assert 'name="header"' in form
    assert 'type="hidden" name="encoding"' not in form

    # Encoding switched to UTF-8 on screen, then "Start the import" straight away.
    read = {"read_encoding": "cp1251", "read_delimiter": ";", "read_header": "on"}
    chosen = {"delimiter": ";", "header": "on", "col_0": "phone",
              "col_1": "first_name", "groups": [group.pk]}  # fmt: skip
    response = manager_client.post(url, {**read, **chosen, "encoding": "utf-8"})

    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    assert "Nothing has been imported yet" in response.content.decode()
    shown = response.context["form"]
    assert not shown.is_bound
    assert shown["encoding"].value() == "utf-8"
    assert shown["groups"].value() == [str(group.pk)]  # the options stay chosen
    assert 'name="read_encoding" value="utf-8"' in response.content.decode()

    # Started again as now shown: imported with UTF-8, the letters lost as it shows.
    read["read_encoding"] = "utf-8"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {**read, **chosen, "encoding": "utf-8"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.options["encoding"] == "utf-8"
    assert job.report["invalid"] == 1  # the name is not UTF-8: its row is refused


def test_read_again_keeps_the_columns_chosen_when_the_settings_are_the_same(
    manager_client,
):
    upload = SimpleUploadedFile("book.csv", "a;b\r\n89123456789;Иван\r\n".encode())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"read_encoding": "utf-8", "read_delimiter": ";", "encoding": "utf-8",
            "delimiter": ";", "col_0": "phone", "col_1": "last_name",
            "update": "on", "reread": "1"}  # fmt: skip
    response = manager_client.post(
        reverse("contacts:import_mapping", args=[job.pk]), post
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert [form[f"col_{i}"].value() for i in range(2)] == ["phone", "last_name"]
    assert form["update"].value() is True
    assert "Nothing has been imported yet" not in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_file_of_mixed_encodings_lets_the_user_choose_the_encoding(
    manager_client, django_capture_on_commit_callbacks
):
    """Neither UTF-8 nor windows-1251 throughout, the file failed its import before the
    mapping page, the one place to choose an encoding by hand."""
    data = "Телефон;Имя\r\n89123456781;Пётр\r\n89123456782;Анна\r\n".encode("cp1251")
    data += "89123456783;Иван\r\n".encode()  # "И" is D0 98; 0x98 is no windows-1251
    upload = SimpleUploadedFile("mixed.csv", data)
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    url = reverse("contacts:import_mapping", args=[job.pk])

    response = manager_client.get(url)

    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    page = response.content.decode()
    assert "Could not tell the file&#x27;s encoding" in page
    assert response.context["form"]["encoding"].value() == "utf-8"
    assert '<select name="encoding"' in _mapping_post_form(page)

    chosen = {"delimiter": ";", "header": "on", "col_0": "phone", "col_1": "first_name",
              "read_delimiter": ";", "read_header": "on"}  # fmt: skip
    response = manager_client.post(
        url, {**chosen, "read_encoding": "utf-8", "encoding": "cp1251"}
    )
    assert response.status_code == 200
    assert "Could not tell the file&#x27;s encoding" not in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            url, {**chosen, "read_encoding": "cp1251", "encoding": "cp1251"}
        )
    job.refresh_from_db()
    assert (job.status, job.options["encoding"]) == ("done", "cp1251")
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == [
        "Анна",
        "Пётр",
    ]
    assert job.report["invalid"] == 1  # the UTF-8 row, named among the rejected


def test_utf16_chosen_for_a_file_that_is_not_shows_why_not_a_500(manager_client):
    data = codecs.BOM_UTF8 + "Телефон;Имя\r\n89123456789;Иван\r\n".encode()
    manager_client.post(
        reverse("contacts:import"), {"file": SimpleUploadedFile("bom.csv", data)}
    )
    job = ImportJob.objects.get()
    url = reverse("contacts:import_mapping", args=[job.pk])
    post = {"encoding": "utf-16", "delimiter": ";", "header": "on", "col_0": "phone",
            "read_encoding": "utf-8-sig", "read_delimiter": ";", "read_header": "on"}  # fmt: skip

    response = manager_client.post(url, post)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file is not in UTF-16, the encoding chosen for it." in page
    assert "Below, it is read in the encoding detected." in page
    assert response.context["form"]["encoding"].value() == "utf-8-sig"
    assert "Иван" in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_header_garbled_by_the_encoding_chosen_is_warned_of_and_not_imported(
    manager_client,
):
    data = "Телефон;Имя;Фамилия\r\n89123456789;Иван;Петров\r\n".encode("cp1251")
    manager_client.post(
        reverse("contacts:import"), {"file": SimpleUploadedFile("win.csv", data)}
    )
    job = ImportJob.objects.get()
    url = reverse("contacts:import_mapping", args=[job.pk])
    post = {"encoding": "utf-8", "delimiter": ";", "header": "on", "col_0": "phone",
            "read_delimiter": ";", "read_header": "on"}  # fmt: skip

    shown = manager_client.post(url, {**post, "read_encoding": "cp1251"})
    started = manager_client.post(url, {**post, "read_encoding": "utf-8"})

    for response in (shown, started):
        assert response.status_code == 200
        page = response.content.decode()
        warning = page.index("data-header-problem")
        assert warning < page.index("<table")
        assert (
            "win.csv, row 1: The column names, read as UTF-8, the encoding chosen "
            "for the file, hold characters that are not valid in it"
        ) in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED

    fine = manager_client.get(url)
    assert "data-header-problem" not in fine.content.decode()


def test_a_koi8r_file_is_shown_as_koi8r_which_the_page_offers(manager_client):
    data = "Телефон;Имя;Фамилия\r\n89123456789;Иван;Петров\r\n".encode("koi8-r")
    manager_client.post(
        reverse("contacts:import"), {"file": SimpleUploadedFile("koi.csv", data)}
    )
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    assert ("koi8-r", "KOI8-R") in response.context["form"].fields["encoding"].choices
    assert response.context["form"]["encoding"].value() == "koi8-r"
    page = response.content.decode()
    assert "Петров" in page
    assert "фЕМЕЖПО" not in page


def test_the_preview_shows_a_formula_without_a_value_not_an_empty_cell(
    manager_client,
):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "=1+1"])
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("book.xlsx", data.getvalue())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    assert response.context["preview"].rows == [["89123456789", "=1+1"]]


def test_a_workbooks_mapping_page_has_no_csv_only_controls(
    manager_client, django_capture_on_commit_callbacks
):
    """«Кодировка» and «Разделитель» were offered for an .xlsx, where they mean
    nothing; the form still carries them (hidden), so the import starts as read."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["Телефон", "Имя"])
    workbook.active.append(["89123456789", "Анна"])
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("book.xlsx", data.getvalue())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    url = reverse("contacts:import_mapping", args=[job.pk])

    page = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'for="id_encoding"' not in page
    assert 'for="id_delimiter"' not in page
    assert "<select" not in page.split('id="id_encoding"')[0].rsplit("<", 1)[-1]
    hidden = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    )
    assert hidden["encoding"] == hidden["read_encoding"]
    assert hidden["delimiter"] == hidden["read_delimiter"]
    with django_capture_on_commit_callbacks(execute=True):
        started = manager_client.post(
            url, {**hidden, "header": "on", "col_0": "phone", "col_1": "first_name"}
        )
    assert started.status_code == 302
    assert Contact.objects.get().first_name == "Анна"


def test_a_csvs_mapping_page_offers_encoding_and_delimiter(manager_client):
    upload = SimpleUploadedFile("book.csv", b"phone;name\n89123456789;Anna\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    page = manager_client.get(
        reverse("contacts:import_mapping", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'for="id_encoding"' in page
    assert 'for="id_delimiter"' in page


def test_the_import_report_names_existing_contacts_added_to_groups(
    manager_client, manager_user, group, django_capture_on_commit_callbacks
):
    """With "add to groups" and no update, the numbers already in the book joined the
    group while the report (page and API) called them "already there, unchanged"."""
    make_contact("+79123456789")
    make_contact("+79123456780")
    upload = SimpleUploadedFile("b.csv", b"phone\n89123456789\n89123456780\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"encoding": "utf-8", "delimiter": ",", "header": "on", "col_0": "phone",
            "groups": [group.pk]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    rows = dict(re.findall(r"<th>([^<]+)</th>\s*<td>([^<]*)</td>", page))
    assert rows["Already there, added to groups"] == "2"
    assert rows["Already there, unchanged"] == "0"
    _token, raw = api_token_create(user=manager_user, name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    report = api.get(f"/api/v1/imports/{job.pk}").json()["report"]
    assert (report["added_to_groups"], report["unchanged"]) == (2, 0)


def test_recent_imports_have_no_sort_links_that_do_nothing(manager_client):
    """The table of the latest imports offered sortable headers; a click only added
    ?sort= to the address, the rows stayed in their order."""
    for name in ("old.csv", "new.csv"):
        upload = SimpleUploadedFile(name, b"phone\n89123456789\n")
        manager_client.post(reverse("contacts:import"), {"file": upload})

    response = manager_client.get(reverse("contacts:import"), {"sort": "original_name"})

    page = response.content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert "sort=" not in table
    assert "orderable" not in table  # django-tables2's class on a sortable header
    assert page.index("new.csv") < page.index("old.csv")  # newest first, as ever


def test_a_bulk_action_says_how_many_as_the_list_writes_numbers(manager_client, group):
    """ "Готово, контактов: 109959." while the list wrote its counts as "109 959"."""
    Contact.objects.bulk_create([Contact(phone=f"+7912{i:07d}") for i in range(1000)])
    response = manager_client.post(
        reverse("contacts:bulk"),
        {"action": "add_to_group", "group": group.pk, "select_all": "on", "query": ""},
        follow=True,
    )
    assert "Done: 1,000 contacts." in response.content.decode()
    response = manager_client.post(
        reverse("contacts:bulk"),
        {"action": "remove_from_group", "group": group.pk, "select_all": "on"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "Готово, контактов: 1\xa0000." in response.content.decode()


def test_a_date_field_shows_as_the_languages_date_on_the_contact_page(
    manager_client,
):
    """A Date custom field read 2026-11-01 on the Russian contact page."""
    CustomField.objects.create(key="visit", label="Визит", kind="date")
    CustomField.objects.create(key="code", label="Код", kind="text")
    contact = make_contact(attributes={"visit": "2026-11-01", "code": "2026-11-02"})
    url = reverse("contacts:detail", args=[contact.pk])

    page = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "01.11.2026" in page
    assert "2026-11-01" not in page
    assert "2026-11-02" in page  # a text field's text stays as typed


def test_a_custom_number_typed_with_a_decimal_comma_is_kept_as_written(
    manager_client, custom_fields
):
    """The field was a number input: Chromium dropped the comma, 408,71 became 40871."""
    manager_client.post(
        reverse("contacts:create"), {"phone": "+79123456789", "cf_balance": "408,71"}
    )
    contact = Contact.objects.get()
    assert contact.attributes == {"balance": 408.71}

    html = manager_client.get(
        reverse("contacts:edit", args=[contact.pk]), headers={"accept-language": "ru"}
    ).content.decode()
    assert 'lang="ru"' in html
    assert 'value="408,71"' in html


def test_a_birthday_is_written_as_the_custom_dates_are(manager_client):
    """ "4 марта 1990 г." stood beside custom dates written 01.12.2026."""
    contact = Contact.objects.create(phone="+79123456789", birthday=date(1990, 3, 4))

    html = manager_client.get(
        reverse("contacts:detail", args=[contact.pk]), headers={"accept-language": "ru"}
    ).content.decode()

    assert "04.03.1990" in html
    assert "1990 г." not in html


def test_each_column_select_on_the_mapping_page_is_named_by_its_header(
    manager_client, settings
):
    settings.LANGUAGE_CODE = "en"
    upload = SimpleUploadedFile("book.csv", "Телефон;Имя\n89123456789;Иван\n".encode())
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()

    html = manager_client.get(
        reverse("contacts:import_mapping", args=[job.pk])
    ).content.decode()

    assert (
        '<label class="visually-hidden" for="id_col_0">Column 1: Телефон</label>'
        in html
    )
    assert '<label class="visually-hidden" for="id_col_1">Column 2: Имя</label>' in html


def test_a_running_import_says_when_it_has_read_everything_and_is_saving(
    manager_client,
):
    """The bar stood at 99 % with "100 000 rows read" for a third of a large import,
    as if it had hung: the last step, saving, says so."""
    upload = SimpleUploadedFile("b.csv", b"phone\n89123456789\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    url = reverse("contacts:import_detail", args=[job.pk])
    running = {"status": ImportJob.Status.RUNNING, "bytes_total": 1000}

    ImportJob.objects.filter(pk=job.pk).update(
        **running, bytes_done=400, rows_done=40_000
    )
    reading = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    ImportJob.objects.filter(pk=job.pk).update(
        **running, bytes_done=1000, rows_done=100_000
    )
    saving = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="ru")

    assert 'data-phase="reading"' in reading.content.decode()
    assert "40,000 rows read" in reading.content.decode()
    assert 'data-phase="saving"' in saving.content.decode()
    assert "Прочитаны все строки (100\xa0000); сохраняем их…" in saving.content.decode()


def test_the_custom_field_key_help_says_latin_letters(manager_client):
    """It said "letters", and a Cyrillic key was then refused as not Latin."""
    page = manager_client.get(
        reverse("contacts:custom_fields"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "латинские буквы, цифры, _ и -" in page


def test_deleting_contacts_is_in_the_audit_log_by_number_or_by_count(
    manager_client, manager_user
):
    """A manager's "all matching" delete took a whole book and left no trace."""
    from django.utils import translation

    from accounts.audit_display import detail_lines
    from accounts.models import AuditEvent

    make_contact("+79123456781")
    make_contact("+79123456782")
    single = make_contact("+79123456789")
    url = reverse("contacts:bulk")

    manager_client.post(url, {"action": "delete", "ids": [single.pk]})
    manager_client.post(url, {"action": "delete", "select_all": "on", "query": ""})

    events = AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).order_by("pk")
    assert [(e.object_type, e.object_repr, e.details) for e in events] == [
        ("contacts.Contact", "+79123456789", {"count": 1}),
        ("contacts.Contact", "", {"count": 2}),
    ]
    assert {e.actor_id for e in events} == {manager_user.pk}
    assert not Contact.objects.exists()
    with translation.override("ru"):
        assert detail_lines("contacts.Contact", {"count": 2}) == [("Сколько", "2")]


def test_bulk_actions_ask_naming_the_action_and_the_count(manager_client):
    for n, name in enumerate(["Иванов", "Иванова", "Петров"]):
        make_contact(f"+7916123456{n}", last_name=name)

    def page(**params) -> str:
        response = manager_client.get(
            reverse("contacts:list"), params, HTTP_ACCEPT_LANGUAGE="en"
        )
        return response.content.decode()

    filtered = page(q="иванов")
    assert (
        'data-confirm-matching="Delete 2 contacts, every one matching the filter?"'
        in filtered
    )
    assert (
        'data-confirm-selected="Delete the selected contacts (__COUNT__)?"' in filtered
    )
    whole = page()
    assert 'data-confirm-matching="Delete the whole book, 3 contacts?"' in whole
    assert (
        'data-confirm-matching="Add the whole book, 3 contacts, to the stop list?"'
        in whole
    )


def test_a_filter_matching_many_is_counted_only_so_far(manager_client, monkeypatch):
    """A word search counts its matches by reading the whole book: the list's page
    paid that second for every search. Past the limit the question says "more than"."""
    from contacts import bulk_confirm, views

    monkeypatch.setattr(bulk_confirm, "COUNT_LIMIT", 2)
    monkeypatch.setattr(views, "COUNT_LIMIT", 2)
    monkeypatch.setattr(
        views.ContactListView,
        "table_pagination",
        {**views.ContactListView.table_pagination, "per_page": 3},
    )
    for n in range(4):
        make_contact(f"+7916123457{n}", last_name="Иванов")

    page = manager_client.get(
        reverse("contacts:list"), {"q": "иванов"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert (
        'data-confirm-matching="Delete more than 2 contacts, every one matching the '
        'filter?"' in page
    )


def test_the_heading_says_how_many_contacts_the_filter_matches(
    viewer_client, monkeypatch
):
    """It said only «в книге 18 контактов», whatever the filter or search."""
    from contacts import views

    monkeypatch.setattr(views, "COUNT_LIMIT", 4)
    monkeypatch.setattr(
        views.ContactListView,
        "table_pagination",
        {**views.ContactListView.table_pagination, "per_page": 2},
    )
    for n in range(6):
        make_contact(f"+7916123459{n}", last_name="Иванов" if n < 3 else "Петров")

    def heading(query: dict) -> str:
        page = viewer_client.get(
            reverse("contacts:list"), query, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        shown = re.sub(r"<[^>]+>", " ", page.split("<h1", 1)[1].split("</h1>", 1)[0])
        return " ".join(shown.split())

    # Counted past the page (2 a page), up to the limit, then "more than".
    assert "6 contacts in the book · 3 contacts match the filter" in heading(
        {"q": "иванов"}
    )
    assert "1 contact matches the filter" in heading({"q": "+79161234590"})
    assert "more than 4 contacts match the filter" in heading({"q": "+7916"})
    assert "match" not in heading({})  # the whole book: its size says it


def test_a_search_that_ends_on_its_page_is_not_counted_again(manager_client):
    """A rare name's few matches were found by reading the whole book, then counted
    by reading it again for the bulk question: the page says how many it lists."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n, name in enumerate(["Ёлкин", "Елкина", "Петров"]):
        make_contact(f"+7916123458{n}", last_name=name)

    with CaptureQueriesContext(connection) as queries:
        page = manager_client.get(
            reverse("contacts:list"), {"q": "елкин"}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()

    assert (
        'data-confirm-matching="Delete 2 contacts, every one matching the filter?"'
        in page
    )
    searches = [q["sql"] for q in queries if "LIKE" in q["sql"]]
    assert len(searches) == 1, searches


def test_a_workbook_is_opened_once_for_the_column_page_however_often_shown(
    manager_client, settings, tmp_path, monkeypatch
):
    """Each showing of the column page opened the whole workbook again (openpyxl reads
    all its shared strings first): ten seconds a time on 200,000 rows."""
    settings.MEDIA_ROOT = str(tmp_path)
    opened = []
    load_workbook = openpyxl.load_workbook
    monkeypatch.setattr(
        openpyxl,
        "load_workbook",
        lambda *a, **kw: opened.append(1) or load_workbook(*a, **kw),
    )
    workbook = openpyxl.Workbook()
    workbook.active.append(["Отчёт за март"])
    workbook.active.append(["Телефон", "Имя"])
    for n in range(20):
        workbook.active.append([f"8912345{n:04d}", f"Имя {n}"])
    out = io.BytesIO()
    workbook.save(out)

    upload = SimpleUploadedFile("book.xlsx", out.getvalue())
    response = manager_client.post(reverse("contacts:import"), {"file": upload})
    columns = response.url
    first = manager_client.get(columns, HTTP_ACCEPT_LANGUAGE="en")
    again = manager_client.get(columns, HTTP_ACCEPT_LANGUAGE="en")
    reread = manager_client.post(
        columns,
        {**first.context["form"].initial, "header": "", "reread": "1",
         "read_encoding": "", "read_delimiter": "", "read_header": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert len(opened) == 1
    preview = first.context["preview"]
    assert again.context["preview"].rows == preview.rows
    assert (preview.header, preview.title_rows) == (True, 1)
    assert preview.columns == ["Телефон", "Имя"]
    assert len(preview.rows) == 8
    assert preview.rows[0] == ["89123450000", "Имя 0"]
    # Read again without a header: the header row is a row of the table now.
    assert reread.context["preview"].rows[0] == ["Телефон", "Имя"]


def test_the_import_report_counts_every_stop_listed_number_of_the_file(
    manager_client, django_capture_on_commit_callbacks
):
    """Two stop-listed contacts of the file were updated and the report said "Already
    on the stop list: 0"."""
    for phone in ("+79123456789", "+79123456780"):
        make_contact(phone)
        stop(phone)
    stop("+79123456781")
    data = b"phone\n89123456789\n89123456780\n89123456781\n89123456782\n"
    upload = SimpleUploadedFile("b.csv", data)
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    post = {"encoding": "utf-8", "delimiter": ",", "header": "on", "col_0": "phone",
            "update": "on"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("contacts:import_mapping", args=[job.pk]), post)

    page = manager_client.get(
        reverse("contacts:import_detail", args=[job.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    row = page.split("data-stop-listed>", 1)[1].split("</tr>", 1)[0]
    assert "Number on the stop list" in row
    assert re.search(r"<td>\s*3\s*</td>", row)
    assert "New ones not imported: 1. Already in the book: 2," in row
    job.refresh_from_db()
    assert (job.report["stop_listed"], job.report["stop_listed_in_book"]) == (1, 2)


def test_adding_to_a_group_says_how_many_were_in_it_already(manager_client, group):
    """111 chosen, 3 of them members: "Done: 108 contacts." left the user to guess."""
    contacts = [make_contact(f"+7912{i:07d}") for i in range(111)]
    for contact in contacts[:3]:
        contact.groups.add(group)
    response = manager_client.post(
        reverse("contacts:bulk"),
        {"action": "add_to_group", "group": group.pk, "select_all": "on", "query": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (
        "Done: 108 contacts added to the group, 3 were in it already."
        in response.content.decode()
    )
    assert GroupMembership.objects.filter(group=group).count() == 111


def _uploaded(manager_client, name: str = "left.csv") -> ImportJob:
    upload = SimpleUploadedFile(name, b"phone\n89123456789\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    return ImportJob.objects.get(original_name=name)


def test_uploads_left_at_the_column_step_expire_after_a_day(
    manager_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    """They stayed in "Recent imports" as "waiting for column mapping" for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from contacts.tasks import import_uploads_expire
    from smsportal.celery import app

    settings.MEDIA_ROOT = str(tmp_path)
    old, fresh, started = (
        _uploaded(manager_client, name) for name in ("old.csv", "new.csv", "run.csv")
    )
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    ImportJob.objects.filter(pk__in=[old.pk, started.pk]).update(created_at=day_ago)
    ImportJob.objects.filter(pk=started.pk).update(status=ImportJob.Status.QUEUED)
    old_file = tmp_path / old.file.name

    assert old_file.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_expire() == 1

    assert set(ImportJob.objects.values_list("original_name", flat=True)) == {
        "new.csv",
        "run.csv",
    }
    assert not old_file.exists()
    assert (tmp_path / fresh.file.name).exists()
    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["contacts.import_uploads_expire"] == 60 * 60


def test_an_upload_waiting_for_its_columns_can_be_discarded_from_the_list(
    manager_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    job = _uploaded(manager_client)
    discard = reverse("contacts:import_discard", args=[job.pk])
    listing = manager_client.get(reverse("contacts:import"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'action="{discard}"' in listing.content.decode()
    mapping = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))
    assert f'action="{discard}"' in mapping.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(discard, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "The upload “left.csv” was discarded." in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not (tmp_path / job.file.name).exists()


def test_a_started_import_is_not_discarded(manager_client, viewer_user):
    job = _uploaded(manager_client)
    discard = reverse("contacts:import_discard", args=[job.pk])
    viewer = Client()
    viewer.force_login(viewer_user)
    assert viewer.post(discard).status_code == 403
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    response = manager_client.post(discard, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "it can no longer be discarded" in response.content.decode()
    assert ImportJob.objects.filter(pk=job.pk).exists()
    listing = manager_client.get(reverse("contacts:import")).content.decode()
    assert discard not in listing


def test_the_group_list_offers_the_contact_lists_export_formats(manager_client, group):
    """Only UTF-8 with commas, which Russian Excel opens as one column."""
    html = manager_client.get(reverse("contacts:group_list")).content.decode()
    export = reverse("contacts:export")
    for fmt in ("csv", "csv-1251", "xlsx"):
        assert f'href="{export}?group={group.pk}&format={fmt}"' in html


def test_an_import_started_twice_at_once_runs_and_is_audited_once(
    manager_user, django_capture_on_commit_callbacks
):
    """Two tabs (or a retried request) sent the same mapping: both read the upload
    as waiting for its columns before either saved."""
    from accounts.models import AuditEvent
    from contacts import services
    from contacts.importing.runner import ImportOptions

    upload = SimpleUploadedFile("book.csv", b"phone\r\n+79123456789\r\n")
    job = services.import_job_create(upload=upload, kind="contacts", user=manager_user)
    first, second = ImportJob.objects.get(pk=job.pk), ImportJob.objects.get(pk=job.pk)
    options = ImportOptions(kind="contacts", mapping=["phone"])

    with django_capture_on_commit_callbacks() as queued:
        services.import_job_start(job=first, options=options)
        again = services.import_job_start(job=second, options=options)

    assert len(queued) == 1
    assert again.status == "queued"
    assert (
        AuditEvent.objects.filter(action="imported", object_id=str(job.pk)).count() == 1
    )


def test_an_upload_missing_from_media_root_says_so_not_500(manager_client, settings):
    """QA: the columns page answered 500 (FileNotFoundError) when the upload was not
    in this machine's MEDIA_ROOT (another web server stored it)."""
    settings.LANGUAGE_CODE = "en"
    upload = SimpleUploadedFile("book.csv", b"phone\r\n89123456789\r\n")
    manager_client.post(reverse("contacts:import"), {"file": upload})
    job = ImportJob.objects.get()
    job.file.storage.delete(job.file.name)

    response = manager_client.get(reverse("contacts:import_mapping", args=[job.pk]))

    job.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 400
    assert "The uploaded file book.csv is not on host" in page
    assert reverse("contacts:import") in page  # «Choose another file»
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The uploaded file book.csv is not on host")


@pytest.mark.parametrize(("who", "links"), [("manager", True), ("viewer", False)])
def test_custom_fields_lead_to_where_they_are_renamed_and_deleted(
    request, custom_fields, who, links
):
    """The page listed the fields with no way to fix a label's typo and no word of
    where it is done (the admin, which refuses deleting a field in use)."""
    client = request.getfixturevalue(f"{who}_client")
    html = client.get(reverse("contacts:custom_fields")).content.decode()
    change = reverse("admin:contacts_customfield_change", args=[custom_fields[0].pk])
    assert (f'href="{change}"' in html) is links
    assert ("data-edit-hint" in html) is links


def test_each_export_menu_says_what_becomes_of_what_windows_1251_lacks(
    manager_client, settings
):
    """A title only (no touch screen shows it), and the same words where the
    contacts' export refuses rather than write «?»."""
    settings.LANGUAGE_CODE = "en"
    contacts = manager_client.get(reverse("contacts:list")).content.decode()
    inbox = manager_client.get(reverse("reports:inbox")).content.decode()
    upload = manager_client.get(reverse("contacts:import")).content.decode()

    assert "the export stops and names it" in contacts
    assert "become “?”" not in contacts
    assert "become “?”" in inbox
    assert "data-export-note" not in upload  # a sample has no such characters


def test_a_contacts_and_a_groups_edit_pages_say_what_they_are_in_their_titles(
    manager_client, group
):
    """A tab or a screen reader's list of windows read «+7912…» and «Группа» for
    every group; an unnamed column of the recent imports was read as nothing."""
    from contacts.models import ImportJob

    contact = make_contact("+79123456789")
    ImportJob.objects.create(kind="contacts", original_name="a.csv", status="uploaded")

    def title(path: str) -> str:
        body = manager_client.get(path, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        return re.search(r"<title>(.*?)</title>", body, re.S).group(1).strip()

    assert title(reverse("contacts:edit", args=[contact.pk])).startswith(
        "Изменить контакт +79123456789"
    )
    assert title(reverse("contacts:group_edit", args=[group.pk])).startswith(
        "Группа «Клиенты»"
    )
    imports = manager_client.get(
        reverse("contacts:import"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", imports, re.S)
    assert all(re.sub(r"<[^>]+>|\s", "", header) for header in headers), headers


def test_the_mapping_page_names_a_column_several_custom_fields_are_called(
    manager_client, settings
):
    """A «Город» of two fields «Город» (made before labels were checked) was preset
    to "— ignore —" without a word."""
    settings.LANGUAGE_CODE = "en"
    CustomField.objects.bulk_create(
        [
            CustomField(key="town", label="Город", kind="text"),
            CustomField(key="city", label="Город", kind="text"),
        ]
    )

    html = mapping_page(
        manager_client, "book.csv", "Телефон;Город\n89123456789;Тверь\n"
    )

    assert (
        "Several custom fields have the name of «Город» (city, town): choose below "
        "which field each such column goes to."
    ) in html
