from io import StringIO

import pytest

from django.urls import reverse

from contacts import demo, selectors, services
from contacts.models import Contact, ContactGroup, GroupMembership, StopListEntry
from smsportal.exceptions import ApplicationError
from tests.contacts.conftest import make_contact, stop

pytestmark = pytest.mark.django_db


def test_contact_opt_out_is_idempotent_and_keeps_the_contact(admin_user):
    contact = make_contact("+79123456789")
    entry = services.contact_opt_out(
        phone="8 912 345 67 89", reason="STOP", source="keyword", user=admin_user
    )
    again = services.contact_opt_out(phone="+79123456789", reason="other")
    assert entry.pk == again.pk
    assert (entry.reason, entry.source, entry.created_by) == (
        "STOP",
        "keyword",
        admin_user,
    )
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert selectors.contact_list().get(pk=contact.pk).is_stopped
    with pytest.raises(ApplicationError) as caught:
        services.contact_opt_out(phone="12")
    assert caught.value.where == "phone"


def test_stoplist_remove_accepts_any_format():
    stop("+79123456789")
    assert services.stoplist_remove(phone="8 (912) 345-67-89") == 1
    assert services.stoplist_remove(phone="8 (912) 345-67-89") == 0


def test_stoplist_remove_of_a_number_with_a_nul_removes_nothing(manager_client):
    stop("+79123456789")
    manager_client.raise_request_exception = False
    response = manager_client.post(
        reverse("contacts:stoplist_remove"), {"phone": "+79123456789\x00"}
    )
    assert response.status_code == 302
    assert services.stoplist_remove(phone="\x00") == 0
    assert StopListEntry.objects.filter(phone="+79123456789").exists()


def test_contacts_reachable_includes_excludes_and_skips_stop_listed():
    customers, staff = (
        ContactGroup.objects.create(name="c"),
        ContactGroup.objects.create(name="s"),
    )
    one = make_contact("+79123456781")
    two = make_contact("+79123456782")
    three = make_contact("+79123456783")
    make_contact("+79123456784")
    one.groups.add(customers)
    two.groups.add(customers, staff)
    three.groups.add(customers)
    stop(three.phone)
    reachable = selectors.contacts_reachable(
        include_groups=[customers], exclude_groups=[staff]
    )
    assert list(reachable) == [one]
    everyone = selectors.contacts_reachable(include_groups=None)
    assert set(everyone.values_list("phone", flat=True)) == {
        "+79123456781", "+79123456782", "+79123456784",
    }  # fmt: skip


def test_bulk_services_are_set_based(django_assert_num_queries):
    group = ContactGroup.objects.create(name="g")
    for i in range(30):
        make_contact(f"+7912345{i:04d}")
    contacts = Contact.objects.filter(phone__startswith="+7912345000")
    # The INSERT, the group held against a delete, and the savepoint around them.
    with django_assert_num_queries(4):
        assert services.contacts_add_to_group(
            contacts=contacts, group=group
        ) == services.GroupAddition(added=10, already=0)
    again = services.contacts_add_to_group(contacts=contacts, group=group)
    assert (again.added, again.already) == (0, 10)
    with django_assert_num_queries(1):
        assert (
            services.contacts_opt_out(contacts=Contact.objects.all(), reason="x") == 30
        )
    assert services.contacts_remove_from_group(contacts=contacts, group=group) == 10
    assert services.contacts_delete(contacts=contacts) == 10
    assert GroupMembership.objects.count() == 0


def test_deleting_contacts_keeps_their_messages_and_replies_unlinked(
    django_assert_num_queries,
):
    from django.utils import timezone

    from campaigns.models import Message, Reply
    from providers.models import ProviderAccount

    account = ProviderAccount.objects.create(name="A", kind="webcom", login="x")
    group = ContactGroup.objects.create(name="g")
    gone, kept = make_contact("+79123450001"), make_contact("+79123450002")
    for contact in (gone, kept):
        GroupMembership.objects.create(contact=contact, group=group)
        Message.objects.create(
            account=account, contact=contact, phone=contact.phone, text="x",
            channel="sms", planned_at=timezone.now(),
        )  # fmt: skip
        Reply.objects.create(
            account=account, contact=contact, phone=contact.phone, text="СТОП"
        )

    # However many contacts: one statement for the messages still waiting to be
    # sent to them, one for the delete, one line in the audit log (and the
    # savepoint around them, inside this test's transaction).
    with django_assert_num_queries(5):
        deleted = services.contacts_delete(
            contacts=Contact.objects.filter(phone=gone.phone)
        )

    assert deleted == 1
    assert list(Contact.objects.values_list("phone", flat=True)) == [kept.phone]
    assert list(GroupMembership.objects.values_list("contact_id", flat=True)) == [
        kept.pk
    ]
    assert Message.objects.count() == Reply.objects.count() == 2
    assert Message.objects.get(phone=gone.phone).contact_id is None
    assert Reply.objects.get(phone=gone.phone).contact_id is None
    assert Message.objects.get(phone=kept.phone).contact_id == kept.pk
    # What waited to be sent to the one deleted is not sent; the other's waits.
    statuses = dict(Message.objects.values_list("phone", "status"))
    assert statuses == {gone.phone: "cancelled", kept.phone: "pending"}


