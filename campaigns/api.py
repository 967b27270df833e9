"""Campaigns in the REST API: drafts, preview, launch, pause, resume (another sender
name while paused), cancel, test send, resend to the failed, copy.

Drafts are validated by the composer's CampaignForm, so the API and the page refuse
the same things with the same words.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ninja import Field, Router, Schema, Status

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from campaigns import services
from campaigns.audience import groups_deleted
from campaigns.forms import (
    VOICE_FIELDS,
    CampaignForm,
    campaign_draft_save,
    campaign_form_data,
    start_fields,
)
from campaigns.models import Campaign, Message, MessageTemplate
from campaigns.selectors import (
    Progress,
    campaign_list,
    campaign_progress,
    campaigns_progress,
    waits_for_start,
)
from providers.models import ProviderAccount
from smsportal.api import computes_only, permission_required, require_perm
from smsportal.api_input import (
    InputSchema,
    ObjectId,
    Offset,
    PageSize,
    RecordId,
    idempotency_key,
)
from smsportal.api_versions import (
    expected_version,
    expected_version_field,
    if_match_openapi,
    locked_for_patch,
    stale_response,
)
from smsportal.exceptions import ApplicationError

PREFIX = "campaigns"
router = Router(tags=["campaigns"])

VIEW_PERM = "campaigns.view_campaign"
ADD_PERM = "campaigns.add_campaign"
CHANGE_PERM = "campaigns.change_campaign"
DELETE_PERM = "campaigns.delete_campaign"


class VoiceOptionsSchema(InputSchema):
    nested_in = "voice_options"

    language: str = ""
    voice: str = ""
    speed: str = ""
    tone: str = ""


class CountsOut(Schema):
    by_status: dict[str, int]
    total: int
    segments: int
    processed: int
    delivered: int
    failed: int
    percent: int


class GroupGoneOut(Schema):
    id: int
    name: str = Field(description="Its name when the campaign was launched")


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    pause_reason: str
    account: int
    account_name: str
    sender: str
    channel: str
    text: str
    viber_text: str
    viber_button_text: str
    viber_button_url: str
    viber_image_url: str
    viber_image_id: int | None = Field(
        description="A picture of the gallery in the gateway's cabinet, by its "
        "number (WEBSMS)"
    )
    voice_options: dict[str, Any]
    to_whole_book: bool
    include_groups: list[int]
    exclude_groups: list[int]
    groups_deleted: dict[str, list[GroupGoneOut]] = Field(
        description="Groups of a launched (or cancelled) campaign deleted since, by "
        "field (include_groups, exclude_groups): no longer in those lists, but "
        "whom it was sent to or left out all the same"
    )
    birthday_on: date | None
    extra_numbers: str
    start_at: datetime | None = Field(
        description="The set start as an instant, in UTC (as every time of this "
        "API); null: it starts on launch. start_local gives it on the campaign's "
        "clock"
    )
    start_local: datetime | None = Field(
        description="The same start on the clock of time_zone, with that zone's "
        "offset then (ISO 8601, such as 2026-10-25T02:30:00+02:00): the time the "
        "composer shows. Read only: give start_at to change it"
    )
    time_zone: str
    respect_quiet_hours: bool
    window_start: time
    window_end: time
    validity_hours: int | None
    translit: bool
    spread_hours: int
    parent: int | None
    greeting: int | None = Field(description="The birthday greeting that made it")
    price_per_segment: Decimal | None
    audience_stats: dict[str, Any]
    created_at: datetime
    version: int = Field(
        description="Raised by every change of the draft: give it to launch or "
        "test-send as expected_version to refuse a draft changed since you read it"
    )
    launched_at: datetime | None
    finished_at: datetime | None
    counts: CountsOut


class CancelOut(CampaignOut):
    withdrawn: int
    withdrawing: int = Field(
        description="Pending messages beyond the first 10,000, withdrawn by a worker "
        "a part at a time after the answer (the campaign is cancelled already: none "
        "of them is sent)"
    )
    cancelled_at_gateway: int
    in_flight: int = Field(
        description="Being sent at that moment (claimed by a worker): those already "
        "with the gateway still go, the rest are cancelled"
    )
    in_doubt: int = Field(
        description="Sent in a request the gateway did not answer: it may have taken "
        "them, so they may still go out. Asked about again within minutes and "
        "withdrawn at the gateway if it holds them for later, where the gateway can "
        "be asked; otherwise (Webcom's GET) left for a person: the campaign page's "
        "messages in doubt"
    )
    not_withdrawn: int = Field(
        description="Held at the gateway for their send time and not withdrawn (the "
        "gateway failed or refused): they go out at their time unless withdraw-again "
        "withdraws them"
    )
    refused_at_gateway: int = Field(
        description="Of not_withdrawn, those the gateway refused to withdraw because "
        "it is already sending them (SMSC's error 5 to a message it still holds): "
        "not failed, their delivery reports say what became of them"
    )
    gateway_errors: list[str] = Field(
        description="What the gateway failed with while withdrawing or being asked "
        "(refused, unreachable, no answer), each once, in words; empty when it "
        "answered every request. With not_withdrawn or in_doubt above 0, "
        "withdraw-again tries again"
    )


class CampaignIn(InputSchema):
    """A draft; on update, only the fields given change. A switch or a list given as
    null is left as it is (the default, on create); no sender on create is the
    account's default sender."""

    name: str | None = None
    account: int | None = Field(None, description="Provider account id")
    sender: str | None = None
    channel: str | None = None
    text: str | None = None
    template: int | None = Field(
        None,
        description="A message template's id (it must exist): its text, when text "
        "is not given",
    )
    viber_text: str | None = None
    viber_button_text: str | None = None
    viber_button_url: str | None = None
    viber_image_url: str | None = None
    viber_image_id: int | None = Field(
        None,
        description="A Viber picture of the gallery in the gateway's cabinet, by its "
        "number (WEBSMS, which takes no picture link); null clears it",
    )
    voice_options: VoiceOptionsSchema | None = Field(
        None,
        description="On update, only the settings given change; an empty one is "
        "cleared",
    )
    to_whole_book: bool | None = Field(
        None, description="Every contact in the book; include_groups is then ignored"
    )
    include_groups: list[RecordId] | None = None
    exclude_groups: list[RecordId] | None = None
    birthday_on: date | None = Field(
        None,
        description="Only the groups' contacts whose birthday falls on this day "
        "(any year; 29 February counts on 28 February in other years)",
    )
    extra_numbers: str | None = None
    start_at: datetime | None = Field(
        None,
        description="Empty: start on launch. Without an offset: in time_zone; a time "
        "a clock change there skips is refused, one it repeats is its first "
        "occurrence (give an offset for the second).",
    )
    time_zone: str | None = None
    respect_quiet_hours: bool | None = None
    window_start: time | None = Field(
        None,
        description="Quiet hours: sending starts at this time of each recipient's "
        "local time",
    )
    window_end: time | None = Field(
        None,
        description="Quiet hours: sending stops at this time; one before "
        "window_start runs overnight (22:00 to 06:00), one equal to it is refused",
    )
    validity_hours: int | None = None
    translit: bool | None = None
    spread_hours: int | None = None

    answer_schema = CampaignOut


