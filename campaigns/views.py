"""Campaign pages. Thin: a form or a service call in, a template or a redirect out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import CreateView, UpdateView

from accounts.permissions import PermissionRequired
from campaigns import services
from campaigns.audience import GroupChoice, audience_summary, follow_up_audience
from campaigns.beat import beat_status
from campaigns.channel_content import channel_settings, sent_template, viber_text_sent
from campaigns.filters import CampaignFilterSet
from campaigns.forms import (
    VIBER_CHANNELS,
    CampaignForm,
    DecideForm,
    TestSendForm,
    campaign_draft_save,
)
from campaigns.message_templates import composer_templates
from campaigns.models import Campaign, Message
from campaigns.progress_bar import progress_bar_html
from campaigns.reconcile import Decided, message_decide
from campaigns.selectors import (
    STATE_CLASSES,
    campaign_actions,
    campaign_end,
    campaign_followups,
    campaign_gateway_wait,
    campaign_in_doubt,
    campaign_in_doubt_shown,
    campaign_list,
    campaign_list_rows,
    campaign_progress,
    campaign_sender_problem,
    campaign_withdrawal_left,
    composer_account_info,
    composer_accounts,
    counter_settings,
    held_despite_pause,
    held_hint,
    held_label,
    in_doubt_settles_itself,
    in_flight_poll_seconds,
    poll_seconds,
    sender_choices,
    waits_for_start,
)
from campaigns.tables import CampaignTable
from campaigns.workers import worker_status
from contacts.models import ContactGroup
from contacts.services import GroupsGone, quoted_names
from providers.base import DeliveryStatus, MessageChannel
from smsportal import once
from smsportal.exceptions import ApplicationError, Gone
from smsportal.outage import BROKER, services_down
from smsportal.tables import NothingMatchesMixin
from smsportal.versioning import (
    StaleVersion,
    form_reloaded,
    parse_version,
    refuse_stale,
    reload_asked,
)

VIEW_PERM = "campaigns.view_campaign"
ADD_PERM = "campaigns.add_campaign"
CHANGE_PERM = "campaigns.change_campaign"
DELETE_PERM = "campaigns.delete_campaign"
WORKER_STATES = (Campaign.State.SENDING, Campaign.State.SCHEDULED)
# A test message's result page refreshes while one of these may still change; a
# delivered test is done (a Viber "read" may follow, but the test has its answer).
TEST_AWAITED = frozenset(
    {DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENT,
     DeliveryStatus.UNKNOWN}
)  # fmt: skip
TEST_POLL_SECONDS = 3
# A test not settled after this gets no report any more worth a page polling for it
# (a gateway that reports nothing, a closed account): the page stops asking.
TEST_POLL_FOR = timedelta(hours=1)
# Names for ApplicationError.where values that are not Campaign fields.
WHERE_LABELS = {
    "audience": gettext_lazy("Audience"),
    "phones": gettext_lazy("Test numbers"),
    "campaign": gettext_lazy("Campaign"),
}


def error_text(exc: ApplicationError) -> str:
    """The error with the field or place it is about, as the user knows it (a refusal
    for the campaign's state, or about the campaign as a whole, says so itself:
    "State: ..." or "Campaign: ..." on the campaign's own page read oddly)."""
    if not exc.where or exc.where in ("state", "campaign"):
        return exc.message
    try:
        label = Campaign._meta.get_field(exc.where).verbose_name
    except FieldDoesNotExist:
        label = WHERE_LABELS.get(exc.where, exc.where)
    return f"{capfirst(label)}: {exc.message}"


class CampaignListView(
    PermissionRequired, NothingMatchesMixin, SingleTableMixin, FilterView
):
    permission_required = VIEW_PERM
    table_class = CampaignTable
    filterset_class = CampaignFilterSet
    template_name = "campaigns/campaign_list.html"
    # The table paginates; the view paginating too would count the campaigns twice.
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return campaign_list_rows()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The page refreshes its table while a campaign on it is in flight.
        states = (row.record.state for row in context["table"].paginated_rows)
        context["list_poll"] = in_flight_poll_seconds(states)
        return context


class CampaignFormMixin(PermissionRequired):
    model = Campaign
    form_class = CampaignForm
    template_name = "campaigns/campaign_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        accounts = composer_accounts()
        context["account_info_json"] = json.dumps(composer_account_info(accounts))
        channel = form["channel"].value()
        context["show_viber"] = channel in VIBER_CHANNELS
        context["show_voice"] = channel == MessageChannel.VOICE
        context.update(counter_settings(form.account))
        context["message_templates"] = composer_templates(self.request.user)
        return context

    def get_success_url(self) -> str:
        # Back to the composer: the preview and the launch button live there.
        return reverse("campaigns:edit", args=[self.object.pk])


class CampaignCreateView(CampaignFormMixin, CreateView):
    permission_required = ADD_PERM

    def get_initial(self) -> dict[str, Any]:
        # "New campaign" from a group (the groups page): that group, chosen already.
        initial = super().get_initial()
        ids = [v for v in self.request.GET.getlist("group") if v.isdigit()][:100]
        if ids:
            groups = ContactGroup.objects.filter(pk__in=[int(v) for v in ids])
            initial["include_groups"] = list(groups.values_list("pk", flat=True))
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Groups given by the link: the live preview counts them at once. (Only here:
        # a saved draft's page shows the saved preview, with its launch button.)
        context["groups_given"] = bool(context["form"].initial.get("include_groups"))
        return context

    def form_valid(self, form: CampaignForm) -> HttpResponse:
        form.instance.created_by = self.request.user
        try:
            self.object = campaign_draft_save(form=form)
        except GroupsGone as exc:
            form.add_error(exc.where, exc.message)
            return self.form_invalid(form)
        response = redirect(self.get_success_url())
        messages.success(
            self.request, _("Draft saved. Check the preview, then launch.")
        )
        return response


class CampaignUpdateView(CampaignFormMixin, UpdateView):
    permission_required = CHANGE_PERM

    def get_queryset(self):
        return campaign_list()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        if not self.object.is_editable:
            return _not_editable(request, self.object)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        if not self.object.is_editable:
            return _not_editable(request, self.object)
        if reload_asked(request):
            form = form_reloaded(self.get_form())
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # A follow-up's audience is its parent's failures, which no field shows.
        context["follow_up"] = follow_up_audience(self.object)
        return context

    def form_valid(self, form: CampaignForm) -> HttpResponse:
        try:
            self.object = campaign_draft_save(form=form)
        except StaleVersion as exc:
            refuse_stale(form, exc)  # what was typed stays in the form
            return self.form_invalid(form)
        except GroupsGone as exc:  # deleted by someone while this was saved
            form.add_error(exc.where, exc.message)
            return self.form_invalid(form)
        except ApplicationError:
            return _not_editable(self.request, self.object)
        messages.success(self.request, _("Draft saved."))
        return redirect(self.get_success_url())


def _not_editable(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if waits_for_start(campaign):
        text = _(
            "This campaign waits for its start time: return it to draft to change it."
        )
    else:
        text = _("Only a draft can be edited; this campaign is %(state)s.") % {
            "state": campaign.get_state_display().lower()
        }
    messages.error(request, text)
    return redirect("campaigns:detail", pk=campaign.pk)


@require_GET
@permission_required(CHANGE_PERM, raise_exception=True)
def account_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the fields that follow the account just chosen in the composer: sender
    and channel, and (out of band) the Viber parts and the voice settings its
    gateway takes, keeping what was typed in them."""
    names = ("account", "sender", "channel", *ACCOUNT_FOLLOWING_FIELDS)
    initial = {k: request.GET.get(k) for k in names}
    form = CampaignForm(initial={k: v for k, v in initial.items() if v})
    channel = form["channel"].value()
    context = {
        "form": form,
        "show_viber": channel in VIBER_CHANNELS,
        "show_voice": channel == MessageChannel.VOICE,
    }
    return render(request, "campaigns/_campaign_account_swap.html", context)


# Composer fields re-rendered with the account (their values are carried over).
ACCOUNT_FOLLOWING_FIELDS = (
    "viber_text", "viber_button_text", "viber_button_url", "viber_image_url",
    "viber_image_id", "voice_language", "voice_voice", "voice_speed", "voice_tone",
)  # fmt: skip


def _detail_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    progress = campaign_progress(campaign=campaign)
    gateway_wait = campaign_gateway_wait(campaign=campaign, progress=progress)
    # Cancelled, some may still go out (a withdrawal failed, the gateway did not
    # answer): the page says so and offers to try the withdrawal again.
    withdrawal_left = campaign_withdrawal_left(campaign=campaign, progress=progress)
    actions = campaign_actions(
        campaign=campaign,
        user=request.user,
        progress=progress,
        waiting_at_gateway=gateway_wait is not None,
        withdrawal_left=bool(withdrawal_left),
    )
    # Delete and resend are offered only when the service would not refuse them.
    if actions.delete and services.campaign_undeletable_because(
        campaign=campaign, waiting_at_gateway=gateway_wait is not None
    ):
        actions = replace(actions, delete=False)
    if actions.resend and services.campaign_resend_refused_because(campaign=campaign):
        actions = replace(actions, resend=False)
    completed_held = bool(gateway_wait) and campaign.state == Campaign.State.COMPLETED
    return {
        "campaign": campaign,
        "channel_settings": channel_settings(campaign),
        "viber_text": viber_text_sent(campaign),
        "progress": progress,
        "progress_bar": progress_bar_html(progress, compact=False),
        "state_class": STATE_CLASSES.get(campaign.state, ""),
        "poll_every": poll_seconds(
            state=campaign.state,
            in_flight=progress.in_flight,
            start_at=campaign.start_at,
        ),
        "actions": actions,
        "gateway_wait": gateway_wait,
        "withdrawal_left": withdrawal_left,
        # Completed, but the gateway still holds messages: the badge says so.
        "held_label": held_label(gateway_wait.count) if completed_held else "",
        "held_hint": held_hint(campaign.account.kind) if completed_held else "",
        # Sending or paused: a pause leaves them to go out; the page says so, and the
        # pause button asks first.
        "held_despite_pause": (
            held_despite_pause(campaign.account.kind)
            if gateway_wait and not completed_held
            else ""
        ),
        # Its name removed (or refused) since it was saved: said before it fails.
        "sender_problem": campaign_sender_problem(campaign=campaign),
        # A paused campaign may take another sender name (one the gateway refused).
        "sender_options": (
            sender_choices(account=campaign.account) if actions.resume else []
        ),
        # Only a campaign a worker should be moving can be held up by none running.
        "workers": worker_status() if campaign.state in WORKER_STATES else None,
        "beat": beat_status() if campaign.state in WORKER_STATES else None,
        "end": campaign_end(campaign=campaign),
    }


@require_GET
@permission_required(VIEW_PERM, raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(campaign_list(), pk=pk)
    context = _detail_context(request, campaign)
    context["in_doubt"] = campaign_in_doubt_shown(campaign=campaign)
    context["in_doubt_askable"] = in_doubt_settles_itself(campaign.account)
    context["test_form"] = TestSendForm()
    context.update(audience_summary(campaign))
    # What a follow-up left out of its parent's failures, which its audience's own
    # «left out» counts cannot say.
    context["follow_up"] = follow_up_audience(campaign)
    # Its own follow-ups: once one exists, "resend to the failed" is offered no more
    # (a second would send again to everyone the first reached); the page says where
    # the resend went.
    context["followups"] = campaign_followups(campaign=campaign)
    return render(request, "campaigns/campaign_detail.html", context)


@require_GET
@permission_required(VIEW_PERM, raise_exception=True)
def campaign_progress_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the live progress block, polled while its numbers can still change."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    return render(
        request, "campaigns/_campaign_progress.html", _detail_context(request, campaign)
    )


@require_GET
@permission_required(VIEW_PERM, raise_exception=True)
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: what launching the saved draft would do, and the launch button."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    # Asked by the composer too, which has a line for the sum by its Save button.
    context: dict[str, Any] = {
        "campaign": campaign,
        "cost_summary": request.GET.get("in_form") == "1",
    }
    try:
        context["preview"] = preview = services.campaign_preview(campaign=campaign)
    except ApplicationError as exc:
        context["preview_error"] = error_text(exc)
        preview = None
    context["can_launch"] = campaign_actions(
        campaign=campaign, user=request.user
    ).launch
    if preview is not None and context["can_launch"]:
        # The button says why it is disabled, in the words a launch would refuse with.
        refusal = services.campaign_launch_refusal(campaign=campaign, preview=preview)
        context["launch_refusal"] = error_text(refusal) if refusal else ""
        # A launch now would be refused while the queue is down; a schedule would not.
        context["queue_down"] = BROKER in services_down() and not (
            campaign.start_at and campaign.start_at > timezone.now()
        )
    return render(request, "campaigns/_campaign_preview.html", context)


@require_POST
def campaign_compose_preview(
    request: HttpRequest, pk: int | None = None
) -> HttpResponse:
    """htmx: the preview of what the composer holds now, saved or not; no launch
    button, since launching takes the saved draft."""
    if not request.user.has_perm(CHANGE_PERM if pk else ADD_PERM):
        raise PermissionDenied
    instance = get_object_or_404(campaign_list(), pk=pk) if pk else Campaign()
    data = request.POST.copy()
    if not data.get("name", "").strip():
        data["name"] = "-"  # saving needs a name; counting the audience does not
    # Nor a text: the audience is counted before one is written (chosen first, or
    # given by the groups page); segments, cost and samples wait for the text.
    no_text = not data.get("text", "").strip() and not (
        # A Viber message may be written as its Viber text alone.
        data.get("channel") in VIBER_CHANNELS and data.get("viber_text", "").strip()
    )
    if no_text:
        data["text"] = "-"
    form = CampaignForm(data, instance=instance)
    context: dict[str, Any] = {
        "live": True,
        "campaign": instance,
        "no_text": no_text,
        "cost_summary": True,
    }
    if not instance.is_editable:
        context["preview_error"] = _("Only a draft can be changed.")
    elif not form.is_valid():
        context["form_errors"] = [
            f"{form.fields[name].label}: {error}" if name in form.fields else error
            for name, errors in form.errors.items()
            for error in errors
        ]
    else:
        campaign = form.save(commit=False)
        groups = GroupChoice(
            include=tuple(g.pk for g in form.cleaned_data["include_groups"]),
            exclude=tuple(g.pk for g in form.cleaned_data["exclude_groups"]),
            whole_book=form.cleaned_data["to_whole_book"],
            birthday_on=form.cleaned_data["birthday_on"],
        )
        context["campaign"] = campaign
        try:
            context["preview"] = services.campaign_preview(
                campaign=campaign, groups=groups
            )
        except ApplicationError as exc:
            context["preview_error"] = error_text(exc)
    return render(request, "campaigns/_campaign_preview.html", context)


def _campaign_action(
    request: HttpRequest,
    pk: int,
    call: Callable[[Campaign], Any],
    success: Callable[[Campaign, Any], str],
    warning: Callable[[Campaign, Any], str] | None = None,
) -> HttpResponse:
    """Run `call`, saying `success`'s words, then `warning`'s (if any: what the
    action could not do) as a warning."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    try:
        result = call(campaign)
    except StaleVersion:
        raise  # the caller's to answer: it knows where a fresh look is
    except Gone as exc:  # deleted by someone else meanwhile: no page to go back to
        messages.error(request, exc.message)
        return redirect("campaigns:list")
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect("campaigns:detail", pk=campaign.pk)
    messages.success(request, success(campaign, result))
    if warning is not None and (said := warning(campaign, result)):
        messages.warning(request, said)
    if isinstance(result, Campaign) and result.pk != campaign.pk:
        return redirect("campaigns:edit", pk=result.pk)
    return redirect("campaigns:detail", pk=campaign.pk)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    def success(campaign: Campaign, result: Campaign) -> str:
        if result.state == Campaign.State.SCHEDULED:
            return _("Campaign scheduled.")
        return _("Campaign launched.")

    # The version whose preview was shown: a draft changed since is not launched.
    version = parse_version(request.POST.get("version"))
    try:
        return _campaign_action(
            request,
            pk,
            lambda c: services.campaign_launch(
                campaign=c, launched_by=request.user, expected_version=version
            ),
            success,
        )
    except StaleVersion as exc:
        # To the composer: the draft as it is now, with a fresh preview to check.
        messages.error(request, exc.message)
        return redirect("campaigns:edit", pk=pk)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_unschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_unschedule(campaign=c),
        lambda c, r: _(
            "The campaign is a draft again and will not start by itself: change it, "
            "then launch it."
        ),
    )


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    def pause(campaign: Campaign) -> str:
        was = campaign.state  # the service refreshes `campaign`
        services.campaign_pause(campaign=campaign)
        return was

    return _campaign_action(request, pk, pause, lambda c, was: _paused_text(was))


def _paused_text(state_before: str) -> str:
    # A campaign paused while scheduled has sent nothing: no batch to finish.
    if state_before == Campaign.State.SCHEDULED:
        return _("Campaign paused; it will not start until you resume it.")
    return _("Campaign paused; the batch in progress finishes.")


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_resume(campaign=c),
        lambda c, r: _("Campaign resumed."),
    )


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_sender(request: HttpRequest, pk: int) -> HttpResponse:
    sender = request.POST.get("sender", "")
    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_sender_change(campaign=c, sender=sender),
        lambda c, changed: (
            ngettext(
                "The sender name is now “%(sender)s”, for %(count)d message not sent "
                "yet. Resume the campaign to send it.",
                "The sender name is now “%(sender)s”, for %(count)d messages not sent "
                "yet. Resume the campaign to send them.",
                changed,
            )
            % {"sender": sender.strip(), "count": changed}
        ),
    )


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def success(campaign: Campaign, result: dict[str, int]) -> str:
        said = _(
            "Campaign cancelled. Withdrawn here: %(withdrawn)d; at the gateway: "
            "%(at_gateway)d."
        ) % {
            "withdrawn": result["withdrawn"],
            "at_gateway": result["cancelled_at_gateway"],
        }
        if withdrawing := result["withdrawing"]:
            said += " " + ngettext(
                "%(count)d more is being withdrawn in the background.",
                "%(count)d more are being withdrawn in the background.",
                withdrawing,
            ) % {"count": withdrawing}
        if in_flight := result["in_flight"]:
            said += " " + ngettext(
                "%(count)d was being sent at that moment: if it was already with "
                "the gateway, it still goes.",
                "%(count)d were being sent at that moment: those already with the "
                "gateway still go.",
                in_flight,
            ) % {"count": in_flight}
        return said

    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_cancel(campaign=c),
        success,
        _withdrawal_warning,
    )


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_withdraw_again(request: HttpRequest, pk: int) -> HttpResponse:
    """A cancelled campaign's withdrawal tried again (the gateway failed it, or did
    not answer). Said as success only when nothing is left at the gateway; else
    what was withdrawn, what was not and why, as a warning (an error when nothing
    was), with the way to try again."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    try:
        result = services.campaign_withdraw_again(campaign=campaign)
    except Gone as exc:
        messages.error(request, exc.message)
        return redirect("campaigns:list")
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect("campaigns:detail", pk=campaign.pk)
    withdrawn = result["cancelled_at_gateway"]
    left = result["not_withdrawn"] + result["in_doubt"]
    if not left:
        messages.success(
            request,
            _("The withdrawal was tried again. Withdrawn at the gateway: %(count)d.")
            % {"count": withdrawn},
        )
        return redirect("campaigns:detail", pk=campaign.pk)
    failed = not withdrawn and result["gateway_errors"]
    if failed:
        said = _("The withdrawal was tried again and failed:")
    else:
        said = ngettext(
            "The withdrawal was tried again: %(count)d message withdrawn at the "
            "gateway, %(left)d not:",
            "The withdrawal was tried again: %(count)d messages withdrawn at the "
            "gateway, %(left)d not:",
            withdrawn,
        ) % {"count": withdrawn, "left": left}
    said += " " + _withdrawal_warning(campaign, result)
    if left > result.get("refused_at_gateway", 0):  # those being sent: no use
        said += " " + _("Try again with «Withdraw at the gateway again» later.")
    (messages.error if failed else messages.warning)(request, said)
    return redirect("campaigns:detail", pk=campaign.pk)


def _withdrawal_warning(campaign: Campaign, result: dict[str, Any]) -> str:
    """What a cancel (or its withdrawal tried again) could not make sure of: not
    said as a clean cancel; with the gateway's failures in words."""
    said = []
    in_doubt = result["in_doubt"]
    if in_doubt and not in_doubt_settles_itself(campaign.account):
        # Nothing asks such a gateway again: a person decides on the page.
        said.append(
            ngettext(
                "%(count)d message may have gone out: the gateway did not answer "
                "whether it took it, and it cannot be asked. It is listed under "
                "«Messages in doubt» on this page in a few minutes: give it up "
                "there (it is marked failed, outcome unknown).",
                "%(count)d messages may have gone out: the gateway did not answer "
                "whether it took them, and it cannot be asked. They are listed under "
                "«Messages in doubt» on this page in a few minutes: give them up "
                "there (they are marked failed, outcome unknown).",
                in_doubt,
            )
            % {"count": in_doubt}
        )
    elif in_doubt:
        said.append(
            ngettext(
                "%(count)d message may still go out: the gateway did not answer "
                "whether it took it. It is asked again in the next minutes and "
                "withdrawn if the gateway holds it for later.",
                "%(count)d messages may still go out: the gateway did not answer "
                "whether it took them. They are asked about again in the next "
                "minutes and withdrawn if the gateway holds them for later.",
                in_doubt,
            )
            % {"count": in_doubt}
        )
    refused = result.get("refused_at_gateway", 0)
    if refused:
        said.append(
            ngettext(
                "%(count)d message could not be withdrawn: the gateway is already "
                "sending it or refused to delete it. It is not marked failed: its "
                "delivery report tells what became of it.",
                "%(count)d messages could not be withdrawn: the gateway is already "
                "sending them or refused to delete them. They are not marked failed: "
                "their delivery reports tell what became of them.",
                refused,
            )
            % {"count": refused}
        )
    if not_withdrawn := result["not_withdrawn"] - refused:
        said.append(
            ngettext(
                "%(count)d message waits at the gateway for its send time: the "
                "gateway did not withdraw it, so it goes out at that time.",
                "%(count)d messages wait at the gateway for their send time: the "
                "gateway did not withdraw them, so they go out at that time.",
                not_withdrawn,
            )
            % {"count": not_withdrawn}
        )
    if said and (errors := result["gateway_errors"]):
        said.append(_("What failed: %(errors)s.") % {"errors": "; ".join(errors)})
    return " ".join(said)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_resend(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_resend_failed(campaign=c, created_by=request.user),
        lambda c, r: _("A follow-up draft to the failed recipients was created."),
    )


