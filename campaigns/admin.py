from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaigns import services
from campaigns.forms import CampaignForm
from campaigns.greeting_views import BirthdayGreetingForm
from campaigns.message_templates import MessageTemplateForm
from campaigns.models import BirthdayGreeting, Campaign, Message, MessageTemplate
from campaigns.report_selectors import message_status_query
from campaigns.selectors import campaigns_progress
from campaigns.views import error_text
from contacts.timezones import zone_name, zoned
from providers.base import DeliveryStatus, MessageChannel
from smsportal.admin_forms import AccusativeTitles, ProtectedObjects, ViewOnlyPlainForm
from smsportal.admin_lookups import SecretLookupsRefused
from smsportal.admin_versions import VersionedAdmin
from smsportal.exceptions import ApplicationError

# Engine-kept fields: never typed in by a person.
CAMPAIGN_SYSTEM_FIELDS = [
    "state", "pause_message", "parent", "greeting", "claimed_audience",
    "price_per_segment",
    "launch_estimate", "audience_counts", "created_by", "created_at", "updated_at", "launched_by",
    "launched_at", "expanded_at", "finished_at",
]  # fmt: skip


# One per key of campaigns.expansion.ExpansionStats.as_dict(): a key without one
# showed untranslated ("excluded: 0") on a Russian page.
AUDIENCE_COUNT_LABELS = {
    "created": _("messages made"), "stop_listed": _("on the stop list"),
    "invalid": _("invalid numbers"), "duplicates": _("duplicates"),
    "excluded": _("pasted numbers in an excluded group"),
}  # fmt: skip


class CampaignAdminForm(CampaignForm):
    """The composer's validation (channels, sender, placeholders) in the admin too."""

    class Meta(CampaignForm.Meta):
        pass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No script here follows the chosen account, so the list is every channel
        # (the composer's follows the account); saving says which gateway lacks one.
        self.fields["channel"].widget.choices = MessageChannel.choices
        self.fields["channel"].help_text = _(
            "Saving checks that the chosen account's gateway has this channel."
        )

    def check_current(self, current: Campaign) -> None:
        # Launched since the page was opened (smsportal.admin_versions).
        if not current.is_editable:
            raise forms.ValidationError(gettext("Only a draft can be changed."))


