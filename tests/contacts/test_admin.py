import re

import pytest

from django.http import QueryDict
from django.urls import reverse

from contacts.models import Contact, ContactGroup, CustomField, StopListEntry
from tests.contacts.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="x-Pass-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["contact", "contactgroup", "stoplistentry", "customfield", "importjob"]
)
def test_admin_pages_load(superuser_client, model):
    contact = make_contact(first_name="Иван")
    group = ContactGroup.objects.create(name="VIP")
    contact.groups.add(group)
    StopListEntry.objects.create(phone="+79031112233")
    response = superuser_client.get(
        reverse(f"admin:contacts_{model}_changelist"), {"q": "9"}
    )
    assert response.status_code == 200
    if model != "importjob":
        assert (
            superuser_client.get(reverse(f"admin:contacts_{model}_add")).status_code
            == 200
        )
    assert (
        superuser_client.get(
            reverse("admin:contacts_contact_change", args=[contact.pk])
        ).status_code
        == 200
    )


def test_the_loaded_registry_is_searchable_and_read_only(superuser_client):
    from tests.contacts.test_numbering import load

    load()
    url = reverse("admin:contacts_numberrange_changelist")
    page = superuser_client.get(url, {"q": "Приморский"}).content.decode()
    assert "Asia/Vladivostok" in page
    assert "Свердловская" not in page  # other regions' ranges are not listed
    assert (
        superuser_client.get(reverse("admin:contacts_numberrange_add")).status_code
        == 403
    )


def test_contact_changelist_links_to_the_importer_and_exporter(superuser_client):
    html = superuser_client.get(
        reverse("admin:contacts_contact_changelist")
    ).content.decode()
    assert reverse("contacts:import") in html
    assert reverse("contacts:export") in html


def test_admin_add_normalises_the_phone(superuser_client):
    response = superuser_client.post(
        reverse("admin:contacts_contact_add"),
        {"phone": "8 (495) 123-45-67", "first_name": "Иван", "attributes": "{}",
         "created_at_0": "2024-01-01", "created_at_1": "10:00",
         "updated_at_0": "2024-01-01", "updated_at_1": "10:00",
         "groupmembership_set-TOTAL_FORMS": "0", "groupmembership_set-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = Contact.objects.get()
    assert (contact.phone, contact.time_zone, contact.is_mobile) == (
        "+74951234567",
        "Europe/Moscow",
        False,
    )
    response = superuser_client.post(
        reverse("admin:contacts_stoplistentry_add"), {"phone": "12", "source": "manual"}
    )
    assert response.status_code == 200
    assert not StopListEntry.objects.exists()


def test_stoplist_admin_names_a_control_character(superuser_client, settings):
    settings.LANGUAGE_CODE = "en"
    response = superuser_client.post(
        reverse("admin:contacts_stoplistentry_add"),
        {"phone": "+79123456789", "reason": "bell\x07", "source": "manual"},
    )

    assert response.status_code == 200
    assert (
        response.context["adminform"]
        .form.errors["reason"][0]
        .startswith("Character 5: the control character U+0007")
    )
    assert not StopListEntry.objects.exists()


def test_admin_actions_use_the_services(superuser_client):
    contact = make_contact()
    superuser_client.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "opt_out", "_selected_action": [contact.pk]},
    )
    entry = StopListEntry.objects.get()
    assert entry.phone == contact.phone
    response = superuser_client.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "export_csv", "_selected_action": [contact.pk]},
    )
    assert contact.phone in b"".join(response.streaming_content).decode("utf-8-sig")
    superuser_client.post(
        reverse("admin:contacts_stoplistentry_changelist"),
        {"action": "remove_from_stoplist", "_selected_action": [entry.pk]},
    )
    assert not StopListEntry.objects.exists()


def test_admin_exports_in_excels_russian_dialect_and_as_a_workbook(superuser_client):
    """The admin offered UTF-8 with commas alone: Russian Excel opened it as one
    column of whole lines."""
    import io

    import openpyxl

    contact = make_contact(first_name="Пётр")
    changelist = reverse("admin:contacts_contact_changelist")

    def export(action: str):
        return superuser_client.post(
            changelist, {"action": action, "_selected_action": [contact.pk]}
        )

    csv_1251 = export("export_csv_1251")
    workbook = export("export_xlsx")

    assert csv_1251["Content-Type"] == "text/csv; charset=windows-1251"
    lines = b"".join(csv_1251.streaming_content).decode("cp1251").splitlines()
    assert ";" in lines[0]
    assert "Пётр" in lines[1]
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(workbook.streaming_content))
    ).active
    assert "Пётр" in [cell.value for cell in sheet[2]]


