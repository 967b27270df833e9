"""Tables of the campaign report (messages) and of the inbox (replies).

Cells are rendered by render_* methods, not TemplateColumns: a TemplateColumn renders a
template with the request per cell, which runs every context processor each time
(hundreds of times per page).
"""

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import django_tables2 as tables

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, localize
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from campaigns.models import Message, Reply
from campaigns.report_selectors import replies_name_contacts
from campaigns.selectors import HELD_AT_GATEWAY
from campaigns.sending import HANDED_OVER
from campaigns.templatetags.report_tags import gateway_words, status_badge
from contacts.timezones import zoned_header
from providers.base import DeliveryStatus, FailureReason
from smsportal.tables import BaseTable

# Model.get_FOO_display() rebuilds the choices dict on every call: once per cell adds up.
STATUS_LABELS = dict(DeliveryStatus.choices)
REASON_LABELS = dict(FailureReason.choices)


EMPTY = "—"
CENTS = Decimal("0.01")


def money(value: Decimal) -> str:
    """Two decimals, as the report's totals show; more only where the gateway billed
    finer than a kopeck (0,0125), never the column's four zero-padded places."""
    cents = value.quantize(CENTS)
    return localize(cents if cents == value else value.normalize())


def local_time(value: datetime | None) -> str:
    """Date and time in the active time zone and language's short format."""
    if value is None:
        return EMPTY
    return _formatted(
        value, timezone.get_current_timezone_name(), translation.get_language()
    )


# Django's date_format costs about 75 µs a call (it parses the format each time), and
# list pages show the same times on every refresh: remember the recent ones. The zone
# and language are part of the key; the format uses the active ones, which are those.
@lru_cache(maxsize=8192)
def _formatted(value: datetime, zone_name: str, language: str | None) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class LocalTimeColumn(tables.Column):
    """Date and time in the current time zone, formatted in Python; the heading
    names the zone (a campaign's own zone may be another one).

    django-tables2's DateTimeColumn renders a template per cell; this does not.
    """

    @property
    def header(self) -> str:
        return zoned_header(super().header)

    def render(self, value: datetime) -> str:
        return local_time(value)


def _contact_link(record, label: str) -> SafeString:
    if not record.contact_id:
        return format_html("{}", label)
    url = reverse("contacts:detail", args=[record.contact_id])
    return format_html('<a href="{}">{}</a>', url, label)


