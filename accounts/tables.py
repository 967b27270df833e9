import django_tables2 as tables

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.audit_display import detail_lines, object_type_label
from accounts.models import AuditEvent
from accounts.roles import role_label
from smsportal.tables import BaseTable


class AuditEventTable(BaseTable):
    details = tables.Column(orderable=False, empty_values=())

    class Meta(BaseTable.Meta):
        empty_text = _("No events found.")
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

    def render_object_type(self, value: str) -> str:
        return object_type_label(value)

    def render_object_repr(self, value: str, record: AuditEvent) -> str:
        # A role is a Django group named in English ("Manager"): said as the pages
        # name roles («Менеджер»), as the details of a user's roles already were.
        if record.object_type == "auth.Group":
            return role_label(value)
        return value

    def render_details(self, value: dict, record: AuditEvent) -> str:
        lines = detail_lines(record.object_type, value)
        if not lines:
            return "—"
        return format_html(
            '<ul class="list-unstyled small mb-0">{}</ul>',
            format_html_join(
                "", '<li><span class="text-secondary">{}:</span> {}</li>', lines
            ),
        )
