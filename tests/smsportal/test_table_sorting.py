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
