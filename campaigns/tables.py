import django_tables2 as tables

from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from campaigns.selectors import STATE_CLASSES, Progress, campaigns_progress
from smsportal.tables import BaseTable


class CampaignTable(BaseTable):
    name = tables.Column(linkify=("campaigns:detail", {"pk": tables.A("pk")}))
    state = tables.Column(verbose_name=_("State"))
    account = tables.Column(verbose_name=_("Provider account"))
    progress = tables.Column(
        verbose_name=_("Progress"), accessor=tables.A("pk"), orderable=False
    )

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

    def render_state(self, value: str, record: Campaign) -> str:
        return format_html(
            '<span class="badge {}" data-state="{}">{}</span>',
            STATE_CLASSES.get(record.state, "text-bg-light"),
            record.state,
            record.get_state_display(),
        )

    def render_progress(self, record: Campaign) -> str:
        progress = self._page_progress().get(record.pk)
        return render_to_string(
            "campaigns/_campaign_progress_bar.html",
            {"progress": progress, "compact": True},
        )

    def _page_progress(self) -> dict[int, Progress]:
        # One counts query for the rows on this page, not one per row.
        if getattr(self, "_progress", None) is None:
            ids = [row.record.pk for row in self.paginated_rows]
            self._progress = campaigns_progress(campaign_ids=ids)
        return self._progress
