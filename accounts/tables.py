import django_tables2 as tables

from accounts.models import AuditEvent
from smsportal.tables import BaseTable


class AuditEventTable(BaseTable):
    details = tables.JSONColumn(orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = (
            "at",
            "actor_name",
            "action",
            "object_type",
            "object_repr",
            "details",
            "ip",
        )
