"""Every sortable column of every list table sorts (a column whose accessor is a
property, not a field, answered a header click with a server error)."""

import pytest
from django_tables2 import Table

from accounts.tables import AuditEventTable
from campaigns.report_tables import MessageTable, ReplyTable
from campaigns.tables import CampaignTable
from contacts.tables import ContactTable, ImportJobTable, StopListTable
from providers.tables import ProviderAccountTable

pytestmark = pytest.mark.django_db

TABLES = [
    AuditEventTable, MessageTable, ReplyTable, CampaignTable, ContactTable,
    ImportJobTable, StopListTable, ProviderAccountTable,
]  # fmt: skip


def sortable(table_class: type[Table]) -> list[str]:
    table = table_class(table_class._meta.model.objects.none())
    return [column.name for column in table.columns if column.orderable]


# (table, column) for every sortable column; tables that sort by nothing (the
# message and reply reports, imports) have none.
COLUMNS = [(table, name) for table in TABLES for name in sortable(table)]


def test_the_lists_have_sortable_columns():
    assert {table for table, _name in COLUMNS} >= {
        CampaignTable, ContactTable, ProviderAccountTable, StopListTable,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("table_class", "name"), COLUMNS, ids=[f"{t.__name__}.{n}" for t, n in COLUMNS]
)
@pytest.mark.parametrize("direction", ["", "-"])
def test_each_sortable_column_sorts(table_class, name, direction):
    table = table_class(table_class._meta.model.objects.all())
    table.order_by = direction + name
    # The query is built and run: a column that is no field fails here.
    assert list(table.data.data) == []


@pytest.mark.parametrize(
    ("table_class", "name"), COLUMNS, ids=[f"{t.__name__}.{n}" for t, n in COLUMNS]
)
def test_a_sorted_list_ends_its_order_with_a_column_that_has_no_ties(table_class, name):
    # Pages are read with OFFSET: rows tied on the sorted column (thousands of
    # contacts with one name, or without an e-mail) came in another order on each
    # page's query, so page 2 repeated most of page 1 and others never showed.
    table = table_class(table_class._meta.model.objects.all())
    table.order_by = name
    ordering = table.data.data.query.order_by
    model = table_class._meta.model
    last = str(ordering[-1]).lstrip("-")
    unique = {"pk", model._meta.pk.name} | {
        field.name for field in model._meta.fields if field.unique
    }
    unique |= {
        constraint.fields[0]
        for constraint in model._meta.constraints
        if len(getattr(constraint, "fields", ())) == 1 and constraint.condition is None
    }
    assert last in unique, ordering


def test_contacts_sorted_by_name_page_through_every_one_once(manager_client):
    from django.urls import reverse

    from contacts.models import Contact

    Contact.objects.bulk_create(
        Contact(phone=f"+7912000{i:04d}", last_name="Иванов", first_name="Иван")
        for i in range(120)
    )
    shown = []
    for page in (1, 2, 3):
        response = manager_client.get(
            reverse("contacts:list"), {"sort": "name", "page": page}
        )
        shown += [row.record.pk for row in response.context["table"].page.object_list]
    assert sorted(shown) == sorted(Contact.objects.values_list("pk", flat=True))
