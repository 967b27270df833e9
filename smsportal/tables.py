import django_tables2 as tables


class BaseTable(tables.Table):
    """Project table: Bootstrap 5 markup, compact rows."""

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = ""