class MessageTable(BaseTable):
    """A campaign's messages; the body is rendered in one pass (see body_html).

    Columns do not sort: every order but the index's would sort a whole campaign.
    """

    phone = tables.Column(verbose_name=_("Phone"))
    # Status, failure reason and the gateway's own words in one cell: each cell costs
    # django-tables2 a signature inspection, and the page must stay fast.
    status = tables.Column(verbose_name=_("Status"))
    # When it is to go: a message the gateway holds for later looks sent otherwise.
    planned_at = LocalTimeColumn(verbose_name=_("Planned"))
    submitted_at = LocalTimeColumn(verbose_name=_("Submitted"))
    delivered_at = LocalTimeColumn(verbose_name=_("Delivered"))

    class Meta(BaseTable.Meta):
        model = Message
        fields = (
            "phone",
            "status",
            "operator",
            "segments",
            "cost",
            "planned_at",
            "submitted_at",
            "delivered_at",
        )
        orderable = False
        empty_text = _("No messages match.")
        # Headers and pagination from django-tables2, the body from body_html.
        template_name = "campaigns/_table_body_html.html"

    @property
    def body_html(self) -> SafeString:
        """The page's rows in one pass: django-tables2's per-cell machinery (a
        signature inspection and a template node per cell) costs over 1 ms a row,
        most of the report page's time budget."""
        records = [row.record for row in self.paginated_rows]
        if not records:
            return format_html(
                '<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text
            )
        return format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (self._cells(record) for record in records),
        )

    def _cells(self, record: Message) -> tuple:
        return (
            self.render_phone(record),
            self.render_status(record),
            record.operator or EMPTY,
            localize(record.segments),
            money(record.cost) if record.cost is not None else EMPTY,
            self.render_planned_at(record),
            local_time(record.submitted_at),
            local_time(record.delivered_at),
        )

    def render_phone(self, record: Message) -> SafeString:
        return _contact_link(record, record.phone)

    def render_planned_at(self, record: Message) -> SafeString:
        planned = local_time(record.planned_at)
        if record.status in HELD_AT_GATEWAY and record.planned_at > timezone.now():
            return format_html(
                '{}<div class="small text-secondary" data-held>{}</div>',
                planned,
                _("waits at the gateway"),
            )
        return format_html("{}", planned)

    def render_status(self, record: Message) -> SafeString:
        html = format_html(
            '<span class="badge {}">{}</span>',
            status_badge(record.status),
            STATUS_LABELS.get(record.status, record.status),
        )
        if record.reason:
            html = format_html(
                '{} <span class="small text-secondary">{}</span>',
                html,
                REASON_LABELS.get(record.reason, record.reason),
            )
        # The gateway's own words explain a failure; on a message that went well its
        # status code ("1" for delivered) only puzzles the reader.
        if (record.vendor_code or record.vendor_text) and (
            record.reason or record.status not in HANDED_OVER
        ):
            html = format_html(
                '{}<div class="small" title="{}">{}</div>',
                html,
                _("The gateway's code and words"),
                gateway_words(
                    record.vendor_code, Truncator(record.vendor_text).chars(120)
                ),
            )
        return html


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
    received_at = LocalTimeColumn(verbose_name=_("Received"))
    phone = tables.Column(verbose_name=_("From"))
    text = tables.Column(verbose_name=_("Text"))
    campaign = tables.Column(verbose_name=_("In reply to"))
    account = tables.Column(verbose_name=_("Account"))

    class Meta(BaseTable.Meta):
        model = Reply
        fields = ("selection", "received_at", "phone", "text", "campaign", "account")
        orderable = False
        empty_text = _("No replies match.")
        # Headers and pagination from django-tables2, the body from body_html.
        template_name = "campaigns/_table_body_html.html"

    @property
    def body_html(self) -> SafeString:
        """The page's rows in one pass, as MessageTable.body_html."""
        records = [row.record for row in self.paginated_rows]
        replies_name_contacts(records)
        if not records:
            return format_html(
                '<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text
            )
        return format_html_join(
            "",
            '<tr class="{}"><td><input type="checkbox" name="ids" value="{}" '
            'form="inbox-bulk" class="form-check-input js-select-row" '
            'aria-label="{}"></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td></tr>",
            (
                (
                    "" if record.is_read else "fw-semibold",
                    record.pk,
                    record.phone,
                    local_time(record.received_at),
                    self.render_phone(record),
                    self.render_text(record),
                    self.render_campaign(record) if record.campaign_id else EMPTY,
                    record.account,
                )
                for record in records
            ),
        )

    def render_phone(self, record: Reply) -> SafeString:
        name = record.contact.full_name if record.contact_id else ""
        link = _contact_link(record, name or record.phone)
        if name:
            return format_html(
                '{} <span class="small text-secondary">{}</span>', link, record.phone
            )
        return link

    def render_text(self, record: Reply) -> SafeString:
        # An empty text left a link with nothing to click.
        shown = (
            Truncator(record.text).chars(160)
            if record.text.strip()
            else format_html(
                '<span class="fst-italic text-secondary">{}</span>',
                _("(empty message)"),
            )
        )
        parts = [
            format_html(
                '<a href="{}" class="text-decoration-none text-body">{}</a>',
                reverse("reports:reply", args=[record.pk]),
                shown,
            )
        ]
        if record.is_opt_out:
            stop_list = (
                reverse("contacts:stoplist") + "?" + urlencode({"q": record.phone})
            )
            # Said as it is now: the number may have been taken off the list since.
            still = getattr(record, "stop_listed", True)
            parts.append(
                format_html(
                    '<a class="badge {} text-decoration-none" href="{}" '
                    'title="{}">{}</a>',
                    "text-bg-danger" if still else "text-bg-secondary",
                    stop_list,
                    _("The number is on the stop list")
                    if still
                    else _("The number has been taken off the stop list since"),
                    _("opt-out: on the stop list")
                    if still
                    else _("opt-out: taken off the stop list since"),
                )
            )
        if not record.is_read:
            parts.append(
                format_html('<span class="badge text-bg-primary">{}</span>', _("new"))
            )
        return format_html_join(mark_safe(" "), "{}", ((p,) for p in parts))

    def render_campaign(self, record: Reply) -> SafeString:
        url = reverse("reports:campaign_report", args=[record.campaign_id])
        return format_html('<a href="{}">{}</a>', url, record.campaign.name)