@admin.register(Campaign)
class CampaignAdmin(
    VersionedAdmin, SecretLookupsRefused, AccusativeTitles, admin.ModelAdmin
):
    accusative_name = pgettext_lazy("accusative", "campaign")
    form = CampaignAdminForm
    list_display = [
        "name",
        "state",
        "account",
        "channel",
        "sender",
        "created_at",
        "launched_at",
        "finished_at",
        "messages_link",
    ]
    list_filter = ["state", "channel", "account"]
    search_fields = ["name", "text", "sender"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    readonly_fields = CAMPAIGN_SYSTEM_FIELDS
    filter_horizontal = ["include_groups", "exclude_groups"]
    actions = ["pause_campaigns", "resume_campaigns", "cancel_campaigns"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("messages"))
    def messages_link(self, campaign: Campaign) -> str:
        """The way to its messages in the ledger (filtered by the campaign's id)."""
        url = reverse("admin:campaigns_message_changelist")
        return format_html(
            '<a href="{}?campaign={}">{}</a>', url, campaign.pk, _("messages")
        )

    @admin.display(description=_("audience counts"))
    def audience_counts(self, campaign: Campaign) -> str:
        stats = campaign.audience_stats or {}
        if not stats:
            return "—"
        labels = AUDIENCE_COUNT_LABELS
        # In this order: jsonb keeps its keys sorted by length.
        keys = [key for key in labels if key in stats] + sorted(
            set(stats) - set(labels)
        )
        return "; ".join(f"{labels.get(key, key)}: {stats[key]}" for key in keys)

    def _shown_read_only(self, request: HttpRequest, obj: Campaign | None) -> bool:
        """Launched campaigns, and any campaign for a user who may only view: shown
        field by field, without the composer form (whose fields a read-only page
        leaves out: building it failed with KeyError for a Viewer on a draft)."""
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Campaign | None = None) -> list:
        if self._shown_read_only(request, obj):
            # Translated for the reader; the counts in words, not as JSON.
            shown = {
                "pause_reason": "pause_message",
                "audience_stats": "audience_counts",
                "start_at": "start_shown",
                "time_zone": "time_zone_shown",
            }
            return [
                shown.get(f.name, f.name)
                for f in Campaign._meta.fields
                if f.name != "id"
            ] + [
                "include_groups",
                "exclude_groups",
            ]
        return [
            *CampaignForm._meta.fields,
            "start_mode",
            "start_local",
            "voice_language",
            "voice_voice",
            "voice_speed",
            "voice_tone",
            *CAMPAIGN_SYSTEM_FIELDS,
        ]

    def get_form(self, request: HttpRequest, obj: Campaign | None = None, **kwargs):
        if self._shown_read_only(request, obj):
            kwargs["form"] = admin.ModelAdmin.form
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(
        self, request: HttpRequest, obj: Campaign | None = None
    ) -> bool:
        # Launched campaigns are history: shown read-only, changed only by actions.
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    # The start in the zone it was set in, which the text names: the site's zone,
    # unsaid, read as the campaign's beside «Time zone: Asia/Novosibirsk».
    @admin.display(description=Campaign._meta.get_field("start_at").verbose_name)
    def start_shown(self, obj: Campaign) -> str:
        return zoned(obj.start_at, obj.time_zone) if obj.start_at else "—"

    @admin.display(description=Campaign._meta.get_field("time_zone").verbose_name)
    def time_zone_shown(self, obj: Campaign) -> str:
        return zone_name(obj.time_zone) if obj.time_zone else "—"

    @admin.display(description=_("pause reason"))
    def pause_message(self, obj: Campaign) -> str:
        return obj.pause_message

    def save_model(self, request: HttpRequest, obj: Campaign, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request: HttpRequest):
        # Messages go with their campaign; listing (and permission-checking) each of
        # a million rows on the confirmation page helps nobody.
        campaigns = list(objs)
        # What services.campaign_delete refuses (sending, in doubt, held at the
        # gateway) is listed with its reason, and the page deletes nothing: a 403
        # blamed the user's role, and the bulk action said "deleted" beside the
        # refusal of each one it kept.
        kept = [
            f"{campaign}: {reason}"
            for campaign in campaigns
            if (reason := services.campaign_undeletable_because(campaign=campaign))
        ]
        if kept:
            return [], {}, set(), ProtectedObjects(kept, themselves=True)
        progress = campaigns_progress(campaign_ids=[c.pk for c in campaigns])
        model_count = {
            Campaign._meta.verbose_name_plural: len(campaigns),
            Message._meta.verbose_name_plural: sum(p.total for p in progress.values()),
        }
        return [str(c) for c in campaigns], model_count, set(), []

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        services.campaign_delete(campaign=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for campaign in queryset:
            try:
                services.campaign_delete(campaign=campaign)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{campaign}: {error_text(exc)}", messages.ERROR
                )

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Campaign],
        call: Any,
        done: str,
    ) -> None:
        for campaign in queryset:
            try:
                call(campaign=campaign)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{campaign}: {error_text(exc)}", messages.WARNING
                )
            else:
                self.message_user(request, f"{campaign}: {done}", messages.SUCCESS)

    @admin.action(description=_("Pause selected campaigns"), permissions=["change"])
    def pause_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.campaign_pause, _("paused"))

    @admin.action(description=_("Resume selected campaigns"), permissions=["change"])
    def resume_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.campaign_resume, _("resumed"))

    @admin.action(description=_("Cancel selected campaigns"), permissions=["change"])
    def cancel_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.campaign_cancel, _("cancelled"))