def test_an_admin_export_windows_1251_cannot_carry_is_refused_with_a_message(
    superuser_client, settings
):
    settings.LANGUAGE_CODE = "en"
    contact = make_contact(first_name="Анна 🌸")

    response = superuser_client.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "export_csv_1251", "_selected_action": [contact.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def contact_data(**overrides) -> dict:
    data = {
        "phone": "8 (495) 123-45-67", "first_name": "Иван", "attributes": "{}",
        "groupmembership_set-TOTAL_FORMS": "0", "groupmembership_set-INITIAL_FORMS": "0",
    }  # fmt: skip
    return data | overrides


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("first_name", "Ив\x07ан", "Character 3: the control character U+0007"),
        ("last_name", "Lee\x00", "Character 4: the control character U+0000"),
        ("consent_source", "\ufffesite", "Character 1: the invalid character U+FFFE"),
        ("attributes", '{"city": "Tver\\u001b"}',
         "city: Character 5: the control character U+001B"),
        ("attributes", '{"k\\u0000": 1}',
         "Custom fields: Character 2: the control character U+0000"),
    ],
)  # fmt: skip
def test_admin_add_refuses_characters_no_gateway_can_carry(
    superuser_client, field, value, error
):
    response = superuser_client.post(
        reverse("admin:contacts_contact_add"), contact_data(**{field: value})
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    message = f"{error} cannot be sent by any gateway. Remove it."
    assert form.errors == {field: [message]}
    assert not Contact.objects.exists()


def test_admin_change_refuses_a_control_character_on_its_field(superuser_client):
    contact = make_contact(first_name="Ann")
    url = reverse("admin:contacts_contact_change", args=[contact.pk])

    response = superuser_client.post(
        url, contact_data(phone=contact.phone, first_name="Ann\x07")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "Character 4: the control character U+0007 cannot be sent by any gateway."
        in html
    )
    contact.refresh_from_db()
    assert contact.first_name == "Ann"


def test_editing_a_contact_in_the_admin_keeps_its_zone(superuser_client):
    from tests.contacts.test_numbering import load

    load()
    contact = Contact.objects.create(phone="+79240000040", time_zone="Europe/Moscow")
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    data = {
        "phone": contact.phone, "first_name": "Иван", "attributes": "{}",
        "created_at_0": "2024-01-01", "created_at_1": "10:00",
        "updated_at_0": "2024-01-01", "updated_at_1": "10:00",
        "groupmembership_set-TOTAL_FORMS": "0", "groupmembership_set-INITIAL_FORMS": "0",
    }  # fmt: skip
    assert superuser_client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.time_zone) == ("Иван", "Europe/Moscow")
    assert (
        superuser_client.post(url, {**data, "phone": "+79240000041"}).status_code == 302
    )
    contact.refresh_from_db()
    assert contact.time_zone == "Asia/Vladivostok"  # a new number: the plan's zone


