import codecs

import pytest

from accounts.services import api_token_create
from contacts.models import (
    Contact,
    ContactGroup,
    CustomField,
    ImportJob,
    StopListEntry,
)
from tests.contacts.conftest import make_contact, stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_api(client, viewer_user):
    _token, raw = api_token_create(user=viewer_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/contacts"),
        ("post", "/api/v1/contacts"),
        ("get", "/api/v1/groups"),
        ("get", "/api/v1/stoplist"),
        ("get", "/api/v1/imports/1"),
        ("get", "/api/v1/contacts/export"),
    ],
)
def test_anonymous_gets_401(client, method, path):
    assert getattr(client, method)(path).status_code == 401


def test_list_with_filters_and_cursor_pages(api):
    group = ContactGroup.objects.create(name="VIP")
    for i in range(5):
        make_contact(f"+7912345678{i}", first_name=f"Имя{i}")
    Contact.objects.get(phone="+79123456783").groups.add(group)
    stop("+79123456784")

    first = api.get("/api/v1/contacts", {"limit": 2}).json()
    assert [c["phone"] for c in first["items"]] == ["+79123456784", "+79123456783"]
    assert first["items"][0]["is_stopped"] is True
    second = api.get(
        "/api/v1/contacts", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = api.get(
        "/api/v1/contacts", {"limit": 2, "cursor": second["next_cursor"]}
    ).json()
    assert [c["phone"] for c in second["items"] + third["items"]] == [
        "+79123456782", "+79123456781", "+79123456780",
    ]  # fmt: skip
    assert third["next_cursor"] is None
    assert [
        c["phone"]
        for c in api.get("/api/v1/contacts", {"group": group.pk}).json()["items"]
    ] == ["+79123456783"]
    assert len(api.get("/api/v1/contacts", {"stopped": "false"}).json()["items"]) == 4
    assert api.get("/api/v1/contacts", {"cursor": "!!"}).status_code == 400


def test_create_update_delete(api):
    group = ContactGroup.objects.create(name="VIP")
    CustomField.objects.create(key="city", label="Город", kind="text")
    response = api.post(
        "/api/v1/contacts",
        {
            "phone": "8 912 345-67-89",
            "first_name": "Иван",
            "groups": [group.pk],
            "attributes": {"city": "Омск"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["phone"], body["is_mobile"], body["groups"]) == (
        "+79123456789",
        True,
        [group.pk],
    )

    duplicate = api.post(
        "/api/v1/contacts", {"phone": "+79123456789"}, content_type="application/json"
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["where"] == "phone"
    invalid = api.post(
        "/api/v1/contacts", {"phone": "123"}, content_type="application/json"
    )
    assert invalid.status_code == 400
    assert "not a valid phone number" in invalid.json()["detail"]

    patched = api.patch(
        f"/api/v1/contacts/{body['id']}",
        {"last_name": "Иванов", "groups": []},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert (
        patched.json()["last_name"],
        patched.json()["first_name"],
        patched.json()["groups"],
    ) == ("Иванов", "Иван", [])
    assert api.get(f"/api/v1/contacts/{body['id']}").json()["attributes"] == {
        "city": "Омск"
    }
    assert api.delete(f"/api/v1/contacts/{body['id']}").status_code == 204
    assert api.get(f"/api/v1/contacts/{body['id']}").status_code == 404


def test_groups_and_stoplist(api):
    assert (
        api.post(
            "/api/v1/groups", {"name": "VIP"}, content_type="application/json"
        ).status_code
        == 201
    )
    groups = api.get("/api/v1/groups").json()
    assert groups == [
        {"id": groups[0]["id"], "name": "VIP", "description": "", "member_count": 0,
         "version": 1}
    ]  # fmt: skip
    response = api.post(
        "/api/v1/stoplist",
        {"phone": "89123456789", "reason": "STOP"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert api.get("/api/v1/stoplist").json()["items"][0]["phone"] == "+79123456789"
    assert api.delete("/api/v1/stoplist/+79123456789").status_code == 204
    assert api.delete("/api/v1/stoplist/+79123456789").status_code == 404
    assert not StopListEntry.objects.exists()


def test_import_job_and_export(api, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "c.csv", "Телефон;Имя\n89123456789;Иван\nbad;x\n".encode("cp1251")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/contacts/import", {"file": upload})
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "queued"
    status = api.get(f"/api/v1/imports/{job['id']}").json()
    assert status["status"] == "done"
    assert (status["report"]["created"], status["report"]["invalid"]) == (1, 1)
    assert status["rejects_url"] == f"/api/v1/imports/{job['id']}/rejected.csv"
    # The token that started the import downloads its rejected rows (no session).
    rejects = api.get(status["rejects_url"])
    assert rejects.status_code == 200, rejects.content
    assert rejects["Content-Type"] == "text/csv; charset=windows-1251"
    body = b"".join(rejects.streaming_content).decode("cp1251")
    assert "bad;x" in body
    export = api.get("/api/v1/contacts/export", {"format": "csv"})
    assert export.status_code == 200
    assert "+79123456789" in b"".join(export.streaming_content).decode("utf-8-sig")
    assert api.get("/api/v1/contacts/export", {"format": "pdf"}).status_code == 400


def test_an_import_in_utf16_of_a_file_that_is_not_fails_saying_why(
    api, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = codecs.BOM_UTF8 + "Телефон;Имя\n89123456789;Иван\n".encode()
    upload = SimpleUploadedFile("bom.csv", data)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/contacts/import", {"file": upload, "encoding": "utf-16"}
        )
    status = api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert status["status"] == "failed"
    assert status["error"].startswith(
        "bom.csv: The file is not in UTF-16, the encoding chosen for it."
    )
    assert not Contact.objects.exists()


def test_an_import_in_an_encoding_that_garbles_the_header_fails_saying_why(
    api, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "Телефон;Имя;Фамилия\n89123456789;Иван;Петров\n".encode("cp1251")
    upload = SimpleUploadedFile("win.csv", data)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/contacts/import", {"file": upload, "encoding": "utf-8"}
        )
    status = api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert status["status"] == "failed"
    assert status["error"].startswith(
        "win.csv, row 1: The column names, read as UTF-8, the encoding chosen for "
        "the file, hold characters that are not valid in it"
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("codec", "chosen", "charset"),
    [
        ("koi8-r", "koi8-r", "koi8-r"),
        # Excel's «CSV (MS-DOS)», told apart by itself; CRLF as DOS writes it.
        ("cp866", None, "ibm866"),
    ],
)
def test_an_import_in_a_russian_single_byte_encoding_keeps_it_for_its_rejects(
    api, django_capture_on_commit_callbacks, codec, chosen, charset
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "Телефон;Имя\r\n89123456789;Иван\r\nплохой;Пётр\r\n".encode(codec)
    upload = SimpleUploadedFile(f"{codec}.csv", data)
    form = {"file": upload} | ({"encoding": chosen} if chosen else {})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/contacts/import", form)
    assert response.status_code == 202, response.content
    status = api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert (status["status"], status["report"]["encoding"]) == ("done", codec)
    assert Contact.objects.get().first_name == "Иван"
    rejects = api.get(status["rejects_url"])
    assert rejects["Content-Type"] == f"text/csv; charset={charset}"
    assert "плохой;Пётр" in b"".join(rejects.streaming_content).decode(codec)


def test_an_import_form_field_of_another_name_is_refused_not_ignored(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    group = ContactGroup.objects.create(name="VIP")
    upload = SimpleUploadedFile("c.csv", b"phone\n+79120000001\n")

    response = api.post(
        "/api/v1/contacts/import",
        {"file": upload, "group": group.pk},  # "groups" misspelt
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["where"] == "group"
    assert response.json()["detail"].startswith("group: there is no such field here.")
    assert not ImportJob.objects.exists()


def test_an_import_mapping_that_names_a_field_twice_is_refused(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", "a;b;c\n89120000001;Иван;Пётр\n".encode())

    response = api.post(
        "/api/v1/contacts/import",
        {"file": upload, "mapping": "phone,first_name,first_name"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "“First name” is chosen for more than one column.",
        "where": "mapping",
    }
    assert not ImportJob.objects.exists()


def test_viewer_reads_but_cannot_write(viewer_api):
    make_contact()
    assert viewer_api.get("/api/v1/contacts").status_code == 200
    assert (
        viewer_api.post(
            "/api/v1/contacts",
            {"phone": "89123456780"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        viewer_api.delete(f"/api/v1/contacts/{Contact.objects.get().pk}").status_code
        == 403
    )
    assert (
        viewer_api.post(
            "/api/v1/stoplist",
            {"phone": "89123456780"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("kind", ["contacts", "stoplist"])
def test_a_viewers_import_is_refused_for_the_role_before_its_form_is_read(
    viewer_api, kind
):
    """A reader was told to fix the encoding of a request it may not make."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("book.csv", b"phone\n+79120000001\n")

    response = viewer_api.post(
        "/api/v1/contacts/import",
        {"file": upload, "kind": kind, "encoding": "no-such-encoding"},
    )

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_bad_input_is_a_4xx_never_a_500(api):
    bad = [
        ("post", "/api/v1/contacts", {"phone": "89123456789", "first_name": "x" * 101}),
        ("post", "/api/v1/contacts", {"phone": "89123456789", "email": "not-an-email"}),
        ("post", "/api/v1/groups", {"name": "g" * 101}),
    ]
    for method, path, body in bad:
        response = getattr(api, method)(path, body, content_type="application/json")
        assert response.status_code in (400, 422), (path, body, response.content)
    assert api.get("/api/v1/contacts", {"q": "a\x00"}).status_code in (400, 422)
    contact = make_contact()
    response = api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"first_name": None},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == ""


def test_import_options_are_checked(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for options in (
        {"encoding": "koi8"},
        {"delimiter": "|"},
        {"mapping": "phone,nonsense"},
    ):
        upload = SimpleUploadedFile("c.csv", b"phone\n89123456789\n")
        response = api.post("/api/v1/contacts/import", {"file": upload, **options})
        assert response.status_code == 400, options
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("body", "where", "detail"),
    [
        # The stop list's two texts are held to the same rule.
        ({"reason": "\x00"}, "reason", "Reason: Character 1:"),
        ({"phone": "8912\x073456789"}, "phone", "Phone: Character 5:"),
    ],
)
def test_stoplist_values_no_gateway_can_carry_are_a_400_too(api, body, where, detail):
    response = api.post(
        "/api/v1/stoplist",
        {"phone": "89123456789", **body},
        content_type="application/json",
    )

    assert_refused_with_the_place(response, where, detail)
    assert not StopListEntry.objects.exists()


def assert_refused_with_the_place(response, where: str, detail: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["where"] == where
    assert response.json()["detail"].startswith(detail)
    assert "cannot be sent by any gateway" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "where", "detail"),
    [
        ({"first_name": "Ann\x07"}, "first_name", "First name: Character 4:"),
        ({"nickname": "\ud800x"}, "nickname", "Nickname: Character 1:"),
        ({"attributes": {"city": "Tver\x1b"}}, "attributes", "city: Character 5:"),
        # NUL is one of them: the same 400, not a 422 that says neither where nor which.
        ({"first_name": "a\x00b"}, "first_name", "First name: Character 2:"),
        ({"attributes": {"k": "\x00"}}, "attributes", "k: Character 1:"),
        ({"attributes": {"k\x00": 1}}, "attributes", "Custom fields: Character 2:"),
        ({"attributes": {"tags": ["ok", "x\x00"]}}, "attributes", "tags: Character 2:"),
        ({"phone": "89123456789\x00"}, "phone", "Phone: Character 12:"),
        ({"email": "ann\x00@example.com"}, "email", "Email: Character 4:"),
        (
            {"consent_source": "site\x7f"},
            "consent_source",
            "Consent source: Character 5:",
        ),
    ],
)
def test_values_no_gateway_can_carry_are_a_400_naming_field_and_place(
    api, body, where, detail
):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "89123456789", **body},
        content_type="application/json",
    )

    assert_refused_with_the_place(response, where, detail)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "where", "code"),
    [
        ({"last_name": "Lee\x1f"}, "last_name", "U+001F"),
        ({"last_name": "Lee\x00"}, "last_name", "U+0000"),
        ({"phone": "+7912\x003456789"}, "phone", "U+0000"),
    ],
)
def test_update_with_a_control_character_is_a_400(api, body, where, code):
    contact = make_contact(first_name="Ann")

    response = api.patch(
        f"/api/v1/contacts/{contact.pk}", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["where"] == where
    assert code in response.json()["detail"]
    contact.refresh_from_db()
    assert (contact.phone, contact.last_name) == ("+79123456789", "")


def test_other_schema_errors_stay_a_422_naming_the_field(api):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "89123456789", "first_name": "x" * 101},
        content_type="application/json",
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "first_name"
    assert error["ctx"]["max_length"] == 100
    assert error["msg"] == "String should have at most 100 characters"
    # In words too, in the request's language (pydantic's `msg` is English always).
    assert error["message"] == "first_name: at most 100 characters"
    assert response.json()["message"] == error["message"]
    assert not Contact.objects.exists()


def test_a_schema_mismatch_reads_in_russian(api):
    response = api.post(
        "/api/v1/contacts",
        {"first_name": "Иван", "birthday": "вчера"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 422
    messages = {e["message"] for e in response.json()["detail"]}
    assert "phone: обязательное поле" in messages
    assert "birthday: нужна дата в виде ГГГГ-ММ-ДД" in messages


def test_a_mobile_contact_takes_a_time_zone_as_people_write_it(api):
    response = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "time_zone": "МСК+7"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["time_zone"] == "Asia/Vladivostok"
    contact_id = response.json()["id"]

    wrong = api.patch(
        f"/api/v1/contacts/{contact_id}", {"time_zone": "Марс"},
        content_type="application/json",
    )  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json()["where"] == "time_zone"
    assert "Марс" in wrong.json()["detail"]

    back = api.patch(
        f"/api/v1/contacts/{contact_id}", {"time_zone": ""},
        content_type="application/json",
    )  # fmt: skip
    assert back.json()["time_zone"] == ""  # a mobile number has no zone of its own


def test_errors_follow_the_requests_language(client, api, viewer_user):
    ru = {"HTTP_ACCEPT_LANGUAGE": "ru"}
    not_stopped = api.delete("/api/v1/stoplist/+79123456789", **ru)
    assert not_stopped.json()["detail"] == "Этого номера нет в стоп-листе."
    missing = api.get("/api/v1/contacts/999999", **ru)
    assert (missing.status_code, missing.json()["detail"]) == (404, "Не найдено.")
    assert api.get("/api/v1/contacts/999999").json()["detail"] == "Not found."
    del client.defaults["HTTP_AUTHORIZATION"]
    anonymous = client.get("/api/v1/contacts", **ru)
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"].startswith("Передайте действующий API-токен")


def test_an_import_without_rejected_rows_has_no_rejects_to_download(
    api, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", "Телефон\n89123456789\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post("/api/v1/contacts/import", {"file": upload}).json()

    assert api.get(f"/api/v1/imports/{job['id']}").json()["rejects_url"] is None
    missing = api.get(f"/api/v1/imports/{job['id']}/rejected.csv")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/contacts/export"])
def test_a_group_that_does_not_exist_is_a_400_not_the_whole_book(api, path, settings):
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456789")

    response = api.get(path, {"group": 999999})

    assert response.status_code == 400
    assert response.json()["where"] == "group"
    assert response.json()["detail"].startswith("Group: Select a valid choice.")


def test_groups_that_do_not_exist_are_a_400_not_dropped(api, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.LANGUAGE_CODE = "en"
    kept = ContactGroup.objects.create(name="Клиенты")
    contact = make_contact("+79123456789")
    contact.groups.add(kept)

    created = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456780", "groups": [kept.pk, 99999]},
        content_type="application/json",
    )
    updated = api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"groups": [99998, 99999]},
        content_type="application/json",
    )
    upload = SimpleUploadedFile("c.csv", "Телефон\n89123456781\n".encode())
    imported = api.post("/api/v1/contacts/import", {"file": upload, "groups": 99999})

    assert created.status_code == 400
    assert created.json()["detail"] == "There is no group 99999."
    assert created.json()["where"] == "groups"
    assert updated.status_code == 400
    assert updated.json()["detail"] == "There are no groups 99998, 99999."
    assert imported.status_code == 400
    assert list(contact.groups.all()) == [kept]  # not taken out of its group
    assert Contact.objects.count() == 1
    assert not ImportJob.objects.exists()  # no job left behind, stuck at "uploaded"


def test_a_nul_is_refused_alike_in_every_field(api, settings):
    """A group's description as a contact's name: a 400 naming the field."""
    settings.LANGUAGE_CODE = "en"

    group = api.post(
        "/api/v1/groups",
        {"name": "G", "description": "a\x00b"},
        content_type="application/json",
    )
    contact = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "first_name": "a\x00b"},
        content_type="application/json",
    )

    assert group.status_code == contact.status_code == 400
    assert group.json()["where"] == "description"
    assert contact.json()["where"] == "first_name"
    assert group.json()["detail"].startswith("Description: Line 1, column 2:")
    assert contact.json()["detail"].startswith("First name: Character 2:")
    assert "U+0000" in group.json()["detail"]
    assert "U+0000" in contact.json()["detail"]
    assert not ContactGroup.objects.exists()


@pytest.mark.parametrize(
    ("name", "status", "detail"),
    [
        ("", 400, "Give the group a name."),
        ("   ", 400, "Give the group a name."),
        ("a\u0006b", 400, "Name: Character 2:"),
        ("a\x00b", 400, "Name: Character 2:"),
        ("g" * 101, 422, "String should have at most 100 characters"),
    ],
)
def test_a_group_name_is_required_and_checked(api, settings, name, status, detail):
    settings.LANGUAGE_CODE = "en"

    response = api.post(
        "/api/v1/groups", {"name": name}, content_type="application/json"
    )

    assert response.status_code == status
    assert detail in str(response.json()["detail"])
    assert not ContactGroup.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/contacts/export"])
def test_a_creation_date_off_the_calendar_is_a_400_not_an_empty_export(
    api, path, settings
):
    """Year 1 in Moscow is before year 1 in UTC: the export failed mid-stream."""
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456789")

    response = api.get(path, {"created_after": "0001-01-01"})

    assert response.status_code == 400
    assert response.json()["where"] == "created_after"
    assert "1900-01-01" in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"created_before": "0001-01-01"},
        {"created_after": "2026-01-01", "created_before": "9999-12-31"},
    ],
)
def test_a_refused_end_of_the_creation_range_is_named_as_the_api_names_it(
    api, params, settings
):
    """Not "created", the contact page's filter both ends are one field of."""
    settings.LANGUAGE_CODE = "en"

    response = api.get("/api/v1/contacts", params)

    assert response.status_code == 400
    assert response.json()["where"] == "created_before"


def test_a_reversed_creation_range_is_a_400_naming_both_days(api, settings):
    settings.LANGUAGE_CODE = "en"
    make_contact("+79123456789")

    response = api.get(
        "/api/v1/contacts/export",
        {"created_after": "2026-12-01", "created_before": "2026-01-31"},
    )

    assert response.status_code == 400
    assert response.json()["where"] == "created_after"
    assert "(01.12.2026) is after the last (31.01.2026)" in response.json()["detail"]


def test_a_cp1251_export_that_would_lose_letters_is_a_400(api, settings):
    settings.LANGUAGE_CODE = "en"
    make_contact("+493012345690", first_name="Jürgen")

    response = api.get("/api/v1/contacts/export", {"format": "csv-1251"})

    assert response.status_code == 400
    assert response.json()["where"] == "format"
    assert "Windows-1251 has no “ü”" in response.json()["detail"]


def test_custom_values_are_checked_against_their_fields_kind(api, settings):
    """The API stored a Number field's "много": the contact page would refuse it."""
    settings.LANGUAGE_CODE = "en"
    CustomField.objects.create(key="balance", label="Баланс", kind="number")
    refused = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "attributes": {"balance": "много", "town": "x"}},
        content_type="application/json",
    )
    stored = api.post(
        "/api/v1/contacts",
        {"phone": "+79123456789", "attributes": {"balance": "1500"}},
        content_type="application/json",
    )

    assert refused.status_code == 400
    assert refused.json()["where"] == "attributes"
    assert "Баланс (balance): “много”" in refused.json()["detail"]
    assert "“town” is not a custom field" in refused.json()["detail"]
    assert stored.status_code == 201, stored.content
    assert Contact.objects.get().attributes == {"balance": 1500}


@pytest.mark.parametrize("path", ["/api/v1/contacts/export", "/api/v1/stoplist/export"])
def test_an_unknown_export_format_is_a_400_naming_the_parameter(api, path):
    response = api.get(path, {"format": "pdf"})

    assert response.status_code == 400
    assert response.json()["where"] == "format"


@pytest.mark.parametrize(
    ("form", "where"),
    [
        ({"kind": "people"}, "kind"),
        ({"encoding": "ebcdic"}, "encoding"),
        ({"encoding": "utf-8\x00"}, "encoding"),
        ({"delimiter": "|"}, "delimiter"),
        ({"mapping": "phone,shoe_size"}, "mapping"),
    ],
)
def test_a_refused_import_form_field_is_named(api, form, where):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", b"phone\n+79123456789\n", "text/csv")

    response = api.post("/api/v1/contacts/import", {"file": upload, **form})

    assert response.status_code == 400, response.content
    assert response.json()["where"] == where
    assert not ImportJob.objects.exists()


def test_listing_a_listed_number_again_is_a_200_with_the_entry_unchanged(api):
    first = api.post(
        "/api/v1/stoplist",
        {"phone": "+79123456789", "reason": "asked"},
        content_type="application/json",
    )
    again = api.post(
        "/api/v1/stoplist",
        {"phone": "8 912 345-67-89", "reason": "other"},
        content_type="application/json",
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["reason"] == "asked"
    assert StopListEntry.objects.count() == 1


def test_the_stop_list_post_documents_both_answers(api):
    spec = api.get("/api/v1/openapi.json").json()
    responses = spec["paths"]["/api/v1/stoplist"]["post"]["responses"]

    assert "already listed" in responses["200"]["description"]
    assert "now on the stop list" in responses["201"]["description"]
    for status in ("200", "201"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/StopListOut"}


def test_a_groups_member_count_is_required_in_the_schema_and_always_answered(api):
    spec = api.get("/api/v1/openapi.json").json()
    created = api.post(
        "/api/v1/groups", {"name": "VIP"}, content_type="application/json"
    )
    listed = api.get("/api/v1/groups")

    assert "member_count" in spec["components"]["schemas"]["GroupOut"]["required"]
    assert created.json()["member_count"] == 0
    assert listed.json()[0]["member_count"] == 0
