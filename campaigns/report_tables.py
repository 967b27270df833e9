"""Tables of the campaign report (messages) and of the inbox (replies)."""

import django_tables2 as tables

from django.utils.translation import gettext_lazy as _

from campaigns.models import Message, Reply
from smsportal.tables import BaseTable


class MessageTable(BaseTable):
    # Columns do not sort: every order but the index's would sort a whole campaign.
    phone = tables.TemplateColumn(
        template_name="campaigns/_report_phone.html", verbose_name=_("Phone")
    )
    status = tables.TemplateColumn(
        template_name="campaigns/_report_status.html", verbose_name=_("Status")
    )
    vendor = tables.TemplateColumn(
        template_name="campaigns/_report_vendor.html",
        verbose_name=_("Gateway says"),
        accessor="vendor_text",
    )

    class Meta(BaseTable.Meta):
        model = Message
        fields = (
            "phone",
            "status",
            "vendor",
            "operator",
            "segments",
            "cost",
            "submitted_at",
            "delivered_at",
        )
        orderable = False
        empty_text = _("No messages match.")


class ReplyTable(BaseTable):
    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {
                "class": "form-check-input js-select-all",
                "aria-label": _("Select all"),
            },
            "td__input": {
                "class": "form-check-input js-select-row",
                "form": "inbox-bulk",
                "name": "ids",
            },
        },
    )
    received_at = tables.Column(verbose_name=_("Received"))
    phone = tables.TemplateColumn(
        template_name="campaigns/_inbox_phone.html", verbose_name=_("From")
    )
    text = tables.TemplateColumn(
        template_name="campaigns/_inbox_text.html", verbose_name=_("Text")
    )
    campaign = tables.TemplateColumn(
        template_name="campaigns/_inbox_campaign.html", verbose_name=_("Answers")
    )
    account = tables.Column(verbose_name=_("Account"))

    class Meta(BaseTable.Meta):
        model = Reply
        fields = ("selection", "received_at", "phone", "text", "campaign", "account")
        orderable = False
        empty_text = _("No replies match.")
        row_attrs = {"class": lambda record: "" if record.is_read else "fw-semibold"}