@require_POST
@permission_required(ADD_PERM, raise_exception=True)
def campaign_copy(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(
        request,
        pk,
        lambda c: services.campaign_copy(campaign=c, created_by=request.user),
        _copied_text,
        lambda c, copy: copy_deleted_groups_text(copy),
    )


def copy_deleted_groups_text(copy: Campaign) -> str:
    """Which of the campaign's groups have been deleted (since its launch, or while
    it was copied), so the copy has them not: said, as a draft quietly without its
    exclusions sends to them."""
    deleted = getattr(copy, "deleted_groups", {})
    said = []
    if names := deleted.get("include_groups"):
        said.append(
            ngettext(
                "The group %(names)s has been deleted, so the copy does not "
                "send to its members.",
                "The groups %(names)s have been deleted, so the copy does not "
                "send to their members.",
                len(names),
            )
            % {"names": quoted_names(names)}
        )
    if names := deleted.get("exclude_groups"):
        said.append(
            ngettext(
                "The group %(names)s the campaign left out has been deleted, so the "
                "copy does not leave out its members.",
                "The groups %(names)s the campaign left out have been deleted, so "
                "the copy does not leave out their members.",
                len(names),
            )
            % {"names": quoted_names(names)}
        )
    if said:
        said.append(_("Check the copy's audience before launching it."))
    return " ".join(said)


def _copied_text(campaign: Campaign, copy: Campaign) -> str:
    if campaign.parent_id is not None and not (
        copy.to_whole_book or copy.extra_numbers or copy.include_groups.exists()
    ):
        # A follow-up's recipients are its parent's failures, which stay its own.
        return _(
            "A copy of the campaign was created with its text and settings, but no "
            "recipients: a resend's are the failures of the campaign it repeats, "
            "and they are not copied. Choose the audience, then launch."
        )
    if campaign.start_at is not None and copy.start_at is None:
        # Launched as it is, the copy would send at once.
        return _(
            "A copy of the campaign was created. Its start time has passed, so the "
            "copy starts on launch: set a new start time if it should wait."
        )
    return _("A copy of the campaign was created: check it and launch.")


@require_POST
@permission_required(DELETE_PERM, raise_exception=True)
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(campaign_list(), pk=pk)
    name = campaign.name
    try:
        services.campaign_delete(campaign=campaign)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect("campaigns:detail", pk=pk)
    messages.success(request, _("Campaign “%(name)s” deleted.") % {"name": name})
    return redirect("campaigns:list")


@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the campaign's text to a few numbers now and show what became of them."""
    campaign = get_object_or_404(campaign_list().select_related("changed_by"), pk=pk)
    form = TestSendForm(request.POST or None, initial={"version": campaign.version})
    sent = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["submission"]
        if not once.claim(token):
            messages.info(
                request, _("This test was sent already: the form came twice.")
            )
            return redirect("campaigns:test_send", pk=pk)
        try:
            sent = services.campaign_test_send(
                campaign=campaign,
                phones=form.cleaned_data["phones"],
                expected_version=form.opened_version,
            )
        except StaleVersion as exc:
            once.release(token)
            # The page shows the text as it is now: the numbers stay, with it.
            messages.error(request, exc.message)
            form = _next_test_form(request, campaign)
        except ApplicationError as exc:
            once.release(token)  # nothing was sent: the corrected form may go
            form.add_error("phones" if exc.where == "phones" else None, exc.message)
        else:
            form = _next_test_form(request, campaign)
    # What the test sends, as saved now: the version the form carries.
    text, _templated = sent_template(
        kind=campaign.account.kind,
        channel=campaign.channel,
        text=campaign.text,
        viber_text=campaign.viber_text,
    )
    context = {"campaign": campaign, "form": form, "text": text}
    if sent is not None:
        context.update(_test_results_context(sent))
    return render(request, "campaigns/campaign_test_send.html", context)


@require_GET
@permission_required(CHANGE_PERM, raise_exception=True)
def campaign_test_send_results(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the test messages' statuses, polled while one may still change."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    ids = [int(i) for i in request.GET.getlist("id") if i.isascii() and i.isdigit()]
    # Only messages sent outside a campaign through this campaign's account.
    sent = Message.objects.filter(
        pk__in=ids[: services.MAX_TEST_PHONES],
        campaign=None,
        account_id=campaign.account_id,
    ).order_by("id")
    return render(
        request,
        "campaigns/_test_send_results.html",
        {"campaign": campaign, **_test_results_context(list(sent))},
    )


def _test_results_context(sent: list[Message]) -> dict[str, Any]:
    since = timezone.now() - TEST_POLL_FOR
    waiting = any(
        m.status in TEST_AWAITED and (m.submitted_at or m.planned_at) > since
        for m in sent
    )
    return {
        "sent": sent,
        "poll_every": TEST_POLL_SECONDS if waiting else None,
        "ids_query": urlencode([("id", m.pk) for m in sent]),
    }


def _next_test_form(request: HttpRequest, campaign: Campaign) -> TestSendForm:
    """The numbers kept for another test, under a token of its own and the campaign's
    version now."""
    return TestSendForm(
        initial={"phones": request.POST.get("phones", ""), "version": campaign.version}
    )


def decided_texts(decided: Decided) -> list[tuple[int, str]]:
    """What a decision on messages in doubt did, each with its message level: a
    cancelled campaign's "send again" sends nothing, and says what became of them."""
    d = decided
    texts = [
        (messages.SUCCESS, d.sent_again, ngettext(
            "%(count)d message will be sent again.",
            "%(count)d messages will be sent again.", d.sent_again)),
        (messages.SUCCESS, d.given_up, ngettext(
            "%(count)d message marked as failed.",
            "%(count)d messages marked as failed.", d.given_up)),
        (messages.INFO, d.withdrawn, ngettext(
            "%(count)d message of the cancelled campaign is withdrawn: the gateway "
            "was asked, and it had not sent it.",
            "%(count)d messages of the cancelled campaign are withdrawn: the gateway "
            "was asked, and it had not sent them.",
            d.withdrawn)),
        (messages.INFO, d.found_sent, ngettext(
            "%(count)d message of the cancelled campaign was with the gateway: it "
            "was asked, and the message's status is as it says.",
            "%(count)d messages of the cancelled campaign were with the gateway: it "
            "was asked, and their statuses are as it says.", d.found_sent)),
        (messages.WARNING, d.not_sent, ngettext(
            "%(count)d message was not sent again: the campaign is cancelled. The "
            "gateway may have received it, so it is marked failed, outcome unknown.",
            "%(count)d messages were not sent again: the campaign is cancelled. The "
            "gateway may have received them, so they are marked failed, outcome "
            "unknown.", d.not_sent)),
        (messages.WARNING, d.still_in_doubt, ngettext(
            "%(count)d message was not sent again: the campaign is cancelled, and "
            "the gateway did not answer whether it has it. It is asked again in the "
            "next minutes and withdrawn if the gateway holds it for later.",
            "%(count)d messages were not sent again: the campaign is cancelled, and "
            "the gateway did not answer whether it has them. They are asked about "
            "again in the next minutes and withdrawn if the gateway holds them for "
            "later.", d.still_in_doubt)),
    ]  # fmt: skip
    said = [(level, text % {"count": n}) for level, n, text in texts if n]
    return said or [(messages.INFO, _("Those messages are no longer in doubt."))]


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def messages_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Send again or give up the campaign's messages whose submit outcome is unknown."""
    campaign = get_object_or_404(campaign_list(), pk=pk)
    doubtful = list(campaign_in_doubt(campaign=campaign).values_list("id", flat=True))
    form = DecideForm(request.POST, allowed_ids=doubtful)
    if not form.is_valid():
        messages.error(request, _("Those messages are no longer in doubt."))
        return redirect("campaigns:detail", pk=pk)
    ids = form.cleaned_data["ids"] or doubtful
    resend = form.cleaned_data["decision"] == DecideForm.RESEND
    decided = message_decide(message_ids=ids, resend=resend)
    for level, text in decided_texts(decided):
        messages.add_message(request, level, text)
    return redirect("campaigns:detail", pk=pk)