def test_demo_is_idempotent():
    demo.load(stdout=StringIO())
    demo.load(stdout=StringIO())
    assert Contact.objects.count() == 5
    assert ContactGroup.objects.count() == 2
    assert StopListEntry.objects.count() == 1
    zones = dict(Contact.objects.values_list("phone", "time_zone"))
    assert zones["+74951234567"] == "Europe/Moscow"
    assert zones["+74232223344"] == "Asia/Vladivostok"


def test_contact_create_rejects_duplicates_and_sets_derived_fields():
    contact = services.contact_create(phone="8 423 222 33 44", first_name="Анна")
    assert (contact.time_zone, contact.is_mobile) == ("Asia/Vladivostok", False)
    with pytest.raises(ApplicationError, match="already in the book"):
        services.contact_create(phone="+74232223344")


def test_a_birthday_in_the_future_is_refused_everywhere(db, do_import):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ApplicationError) as refused:
        services.contact_create(phone="+79120000001", birthday=tomorrow)
    assert refused.value.where == "birthday"
    assert "future" in refused.value.message
    contact = services.contact_create(
        phone="+79120000001", birthday=timezone.localdate()
    )
    with pytest.raises(ApplicationError):
        services.contact_update(contact=contact, birthday=tomorrow)

    data = f"Телефон;Дата рождения\n89120000002;{tomorrow:%d.%m.%Y}\n".encode()
    report, rejects = do_import(data)
    assert (report.created, report.invalid) == (0, 1)
    assert "column “Дата рождения”: in the future" in rejects


def test_invisible_characters_pasted_with_a_name_are_left_out(custom_fields):
    """A zero-width space made every message to "Ivan" UCS-2 (twice the price), and a
    direction override showed a name reversed on the pages."""
    contact = services.contact_create(
        phone="+79123456789",
        first_name="Ivan\u200b",
        last_name="\u202eвонавИ",
        nickname="\ufeffVanya\u00ad",
        attributes={"city": "Moscow\u200d"},
    )

    assert (contact.first_name, contact.last_name, contact.nickname) == (
        "Ivan", "вонавИ", "Vanya",
    )  # fmt: skip
    assert contact.attributes == {"city": "Moscow"}
    services.contact_update(contact=contact, first_name="\u200eIvan \u2060")
    contact.refresh_from_db()
    assert contact.first_name == "Ivan"


def test_an_import_leaves_invisible_characters_out_of_names_and_texts(
    do_import, custom_fields, stage_kind
):
    data = "Телефон;ФИО;Город\n+79123456789;Иванов\u200b Иван;Moscow\u200b\n"

    report, _rejects = do_import(data.encode())

    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name) == ("Иванов", "Иван")
    assert contact.attributes == {"city": "Moscow"}
    assert report.invalid == 0


def test_a_large_bulk_change_of_a_group_refreshes_the_planners_statistics(
    db, monkeypatch
):
    """A million-member group the planner still took for empty made its export take
    18 s to start instead of 7: a bulk add or remove of many analyses memberships."""
    from django.db import connection

    from contacts import statistics
    from contacts.models import Contact, ContactGroup, GroupMembership
    from contacts.services import contacts_add_to_group, contacts_remove_from_group

    monkeypatch.setattr(statistics, "ANALYZE_FLOOR", 0)  # a small book will do
    table = GroupMembership._meta.db_table

    def estimated() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [table],
            )
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # empty, as last analysed
    Contact.objects.bulk_create(Contact(phone=f"+7915{n:07d}") for n in range(30))
    group = ContactGroup.objects.create(name="Bulk")

    contacts_add_to_group(contacts=Contact.objects.all(), group=group)
    assert estimated() == 30  # 30 new rows of an empty table: many

    kept = Contact.objects.order_by("id").first()
    contacts_remove_from_group(
        contacts=Contact.objects.exclude(pk=kept.pk), group=group
    )
    assert estimated() == 1
