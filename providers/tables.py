import django_tables2 as tables

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from providers.models import ProviderAccount
from providers.money import balance_text
from providers.selectors import account_capabilities, capability_labels
from smsportal.tables import BaseTable


class ProviderAccountTable(BaseTable):
    name = tables.Column(linkify=("providers:detail", {"pk": tables.A("pk")}))
    kind = tables.Column(verbose_name=_("Gateway"))
    balance = tables.Column(verbose_name=_("Balance"))
    capabilities = tables.Column(
        verbose_name=_("Capabilities"),
        orderable=False,
        empty_values=(),
        accessor=tables.A("pk"),
    )
    last_error = tables.Column(
        verbose_name=_("Last error"),
        accessor=tables.A("last_error_message"),
        # The message is a property; the latest error sorts first when descending.
        order_by=("last_error_at",),
    )

    class Meta(BaseTable.Meta):
        model = ProviderAccount
        fields = [
            "name",
            "kind",
            "dialect",
            "is_active",
            "balance",
            "capabilities",
            "last_error",
        ]
        empty_text = _("No provider accounts yet.")

    def render_dialect(self, value: str) -> str:
        return value.upper()

    def render_balance(self, value, record: ProviderAccount) -> str:
        # On one line: a narrow column broke "1 000,00 RUB" before the currency.
        amount = format_html(
            '<span class="text-nowrap" data-balance-amount>{}</span>',
            balance_text(value, record.balance_currency),
        )
        if record.balance_low:
            amount = format_html(
                '{} <span class="badge text-bg-warning" data-balance-low>{}</span>',
                amount,
                _("low"),
            )
        if record.balance_checked_at is None:
            return amount
        return format_html(
            '{}<br><small class="text-secondary" title="{}">{}</small>',
            amount,
            # In the site's time and format, as the page writes times.
            date_format(
                timezone.localtime(record.balance_checked_at), "DATETIME_FORMAT"
            ),
            naturaltime(record.balance_checked_at),
        )

    def render_capabilities(self, record: ProviderAccount) -> str:
        labels = capability_labels(account_capabilities(record))
        badges = format_html_join(
            " ",
            '<span class="badge text-bg-light border" data-capability="{}">{}</span>',
            labels,
        )
        # Some twenty badges made each row ~400 px tall on a phone: there they fold
        # into a count that opens on a tap; wider screens show them all.
        count = ngettext(
            "%(count)d capability", "%(count)d capabilities", len(labels)
        ) % {"count": len(labels)}
        return format_html(
            '<span class="d-none d-lg-inline">{}</span>'
            '<details class="d-lg-none" data-capability-summary>'
            '<summary class="text-nowrap">{}</summary>{}</details>',
            badges,
            count,
            badges,
        )

    def render_last_error(self, value: str, record: ProviderAccount) -> str:
        return format_html(
            '<span class="text-danger" title="{}">{}</span>',
            value,
            truncatechars(value, 80),
        )
