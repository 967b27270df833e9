"""A contact or group page saved over a newer version is refused, keeping what was
typed; two API updates of different fields at once both stay."""

import pytest

from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGER
from contacts.models import Contact, ContactGroup
from tests.concurrency import both_at_once
from tests.conftest import _user_with_role
from tests.page_forms import conflict_rows, default_submit, form_values

API = "/api/v1"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def patch(client, path: str, body: dict):
    return client.patch(f"{API}{path}", body, content_type="application/json")


def signed_in(django_user_model, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_user_with_role(django_user_model, username, MANAGER))
    return client


@pytest.mark.django_db
def test_contact_and_group_pages_refuse_a_save_over_a_newer_version(
    django_user_model,
):
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    contact = Contact.objects.create(phone="+79120000001", first_name="Ivan")
    group = ContactGroup.objects.create(name="Clients", description="")
    cases = [
        (reverse("contacts:edit", args=[contact.pk]), contact, "last_name",
         f"/contacts/{contact.pk}", "first_name"),
        (reverse("contacts:group_edit", args=[group.pk]), group, "name",
         f"/groups/{group.pk}", "description"),
    ]  # fmt: skip
    for url, record, typed, api_path, changed in cases:
        data = form_values(
            a.get(url).content.decode(), having=typed, replace={typed: "typed by A"}
        )
        assert patch(b, api_path, {changed: "changed by B"}).status_code == 200

        response = a.post(url, data)

        body = response.content.decode()
        assert response.status_code == 200, url
        assert "Someone else changed this record" in body, url
        assert "“Load the current values” puts it in the form" in body
        assert 'value="typed by A"' in body, url
        # Enter in a field saves, as everywhere; loading their values is a click.
        assert default_submit(body, having=typed) == "", url
        record.refresh_from_db()
        assert getattr(record, changed) == "changed by B", url
        assert getattr(record, typed) != "typed by A", url
        # Opened again, the page saves.
        fresh = form_values(
            a.get(url).content.decode(), having=typed, replace={typed: "typed by A"}
        )
        assert a.post(url, fresh).status_code == 302, url
        record.refresh_from_db()
        assert getattr(record, typed) == "typed by A"
        assert getattr(record, changed) == "changed by B"


def test_an_import_adds_contacts_at_version_one_and_counts_those_it_updates(
    do_import, stage_kind
):
    existing = Contact.objects.create(phone="+79120000001", first_name="Old")
    data = b"phone;first_name\n+79120000001;New\n+79120000002;Added\n"

    do_import(data, update=True, encoding="utf-8")

    versions = dict(Contact.objects.values_list("phone", "version"))
    assert versions == {existing.phone: 2, "+79120000002": 1}


@pytest.mark.django_db(transaction=True)
def test_api_updates_of_different_fields_at_once_both_stay(
    monkeypatch, django_user_model
):
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    contact = Contact.objects.create(phone="+79120000001")
    group = ContactGroup.objects.create(name="Clients")
    cases = [
        # Held after the record was read, before it is saved.
        ("contacts.services", "remove_invisible_characters", f"/contacts/{contact.pk}",
         contact, ("first_name", "last_name")),
        ("contacts.services", "check_one_line", f"/groups/{group.pk}", group,
         ("name", "description")),
    ]  # fmt: skip
    for module, hook, path, record, (field_a, field_b) in cases:
        codes = both_at_once(
            monkeypatch,
            module,
            hook,
            [
                lambda path=path, f=field_a: patch(a, path, {f: "set by A"}),
                lambda path=path, f=field_b: patch(b, path, {f: "set by B"}),
            ],
        )

        assert codes == [200, 200], path
        record.refresh_from_db()
        assert getattr(record, field_a) == "set by A", path
        assert getattr(record, field_b) == "set by B", path
        assert record.version == 3, path


# After a refusal ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_contact_save_says_what_changed_and_loads_it_keeping_the_typing(
    django_user_model,
):
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    contact = Contact.objects.create(
        phone="+79120000001", first_name="Ivan", nickname="Vanya"
    )
    url = reverse("contacts:edit", args=[contact.pk])
    data = form_values(
        a.get(url).content.decode(),
        having="last_name",
        replace={"last_name": "Typed by A", "nickname": "Nick by A"},
    )
    body = {"first_name": "Pyotr", "nickname": "Nick by B"}
    assert patch(b, f"/contacts/{contact.pk}", body).status_code == 200

    refused = a.post(url, data).content.decode()

    assert conflict_rows(refused) == [
        ["First name", "Ivan", "Pyotr", "—"],
        ["Nickname", "Vanya", "Nick by B", "Nick by A"],
    ]
    assert "Load the current values" in refused

    reloaded = a.post(url, {**data, "reload_current": "1"})

    page = reloaded.content.decode()
    assert reloaded.status_code == 200
    assert "The form now holds the record as it is" in page
    again = form_values(page, having="last_name")
    # Theirs where only they changed, the typing where A changed it (both: A's).
    assert (again["first_name"], again["last_name"], again["nickname"]) == (
        "Pyotr",
        "Typed by A",
        "Nick by A",
    )
    contact.refresh_from_db()
    assert again["version"] == str(contact.version)
    assert a.post(url, again).status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.nickname) == (
        "Pyotr",
        "Typed by A",
        "Nick by A",
    )