class CampaignFilter(admin.SimpleListFilter):
    """One campaign's messages, by its id (?campaign=<id>), named in the sidebar.

    A list of every campaign there (list_filter "campaign") read them all on every
    page, unusable with thousands of them: the campaign's admin links here instead.
    """

    title = _("campaign")
    parameter_name = "campaign"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        value = self.value()
        if not value or not value.isdigit():
            return []  # nothing chosen: the filter is not shown
        name = Campaign.objects.filter(pk=int(value)).values_list("name", flat=True)
        return [(value, name.first() or f"#{value}")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(campaign_id=int(value))
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """The status, as the report counts it: «delivered» takes in the read (a read
    message was delivered first), so the admin's figure is the report's."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            (value, gettext("Delivered (read included)"))
            if value == DeliveryStatus.DELIVERED
            else (value, label)
            for value, label in DeliveryStatus.choices
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in DeliveryStatus.values:
            return queryset.filter(message_status_query(value))
        return queryset


# The most the message list counts: beyond it the list says this many and its pages
# stop there (a search or a filter narrows it).
MESSAGE_COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most MESSAGE_COUNT_CAP rows (COUNT over a LIMIT subquery): the
    paginator counts the filtered list on every page, millions of rows unfiltered,
    which show_full_result_count = False alone does not spare."""

    @cached_property
    def count(self) -> int:
        return self.object_list[:MESSAGE_COUNT_CAP].count()


class NewestFirstChangeList(ChangeList):
    """The message list newest first, whatever `?o=` asks: no other order has an
    index over the whole ledger, so each sorted every message twice (the capped count
    keeps the order too), 1.3 s a page with a million of them. The campaign report's
    table does not sort either (campaigns.report_tables)."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[str]:
        return ["-pk"]

    def get_ordering_field_columns(self) -> dict[int, str]:
        return {}  # no column shown as sorted


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The ledger, read-only: a message changes only through sending and reports."""

    list_display = [
        "phone",
        "campaign",
        "channel",
        "status",
        "reason",
        "segments",
        "cost",
        "gateway_message_id",
        "submitted_at",
        "status_changed_at",
    ]
    list_filter = [StatusFilter, "reason", "channel", CampaignFilter]
    search_fields = ["=phone", "=gateway_message_id"]
    list_select_related = ["campaign"]
    paginator = CappedCountPaginator
    # No COUNT(*) over a million messages for every page.
    show_full_result_count = False
    sortable_by = ()  # headers sort nothing: see NewestFirstChangeList
    # is_pending is the pending index's condition, the status again.
    readonly_fields = [f.name for f in Message._meta.fields if f.name != "is_pending"]

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return NewestFirstChangeList

    def get_search_results(self, request, queryset, search_term):
        # People type numbers without "+", with spaces or as 8 912 ...
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        if len(digits) >= 10:
            found = queryset.filter(phone=f"+{digits}")
            return found | queryset.filter(
                gateway_message_id=search_term.strip()
            ), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Message | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Message | None = None
    ) -> bool:
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(VersionedAdmin, ViewOnlyPlainForm, admin.ModelAdmin):
    """Saved texts; checked as the templates page checks them."""

    form = MessageTemplateForm
    list_display = ["name", "updated_at", "created_by"]
    search_fields = ["name", "text"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: MessageTemplate, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(BirthdayGreeting)
class BirthdayGreetingAdmin(
    VersionedAdmin, SecretLookupsRefused, ViewOnlyPlainForm, admin.ModelAdmin
):
    """Automatic greetings; checked as their page checks them."""

    form = BirthdayGreetingForm
    list_display = ["name", "is_active", "account", "send_time", "last_run_on"]
    list_filter = ["is_active", "account"]
    search_fields = ["name", "text"]
    list_select_related = ["account"]
    filter_horizontal = ["include_groups", "exclude_groups"]
    readonly_fields = ["last_run_on", "last_error_shown", "created_by", "created_at",
                       "updated_at"]  # fmt: skip

    @admin.display(description=_("last error"))
    def last_error_shown(self, obj: BirthdayGreeting) -> str:
        return obj.last_error_message or "—"  # in the reader's language

    def save_model(self, request: HttpRequest, obj: BirthdayGreeting, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