def test_admin_refuses_a_birthday_in_the_future(superuser_client):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    response = superuser_client.post(
        reverse("admin:contacts_contact_add"),
        contact_data(birthday=tomorrow.isoformat()),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["birthday"]
    assert "future" in errors["birthday"][0]
    assert not Contact.objects.exists()


def test_a_custom_field_keeps_its_key_so_stored_values_stay_found(
    superuser_client, custom_fields
):
    city = custom_fields[0]
    contact = make_contact(attributes={"city": "Тверь"})
    url = reverse("admin:contacts_customfield_change", args=[city.pk])

    page = superuser_client.get(url).content.decode()
    response = superuser_client.post(
        url, {"label": "Населённый пункт", "key": "town", "kind": "text"}
    )

    assert "The key cannot be changed" in page
    assert 'name="key"' not in page
    assert response.status_code == 302
    city.refresh_from_db()
    assert (city.key, city.label) == ("city", "Населённый пункт")
    contact.refresh_from_db()
    assert contact.attributes == {"city": "Тверь"}


def test_the_admin_refuses_a_custom_field_labelled_as_the_zoned_consent_column(
    superuser_client, settings
):
    """An export's «Согласие дано (Москва, UTC+03:00)» column went into such a field
    when the export was imported back."""
    settings.LANGUAGE_CODE = "en"
    label = "Согласие дано (Москва, UTC+03:00)"

    response = superuser_client.post(
        reverse("admin:contacts_customfield_add"),
        {"label": label, "key": "consent_copy", "kind": "text"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert f"“{label}” reads as the column “Consent given”" in errors["label"][0]
    assert not CustomField.objects.exists()


def test_a_custom_field_is_not_renamed_to_another_ones_label(
    superuser_client, custom_fields
):
    city, balance = custom_fields[0], custom_fields[1]
    url = reverse("admin:contacts_customfield_change", args=[balance.pk])

    response = superuser_client.post(url, {"label": "ГОРОД", "kind": "number"})
    kept = superuser_client.post(url, {"label": "Баланс", "kind": "number"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Another custom field is labelled “ГОРОД”" in errors["label"][0]
    assert kept.status_code == 302  # its own label is no clash
    balance.refresh_from_db()
    assert balance.label == "Баланс"
    assert city.label == "Город"


def test_a_custom_fields_kind_is_fixed_once_contacts_hold_values(
    superuser_client, custom_fields
):
    city, balance = custom_fields[0], custom_fields[1]
    make_contact(attributes={"city": "Тверь"})
    city_url = reverse("admin:contacts_customfield_change", args=[city.pk])
    balance_url = reverse("admin:contacts_customfield_change", args=[balance.pk])

    superuser_client.post(city_url, {"label": "Город", "kind": "number"})
    unused = superuser_client.get(balance_url).content.decode()

    city.refresh_from_db()
    assert city.kind == "text"  # "Тверь" stays a text
    assert 'name="kind"' in unused  # no contact holds a balance: still free


def test_a_new_custom_field_gets_its_key_in_the_admin(superuser_client):
    response = superuser_client.post(
        reverse("admin:contacts_customfield_add"),
        {"label": "Город", "key": "city", "kind": "text"},
    )

    assert response.status_code == 302
    assert CustomField.objects.get().key == "city"


def test_admin_refuses_custom_values_of_the_wrong_kind(superuser_client, custom_fields):
    attributes = '{"balance": "много", "visit": "вчера", "city": 5, "vip": true}'

    response = superuser_client.post(
        reverse("admin:contacts_contact_add"), contact_data(attributes=attributes)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "attributes": [
            "Баланс (balance): “много”: Enter a number.",
            "Визит (visit): “вчера”: Enter a valid date.",
            "Город (city): “5”: Write the text in quotes.",
            "“vip” is not a custom field: add it under Custom fields first, or "
            "remove it.",
        ]
    }
    assert not Contact.objects.exists()


def test_admin_stores_custom_values_as_the_contact_page_does(
    superuser_client, custom_fields
):
    attributes = '{"balance": "1500", "visit": "2024-05-01", "city": " Тверь "}'

    response = superuser_client.post(
        reverse("admin:contacts_contact_add"), contact_data(attributes=attributes)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Contact.objects.get().attributes == {
        "balance": 1500,
        "visit": "2024-05-01",
        "city": "Тверь",
    }


def test_admin_keeps_a_value_of_a_deleted_custom_field_it_already_had(
    superuser_client, custom_fields
):
    contact = make_contact(attributes={"old": "x", "balance": 7})
    url = reverse("admin:contacts_contact_change", args=[contact.pk])

    kept = superuser_client.post(
        url, contact_data(phone=contact.phone, attributes='{"old": "x", "balance": 8}')
    )
    changed = superuser_client.post(
        url, contact_data(phone=contact.phone, attributes='{"old": "y"}')
    )

    assert kept.status_code == 302
    assert changed.status_code == 200
    contact.refresh_from_db()
    assert contact.attributes == {"old": "x", "balance": 8}


def _book(group, count: int, start: int = 0) -> list[Contact]:
    contacts = [
        make_contact(f"+7912000{index:04d}", first_name=f"N{index}")
        for index in range(start, start + count)
    ]
    for contact in contacts:
        contact.groups.add(group)
    return contacts


def test_admin_delete_action_confirms_with_counts_across_a_filtered_list(
    superuser_client, group
):
    members = _book(group, 3)
    members[0].groups.add(ContactGroup.objects.create(name="VIP"))
    outsider = make_contact("+79990000000")
    url = reverse("admin:contacts_contact_changelist") + f"?group={group.pk}"
    chosen = {"action": "delete_contacts", "select_across": "1",
              "_selected_action": [members[0].pk]}  # fmt: skip

    confirm = superuser_client.post(url, {**chosen, "index": "0"})

    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Delete 3 contacts?" in page
    assert "4 group memberships are deleted too." in page
    assert members[1].phone not in page  # counted, not listed
    assert Contact.objects.count() == 4
    done = superuser_client.post(url, {**chosen, "post": "yes"})
    assert done.status_code == 302
    assert list(Contact.objects.all()) == [outsider]
    assert not Contact.groups.through.objects.exists()


def test_admin_offers_its_own_delete_action_and_only_with_the_right_to_delete(
    client, superuser_client, django_user_model
):
    from django.contrib.auth.models import Permission

    contact = make_contact()
    changelist = reverse("admin:contacts_contact_changelist")
    choices = superuser_client.get(changelist).context["action_form"]
    assert "delete_contacts" in dict(choices.fields["action"].choices)
    assert "delete_selected" not in dict(choices.fields["action"].choices)

    editor = django_user_model.objects.create_user("ed", password="x", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(codename__in=["view_contact", "change_contact"])
    )
    client.force_login(editor)
    choices = client.get(changelist).context["action_form"].fields["action"].choices
    client.post(
        changelist,
        {"action": "delete_contacts", "_selected_action": [contact.pk], "post": "yes"},
    )

    assert "delete_contacts" not in dict(choices)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_membership_reads_as_the_contact_in_the_group(group):
    contact = make_contact(first_name="Иван", last_name="Петров")
    contact.groups.add(group)

    membership = Contact.groups.through.objects.get()

    assert str(membership) == "Петров Иван +79123456789 in the group “Клиенты”"


def _queries(client, url: str) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    return len(queries), page


def test_admin_pages_name_memberships_without_a_query_each(superuser_client, group):
    contact = make_contact(first_name="Иван", last_name="Петров")
    groups = [ContactGroup.objects.create(name=f"G{n}") for n in range(5)]
    change = reverse("admin:contacts_contact_change", args=[contact.pk])
    delete = reverse("admin:contacts_contact_delete", args=[contact.pk])
    group_delete = reverse("admin:contacts_contactgroup_delete", args=[group.pk])
    contact.groups.add(group)
    _book(group, 1)
    before = [_queries(superuser_client, u)[0] for u in (change, delete, group_delete)]

    contact.groups.add(*groups)
    _book(group, 6, start=1)
    after = [_queries(superuser_client, u) for u in (change, delete, group_delete)]

    counts = [count for count, _page in after]
    # The change page: Django's autocomplete widget reads each row's group (its own
    # query, one per row as before); the rows' names add none.
    assert counts == [before[0] + len(groups), before[1], before[2]]
    assert "in the group “G4”" in after[0][1]
    assert "Group memberships: 6" in after[1][1]
    assert "Group memberships: 8" in after[2][1]
    assert "+79120000003" not in after[2][1]  # counted, not listed


def test_admin_add_leaves_invisible_characters_out_of_the_name(superuser_client):
    response = superuser_client.post(
        reverse("admin:contacts_contact_add"),
        contact_data(first_name="Ivan\u200b", last_name="\u202eвонавИ"),
    )

    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Ivan", "вонавИ")


def test_admin_refuses_a_group_name_with_the_groups_columns_separator(
    superuser_client, settings
):
    settings.LANGUAGE_CODE = "en"

    response = superuser_client.post(
        reverse("admin:contacts_contactgroup_add"), {"name": "Опт; розница"}
    )

    assert response.status_code == 200
    assert "A group name cannot hold “;”" in response.content.decode()
    assert not ContactGroup.objects.exists()


def test_the_group_filter_lists_a_groups_contacts_without_a_join(
    superuser_client, group
):
    """Django's filter over the many-to-many joined the memberships and made every
    row DISTINCT: 0.8 s for a 50,000-contact group of a million-contact book."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    members = _book(group, 2)
    members[0].groups.add(ContactGroup.objects.create(name="VIP"))
    outsider = make_contact("+79990000000")
    url = reverse("admin:contacts_contact_changelist") + f"?group={group.pk}"

    with CaptureQueriesContext(connection) as queries:
        page = superuser_client.get(url).content.decode()

    assert members[0].phone in page
    assert members[1].phone in page
    assert outsider.phone not in page
    assert not [q for q in queries if "DISTINCT" in q["sql"]]


def _export_links(html: str) -> list[str]:
    export = reverse("contacts:export")
    return [
        link.replace("&amp;", "&")
        for link in re.findall(rf'href="({re.escape(export)}\?[^"]*)"', html)
    ]


def test_admin_export_links_carry_the_search_and_filters(superuser_client, group):
    members = _book(group, 2)
    make_contact("+79990000000")
    changelist = reverse("admin:contacts_contact_changelist")
    since = "2000-01-01 00:00:00+03:00"
    until = "2100-01-01 00:00:00+03:00"
    html = superuser_client.get(
        changelist,
        {"q": members[0].phone, "group": group.pk, "created_at__gte": since,
         "created_at__lt": until, "o": "2", "p": "0"},
    ).content.decode()  # fmt: skip

    links = _export_links(html)
    assert len(links) == 2
    query = QueryDict(links[0].split("?", 1)[1])
    assert query.dict() == {
        "q": members[0].phone,
        "group": str(group.pk),
        "created_min": "2000-01-01",
        "created_max": "2099-12-31",
        "format": "csv",
    }
    # The export applies them: the one contact the list shows.
    export = b"".join(superuser_client.get(links[0]).streaming_content).decode()
    assert members[0].phone in export
    assert members[1].phone not in export
    assert "+79990000000" not in export


def test_admin_export_is_not_offered_under_a_filter_it_cannot_apply(
    superuser_client,
):
    html = superuser_client.get(
        reverse("admin:contacts_contact_changelist"), {"is_mobile__exact": "1"}
    ).content.decode()
    assert _export_links(html) == []
    assert "data-export-unavailable" in html
    assert "No export with the filter “mobile”" in html


def test_an_imports_admin_page_shows_options_and_report_as_labelled_rows(
    superuser_client, group
):
    """ "Параметры" and "Отчёт" were the stored JSON, English keys and all, editable."""
    from contacts.models import ImportJob

    job = ImportJob.objects.create(
        original_name="book.csv",
        status=ImportJob.Status.DONE,
        options={"kind": "contacts", "encoding": "cp1251", "delimiter": ";",
                 "header": True, "mapping": ["phone", "first_name", ""],
                 "group_ids": [group.pk], "update": False, "created_by_id": None},
        report={"rows": 1200, "created": 1000, "invalid": 1,
                "errors": [{"row": 7, "reason": "column “Телефон”: too short"}]},
    )  # fmt: skip

    html = superuser_client.get(
        reverse("admin:contacts_importjob_change", args=[job.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    rows = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", html))
    assert rows["Encoding"] == "Windows-1251"
    assert rows["Delimiter"] == "Semicolon"
    assert rows["The first row holds column names"] == "Yes"
    assert rows["Columns"] == (
        "column 1: Phone; column 2: First name; column 3: ignored"
    )
    assert rows["Add to groups"] == group.name
    assert rows["Data rows in the file"] == "1,200"
    assert rows["The first rows not imported"] == ("row 7: column “Телефон”: too short")
    assert "group_ids" not in html
    assert "created_by_id" not in html
    # Read-only: no field to edit the stored JSON.
    assert 'name="options"' not in html
    assert 'name="report"' not in html


def test_the_contacts_group_rows_are_added_in_russian_grammar(superuser_client):
    """Django's "Add another %(verbose_name)s" read «Добавить еще один Группа»."""
    import html
    import json

    from django.utils import translation

    contact = make_contact(first_name="Иван")
    with translation.override("ru"):
        page = superuser_client.get(
            reverse("admin:contacts_contact_change", args=[contact.pk]),
            HTTP_ACCEPT_LANGUAGE="ru",
        ).content.decode()
    data = re.search(r'data-inline-formset="([^"]+)"', page).group(1)
    options = json.loads(html.unescape(data))["options"]
    assert options["addText"] == "Добавить ещё одну группу"


def test_the_admin_says_what_it_saved_in_russian_whatever_its_gender(
    superuser_client,
):
    """Django's own catalogue: «Запись стоп-листа "+7…" был успешно добавлен»."""
    response = superuser_client.post(
        reverse("admin:contacts_stoplistentry_add"),
        {"phone": "+79161234567", "reason": "просьба", "source": "manual"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    said = [str(m) for m in response.context["messages"]]
    assert len(said) == 1
    assert said[0].startswith("Добавлено: запись стоп-листа «")
    assert "был" not in said[0]