class CampaignPatch(CampaignIn):
    expected_version: int | None = expected_version_field()


class PreviewOut(Schema):
    total: int
    stop_listed: int
    invalid: int
    duplicates: int
    excluded: int
    deferred: int
    zone_unknown: int
    # Numbers outside Russia (Kazakhstan's +7 7xx too): the estimate prices them as
    # Russian ones; the gateway bills them at its own rate.
    abroad: int
    # Landlines (8-800 too): no SMS or Viber reaches them.
    landlines: int
    empty_placeholders: dict[str, int]
    segments_histogram: dict[int, int]
    too_long: int
    estimated_segments: int
    estimated_cost: Decimal | None
    balance: Decimal | None
    # What the account's other campaigns, sending or scheduled, have still to send
    # (estimate; a campaign not built yet at the estimate it was launched with).
    committed_cost: Decimal
    can_afford: bool
    encoding: str
    samples: list[dict[str, str]]

    @staticmethod
    def resolve_committed_cost(preview: Any) -> Decimal:
        return preview.committed


class TestSendIn(InputSchema):
    phones: list[str]
    # Or the Idempotency-Key header: a repeated request gets the first messages.
    client_key: str = ""
    expected_version: int | None = Field(
        None,
        description="The campaign's version you checked (its `version`): a draft "
        "changed since is refused with 409; left out, none is compared",
    )


class LaunchIn(InputSchema):
    expected_version: int | None = Field(
        None,
        description="The campaign's version you previewed (its `version`): a draft "
        "changed since is refused with 409; left out, none is compared. An If-Match "
        "header with the version does the same",
    )


class SenderIn(InputSchema):
    sender: str = Field(..., max_length=20, description="One of the account's names")


class TestMessageOut(Schema):
    id: int
    phone: str
    text: str
    segments: int
    status: str
    reason: str
    vendor_code: str
    vendor_text: str
    gateway_message_id: str


