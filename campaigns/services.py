"""Campaign operations: preview, launch, start, pause, resume, cancel, test send,
resend, copy."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import audit
from accounts.models import AuditEvent
from campaigns import report_tallies
from campaigns.audience import (
    GroupChoice,
    audience_and_stopped_counts,
    audience_contacts,
    audience_groups_snapshot,
    audience_members,
    excluded_members,
    extra_phone_zones,
    groups_deleted,
    has_failures_to_resend,
    is_stopped_q,
    parse_extra_numbers,
    require_audience,
)
from campaigns.channel_content import (
    VIBER_CHANNELS,
    VIBER_FORM_FIELDS,
    sent_template,
    text_problems,
    viber_field_problems,
)
from campaigns.counts import campaign_counts_delete
from campaigns.dispatch import CREDENTIALS_UNREADABLE, campaign_pause_for
from campaigns.expansion import CampaignGone, campaign_expand
from campaigns.models import (
    MULTILINE_TEXT_FIELDS,
    SENT_TEXT_FIELDS,
    Campaign,
    Message,
)
from campaigns.plan_problems import campaign_pause_for_plan, plan_problem_text
from campaigns.planning import (
    CONTACT_EXPRESSIONS,
    CONTACT_VALUES,
    SendPlan,
    count,
    template_values,
    zone,
)
from campaigns.reconcile import campaign_in_doubt_settle
from campaigns.selectors import (
    RESENDABLE_STATES,
    campaign_sender_problem,
    campaign_withdrawal_left,
    cancelled_in_doubt,
    messages_waiting_at_gateway,
    sender_problem,
)
from campaigns.sending import claim_ids, raise_unless_sent, submit
from campaigns.templating import empty_fields
from campaigns.turns import BUILDING, QUEUED
from campaigns.withdrawal import gateway_withdraw
from campaigns.workers import lease_abandoned
from contacts.models import Contact, StopListEntry
from contacts.phone import InvalidPhone, is_russian_number, normalize_phone
from contacts.services import groups_gone
from contacts.timezones import zone_name
from providers.base import (
    Capability,
    DeliveryStatus,
    FailureReason,
    OutgoingSms,
    SmsGateway,
)
from providers.error_text import GatewayFailure, error_message
from providers.exceptions import (
    UNREADABLE_CREDENTIALS_FIX,
    GatewayError,
    NotSupported,
    WithdrawalRefused,
)
from providers.money import currency_sign
from providers.registry import gateway_for
from providers.selectors import account_capabilities, test_mode_problem
from smsportal.exceptions import ApplicationError, Conflict, Gone
from smsportal.outage import (
    BROKER,
    BROKER_ERRORS,
    CACHE,
    CACHE_ERRORS,
    note_down,
    queue_required,
    queue_unavailable,
    soft_delete,
    soft_get,
    soft_set,
)
from smsportal.textguard import (
    check_field_sendable,
    check_sendable,
    unsendable_message,
)
from smsportal.versioning import require_version, stale_since

logger = logging.getLogger("campaigns.services")

PREVIEW_SAMPLE = 5
MAX_TEST_PHONES = 10  # numbers a test send goes to at most
# A start time this far in the past when launching is a mistake to ask about, not an
# order to send at once: the manager meant another moment.
STALE_START = timedelta(minutes=5)
# The furthest ahead a start may be set: later is a slip of the year, and 31.12.9999
# in a zone west of UTC is past what the database and Python can read back.
START_AHEAD_MAX = timedelta(days=365)
HISTOGRAM_SAMPLE = 2000
# How long a gateway's price per segment is remembered, and its refusal to give one.
PRICE_SECONDS = 600
NO_PRICE_SECONDS = 60


@dataclass
class Preview:
    total: int = 0
    stop_listed: int = 0
    invalid: int = 0
    duplicates: int = 0
    # Pasted numbers of contacts in an excluded group: left out.
    excluded: int = 0
    deferred: int = 0
    # Recipients whose local time is not known (a mobile number with no zone on the
    # contact and no numbering plan loaded): quiet hours use the campaign's zone.
    zone_unknown: int = 0
    # Recipients abroad (Kazakhstan's +7 7xx too): the price per segment is Russia's
    # (the tariff, or the gateway's for a Russian number), theirs the gateway's own.
    abroad: int = 0
    # Recipients whose number is a landline (8-800 too), as the contact or the
    # number says: no SMS or Viber reaches them (a voice call does).
    landlines: int = 0
    # Recipients who would get an empty placeholder ("Hello, !"), by its name.
    empty_placeholders: dict[str, int] = field(default_factory=dict)
    segments_histogram: dict[int, int] = field(default_factory=dict)
    # Recipients whose text, with their values in it, is longer than the gateway
    # takes: the expansion rejects those messages.
    too_long: int = 0
    # Segments, and so the cost, of the messages that will go: the too long left out.
    estimated_segments: int = 0
    estimated_cost: Decimal | None = None
    balance: Decimal | None = None
    # What the account's other campaigns under way have still to send, at our
    # estimate: the balance pays for those first.
    committed: Decimal = Decimal("0.00")
    samples: list[dict] = field(default_factory=list)
    encoding: str = "gsm7"
    can_afford: bool = True


def campaign_price(campaign: Campaign) -> Decimal | None:
    """Price per segment: the admin's tariff, else the gateway's own estimate; None
    for a channel not billed per SMS part.

    The estimate is remembered for a while: the composer's live preview asks on every
    pause in typing, and SMSC refuses a sixth identical cost request within a minute
    (error 9; repeated errors get the account's IP blocked, sending included).
    With the cache down the gateway is asked each time: the estimate is shown all
    the same, and a launch does not fail for a speed-up.
    """
    if not campaign.billed_per_segment:
        return None  # Viber and voice: see campaigns.models.PER_SEGMENT_CHANNELS
    account = campaign.account
    if account.tariff is not None:
        return Decimal(account.tariff)
    gateway = gateway_for(account)
    if not gateway.supports(Capability.COST_ESTIMATE):
        return None
    key = f"campaigns:price:{account.pk}:{campaign.sender}"
    remembered = soft_get(key)
    if remembered is not None:
        return Decimal(remembered) if remembered else None
    price = _gateway_price(campaign, gateway)
    if price is None:
        soft_set(key, "", NO_PRICE_SECONDS)
    else:
        soft_set(key, str(price), PRICE_SECONDS)
    return price


def _gateway_price(campaign: Campaign, gateway: SmsGateway) -> Decimal | None:
    probe = OutgoingSms(
        reference="0", phone="+79000000000", text="price", sender=campaign.sender
    )
    try:
        estimate = gateway.estimate_cost([probe])
    except (GatewayError, NotSupported) as exc:
        logger.info("no cost estimate from %s: %s", campaign.account, exc)
        return None
    return estimate.total / max(estimate.segments, 1)


def campaign_preview(
    *, campaign: Campaign, groups: GroupChoice | None = None
) -> Preview:
    """What launching would do: counts, segments, cost, samples — without writing.

    `campaign` may be unsaved (the composer's live preview), its groups then given.
    """
    plan = SendPlan.for_campaign(campaign)
    preview = Preview()
    contacts = audience_contacts(campaign, groups)
    reachable = contacts.exclude(is_stopped_q())
    total, preview.stop_listed = audience_and_stopped_counts(contacts)
    contact_total = total - preview.stop_listed
    extra = parse_extra_numbers(campaign.extra_numbers)
    preview.invalid = len(extra.invalid)
    # Pasted numbers and, for a follow-up, the parent's failed recipients; the zone
    # is the numbering plan's, as the expansion uses it.
    extra_zones = extra_phone_zones(campaign, extra)
    extra_phones = list(extra_zones)
    stopped = set(
        StopListEntry.objects.filter(phone__in=extra_phones).values_list(
            "phone", flat=True
        )
    )
    stopped_members = audience_members(campaign, stopped, groups)
    preview.stop_listed += len(stopped - stopped_members)
    extra_phones = [phone for phone in extra_phones if phone not in stopped]
    excluded = excluded_members(campaign, extra_phones, groups)
    preview.excluded = len(excluded)
    extra_phones = [phone for phone in extra_phones if phone not in excluded]
    overlap = (
        set(reachable.filter(phone__in=extra_phones).values_list("phone", flat=True))
        if extra_phones
        else set()
    )
    extra_phones = [phone for phone in extra_phones if phone not in overlap]
    preview.duplicates = extra.duplicates + len(overlap) + len(stopped_members)
    preview.total = contact_total + len(extra_phones)
    # Samples of both parts, each standing for its own share of the audience.
    sample = list(
        reachable.order_by("id").values(
            *CONTACT_VALUES, "is_mobile", **CONTACT_EXPRESSIONS
        )[:HISTOGRAM_SAMPLE]
    )
    extra_sample = extra_phones[:HISTOGRAM_SAMPLE]
    # Apart from the placeholder values: is_mobile is no placeholder. A pasted
    # number's is as parse_extra_numbers read it (a parent's failure: unknown).
    pasted_mobile = {n.phone: n.is_mobile for n in extra.valid}
    landline = [
        ([row.pop("is_mobile") is False for row in sample], contact_total),
        (
            [pasted_mobile.get(phone) is False for phone in extra_sample],
            len(extra_phones),
        ),
    ]
    preview.landlines = _estimated(landline)
    groups = [
        (sample, contact_total),
        (_extra_rows(extra_sample, extra_zones), len(extra_phones)),
    ]
    # Each sample row read as placeholder values once (its JSON attributes parsed):
    # the texts, the quiet hours and the empty placeholders all use them.
    groups = [([template_values(row) for row in rows], n) for rows, n in groups]
    _fill_segments(preview, plan, groups, total=preview.total)
    preview.deferred = _deferred(plan, groups)
    preview.zone_unknown = _zone_unknown(plan, groups)
    preview.abroad = _abroad(groups)
    preview.empty_placeholders = _empty_placeholders(plan, groups)
    price = campaign_price(campaign)
    if price is not None:
        preview.estimated_cost = (price * preview.estimated_segments).quantize(
            Decimal("0.01")
        )
    balance = campaign.account.balance
    preview.balance = balance
    if balance is not None and preview.estimated_cost is not None:
        preview.committed = _committed_elsewhere(campaign)
    preview.can_afford = (
        balance is None
        or preview.estimated_cost is None
        or preview.estimated_cost + preview.committed <= balance
    )
    return preview


# Campaigns whose messages not yet sent will draw on the account's balance.
UNDER_WAY = (Campaign.State.SENDING, Campaign.State.PAUSED, Campaign.State.SCHEDULED)


def _committed_elsewhere(campaign: Campaign) -> Decimal:
    """What the account's other campaigns under way have still to send, at our
    estimate. Two campaigns launched on one balance that covers either alone both
    paused half way once the gateway refused for money.

    A campaign whose audience is built counts its messages not yet sent; one not
    built yet (scheduled, or its build under way) the estimate it was launched with.
    """
    others = Campaign.objects.filter(
        account_id=campaign.account_id, state__in=UNDER_WAY
    ).exclude(pk=campaign.pk)
    built = others.filter(expanded_at__isnull=False).values_list("pk", flat=True)
    committed = report_tallies.pending_estimate(campaign_ids=list(built))
    unbuilt = others.filter(expanded_at__isnull=True).aggregate(
        total=Sum("launch_estimate")
    )["total"]
    return (committed + (unbuilt or 0)).quantize(Decimal("0.01"))


def _extra_rows(phones: list[str], zones: dict[str, str]) -> list[dict]:
    """Pasted numbers as the expansion sees them: a contact's values where one exists."""
    contacts = {
        row["phone"]: row
        for row in Contact.objects.filter(phone__in=phones).values(
            *CONTACT_VALUES, **CONTACT_EXPRESSIONS
        )
    }
    rows = []
    for phone in phones:
        row = contacts.get(phone) or {"phone": phone, "time_zone": ""}
        rows.append({**row, "time_zone": row["time_zone"] or zones.get(phone, "")})
    return rows


# (sample rows as placeholder values, recipients they stand for)
Sampled = list[tuple[list[dict], int]]


def _fill_segments(
    preview: Preview, plan: SendPlan, groups: Sampled, total: int
) -> None:
    weighted: list[tuple[str, float]] = [
        (plan.text_for(row), count / len(rows))
        for rows, count in groups
        if rows
        for row in rows
    ] or [(plan.text_for({}), total)]
    histogram: dict[int, float] = {}
    too_long = sent_segments = 0.0
    for text, weight in weighted:
        info = count(text, plan.table)
        histogram[info.segments] = histogram.get(info.segments, 0) + weight
        if info.encoding == "ucs2":
            preview.encoding = "ucs2"
        if info.too_long or info.too_many_characters:
            too_long += weight  # rejected at expansion: never sent, never paid for
        else:
            sent_segments += info.segments * weight
    preview.segments_histogram = {k: round(v) for k, v in sorted(histogram.items())}
    # One sampled text too long stands for at least one recipient, however many
    # others it stands for.
    preview.too_long = math.ceil(too_long) if too_long else 0
    preview.estimated_segments = round(sent_segments)
    rows = [row for sample, _count in groups for row in sample]
    preview.samples = [
        {"phone": row["phone"], "text": text}
        for row, (text, _weight) in zip(rows[:PREVIEW_SAMPLE], weighted, strict=False)
    ]


def _deferred(plan: SendPlan, groups: Sampled) -> int:
    """Recipients quiet hours hold back, spreading included, estimated from samples."""
    if not plan.respect_window:
        return 0
    deferred = 0.0
    for rows, total in groups:
        if not rows:
            continue
        # The expansion spreads each part over the period by position; a sample row
        # stands at its evenly spaced place in the part.
        held = 0
        for index, row in enumerate(rows):
            base = plan.base_time(index * total // len(rows), total)
            held += plan.planned_at(base, row["time_zone"]) != base
        deferred += held * total / len(rows)
    return round(deferred)


def _zone_unknown(plan: SendPlan, groups: Sampled) -> int:
    """Recipients without a known zone, estimated from the samples."""
    if not plan.respect_window:
        return 0
    return _estimated([([not r["time_zone"] for r in rows], n) for rows, n in groups])


def _abroad(groups: Sampled) -> int:
    """Recipients whose number is not Russian, estimated from the samples."""
    return _estimated(
        [([not is_russian_number(r["phone"]) for r in rows], n) for rows, n in groups]
    )


def _estimated(parts: list[tuple[list[bool], int]]) -> int:
    """How many recipients are so: each part's sample (whether each sampled one is)
    stands for the part's `total`."""
    return round(
        sum(sum(sampled) * total / len(sampled) for sampled, total in parts if sampled)
    )


def _empty_placeholders(plan: SendPlan, groups: Sampled) -> dict[str, int]:
    """Recipients without a value for each placeholder of the text, estimated from
    the samples as _deferred is; only placeholders some recipient lacks."""
    empty: dict[str, float] = {}
    for rows, total in groups:
        for row in rows:
            for name in empty_fields(plan.parts, row):
                empty[name] = empty.get(name, 0.0) + total / len(rows)
    in_order = empty_fields(plan.parts, {})  # the text's placeholders, as written
    return {name: round(empty[name]) for name in in_order if round(empty.get(name, 0))}


# State changes ------------------------------------------------------------------------


def _check_launchable(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.DRAFT:
        raise ApplicationError(_("Only a draft can be launched."), where="state")
    _require_active_account(campaign)
    if not (campaign.sender or campaign.account.default_sender):
        raise ApplicationError(_("Choose a sender name."), where="sender")
    channels = gateway_for(campaign.account).channels
    if campaign.channel not in channels:
        raise ApplicationError(
            _("This gateway cannot send this channel."), where="channel"
        )
    _check_content(campaign)
    _check_sendable(campaign)
    # The name may have been refused or withdrawn at the gateway since the draft was
    # saved: a paused campaign could not be given another one.
    if problem := sender_problem(
        campaign.account, campaign.sender or campaign.account.default_sender
    ):
        raise ApplicationError(problem, where="sender")
    _check_start(campaign)
    require_audience(campaign)


def _check_content(campaign: Campaign) -> None:
    """The texts and Viber parts the composer checks, again: a draft saved before
    those checks, or moved to another account in the admin, may hold what its
    gateway would be sent without (or not sent at all)."""
    kind = campaign.account.kind
    texts = {"text": campaign.text, "viber_text": campaign.viber_text}
    sent, _templated = sent_template(kind=kind, channel=campaign.channel, **texts)
    if not sent.strip():
        raise ApplicationError(_("The text is empty."), where="text")
    problems = text_problems(kind=kind, channel=campaign.channel, **texts)
    if campaign.channel in VIBER_CHANNELS:
        problems.update(
            viber_field_problems(
                kind,
                {name: getattr(campaign, name) for name in VIBER_FORM_FIELDS.values()},
            )
        )
    for where, problem in problems.items():
        raise ApplicationError(problem, where=where)


def _require_active_account(campaign: Campaign) -> None:
    if not campaign.account.is_active:
        raise ApplicationError(
            _("The provider account is not active."), where="account"
        )
    # Said here, before the gateway is asked for its channels: that raised, and the
    # draft's page answered 500 where the Launch button's reason goes.
    if campaign.account.credentials_unreadable:
        raise ApplicationError(
            _("The provider account cannot send: %(why)s")
            % {"why": UNREADABLE_CREDENTIALS_FIX},
            where="account",
        )
    if problem := test_mode_problem(campaign.account):
        raise ApplicationError(problem, where="account")


def _check_start(campaign: Campaign) -> None:
    if campaign.start_at is None:
        return
    now = timezone.now()
    local = campaign.start_at.astimezone(zone(campaign.time_zone) or UTC)
    start = f"{local:%d.%m.%Y %H:%M} {zone_name(campaign.time_zone or 'UTC')}"
    if campaign.start_at > now + START_AHEAD_MAX:
        # Saved before the composer had a limit.
        raise ApplicationError(
            _(
                "The start time (%(start)s) is too far ahead: set one within a year "
                "from now."
            )
            % {"start": start},
            where="start_at",
        )
    if campaign.start_at > now - STALE_START:
        return
    raise ApplicationError(
        _(
            "The start time (%(start)s) has passed: set a new one, or choose to send "
            "at launch."
        )
        % {"start": start},
        where="start_at",
    )


def _check_sendable(campaign: Campaign) -> None:
    """Refuse characters no gateway can carry, naming the field and the place.

    The composer refuses them already; a draft saved before that check, or changed in
    the admin, may still hold them.
    """
    sender = campaign.sender or campaign.account.default_sender
    check_field_sendable(Campaign, "sender", sender)
    for name in SENT_TEXT_FIELDS:
        check_field_sendable(
            Campaign, name, getattr(campaign, name),
            multiline=name in MULTILINE_TEXT_FIELDS,
        )  # fmt: skip
    for key, value in (campaign.voice_options or {}).items():
        check_sendable(str(value), where="voice_options", label=key)


def _money(amount: Decimal | None, currency: str) -> str:
    """As the pages write money: "1 234,50 ₽" in Russian; an account whose gateway
    named no currency gets the number alone, not a dangling space."""
    number = number_format(amount, decimal_pos=2, force_grouping=True)
    return f"{number} {currency_sign(currency)}" if currency else number


def _check_preview(preview: Preview, currency: str) -> None:
    if preview.total == 0:
        raise ApplicationError(
            _("Nobody to send to: the audience is empty."), where="audience"
        )
    if not preview.can_afford and preview.committed:
        raise ApplicationError(
            _(
                "The balance (%(balance)s) does not cover the estimated cost "
                "(%(cost)s) with what the account's other campaigns have still to "
                "send (%(committed)s)."
            )
            % {
                "balance": _money(preview.balance, currency),
                "cost": _money(preview.estimated_cost, currency),
                "committed": _money(preview.committed, currency),
            },
            where="account",
        )
    if not preview.can_afford:
        raise ApplicationError(
            _("The balance (%(balance)s) does not cover the estimated cost (%(cost)s).")
            % {
                "balance": _money(preview.balance, currency),
                "cost": _money(preview.estimated_cost, currency),
            },
            where="account",
        )


def campaign_deleted() -> Gone:
    """The refusal of an action on a campaign deleted since it was read."""
    return Gone(
        _("The campaign was deleted meanwhile by someone else: nothing was done."),
        where="campaign",
    )


def unless_deleted(campaign_id: int) -> None:
    """Gone when the campaign was deleted meanwhile. A delete under way is waited
    for (campaign_delete holds the row to its commit): an action it overlapped is
    told the campaign is gone, not that its state does not allow the action. In the
    caller's transaction, the row stays locked against a delete to its commit."""
    with transaction.atomic():
        there = (
            Campaign.objects.select_for_update(no_key=True)
            .filter(pk=campaign_id)
            .values_list("pk", flat=True)
            .first()
        )
        if there is None:
            raise campaign_deleted()


def campaign_launch_refusal(
    *, campaign: Campaign, preview: Preview
) -> ApplicationError | None:
    """Why campaign_launch would refuse the draft now (None when it would not), for
    the page to say next to a disabled Launch button; `preview` is the one it shows."""
    try:
        _check_launchable(campaign)
        _check_preview(preview, campaign.account.balance_currency)
    except ApplicationError as exc:
        return exc
    return None


@transaction.atomic
def campaign_launch(
    *, campaign: Campaign, launched_by=None, expected_version: int | None = None
) -> Campaign:
    """Launch a draft now or at its start time; refuse what cannot be paid for, and
    (given `expected_version`, the version whose preview was shown) a draft changed
    since: StaleVersion, compared under the lock the launch holds to its commit."""
    campaign = (
        Campaign.objects.select_for_update()
        .select_related("account")
        .filter(pk=campaign.pk)
        .first()
    )
    if campaign is None:
        raise campaign_deleted()
    if campaign.state == Campaign.State.DRAFT:
        require_version(campaign, expected_version, message=_stale_launch_message)
    _check_launchable(campaign)
    preview = campaign_preview(campaign=campaign)
    _check_preview(preview, campaign.account.balance_currency)
    scheduled = campaign.start_at and campaign.start_at > timezone.now()
    if not scheduled:
        # Refused before anything changes: a campaign "sending" with nothing queued
        # would stand still until beat's tick, after the queue is back.
        queue_required()
    undo = _launch_undo(campaign, launched_by)
    campaign.price_per_segment = campaign_price(campaign)
    campaign.launch_estimate = preview.estimated_cost
    campaign.launched_by = launched_by
    campaign.launched_at = timezone.now()
    campaign.state = Campaign.State.SCHEDULED if scheduled else Campaign.State.SENDING
    campaign.pause_reason = ""
    # Its groups may be deleted once it has read them: their names stay here.
    campaign.audience_groups = audience_groups_snapshot(campaign)
    campaign.save(
        update_fields=[
            "price_per_segment",
            "launch_estimate",
            "launched_by",
            "launched_at",
            "state",
            "pause_reason",
            "audience_groups",
        ]
    )
    audit(
        AuditEvent.Action.LAUNCHED,
        campaign,
        actor=launched_by,
        recipients=preview.total,
        version=campaign.version,
        estimated_cost=str(preview.estimated_cost),
        currency=campaign.account.balance_currency or None,
        start_at=campaign.start_at.isoformat() if scheduled else None,
    )
    if not scheduled:
        campaign_start_enqueue(campaign.pk, undo=undo)
    return campaign


def _stale_launch_message(campaign: Campaign) -> str:
    since = stale_since(campaign)
    if since["who"]:
        changed = _(
            "Nothing was launched: %(who)s changed the campaign (%(when)s) after the "
            "preview you launched from was shown."
        )
    else:
        changed = _(
            "Nothing was launched: the campaign was changed (%(when)s) after the "
            "preview you launched from was shown."
        )
    return " ".join([changed % since, _("Check the new preview, then launch again.")])


def _stale_test_message(campaign: Campaign) -> str:
    since = stale_since(campaign)
    if since["who"]:
        changed = _(
            "Nothing was sent: %(who)s changed the campaign (%(when)s) after this "
            "page was opened."
        )
    else:
        changed = _(
            "Nothing was sent: the campaign was changed (%(when)s) after this page "
            "was opened."
        )
    return " ".join(
        [changed % since, _("Check the text it sends now, then send again.")]
    )


def _launch_undo(campaign: Campaign, launched_by) -> Callable[[], None]:
    """What puts the draft back as it was, for a launch whose audience build could
    not be queued after the commit (the broker went away since queue_required)."""
    before = {
        "state": campaign.state,
        "price_per_segment": campaign.price_per_segment,
        "launch_estimate": campaign.launch_estimate,
        "launched_by": campaign.launched_by,
        "launched_at": campaign.launched_at,
        "pause_reason": campaign.pause_reason,
    }

    def undo() -> None:
        # Only the launch this was: not once a build started (expanded_at), nor
        # after a cancel or another launch.
        undone = Campaign.objects.filter(
            pk=campaign.pk,
            state=Campaign.State.SENDING,
            expanded_at__isnull=True,
            launched_at=campaign.launched_at,
        ).update(**before)
        if undone:
            audit(AuditEvent.Action.CHANGED, campaign, actor=launched_by,
                  state=[Campaign.State.SENDING, before["state"]],
                  reason="task queue unavailable")  # fmt: skip

    return undo


# Longer than building the largest audience takes: while it is held, no second build
# of the same campaign is queued.
START_LEASE_SECONDS = 15 * 60


def start_lease_key(campaign_id: int) -> str:
    return f"campaign-start:{campaign_id}"


def campaign_start_enqueue(
    campaign_id: int, *, undo: Callable[[], None] | None = None
) -> bool:
    """Queue the building of a campaign's audience, unless a build is queued or under
    way (a lease, given back when the build ends). A build lost with its worker lets
    the lease run out, and beat's tick queues it again.

    When the broker refuses the task after the commit, the lease is given back (or
    the tick would wait 15 minutes once the queue is back) and `undo` runs, then
    QueueUnavailable is raised; without `undo` the broker's error is."""
    from campaigns.tasks import campaign_start as campaign_start_task

    key = start_lease_key(campaign_id)
    try:
        # QUEUED: a running pump of another campaign hands over early for the build
        # (campaigns.turns); campaign_start marks it BUILDING once it runs.
        if not cache.add(key, QUEUED, timeout=START_LEASE_SECONDS):
            return False
    except CACHE_ERRORS as exc:
        note_down(CACHE, exc)
        raise queue_unavailable() from exc

    def enqueue() -> None:
        try:
            campaign_start_task.delay(campaign_id)
        except BROKER_ERRORS as exc:
            note_down(BROKER, exc)
            soft_delete(key)
            if undo is None:
                raise
            undo()
            raise queue_unavailable() from exc

    transaction.on_commit(enqueue)
    return True


# A scheduled campaign's name removed (or refused) since its launch: it waits, paused,
# for another one rather than meeting the gateway's refusal message by message.
SENDER_GONE = gettext_noop(
    "The campaign's sender name is no longer usable on the account (removed, or not "
    "approved by the gateway): choose another, then resume."
)


def campaign_start(*, campaign_id: int) -> None:
    """Build the audience (idempotent) and start the pumps."""
    try:
        # Under way: no other campaign's pump hands over for this one's build.
        cache.set(start_lease_key(campaign_id), BUILDING, timeout=START_LEASE_SECONDS)
        campaign = Campaign.objects.select_related("account").get(pk=campaign_id)
        if campaign.state == Campaign.State.SCHEDULED and campaign_sender_problem(
            campaign=campaign
        ):
            Campaign.objects.filter(
                pk=campaign_id, state=Campaign.State.SCHEDULED
            ).update(state=Campaign.State.PAUSED, pause_reason=SENDER_GONE)
            return
        if campaign.state == Campaign.State.SCHEDULED:
            Campaign.objects.filter(
                pk=campaign_id, state=Campaign.State.SCHEDULED
            ).update(state=Campaign.State.SENDING)
            campaign.refresh_from_db()
        if campaign.state != Campaign.State.SENDING:
            return
        if campaign.account.credentials_unreadable:
            # This process's keys read no credentials of the account (another
            # SECRET_KEY on this worker's machine, a key changed): retries cannot
            # help, so the campaign waits with the banner saying what to fix.
            campaign_pause_for(campaign_id=campaign_id, reason=CREDENTIALS_UNREADABLE)
            return
        # Built already (a resume, a repeated task): the audience stays the one the
        # launch confirmed. Built again, it took in contacts added to its groups
        # since, and its counts were overwritten with the rebuild's "duplicates".
        if campaign.expanded_at is None and not _audience_built(campaign):
            return
    finally:
        cache.delete(start_lease_key(campaign_id))
    campaign_pumps_ensure(campaign_id=campaign_id)


def _audience_built(campaign: Campaign) -> bool:
    """Build the audience; whether the campaign is still there to send it."""
    try:
        stats = campaign_expand(campaign=campaign)
    except CampaignGone:
        _discard_build(campaign.pk)
        return False
    except ApplicationError as refused:
        # Raised again on every beat tick, it kept the campaign "sending" for ever.
        logger.warning("campaign %s: audience not built: %s", campaign.pk, refused)
        campaign_pause_for_plan(campaign.pk, refused)
        return False
    Campaign.objects.filter(pk=campaign.pk).update(audience_stats=stats.as_dict())
    # A cancel that came while the audience was being built withdrew only the
    # messages committed by then: the rest would stay pending for ever.
    if Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.CANCELLED).exists():
        _withdraw_unclaimed(campaign.pk)
        return False
    return True


def campaign_pumps_ensure(*, campaign_id: int, pumps: int = 2) -> int:
    """Start a pump for each free slot of a sending campaign; returns pumps started."""
    from campaigns.dispatch import PUMP_LEASE_SECONDS, pump_lease_key
    from campaigns.tasks import campaign_pump as campaign_pump_task

    started = 0
    for slot in range(pumps):
        key = pump_lease_key(campaign_id, slot)
        # Claim the slot before enqueueing so a concurrent tick starts no twin.
        # QUEUED: until one of its pumps runs, the campaign waits for a worker's
        # slot, and a running pump of another hands over early (campaigns.turns).
        if not cache.add(key, QUEUED, timeout=PUMP_LEASE_SECONDS):
            # A pump whose worker died (kill -9, a lost machine) holds its slot
            # until the lease runs out (2 min); once the worker is taken for dead
            # the slot is taken over at once. Two pumps in one slot, if the worker
            # was only frozen, send nothing twice: claims are in the database.
            if not lease_abandoned(cache.get(key)):
                continue
            logger.info("pump %s:%s: its worker is gone, restarted", campaign_id, slot)
            cache.set(key, QUEUED, timeout=PUMP_LEASE_SECONDS)
        campaign_pump_task.delay(campaign_id, slot)
        started += 1
    return started


def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop sending between batches; resume continues from the ledger."""
    updated = Campaign.objects.filter(
        pk=campaign.pk, state__in=[Campaign.State.SENDING, Campaign.State.SCHEDULED]
    ).update(state=Campaign.State.PAUSED)
    if not updated:
        unless_deleted(campaign.pk)
        raise ApplicationError(
            _("Only a sending or scheduled campaign can be paused."), where="state"
        )
    campaign.refresh_from_db()
    audit(AuditEvent.Action.PAUSED, campaign)
    return campaign


def campaign_resume(*, campaign: Campaign) -> Campaign:
    """Continue from the ledger; one paused before its start time waits for it again."""
    # A campaign paused while scheduled goes back to waiting for its start time (beat
    # starts it then): resuming it is not an order to send a day early.
    waiting = campaign.start_at is not None and campaign.start_at > timezone.now()
    state = Campaign.State.SCHEDULED if waiting else Campaign.State.SENDING
    _require_active_account(campaign)
    if problem := campaign_sender_problem(campaign=campaign):
        raise ApplicationError(problem, where="sender")
    if problem := plan_problem_text(campaign):
        raise ApplicationError(problem, where="text")
    if not waiting:
        queue_required()
    # Conditional: a cancel that came in meanwhile is not undone. A spread goes on
    # at its pace: its pump plans again what fell due meanwhile before it claims.
    # Assumption: the validity period counts from the sending, as the composer
    # says, so nothing expires for the pause.
    if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.PAUSED).update(
        state=state, pause_reason="", replan_due=bool(campaign.spread_hours)
    ):
        unless_deleted(campaign.pk)
        raise ApplicationError(
            _("Only a paused campaign can be resumed."), where="state"
        )
    campaign.refresh_from_db()
    audit(AuditEvent.Action.RESUMED, campaign)
    if not waiting:
        transaction.on_commit(lambda: _resume_start(campaign.pk, state))
    return campaign


def campaign_unschedule(*, campaign: Campaign) -> Campaign:
    """Take a campaign waiting for its start back to a draft, to be changed and
    launched again; refused once its audience is being built (it has started)."""
    # Conditional, as campaign_start's own move to sending is: whichever comes first
    # wins, and a start already under way is never undone.
    waiting = Q(state=Campaign.State.SCHEDULED) | Q(
        state=Campaign.State.PAUSED, start_at__gt=timezone.now()
    )
    was = campaign.state
    returned = (
        Campaign.objects.filter(waiting, pk=campaign.pk, expanded_at__isnull=True)
        .exclude(Exists(Message.objects.filter(campaign=OuterRef("pk"))))
        .update(
            state=Campaign.State.DRAFT,
            launched_at=None,
            launched_by=None,
            price_per_segment=None,
            launch_estimate=None,
            pause_reason="",
            audience_groups={},  # a draft's groups are its own rows again
        )
    )
    if not returned:
        unless_deleted(campaign.pk)
        raise ApplicationError(
            _(
                "Only a campaign waiting for its start time can return to draft; "
                "this one has started or was never scheduled."
            ),
            where="state",
        )
    campaign.refresh_from_db()
    audit(AuditEvent.Action.CHANGED, campaign, state=[was, Campaign.State.DRAFT])
    return campaign


def campaign_sender_change(*, campaign: Campaign, sender: str) -> int:
    """Give a paused campaign another sender name, for it and for its messages not
    sent yet; how many messages took it. A gateway that refused the name paused the
    campaign, and its page asked for an approved one: before, only a cancel and a
    copy could give it one."""
    sender = sender.strip()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        if locked is None:
            raise campaign_deleted()
        if locked.state != Campaign.State.PAUSED:
            raise ApplicationError(
                _("The sender name can change only while the campaign is paused."),
                where="state",
            )
        if not sender:
            raise ApplicationError(_("Choose the sender name."), where="sender")
        if problem := sender_problem(locked.account, sender):
            raise ApplicationError(problem, where="sender")
        before = locked.sender
        Campaign.objects.filter(pk=locked.pk).update(sender=sender)
        # Claimed ones are on their way (or in doubt) with the name they had.
        changed = Message.objects.filter(
            campaign=locked, is_pending=True, claimed_at__isnull=True
        ).update(sender=sender)
    campaign.refresh_from_db()
    audit(AuditEvent.Action.CHANGED, campaign, sender=[before, sender],
          messages=changed)  # fmt: skip
    return changed


def _resume_start(campaign_id: int, state: str) -> None:
    from campaigns.tasks import campaign_start as campaign_start_task

    try:
        campaign_start_task.delay(campaign_id)
    except BROKER_ERRORS as exc:
        # Paused again, as it was: "sending" with nothing queued would say otherwise.
        note_down(BROKER, exc)
        Campaign.objects.filter(pk=campaign_id, state=state).update(
            state=Campaign.State.PAUSED
        )
        raise queue_unavailable() from exc


def campaign_cancel(*, campaign: Campaign) -> dict[str, Any]:
    """Cancel: pending messages are withdrawn here, scheduled ones at the gateway;
    says how many, how many a pump was sending at that moment, how many the gateway
    did not answer for (they may still go out) and how many it holds still."""
    active = [Campaign.State.DRAFT, Campaign.State.SCHEDULED, Campaign.State.SENDING,
              Campaign.State.PAUSED]  # fmt: skip
    with transaction.atomic():
        # The system's pause reason goes too: its banner asks for a Resume.
        cancelled_now = bool(
            Campaign.objects.filter(pk=campaign.pk, state__in=active).update(
                state=Campaign.State.CANCELLED,
                finished_at=timezone.now(),
                pause_reason="",
            )
        )
        if cancelled_now:
            _groups_record_unread(campaign.pk)
    if not cancelled_now:
        ended = _cancel_completed_with_scheduled(campaign)
        if ended is None:
            unless_deleted(campaign.pk)
            # As a second pause or resume is: a 400 saying the state, nothing done.
            already = Campaign.objects.filter(
                pk=campaign.pk, state=Campaign.State.CANCELLED
            ).exists()
            raise ApplicationError(
                _("This campaign is already cancelled.")
                if already
                else _("This campaign can no longer be cancelled."),
                where="state",
            )
        cancelled_now = ended == Campaign.State.COMPLETED
    said = _withdraw_everywhere(campaign)
    campaign.refresh_from_db()
    if cancelled_now:
        # Once: a repeat only retries the withdrawal of what the gateway holds.
        audit(
            AuditEvent.Action.CANCELLED,
            campaign,
            withdrawn=said["withdrawn"],
            at_gateway=said["cancelled_at_gateway"],
        )
    return said


def _groups_record_unread(campaign_id: int) -> None:
    """Keep the groups of a campaign cancelled before it read them (a draft, or one
    waiting for its start), as they are now: from the cancel's commit they may be
    deleted (campaigns.selectors.group_users). Called under the cancel's row lock,
    so a draft's save cannot change them meanwhile; one that read them keeps those
    of its launch."""
    campaign = Campaign.objects.filter(pk=campaign_id, expanded_at__isnull=True).first()
    if campaign is not None:
        Campaign.objects.filter(pk=campaign_id).update(
            audience_groups=audience_groups_snapshot(campaign)
        )


def campaign_withdraw_again(*, campaign: Campaign) -> dict[str, Any]:
    """A cancelled campaign's withdrawal tried again: what the gateway still holds
    (its withdrawal failed) is withdrawn, and what it never answered for is asked
    about now, rather than at the reconciler's next run. Says as a cancel does."""
    if campaign.state != Campaign.State.CANCELLED:
        raise ApplicationError(
            _("Only a cancelled campaign's withdrawal can be tried again."),
            where="state",
        )
    if not campaign_withdrawal_left(campaign=campaign):
        raise ApplicationError(
            _(
                "Nothing of this campaign waits at the gateway or is in doubt: "
                "nothing of it is left to withdraw."
            ),
            where="state",
        )
    return _withdraw_everywhere(campaign)


def _withdraw_everywhere(campaign: Campaign) -> dict[str, Any]:
    """A cancelled campaign's messages withdrawn here and at the gateway; how many,
    how many may still go out (in_flight, in_doubt, not_withdrawn, of which
    refused_at_gateway the gateway would not withdraw: it is sending them), and what
    the gateway failed with (gateway_errors, in words: each once)."""
    withdrawn = _withdraw_unclaimed(campaign.pk, limit=WITHDRAW_IN_REQUEST)
    withdrawing = (
        _unclaimed_left(campaign.pk) if withdrawn == WITHDRAW_IN_REQUEST else 0
    )
    if withdrawing:
        from campaigns.tasks import campaign_withdraw_rest as withdraw_task

        transaction.on_commit(lambda: withdraw_task.delay(campaign.pk))
    failures: list[GatewayFailure] = []
    at_gateway = _cancel_scheduled_at_gateway(campaign, failures)
    # A batch whose answer never came may be held at the gateway by ids we never
    # learnt: asked about now, and what it holds withdrawn.
    at_gateway += campaign_in_doubt_settle(campaign=campaign, failures=failures)
    # Claimed by a pump, so not withdrawn: those already with the gateway still go,
    # the rest come back cancelled. The user is told, not shown them sent unsaid.
    claimed = Message.objects.filter(
        campaign_id=campaign.pk, is_pending=True, claimed_at__isnull=False
    )
    in_doubt = cancelled_in_doubt(campaign=campaign).count()
    in_flight = claimed.count() - in_doubt
    # Held at the gateway and not withdrawn (it failed, or would not): they go out
    # at their time, and the user is told so rather than shown a clean cancel.
    not_withdrawn = messages_waiting_at_gateway(campaign=campaign).count()
    # Of those, the ones the gateway would not withdraw because it is sending them:
    # said so apart, not as a failure to try again.
    refused_ids = [
        gid for e in failures if isinstance(e, WithdrawalRefused) for gid in e.refused
    ]
    refused = (
        messages_waiting_at_gateway(campaign=campaign)
        .filter(gateway_message_id__in=refused_ids)
        .count()
        if refused_ids
        else 0
    )
    failed = [e for e in failures if not isinstance(e, WithdrawalRefused)]
    return {
        "withdrawn": withdrawn,
        "withdrawing": withdrawing,
        "cancelled_at_gateway": at_gateway,
        "in_flight": in_flight,
        "in_doubt": in_doubt,
        "not_withdrawn": not_withdrawn,
        "refused_at_gateway": refused,
        "gateway_errors": list(dict.fromkeys(error_message(e) for e in failed)),
    }


def _discard_build(campaign_id: int) -> None:
    """Remove what a build committed for a campaign deleted meanwhile: its parts
    commit on their own, and their rows would outlive the campaign."""
    with transaction.atomic():
        Message.objects.filter(campaign_id=campaign_id).delete()
        # After the messages: their delete trigger writes counts of its own.
        campaign_counts_delete(campaign_id=campaign_id)
    logger.warning("campaign %s was deleted while its audience was built", campaign_id)


# A cancel withdraws up to this many pending messages itself; a worker withdraws the
# rest, a part at a time: one statement over 606,000 held the cancel's request 51 s
# (past a proxy's timeout), every row locked until it ended.
WITHDRAW_IN_REQUEST = 10_000
WITHDRAW_CHUNK = 10_000


def _withdraw_unclaimed(campaign_id: int, *, limit: int | None = None) -> int:
    """Cancel a campaign's pending messages no pump has claimed (up to `limit`)."""
    waiting = Message.objects.filter(
        campaign_id=campaign_id, is_pending=True, claimed_at__isnull=True
    )
    if limit is not None:
        # The first `limit` by the pending index; the outer conditions again, for
        # rows a pump claimed meanwhile (one of a part already sending).
        waiting = waiting.filter(pk__in=waiting.values("pk")[:limit])
    return waiting.update(
        status=DeliveryStatus.CANCELLED,
        reason=FailureReason.CANCELLED,
        # One released from doubt kept the lost answer's words (sending.release):
        # not a failure of this message, which never left.
        vendor_code="",
        vendor_text="",
        status_changed_at=timezone.now(),
    )


def _unclaimed_left(campaign_id: int) -> int:
    return Message.objects.filter(
        campaign_id=campaign_id, is_pending=True, claimed_at__isnull=True
    ).count()


def campaign_withdraw_rest(*, campaign_id: int) -> int:
    """Withdraw a cancelled campaign's pending messages a part at a time, each its
    own short statement; how many. Run by a worker after a large cancel, and by
    beat's tick for one whose run was lost."""
    if not Campaign.objects.filter(
        pk=campaign_id, state=Campaign.State.CANCELLED
    ).exists():
        return 0
    total = 0
    while withdrawn := _withdraw_unclaimed(campaign_id, limit=WITHDRAW_CHUNK):
        total += withdrawn
    return total


def _cancel_completed_with_scheduled(campaign: Campaign) -> str | None:
    """Cancel a campaign that completed while some of its messages wait at the gateway;
    the state it ended in (completed, or cancelled already), None when there is
    nothing to withdraw.

    Such a campaign completes as soon as the last message is handed over, maybe hours
    before the gateway sends it; cancelling it must still withdraw those. A cancelled
    one may be cancelled again: a withdrawal that failed is tried once more.
    """
    ended = [Campaign.State.COMPLETED, Campaign.State.CANCELLED]
    state = (
        Campaign.objects.filter(pk=campaign.pk, state__in=ended)
        .values_list("state", flat=True)
        .first()
    )
    if state is None:
        return None
    if Capability.SCHEDULED_CANCEL not in account_capabilities(campaign.account):
        return None
    if not messages_waiting_at_gateway(campaign=campaign).exists():
        return None
    if not Campaign.objects.filter(
        pk=campaign.pk, state=Campaign.State.COMPLETED
    ).update(state=Campaign.State.CANCELLED):
        return Campaign.State.CANCELLED  # cancelled by an earlier (or a twin) request
    return Campaign.State.COMPLETED


def _cancel_scheduled_at_gateway(
    campaign: Campaign, failures: list[GatewayFailure]
) -> int:
    scheduled = messages_waiting_at_gateway(campaign=campaign)
    ids = list(scheduled.values_list("gateway_message_id", flat=True))
    return gateway_withdraw(
        campaign.account, ids, reason=FailureReason.CANCELLED, failures=failures
    )


def campaign_resend_failed(*, campaign: Campaign, created_by=None) -> Campaign:
    """A draft follow-up campaign whose audience is this campaign's failed recipients."""
    with transaction.atomic():
        # Locked: two requests at once (a retried API call, a script) would each see
        # no follow-up yet and make one, and both would be sent.
        locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        if locked is None:
            raise campaign_deleted()
        return _resend_failed(locked, created_by)


def _resend_failed(campaign: Campaign, created_by) -> Campaign:
    reason, where = _resend_refusal(campaign)
    if reason:
        raise ApplicationError(reason, where=where)
    followup = Campaign.objects.create(
        name=_derived_name(_("%(name)s — resend"), campaign.name),
        **_message_settings(campaign),
        parent=campaign,
        created_by=created_by,
    )
    return followup


def campaign_resend_refused_because(*, campaign: Campaign) -> str:
    """Why "resend to the failed" would be refused now ("" when it would not): the
    detail page offers it only when it would work."""
    return _resend_refusal(campaign)[0]


def _resend_refusal(campaign: Campaign) -> tuple[str, str]:
    """(why a follow-up cannot be made, the place it is about), or ("", "")."""
    if campaign.state not in RESENDABLE_STATES:
        # While it still sends, more may fail after the follow-up is made, and those
        # could never get one (a campaign has one follow-up).
        return _(
            "Resend to the failed once the campaign has finished or is cancelled."
        ), "state"
    if not has_failures_to_resend(campaign.pk):
        return _(
            "No failed recipients to resend to: stop-listed and invalid numbers are "
            "not resent, nor messages withdrawn by a cancel (copy the campaign to "
            "send those)."
        ), "campaign"
    # A follow-up's audience is this campaign's failures, whatever became of them since:
    # a second one would send again to everyone the first one reached.
    earlier = (
        campaign.followups.filter(
            ~Q(state=Campaign.State.CANCELLED)
            | Exists(Message.objects.filter(campaign=OuterRef("pk")))
        )
        .order_by("-id")
        .first()
    )
    if earlier is not None:
        return _(
            "These failed recipients already have a follow-up, “%(name)s”: resend to "
            "its failed recipients instead, so nobody gets the message twice."
        ) % {"name": earlier.name}, "campaign"
    return "", ""


# What a follow-up or a copy takes over: what is sent, through what, in which hours
# and at what pace (a follow-up sent at once, where its campaign was spread, flooded
# whoever answers the replies); not whom to (each decides), nor when it starts, nor
# anything of the sending itself.
MESSAGE_SETTINGS = (
    "account", "sender", "channel", "text", "viber_text", "viber_button_text",
    "viber_button_url", "viber_image_url", "viber_image_id", "voice_options",
    "time_zone",
    "respect_quiet_hours", "window_start", "window_end", "validity_hours", "translit",
    "spread_hours",
)  # fmt: skip


def _message_settings(campaign: Campaign) -> dict[str, Any]:
    return {attr: getattr(campaign, attr) for attr in MESSAGE_SETTINGS}


def _derived_name(pattern: str, name: str) -> str:
    """`pattern` % name, the name shortened so the whole fits the name field."""
    room = Campaign._meta.get_field("name").max_length - len(pattern % {"name": ""})
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return pattern % {"name": name}


def campaign_copy(*, campaign: Campaign, created_by=None) -> Campaign:
    """A new draft with this campaign's message, audience and timing, in any state.

    The copy keeps a start time still ahead (a scheduled campaign copied to be
    changed must not go at once on launch); one passed, it starts on launch. It is
    not a follow-up: the copy of a follow-up gets its settings and an empty
    audience, because the failures of the parent belong to the follow-up alone.

    Its groups are held against a delete to the commit (as a draft's save holds
    them). One deleted by someone meanwhile, or since the campaign was launched (its
    audience_groups name it), is left out of the copy, and the copy's
    `deleted_groups` names it by field ({"exclude_groups": ["Staff"]}) for the user
    to be told: the copy is made all the same, but not in silence (without its
    exclusion it would send to those the campaign left out).
    """
    start_at = campaign.start_at
    if start_at is not None and start_at <= timezone.now():
        start_at = None
    with transaction.atomic():
        # Held against a delete to the commit: a copy of a campaign deleted
        # meanwhile was made from the page's copy of it, with no groups at all.
        unless_deleted(campaign.pk)
        chosen = {
            "include_groups": list(campaign.include_groups.all()),
            "exclude_groups": list(campaign.exclude_groups.all()),
        }
        deleted = {name: groups_gone(groups) for name, groups in chosen.items()}
        before = groups_deleted(campaign)
        copy = Campaign.objects.create(
            name=_derived_name(_("%(name)s (copy)"), campaign.name),
            **_message_settings(campaign),
            start_at=start_at,
            to_whole_book=campaign.to_whole_book,
            birthday_on=campaign.birthday_on,
            extra_numbers=campaign.extra_numbers,
            created_by=created_by,
        )
        for name, groups in chosen.items():
            getattr(copy, name).set([g for g in groups if g not in deleted[name]])
    # A group deleted while this ran is in both: named once.
    named = {
        name: [n for pk, n in before.get(name, []) if pk not in {g.pk for g in gone}]
        + [group.name for group in gone]
        for name, gone in deleted.items()
    }
    copy.deleted_groups = {name: names for name, names in named.items() if names}
    return copy


def campaign_undeletable_because(
    *, campaign: Campaign, waiting_at_gateway: bool | None = None
) -> str:
    """Why deleting the campaign now would lose track of messages ("" when nothing).

    Its rows are the only record of what went out: messages claimed without a result
    (with the gateway right now, or in doubt) and messages the gateway holds for
    their send time must be settled first. `waiting_at_gateway` is whether any are
    held, when the caller counted them already (the detail page).
    """
    if campaign.state in (Campaign.State.SENDING, Campaign.State.SCHEDULED):
        return _("Pause or cancel the campaign first.")
    if Message.objects.filter(
        campaign=campaign, is_pending=True, claimed_at__isnull=False
    ).exists():
        return _(
            "Some messages may have reached the gateway and are not settled yet: "
            "wait a few minutes, decide on those in doubt, then delete."
        )
    if waiting_at_gateway is None:
        waiting_at_gateway = messages_waiting_at_gateway(campaign=campaign).exists()
    if waiting_at_gateway:
        return _(
            "Some messages wait at the gateway for their send time: cancel the "
            "campaign to withdraw them first, or delete it once they have gone out."
        )
    return ""


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a draft or finished campaign with its messages and counts.

    Checked on the row locked to the delete's commit: checked on the page's copy,
    a resume or a launch by someone else between the check and the delete sent
    messages whose records the delete then took with it. A resume, a launch or a
    pause waits for the lock and finds the campaign gone."""
    campaign_id = campaign.pk
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if locked is None:
            return  # deleted meanwhile by someone else: done all the same
        reason = campaign_undeletable_because(campaign=locked)
        if reason:
            raise ApplicationError(reason, where="state")
        locked.delete()
        campaign_counts_delete(campaign_id=campaign_id)


def campaign_test_send(
    *,
    campaign: Campaign,
    phones: Sequence[str],
    client_key: str = "",
    expected_version: int | None = None,
) -> list[Message]:
    """Send the campaign's text to a few numbers now (not part of the campaign).

    Given `expected_version` (the one the page showed), `campaign` must still be it:
    what is sent is this object's text, so no lock is held over the gateway call.
    With a `client_key` (an API client's idempotency key), a repeated request, even
    one racing this one, gets the messages sent the first time and sends nothing; the
    key used for other numbers is a Conflict."""
    require_version(campaign, expected_version, message=_stale_test_message)
    if campaign.state == Campaign.State.CANCELLED:
        raise ApplicationError(
            _("A cancelled campaign sends nothing, not even a test."), where="state"
        )
    _require_active_account(campaign)
    normalized = []
    problems = []  # every bad number at once, not one per attempt
    for index, raw in enumerate(phones, start=1):
        # Named by its code, not echoed: an invisible control character in the
        # message would look like a valid number refused for no reason.
        if bad := unsendable_message(raw, multiline=False, remedy=True):
            problems.append(_("Test number %(n)d: %(why)s") % {"n": index, "why": bad})
            continue
        try:
            normalized.append(normalize_phone(raw).e164)
        except InvalidPhone as exc:
            problems.append(
                _("Test number %(n)d (%(raw)s): %(why)s")
                % {"n": index, "raw": raw, "why": exc}
            )
    if problems:  # one after another, each ending where the next begins
        raise ApplicationError("; ".join(problems), where="phones")
    normalized = list(dict.fromkeys(normalized))  # a number written twice is one
    if not normalized:
        raise ApplicationError(_("Give one to ten test numbers."), where="phones")
    if len(normalized) > MAX_TEST_PHONES:
        raise ApplicationError(
            _("At most %(max)d test numbers at a time; you gave %(count)d.")
            % {"max": MAX_TEST_PHONES, "count": len(normalized)},
            where="phones",
        )
    keys = {phone: _test_send_key(campaign, client_key, phone) for phone in normalized}
    earlier = _test_sent_under(campaign, client_key, keys)
    if earlier is not None:
        return earlier
    _check_sendable(campaign)
    plan = SendPlan.for_campaign(campaign)
    contacts = {
        row["phone"]: row
        for row in Contact.objects.filter(phone__in=normalized).values(
            *CONTACT_VALUES, **CONTACT_EXPRESSIONS
        )
    }
    messages = []
    for phone in normalized:
        text = plan.text_for(template_values(contacts.get(phone, {"phone": phone})))
        info = count(text, plan.table)
        messages.append(
            Message(
                campaign=None, account=campaign.account, phone=phone, text=text,
                # Linked, so the test shows in the contact's history as one-off.
                contact_id=contacts.get(phone, {}).get("id"),
                sender=campaign.sender or campaign.account.default_sender,
                channel=campaign.channel, segments=info.segments, encoding=info.encoding,
                planned_at=timezone.now(), client_key=keys[phone],
            )
        )  # fmt: skip
    try:
        with transaction.atomic():
            created = Message.objects.bulk_create(messages)
    except IntegrityError:
        # A request with the same key stored its messages first: they are the answer.
        if (earlier := _test_sent_under(campaign, client_key, keys)) is None:
            raise
        return earlier
    ids = (
        [m.pk for m in created]
        if created[0].pk
        else list(
            Message.objects.filter(campaign=None, phone__in=normalized)
            .order_by("-id")
            .values_list("id", flat=True)[: len(messages)]
        )
    )
    audit(AuditEvent.Action.TEST_SENT, campaign, phones=normalized)
    account = campaign.account
    claimed = claim_ids(message_ids=ids, login_generation=account.login_generation)
    outcome = submit(account=account, campaign=campaign, claimed=claimed)
    raise_unless_sent(outcome, message_ids=ids)
    return list(Message.objects.filter(pk__in=ids).order_by("id"))


def _test_send_key(campaign: Campaign, client_key: str, phone: str) -> str:
    """A test message's own key ("" without one): the request's part, shared by its
    numbers (_test_sent_under finds them all by it), then the number's; within a
    message's 64 characters whatever the client's key."""
    if not client_key:
        return ""
    return f"{_test_send_prefix(campaign, client_key)}{_digest(phone)[:16]}"


def _test_send_prefix(campaign: Campaign, client_key: str) -> str:
    return f"test:{_digest(f'{campaign.pk}:{client_key}')[:40]}:"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _test_sent_under(
    campaign: Campaign, client_key: str, keys: dict[str, str]
) -> list[Message] | None:
    """The test messages sent under the request's key before (None: none were); a
    Conflict when the key went with other numbers, which would go untested."""
    if not client_key:
        return None
    earlier = list(
        Message.objects.filter(
            account=campaign.account,
            client_key__startswith=_test_send_prefix(campaign, client_key),
        ).order_by("id")
    )
    if not earlier:
        return None
    if {message.client_key for message in earlier} != set(keys.values()):
        raise Conflict(
            _(
                "This idempotency key was already used for a test send to other "
                "numbers; give this one a key of its own."
            ),
            where="client_key",
        )
    return earlier
