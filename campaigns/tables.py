import django_tables2 as tables

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Campaign
from campaigns.planning import zone
from campaigns.progress_bar import progress_bar_html
from campaigns.report_tables import EMPTY, LocalTimeColumn, local_time
from campaigns.selectors import (
    STATE_CLASSES,
    campaigns_progress,
    campaigns_sender_removed,
    campaigns_waiting_at_gateway,
    held_hint,
    held_label,
)
from contacts.timezones import zone_name
from providers.base import MessageChannel
from smsportal.tables import BaseTable

# get_FOO_display() rebuilds the choices dict on every call.
STATE_LABELS = dict(Campaign.State.choices)
CHANNEL_LABELS = dict(MessageChannel.choices)


class CampaignTable(BaseTable):
    """Campaigns; headers, sorting and pagination from django-tables2, the body
    rendered in one pass (see body_html)."""

    name = tables.Column(linkify=("campaigns:detail", {"pk": tables.A("pk")}))
    state = tables.Column(verbose_name=_("State"))
    account = tables.Column(verbose_name=_("Provider account"))
    progress = tables.Column(
        verbose_name=_("Progress"), accessor=tables.A("pk"), orderable=False
    )
    # Both headings name the zone their times are in, as the report's tables do; a
    # scheduled start is in it too, its own zone's time in a tooltip.
    created_at = LocalTimeColumn(verbose_name=pgettext_lazy("campaign", "Created"))
    # launched_at is when the Launch button was pressed, which for a campaign with a
    # start time is when it was scheduled: the column says when sending began.
    launched_at = LocalTimeColumn(verbose_name=_("Started"))

    class Meta(BaseTable.Meta):
        model = Campaign
        fields = [
            "name",
            "state",
            "account",
            "channel",
            "progress",
            "created_at",
            "launched_at",
        ]
        empty_text = _("No campaigns yet.")
        template_name = "campaigns/_table_body_html.html"

    @property
    def body_html(self) -> SafeString:
        """The page's rows in one pass, with the counts of all of them fetched at once:
        django-tables2's per-cell machinery (a signature inspection per cell, a
        template compiled per date cell) took about 100 ms for 50 rows."""
        records = [row.record for row in self.paginated_rows]
        if not records:
            return format_html(
                '<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text
            )
        progress = campaigns_progress(campaign_ids=[r.pk for r in records])
        waiting = campaigns_waiting_at_gateway(campaigns=records, progress=progress)
        removed = campaigns_sender_removed(records)
        return format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    # The id lets the page's refresh give focus back to the link.
                    format_html(
                        '<a href="{}" id="campaign-link-{}">{}</a>',
                        reverse("campaigns:detail", args=[r.pk]),
                        r.pk,
                        r.name,
                    ),
                    self.state_badge(
                        r, waiting=waiting.get(r.pk, 0), sender_removed=r.pk in removed
                    ),
                    r.account,
                    CHANNEL_LABELS.get(r.channel, r.channel),
                    progress_bar_html(progress.get(r.pk), compact=True),
                    local_time(r.created_at),
                    self.started(r),
                )
                for r in records
            ),
        )

    @staticmethod
    def started(record: Campaign) -> str:
        """When sending began; for a scheduled campaign its planned start, said so,
        in the column's zone like every time in it (the campaign's own zone, where
        it is another, in the tooltip)."""
        if record.started_at is not None:
            return local_time(record.started_at)
        if record.state == Campaign.State.SCHEDULED and record.start_at is not None:
            planned = _("planned for %(when)s") % {"when": local_time(record.start_at)}
            own = zone(record.time_zone)
            if own is None or own.key == timezone.get_current_timezone_name():
                return format_html(
                    '<span class="text-secondary" data-planned-start>{}</span>', planned
                )
            when = timezone.localtime(record.start_at, own)
            return format_html(
                '<span class="text-secondary" data-planned-start title="{}">{}</span>',
                _("%(when)s in the campaign's zone (%(zone)s)")
                % {
                    "when": date_format(when, "SHORT_DATETIME_FORMAT"),
                    "zone": zone_name(record.time_zone),
                },
                planned,
            )
        return EMPTY

    @staticmethod
    def state_badge(
        record: Campaign, *, waiting: int = 0, sender_removed: bool = False
    ) -> SafeString:
        if waiting:
            return held_badge(record, waiting)
        badge = format_html(
            '<span class="badge {}" data-state="{}">{}</span>',
            STATE_CLASSES.get(record.state, "text-bg-light"),
            record.state,
            STATE_LABELS.get(record.state, record.state),
        )
        if not sender_removed:
            return badge
        # It would fail at its start: said in the list, not only on its page.
        return format_html(
            '{} <span class="badge text-bg-danger" data-sender-removed>{}</span>',
            badge,
            _("sender name removed"),
        )


def held_badge(record: Campaign, waiting: int) -> SafeString:
    hint = held_hint(record.account.kind)
    return format_html(
        '<span class="badge text-bg-info text-wrap" data-state="{}" '
        'data-waiting-at-gateway="{}" title="{}">{}</span>'
        '<span class="visually-hidden"> {}</span>',
        record.state,
        waiting,
        hint,
        held_label(waiting),
        hint,
    )