def membership_changes(contact: Contact, group: ContactGroup, other: ContactGroup):
    """Every way groups change outside the contact's page: each puts the contact in
    `group` and (where it can) takes it out of `other`."""
    from contacts import services

    def group_api(client):
        path = f"{API}/groups/{{}}/members"
        body = {"contact_ids": [contact.pk]}
        for url, pk in ((path, group.pk), (path + "/remove", other.pk)):
            response = client.post(
                url.format(pk), body, content_type="application/json"
            )
            assert response.status_code == 200

    def bulk_action(client):
        for action, pk in (("add_to_group", group.pk), ("remove_from_group", other.pk)):
            client.post(
                reverse("contacts:bulk"),
                {"action": action, "group": pk, "ids": [contact.pk]},
            )

    def service(client):
        chosen = Contact.objects.filter(pk=contact.pk)
        services.contacts_add_to_group(contacts=chosen, group=group)
        services.contacts_remove_from_group(contacts=chosen, group=other)

    return {"group API": group_api, "bulk action": bulk_action, "service": service}


@pytest.mark.django_db
@pytest.mark.parametrize("way", ["group API", "bulk action", "service"])
def test_a_contact_page_opened_before_a_membership_change_does_not_undo_it(
    django_user_model, way
):
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    kept, added, removed, ticked = (
        ContactGroup.objects.create(name=name)
        for name in ("Kept", "Added", "Removed", "Ticked")
    )
    contact = Contact.objects.create(phone="+79120000001")
    contact.groups.set([kept, removed])
    url = reverse("contacts:edit", args=[contact.pk])
    data = form_values(a.get(url).content.decode(), having="last_name")
    membership_changes(contact, added, removed)[way](b)
    assert set(contact.groups.all()) == {kept, added}

    # A ticks a group and gives a name; the groups A did not touch are as B left them.
    data.update(last_name="Typed by A", groups=[str(kept.pk), str(removed.pk),
                                                 str(ticked.pk)])  # fmt: skip
    assert a.post(url, data).status_code == 302

    contact.refresh_from_db()
    assert contact.last_name == "Typed by A"
    assert set(contact.groups.all()) == {kept, added, ticked}


def test_an_import_into_a_group_is_not_undone_by_a_contact_page_opened_before(
    do_import, stage_kind, django_user_model
):
    a = signed_in(django_user_model, "amy-manager")
    contact = Contact.objects.create(phone="+79120000001")
    group = ContactGroup.objects.create(name="Imported")
    url = reverse("contacts:edit", args=[contact.pk])
    data = form_values(a.get(url).content.decode(), having="last_name")

    do_import(b"phone\n+79120000001\n", group_ids=[group.pk], encoding="utf-8")

    assert a.post(url, {**data, "last_name": "Typed"}).status_code == 302
    assert list(contact.groups.all()) == [group]


@pytest.mark.django_db
def test_unticking_a_group_takes_the_contact_out_of_it_alone(django_user_model):
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    first, second = (ContactGroup.objects.create(name=n) for n in ("One", "Two"))
    contact = Contact.objects.create(phone="+79120000001")
    contact.groups.set([first])
    url = reverse("contacts:edit", args=[contact.pk])
    data = form_values(a.get(url).content.decode(), having="last_name")
    membership_changes(contact, second, first)["service"](b)
    contact.groups.add(first)  # back in One, and now in Two too

    data.pop("groups")  # A unticks One
    assert a.post(url, data).status_code == 302

    assert list(contact.groups.all()) == [second]


@pytest.mark.django_db
def test_a_contact_page_saved_unchanged_leaves_the_contact_as_it_was(
    django_user_model,
):
    """Saved as opened, it raised the version and the change time: another person's
    edit opened before was then refused as over a newer version, for nothing."""
    a = signed_in(django_user_model, "amy-manager")
    b = signed_in(django_user_model, "ben-manager")
    contact = Contact.objects.create(phone="+79120000001", first_name="Ivan")
    url = reverse("contacts:edit", args=[contact.pk])
    opened_by_b = form_values(
        b.get(url).content.decode(), having="last_name",
        replace={"last_name": "Petrov"},
    )  # fmt: skip
    before = Contact.objects.get(pk=contact.pk)

    unchanged = form_values(a.get(url).content.decode(), having="last_name")
    assert a.post(url, unchanged).status_code == 302

    after = Contact.objects.get(pk=contact.pk)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert b.post(url, opened_by_b).status_code == 302
    assert Contact.objects.get(pk=contact.pk).last_name == "Petrov"
