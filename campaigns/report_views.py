"""Campaign report pages, the messages export and the stop list sync page. Thin."""

from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.permissions import PermissionRequired
from campaigns import report_export
from campaigns.counts import campaign_counts
from campaigns.held_tally import held_after_this_minute
from campaigns.models import Campaign
from campaigns.report_filters import MessageFilterSet
from campaigns.report_selectors import (
    Funnel,
    campaign_funnel,
    campaign_messages,
    campaign_report,
)
from campaigns.report_tables import MessageTable
from campaigns.selectors import (
    STATE_CLASSES,
    campaign_end,
    held_label,
    poll_seconds,
)
from campaigns.stoplist_sync import (
    SyncRunning,
    stoplist_sync,
    stoplist_sync_refusal,
    stoplist_sync_rows,
    stoplist_sync_summary,
)
from contacts.exporting import audited_download, format_from
from providers.models import ProviderAccount
from smsportal.exceptions import ApplicationError
from smsportal.filtering import filtered
from smsportal.lib.downloads import file_name_part
from smsportal.tables import NothingMatchesMixin

PAGE_SIZE = 25  # keeps the page within its 50 ms budget at 95th percentile
LIVE_EVERY_SECONDS = 5


class CampaignReportView(
    PermissionRequired, NothingMatchesMixin, SingleTableMixin, FilterView
):
    permission_required = "campaigns.view_campaign"
    table_class = MessageTable
    filterset_class = MessageFilterSet
    template_name = "campaigns/report_detail.html"
    # Pages know only "is there a next one": no COUNT over a campaign's messages.
    table_pagination = {"paginator_class": LazyPaginator, "per_page": PAGE_SIZE}

    def dispatch(self, request, *args, **kwargs):
        self.campaign = get_object_or_404(
            Campaign.objects.select_related("account"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return campaign_messages(campaign=self.campaign)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["counts"] = campaign_counts(campaign_id=self.campaign.pk)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = campaign_report(campaign=self.campaign)
        chart = report.chart
        context.update(
            campaign=self.campaign,
            end=campaign_end(campaign=self.campaign),
            state_class=STATE_CLASSES.get(self.campaign.state, ""),
            report=report,
            funnel=report.funnel,
            live_every=_poll_every(self.campaign, report.funnel),
            query=_query_without_page(self.request),
            chart_data={
                "labels": chart.labels if chart else [],
                "values": chart.values if chart else [],
                "label": _("Delivered"),
            },
            chart_unit=chart.unit if chart else "",
            # The chart's figures as a table and a summary, for who cannot see it.
            chart_rows=list(zip(chart.labels, chart.values, strict=True))
            if chart
            else [],
            chart_total=sum(chart.values) if chart else 0,
            # «Completed» with messages the gateway still holds: the state as the
            # campaign's own page says it, not a «finished» that reads as all sent.
            held_label=_held_label(self.campaign),
        )
        return context


def _held_label(campaign: Campaign) -> str:
    # From the held tally alone, as the dashboard's: the report reads no message but
    # its table's page.
    if campaign.state != Campaign.State.COMPLETED:
        return ""
    held = held_after_this_minute([campaign.pk], timezone.now()).get(campaign.pk, 0)
    return held_label(held) if held else ""


def _poll_every(campaign: Campaign, funnel: Funnel) -> int | None:
    return poll_seconds(
        state=campaign.state,
        in_flight=funnel.in_flight,
        sending=LIVE_EVERY_SECONDS,
        start_at=campaign.start_at,
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_report_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The funnel alone, polled by htmx while its numbers can still change."""
    campaign = get_object_or_404(Campaign, pk=pk)
    funnel = campaign_funnel(campaign=campaign)
    context = {
        "campaign": campaign,
        "funnel": funnel,
        "live_every": _poll_every(campaign, funnel),
    }
    return render(request, "campaigns/report_funnel.html", context)


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's messages (the table's filters apply) as CSV or XLSX."""
    campaign = get_object_or_404(Campaign, pk=pk)
    fmt = format_from(request.GET)
    try:
        queryset = filtered(
            MessageFilterSet(
                request.GET,
                queryset=campaign_messages(campaign=campaign),
                counts=campaign_counts(campaign_id=campaign.pk),
            )
        )
    except ApplicationError as exc:  # never every message for a filter it cannot read
        messages.error(request, exc.message)
        page = reverse("reports:campaign_report", args=[campaign.pk])
        return redirect(f"{page}?{request.GET.urlencode()}")
    return audited_download(
        report_export.stream_export(queryset, fmt=fmt),
        name=pgettext("file name", "campaign-%(id)s-%(name)s-messages")
        % {"id": campaign.pk, "name": file_name_part(campaign.name)},
        fmt=fmt,
        filters=request.GET,
        obj=campaign,
    )


@permission_required("campaigns.view_campaign", raise_exception=True)
def stoplist_sync_page(request: HttpRequest) -> HttpResponse:
    rows = stoplist_sync_rows()
    return render(request, "campaigns/report_stoplist_sync.html", {"rows": rows})


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def stoplist_sync_run(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(ProviderAccount, pk=pk, is_active=True)
    refusal = stoplist_sync_refusal(account)
    if refusal:
        messages.error(request, refusal)
        return redirect("reports:stoplist_sync")
    try:
        result = stoplist_sync(account=account)
    except SyncRunning as running:  # beat's run, or a colleague's press
        messages.warning(request, running.message)
        return redirect("reports:stoplist_sync")
    if result.error:
        messages.error(
            request,
            # The error is a sentence of its own ("The gateway could not be
            # reached: ..."): after a colon its capital read wrong.
            _("Stop list sync with %(account)s failed. %(error)s")
            % {"account": account.name, "error": result.error},
        )
    else:
        messages.success(request, stoplist_sync_summary(account, result))
    return redirect("reports:stoplist_sync")