def _campaign_out(campaign: Campaign, progress: Progress) -> dict[str, Any]:
    data = {
        field: getattr(campaign, field)
        for field in CampaignOut.model_fields
        if field not in ("account", "account_name", "parent", "greeting", "counts")
        and field not in ("include_groups", "exclude_groups", "groups_deleted")
        and field != "start_local"
    }
    data.update(
        account=campaign.account_id,
        account_name=campaign.account.name,
        parent=campaign.parent_id,
        greeting=campaign.greeting_id,
        pause_reason=campaign.pause_message,  # in the request's language
        include_groups=[g.pk for g in campaign.include_groups.all()],
        exclude_groups=[g.pk for g in campaign.exclude_groups.all()],
        counts=progress.as_dict(),
        start_local=campaign.start_local,
    )
    data["groups_deleted"] = _groups_deleted(campaign, data)
    return data


def _groups_deleted(
    campaign: Campaign, data: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """campaigns.audience.groups_deleted, told the groups it has now (prefetched)."""
    existing = set(data["include_groups"]) | set(data["exclude_groups"])
    return {
        field: [{"id": pk, "name": name} for pk, name in groups]
        for field, groups in groups_deleted(campaign, existing=existing).items()
    }


def _get(campaign_id: int) -> Campaign:
    return get_object_or_404(
        campaign_list().prefetch_related("include_groups", "exclude_groups"),
        pk=campaign_id,
    )


def _detail(campaign: Campaign) -> dict[str, Any]:
    return _campaign_out(campaign, campaign_progress(campaign=campaign))


# Read as a form, null would be unticked or none: quiet hours off, no groups.
KEPT_ON_NULL = frozenset(
    {"to_whole_book", "include_groups", "exclude_groups", "respect_quiet_hours",
     "translit"}
)  # fmt: skip


def _form_data(
    payload: CampaignIn, base: dict[str, Any], *, start_at: datetime | None = None
) -> dict[str, Any]:
    given = payload.dict(exclude_unset=True)
    given.pop("expected_version", None)  # compared by the caller, not a draft's field
    template = given.pop("template", None)
    if template is not None:
        # Looked up even when the text is given: an id that is no template's is a
        # mistake to say, not to pass over.
        template_text = _template_text(template)
        if given.get("text") is None:
            given["text"] = template_text
    if "time_zone" in given and "start_at" not in given and start_at is not None:
        # The stored start is an instant: a new zone re-reads it, never moves it.
        given["start_at"] = start_at
    data = dict(base)
    voice = given.pop("voice_options", None)
    if voice is not None:
        # Only the settings given: {"tone": "evil"} emptied the language, voice and
        # speed set before. "" clears one (the draft's other fields are so too).
        data.update({f"voice_{key}": value or "" for key, value in voice.items()})
    if "start_at" in given:
        start_at = given.pop("start_at")
        time_zone = given.get("time_zone") or data.get("time_zone", "")
        if start_at is not None and start_at.tzinfo is None:
            data.update(start_mode=CampaignForm.START_AT, start_local=start_at)
        else:
            data.update(start_fields(start_at, time_zone))
    for key, value in given.items():
        if isinstance(value, time) and value.tzinfo is not None:
            # The send window is in each recipient's local time: an offset means nothing.
            raise ApplicationError(
                _("Give the time without a time zone offset."), where=key
            )
        if value is None and key in KEPT_ON_NULL:
            continue  # a switch or a list has no empty value: null leaves it as it is
        data[key] = "" if value is None else value
    return data


def _template_text(template_id: int) -> str:
    text = (
        MessageTemplate.objects.filter(pk=template_id)
        .values_list("text", flat=True)
        .first()
    )
    if text is None:
        raise ApplicationError(
            _("There is no message template %(id)s.") % {"id": template_id},
            where="template",
        )
    return text


def _save_draft(data: dict[str, Any], instance: Campaign) -> Campaign:
    """Validate and save. Callers read the answer back in the same transaction: a
    failure there (a value saved that cannot be read) then commits nothing."""
    form = CampaignForm(data, instance=instance)
    if not form.is_valid():
        errors = form.errors.get_json_data()
        field, problems = next(iter(errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        raise ApplicationError(
            f"{label}: {problems[0]['message']}" if label else problems[0]["message"],
            where=_api_field(field),
            extra={
                "errors": {
                    _api_field(k): [p["message"] for p in v] for k, v in errors.items()
                }
            },
        )
    return campaign_draft_save(form=form)


def _api_field(form_field: str) -> str:
    """The field as the API's schema names it: the composer's `start_local` is
    `start_at`, its `voice_voice` is `voice_options.voice`."""
    if form_field == "start_local":
        return "start_at"
    if form_field.startswith("voice_") and form_field[6:] in VOICE_FIELDS:
        return f"voice_options.{form_field[6:]}"
    return form_field


@router.get("", response=list[CampaignOut])
def campaign_list_api(
    request: HttpRequest,
    state: Campaign.State | None = None,
    account: int | None = None,
    limit: PageSize = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Campaigns, newest first, with their counters."""
    require_perm(request, VIEW_PERM)
    campaigns = list(
        campaign_list(filters={"state": state, "account": account}).prefetch_related(
            "include_groups", "exclude_groups"
        )[offset : offset + limit]
    )
    progress = campaigns_progress(campaign_ids=[c.pk for c in campaigns])
    return [_campaign_out(c, progress[c.pk]) for c in campaigns]


@router.post("", response={201: CampaignOut})
@permission_required(ADD_PERM)
def campaign_create_api(request: HttpRequest, payload: CampaignIn) -> Status:
    """Create a draft."""
    base = campaign_form_data(Campaign())
    base.pop("account", None)
    data = _form_data(payload, base)
    if not data.get("sender") and payload.account is not None:
        # As greetings, test sends and one-off messages do: the account's default.
        data["sender"] = (
            ProviderAccount.objects.filter(pk=payload.account)
            .values_list("default_sender", flat=True)
            .first()
            or ""
        )
    with transaction.atomic():
        campaign = _save_draft(data, Campaign(created_by=request.user))
        return Status(201, _detail(_get(campaign.pk)))


@router.get("/{campaign_id}", response=CampaignOut)
def campaign_get_api(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    """One campaign with its counters."""
    require_perm(request, VIEW_PERM)
    return _detail(_get(campaign_id))


@router.delete("/{campaign_id}", response={204: None})
def campaign_delete_api(request: HttpRequest, campaign_id: ObjectId) -> Status:
    """Delete a draft or finished campaign with its messages, as its page does; a
    400 saying why for one that is sending, paused or scheduled."""
    require_perm(request, DELETE_PERM)
    services.campaign_delete(campaign=_get(campaign_id))
    return Status(204, None)


@router.patch(
    "/{campaign_id}", response=CampaignOut, openapi_extra=if_match_openapi("campaign")
)
@permission_required(CHANGE_PERM)
def campaign_update_api(
    request: HttpRequest, campaign_id: ObjectId, payload: CampaignPatch
) -> dict[str, Any]:
    """Change a draft; fields left out keep their values. With expected_version (or
    If-Match), a draft changed since that version is refused with 409."""
    with locked_for_patch(
        request,
        Campaign.objects.select_related("account"),
        campaign_id,
        payload.expected_version,
        check=_require_draft,
    ) as campaign:
        data = _form_data(
            payload, campaign_form_data(campaign), start_at=campaign.start_at
        )
        _save_draft(data, campaign)
        return _detail(_get(campaign_id))


def _require_draft(campaign: Campaign) -> None:
    if not campaign.is_editable:
        raise ApplicationError(
            _(
                "Only a draft can be changed; return the campaign to draft first "
                "(POST …/unschedule)."
            )
            if waits_for_start(campaign)
            else _("Only a draft can be changed."),
            where="state",
        )


@router.post("/{campaign_id}/preview", response=PreviewOut)
@computes_only  # a read-only token may ask it: it writes nothing
def campaign_preview_api(request: HttpRequest, campaign_id: ObjectId) -> Any:
    """What launching would do: counts, segments, cost against the balance, samples.
    Writes nothing: read-only tokens may call it."""
    require_perm(request, VIEW_PERM)
    return services.campaign_preview(campaign=_get(campaign_id))


@router.post(
    "/{campaign_id}/launch",
    response=CampaignOut,
    openapi_extra=if_match_openapi("campaign", "nothing was launched"),
)
@permission_required(CHANGE_PERM)
def campaign_launch_api(
    request: HttpRequest, campaign_id: ObjectId, payload: LaunchIn | None = None
) -> dict[str, Any]:
    """Launch a draft now, or schedule it for its start time. With expected_version
    (or If-Match), a draft changed since that version is refused with 409."""
    services.campaign_launch(
        campaign=_get(campaign_id),
        launched_by=request.user,
        expected_version=expected_version(
            request, payload.expected_version if payload is not None else None
        ),
    )
    return _detail(_get(campaign_id))


@router.post("/{campaign_id}/unschedule", response=CampaignOut)
def campaign_unschedule_api(
    request: HttpRequest, campaign_id: ObjectId
) -> dict[str, Any]:
    """Take a campaign waiting for its start time back to a draft, to change it and
    launch it again."""
    require_perm(request, CHANGE_PERM)
    services.campaign_unschedule(campaign=_get(campaign_id))
    return _detail(_get(campaign_id))


@router.post("/{campaign_id}/pause", response=CampaignOut)
def campaign_pause_api(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    require_perm(request, CHANGE_PERM)
    services.campaign_pause(campaign=_get(campaign_id))
    return _detail(_get(campaign_id))


@router.post("/{campaign_id}/resume", response=CampaignOut)
def campaign_resume_api(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    require_perm(request, CHANGE_PERM)
    services.campaign_resume(campaign=_get(campaign_id))
    return _detail(_get(campaign_id))


@router.post("/{campaign_id}/sender", response=CampaignOut)
@permission_required(CHANGE_PERM)
def campaign_sender_api(
    request: HttpRequest, campaign_id: ObjectId, payload: SenderIn
) -> dict[str, Any]:
    """A paused campaign's new sender name (one the gateway refused paused it), for
    it and its messages not sent yet; resume it then."""
    services.campaign_sender_change(campaign=_get(campaign_id), sender=payload.sender)
    return _detail(_get(campaign_id))


@router.post("/{campaign_id}/cancel", response=CancelOut)
def campaign_cancel_api(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    """Cancel; pending messages are withdrawn here, scheduled ones at the gateway."""
    require_perm(request, CHANGE_PERM)
    result = services.campaign_cancel(campaign=_get(campaign_id))
    return _detail(_get(campaign_id)) | result


@router.post("/{campaign_id}/withdraw-again", response=CancelOut)
def campaign_withdraw_again_api(
    request: HttpRequest, campaign_id: ObjectId
) -> dict[str, Any]:
    """A cancelled campaign's withdrawal tried again: what the gateway still holds
    (its withdrawal failed) is withdrawn, and what it never answered for is asked
    about now. A 400 when nothing is left to withdraw (or it is not cancelled)."""
    require_perm(request, CHANGE_PERM)
    result = services.campaign_withdraw_again(campaign=_get(campaign_id))
    return _detail(_get(campaign_id)) | result


@router.post("/{campaign_id}/resend-failed", response={201: CampaignOut})
def campaign_resend_failed_api(request: HttpRequest, campaign_id: ObjectId) -> Status:
    """A draft follow-up to this campaign's failed recipients (one per campaign)."""
    require_perm(request, CHANGE_PERM)
    followup = services.campaign_resend_failed(
        campaign=_get(campaign_id), created_by=request.user
    )
    return Status(201, _detail(_get(followup.pk)))


class CopyOut(CampaignOut):
    deleted_groups: dict[str, list[str]] = Field(
        description="Groups of the campaign deleted since it was launched or while it "
        "was copied, by field (include_groups, exclude_groups), by the names they "
        "had: the copy is without them"
    )


@router.post("/{campaign_id}/copy", response={201: CopyOut})
def campaign_copy_api(request: HttpRequest, campaign_id: ObjectId) -> Status:
    """A new draft with the campaign's text, sender, audience and hours. A group of
    it deleted (since its launch, or meanwhile) is left out of the copy and named in
    deleted_groups."""
    require_perm(request, ADD_PERM)
    copy = services.campaign_copy(campaign=_get(campaign_id), created_by=request.user)
    return Status(201, _detail(_get(copy.pk)) | {"deleted_groups": copy.deleted_groups})


@router.post(
    "/{campaign_id}/test-send",
    response=list[TestMessageOut],
    openapi_extra={
        "responses": stale_response(
            "campaign",
            "nothing was sent (also when the idempotency key was used for a test send "
            "to other numbers)",
        )
    },  # fmt: skip
)
@permission_required(CHANGE_PERM)
def campaign_test_send_api(
    request: HttpRequest, campaign_id: ObjectId, payload: TestSendIn
) -> list[Message]:
    """Send the text to one to ten numbers now; returns each message's outcome. With
    an `Idempotency-Key` header (or `client_key`), a repeated request gets the first
    messages and sends nothing; the key used for other numbers is a 409."""
    return services.campaign_test_send(
        campaign=_get(campaign_id),
        phones=payload.phones,
        client_key=idempotency_key(
            payload.client_key, request.headers.get("Idempotency-Key", "")
        ),
        expected_version=payload.expected_version,
    )
