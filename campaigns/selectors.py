"""Read-side queries and view models of the campaign pages and API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AuditEvent
from campaigns.claim_tally import (
    minute_floor,
    unanswered_claimed_before,
    unanswered_claims,
)
from campaigns.counts import CampaignCounts, campaign_counts, campaigns_counts
from campaigns.dispatch import SCHEDULE_AHEAD
from campaigns.held_tally import HELD_AT_GATEWAY, held_after_this_minute, held_waits
from campaigns.models import BirthdayGreeting, Campaign, Message
from campaigns.planning import segment_table_for
from campaigns.reconcile import GRACE, messages_in_doubt, settles_by_itself
from campaigns.segments import SegmentInfo
from contacts.models import ContactGroup, CustomField
from providers.base import Capability, DeliveryStatus, FailureReason, MessageChannel
from providers.exceptions import GatewayConfigurationError
from providers.models import ProviderAccount, RemovedSenderName, SenderName
from providers.registry import gateway_class, gateway_for
from providers.selectors import sender_rule_problem
from providers.sender_states import sender_state_label
from smsportal.outage import soft_get_many, soft_set_many

State = Campaign.State

# Bootstrap badge colour per campaign state.
STATE_CLASSES = {
    State.DRAFT: "text-bg-secondary",
    State.SCHEDULED: "text-bg-info",
    State.SENDING: "text-bg-primary",
    State.PAUSED: "text-bg-warning",
    State.COMPLETED: "text-bg-success",
    State.CANCELLED: "text-bg-dark",
    State.FAILED: "text-bg-danger",
}
# The progress partial polls while the campaign may still change by itself.
LIVE_STATES = frozenset({State.SENDING, State.SCHEDULED})
# Scheduled, sending or paused: the dashboard's campaigns in flight.
IN_FLIGHT_STATES = frozenset({*LIVE_STATES, State.PAUSED})
FINISHED_STATES = frozenset({State.COMPLETED, State.CANCELLED, State.FAILED})
# Finished: no more of its messages can fail, so a follow-up takes all that did.
RESENDABLE_STATES = FINISHED_STATES
DELIVERED = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
FAILED = (DeliveryStatus.UNDELIVERED, DeliveryStatus.REJECTED, DeliveryStatus.FAILED)
IN_FLIGHT = (DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.UNKNOWN)
IN_DOUBT_SHOWN = 200
# How often an open page refreshes a campaign's numbers: while it sends, and afterwards,
# more slowly, while delivery reports for messages already handed over keep coming in.
POLL_SENDING_SECONDS = 2
POLL_REPORTS_SECONDS = 10
# A scheduled campaign changes only when it starts: slowly until its start is near.
POLL_SCHEDULED_SECONDS = 30
GATEWAY_WAIT_SECONDS = 60  # campaign_gateway_wait's answer is remembered this long
# A minute after every claim: unanswered_claimed_before() it counts them all.
_FAR_AHEAD = datetime(9999, 1, 1, tzinfo=UTC)


def poll_seconds(
    *,
    state: str,
    in_flight: int,
    sending: int = POLL_SENDING_SECONDS,
    start_at: datetime | None = None,
) -> int | None:
    """Seconds between refreshes of a campaign's numbers on an open page, or None when
    they can no longer change (not sending, and no report awaited)."""
    if (
        state == State.SCHEDULED
        and start_at is not None
        and start_at - timezone.now() > timedelta(seconds=POLL_SCHEDULED_SECONDS)
    ):
        return POLL_SCHEDULED_SECONDS
    if state in LIVE_STATES:
        return sending
    return POLL_REPORTS_SECONDS if in_flight else None


def in_flight_poll_seconds(states: Iterable[str]) -> int | None:
    """Seconds between refreshes of a list of campaigns (the dashboard's in flight, a
    page of the campaign list) with these states: often while one sends, now and then
    while one is scheduled or paused (it may start or resume elsewhere), never when
    none is in flight (a launch comes with a page load)."""
    states = set(states) & IN_FLIGHT_STATES
    if Campaign.State.SENDING in states:
        return POLL_SENDING_SECONDS
    return POLL_REPORTS_SECONDS if states else None


@dataclass(frozen=True)
class Progress:
    """A campaign's counts turned into what the progress bar and table show."""

    counts: CampaignCounts

    @property
    def total(self) -> int:
        return self.counts.total

    @property
    def pending(self) -> int:
        return self.counts.get(DeliveryStatus.PENDING)

    @property
    def processed(self) -> int:
        """Messages no longer waiting on our side (handed over, refused or withdrawn)."""
        return self.total - self.pending

    @property
    def delivered(self) -> int:
        return sum(self.counts.get(s) for s in DELIVERED)

    @property
    def failed(self) -> int:
        return sum(self.counts.get(s) for s in FAILED)

    @property
    def in_flight(self) -> int:
        return sum(self.counts.get(s) for s in IN_FLIGHT)

    @property
    def cancelled(self) -> int:
        return self.counts.get(DeliveryStatus.CANCELLED)

    @property
    def percent(self) -> int:
        return _percent(self.processed, self.total)

    def bar(self) -> list[tuple[str, str, int, int]]:
        """(kind, css class, count, percent) segments of the stacked bar."""
        parts = [
            ("delivered", "bg-success", self.delivered),
            ("in_flight", "bg-info", self.in_flight),
            ("failed", "bg-danger", self.failed),
            ("cancelled", "bg-secondary", self.cancelled),
        ]
        return [(kind, css, n, _percent(n, self.total)) for kind, css, n in parts if n]

    def rows(self) -> list[tuple[str, str, int, str]]:
        """(status, label, count, part_of) for every status, in the state machine's
        order. As the report's funnel: Delivered counts the read too, and Read is
        the part of Delivered that was also read (part_of names it), so the caption's
        «Delivered» and the table agree."""
        rows = []
        for status in DeliveryStatus:
            if status == DeliveryStatus.DELIVERED:
                rows.append((status.value, str(status.label), self.delivered, ""))
            elif status == DeliveryStatus.READ:
                rows.append(
                    (
                        status.value,
                        _("of these, read"),
                        self.counts.get(status),
                        DeliveryStatus.DELIVERED.value,
                    )
                )
            else:
                rows.append(
                    (status.value, str(status.label), self.counts.get(status), "")
                )
        return rows

    def as_dict(self) -> dict[str, object]:
        return {
            "by_status": dict(self.counts.by_status),
            "total": self.total,
            "segments": self.counts.segments,
            "processed": self.processed,
            "delivered": self.delivered,
            "failed": self.failed,
            "percent": self.percent,
        }


def _percent(part: int, whole: int) -> int:
    """Whole percent, rounded down: 199 of 200 is 99, since «100%» says all are done;
    and at least 1 when any is, since «0%» says none is."""
    return floored_percent(part, whole, places=0)


def floored_percent(part: int, whole: int, *, places: int = 0) -> int | float:
    """`part` of `whole` in percent with `places` decimals, rounded down, never 100
    before part reaches whole nor 0 once part is above 0 (an int for 0 places, a
    float otherwise; integer arithmetic, so 100 * 3 / 3 is no 99.99)."""
    if not whole or part <= 0:
        return 0 if places == 0 else 0.0
    scale = 10**places
    steps = 100 * scale
    if part >= whole:
        shown = steps
    else:
        shown = min(steps - 1, max(1, steps * part // whole))
    return shown if places == 0 else shown / scale


def campaign_list(*, filters: dict | None = None) -> QuerySet[Campaign]:
    """Campaigns, newest first, with what the list shows joined in."""
    queryset = Campaign.objects.select_related("account", "created_by").order_by(
        "-created_at", "-id"
    )
    filters = filters or {}
    if filters.get("state"):
        queryset = queryset.filter(state=filters["state"])
    if filters.get("account") is not None:  # 0 is an account no campaign has
        queryset = queryset.filter(account_id=filters["account"])
    return queryset


# What a row of the campaign list shows (campaigns.tables.CampaignTable).
LIST_ROW_FIELDS = (
    "id", "name", "state", "channel", "created_at", "launched_at", "account__name",
    "start_at", "time_zone", "expanded_at",  # when it started, or is to start
    "finished_at", "account__kind",  # messages it left waiting at the gateway
    "sender", "account__default_sender",  # a removed sender name is flagged
)  # fmt: skip


def campaign_list_rows() -> QuerySet[Campaign]:
    """campaign_list() narrowed to what the list's rows show: not the texts and JSON
    of each campaign, nor its account's credentials (decrypted once per row)."""
    return (
        campaign_list()
        .select_related(None)
        .select_related("account")
        .only(*LIST_ROW_FIELDS)
    )


def campaign_progress(*, campaign: Campaign) -> Progress:
    """Progress of one campaign from the trigger-kept counts (no scan of messages)."""
    return Progress(campaign_counts(campaign_id=campaign.pk))


def campaigns_progress(*, campaign_ids: Iterable[int]) -> dict[int, Progress]:
    """Progress of many campaigns in one query; campaigns without messages are 0/0."""
    ids = list(campaign_ids)
    counts = campaigns_counts(campaign_ids=ids)
    return {cid: Progress(counts.get(cid, CampaignCounts())) for cid in ids}


def messages_waiting_at_gateway(*, campaign: Campaign) -> QuerySet[Message]:
    """Messages the gateway holds for their planned time (quiet hours, spreading)."""
    return Message.objects.filter(
        campaign=campaign,
        status__in=HELD_AT_GATEWAY,
        planned_at__gt=timezone.now(),
    ).exclude(gateway_message_id="")


def campaign_withdrawal_left(
    *, campaign: Campaign, progress: Progress | None = None
) -> int:
    """A cancelled campaign's messages that may still go out and that its withdrawal,
    tried again, could stop (0 for any other campaign): held at the gateway for a
    later time (their withdrawal failed), or sent in a request the gateway never
    answered, which it can be asked about (services.campaign_withdraw_again)."""
    if campaign.state != State.CANCELLED:
        return 0
    # The kept counts spare both queries for the common cancelled campaign.
    if progress is not None and not (_maybe_held(progress) or progress.pending):
        return 0
    # Both from the tallies first: counting the messages walked every one held or
    # pending, 0.3 s a view at a million (the page polls while reports come in).
    left = 0
    if _cancels_scheduled(campaign.account.kind):
        held = held_waits([campaign.pk], timezone.now()).get(campaign.pk)
        left += held[0] if held else 0
    if in_doubt_settles_itself(campaign.account) and unanswered_claimed_before(
        campaign.pk, _FAR_AHEAD
    ):
        left += cancelled_in_doubt(campaign=campaign).count()
    return left


def cancelled_in_doubt(*, campaign: Campaign) -> QuerySet[Message]:
    """A campaign's messages sent in a request the gateway did not answer (the pump
    marked them "outcome unknown"): they may be with the gateway."""
    return Message.objects.filter(
        campaign=campaign,
        is_pending=True,
        claimed_at__isnull=False,
        submitted_at__isnull=True,
        reason=FailureReason.OUTCOME_UNKNOWN,
    )


def _maybe_held(progress: Progress) -> bool:
    """Whether any message could still wait at the gateway (the kept counts, no query)."""
    return any(progress.counts.get(status) for status in HELD_AT_GATEWAY)


@dataclass(frozen=True)
class GatewayWait:
    """How many of a campaign's messages the gateway holds, and the last one's time."""

    count: int
    last_at: datetime


def campaign_gateway_wait(
    *, campaign: Campaign, progress: Progress
) -> GatewayWait | None:
    """The campaign's messages handed over with a later send time, or None.

    A campaign completes once its last message is handed over, maybe hours before the
    gateway sends it; the page says so. The trigger-kept counts spare the query when
    nothing is queued; otherwise the held tally's minutes ahead and the current
    minute's messages (campaigns.held_tally), remembered for a minute (see
    _gateway_waits).
    """
    if not _may_wait_at_gateway(campaign, progress, timezone.now()):
        return None
    return _gateway_waits([campaign.pk]).get(campaign.pk)


def campaigns_waiting_at_gateway(
    *, campaigns: Iterable[Campaign], progress: dict[int, Progress]
) -> dict[int, int]:
    """Per completed campaign of a list page, how many of its messages the gateway
    holds for a later send time: the detail page's remembered answers, and one query
    for the rows that may have some and have none remembered."""
    now = timezone.now()
    ids = [
        c.pk
        for c in campaigns
        if c.state == Campaign.State.COMPLETED  # the others show their state
        and c.pk in progress
        and _may_wait_at_gateway(c, progress[c.pk], now)
    ]
    return {pk: wait.count for pk, wait in _gateway_waits(ids).items()}


def _may_wait_at_gateway(campaign: Campaign, progress: Progress, now: datetime) -> bool:
    """Whether a campaign may have messages at the gateway for a later time (no
    query): some are queued or sent by the kept counts, and it is sending or paused
    with send times put ahead (quiet hours, spreading; a pause does not stop those),
    or it finished within the furthest any is handed over ahead of its time."""
    if not _maybe_held(progress):
        return False
    if campaign.state in (Campaign.State.SENDING, Campaign.State.PAUSED):
        return campaign.respect_quiet_hours or bool(campaign.spread_hours)
    finished = campaign.finished_at
    return campaign.state == Campaign.State.COMPLETED and (
        finished is None or finished >= now - SCHEDULE_AHEAD
    )


def _gateway_key(campaign_id: int) -> str:
    return f"campaigns:gateway-wait:{campaign_id}"


def _gateway_waits(campaign_ids: list[int]) -> dict[int, GatewayWait]:
    """The held messages of these campaigns (only those with any), from the trigger-
    kept tally (campaigns.held_tally). The list page polls every few seconds: an
    answer a minute old serves a hint well enough, and the list and the detail page
    share it, so they say the same."""
    if not campaign_ids:
        return {}
    keys = {_gateway_key(pk): pk for pk in campaign_ids}
    remembered = soft_get_many(keys)
    rows = {keys[key]: row for key, row in remembered.items()}
    missing = [pk for pk in campaign_ids if pk not in rows]
    if missing:
        counted = {
            pk: {"count": count, "last_at": last_at}
            for pk, (count, last_at) in held_waits(missing, timezone.now()).items()
        }
        fresh = {pk: counted.get(pk, {"count": 0, "last_at": None}) for pk in missing}
        soft_set_many(
            {_gateway_key(pk): row for pk, row in fresh.items()}, GATEWAY_WAIT_SECONDS
        )
        rows.update(fresh)
    return {
        pk: GatewayWait(row["count"], row["last_at"])
        for pk, row in rows.items()
        if row["count"]
    }


# How many of the latest completed campaigns the dashboard looks at for held ones.
RECENT_COMPLETED = 200


def completed_campaigns_held(*, limit: int) -> list[tuple[Campaign, int]]:
    """Completed campaigns whose messages the gateway still holds for a later send
    time (handed over whole: spreading, quiet hours), newest first, with how many it
    holds for after the current minute: they are not done for whoever waits for them.
    From the held tally alone (held_after_this_minute)."""
    if limit <= 0:
        return []
    now = timezone.now()
    recent = list(
        Campaign.objects.filter(
            state=Campaign.State.COMPLETED, finished_at__gte=now - SCHEDULE_AHEAD
        )
        .select_related("account")
        .order_by("-finished_at", "-id")[:RECENT_COMPLETED]
    )
    held = held_after_this_minute([c.pk for c in recent], now)
    return [(c, held[c.pk]) for c in recent if c.pk in held][:limit]


def gateway_withdraws_held(kind: str) -> bool:
    """Whether cancelling a campaign withdraws what this kind of gateway holds."""
    return _cancels_scheduled(kind)


def campaign_handed_over_at_once(campaign: Campaign) -> bool:
    """Whether the gateway gets a spread campaign whole, each message with its send
    time (dispatch.SCHEDULE_AHEAD), so it completes at once and cannot be paused."""
    if not campaign.spread_hours or not campaign.account_id:
        return False
    try:
        capabilities = gateway_class(campaign.account.kind).capabilities
    except KeyError:
        return False
    return Capability.SCHEDULED_SEND in capabilities


def held_label(waiting: int) -> str:
    """A completed campaign's state while the gateway holds messages for later: it
    finished handing them over, not sending them."""
    return ngettext(
        "Handed to the gateway, %(n)s waits for its send time",
        "Handed to the gateway, %(n)s wait for their send time",
        waiting,
    ) % {"n": waiting}


def held_hint(kind: str) -> str:
    """What can still be done about messages the gateway holds."""
    if gateway_withdraws_held(kind):
        return _(
            "They can still be withdrawn: cancelling the campaign withdraws them at "
            "the gateway. It cannot be paused."
        )
    return _("This gateway cannot withdraw them: they will go out at their time.")


def held_despite_pause(kind: str) -> str:
    """What a pause leaves of the messages the gateway holds for a later time."""
    if gateway_withdraws_held(kind):
        return _(
            "Pausing does not stop them: they go out at their time. Cancelling the "
            "campaign withdraws them at the gateway."
        )
    return _(
        "Pausing does not stop them, and this gateway cannot withdraw them: they go "
        "out at their time."
    )


# A gateway that can be asked about a submit (or ignores a repeated one) has its
# messages in doubt settled by the reconciler within minutes; a person is asked only
# when that has not happened this long (the gateway could not be asked meanwhile).
SETTLED_BY_RECONCILER_WITHIN = timedelta(minutes=15)


def in_doubt_settles_itself(account: ProviderAccount) -> bool:
    """Whether the reconciler settles this account's messages in doubt by itself."""
    try:
        gateway = gateway_for(account)
    except GatewayConfigurationError:
        return False  # nor can it be asked: a person decides (the page must show)
    return settles_by_itself(gateway)


def campaign_in_doubt(*, campaign: Campaign) -> QuerySet[Message]:
    """This campaign's messages whose submit outcome is unknown, for a person to
    decide: never while the reconciler may still settle them on its own, where a
    "send again" could send them twice."""
    older_than = (
        SETTLED_BY_RECONCILER_WITHIN
        if in_doubt_settles_itself(campaign.account)
        else GRACE
    )
    return (
        messages_in_doubt(older_than=older_than)
        .filter(campaign=campaign)
        .order_by("id")
    )


def campaign_in_doubt_shown(
    *, campaign: Campaign, limit: int = IN_DOUBT_SHOWN
) -> list[Message]:
    """Up to `limit` of campaign_in_doubt(), by id, for its page: those claimed
    before the minute the age falls in (so up to a minute later than the reconciler
    and the decision take them). The claim tally (campaigns.claim_tally) says how
    many there are; none, and the messages are not read; some, and the pending index
    is walked in its order only until the last of them, not over every pending
    message of a sending campaign (a second at a million, on every view)."""
    older_than = (
        SETTLED_BY_RECONCILER_WITHIN
        if in_doubt_settles_itself(campaign.account)
        else GRACE
    )
    before = minute_floor(timezone.now() - older_than)
    expected = unanswered_claimed_before(campaign.pk, before)
    if expected <= 0:
        return []
    rows = list(
        unanswered_claims(campaign.pk)
        .filter(claimed_at__lt=before)
        # The pending index's order: the claims took the earliest first, so the
        # oldest claims lie near its start.
        .order_by("planned_at", "id")[: min(expected, limit)]
    )
    return sorted(rows, key=lambda message: message.pk)


@dataclass(frozen=True)
class CampaignActions:
    """Which buttons the detail page offers, by role and state."""

    edit: bool = False
    launch: bool = False
    unschedule: bool = False
    pause: bool = False
    resume: bool = False
    cancel: bool = False
    resend: bool = False
    copy: bool = False
    delete: bool = False
    test_send: bool = False
    # A cancelled campaign's withdrawal tried again (some may still go out).
    withdraw_again: bool = False

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def campaign_actions(
    *,
    campaign: Campaign,
    user,
    progress: Progress | None = None,
    waiting_at_gateway: bool | None = None,
    withdrawal_left: bool = False,
) -> CampaignActions:
    """The actions `user` may take on `campaign` in its current state;
    `waiting_at_gateway`, when the caller knows it, is whether messages wait at the
    gateway for their send time (else guessed from the queued count);
    `withdrawal_left`, whether a cancelled one has any (campaign_withdrawal_left)."""
    can_change = user.has_perm("campaigns.change_campaign")
    can_delete = user.has_perm("campaigns.delete_campaign")
    can_add = user.has_perm("campaigns.add_campaign")
    state = campaign.state
    has_failures = progress is not None and progress.failed > 0
    # A completed campaign may still have messages waiting at the gateway for their
    # time (quiet hours): cancelling withdraws those (services.campaign_cancel).
    scheduled_left = (
        state == State.COMPLETED
        and progress is not None
        and _maybe_held(progress)
        and campaign.finished_at is not None
        and campaign.finished_at > timezone.now() - SCHEDULE_AHEAD
        and _cancels_scheduled(campaign.account.kind)
        # Queued for now, not held for later: nothing to withdraw, only to await.
        and waiting_at_gateway is not False
    )
    return CampaignActions(
        edit=can_change and state == State.DRAFT,
        launch=can_change and state == State.DRAFT,
        unschedule=can_change and waits_for_start(campaign, progress),
        pause=can_change and state in (State.SENDING, State.SCHEDULED),
        resume=can_change and state == State.PAUSED,
        # A draft is edited or deleted, not cancelled (that would only end it unsent).
        cancel=can_change
        and (state in (State.SCHEDULED, State.SENDING, State.PAUSED) or scheduled_left),
        resend=can_change and has_failures and state in RESENDABLE_STATES,
        copy=can_add,
        delete=can_delete and (state == State.DRAFT or state in FINISHED_STATES),
        test_send=can_change and state != State.CANCELLED,
        withdraw_again=can_change and state == State.CANCELLED and withdrawal_left,
    )


def waits_for_start(campaign: Campaign, progress: Progress | None = None) -> bool:
    """Launched for a later start that has not come: scheduled, or paused while it
    waited, and nothing built yet (services.campaign_unschedule decides for sure)."""
    waiting = campaign.state == State.SCHEDULED or (
        campaign.state == State.PAUSED
        and campaign.start_at is not None
        and campaign.start_at > timezone.now()
    )
    return (
        waiting
        and campaign.expanded_at is None
        and (progress is None or progress.total == 0)
    )


def _cancels_scheduled(kind: str) -> bool:
    try:
        capabilities = gateway_class(kind).capabilities
    except KeyError:
        return False
    return {Capability.SCHEDULED_SEND, Capability.SCHEDULED_CANCEL} <= capabilities


# Composer --------------------------------------------------------------------------


def composer_accounts() -> QuerySet[ProviderAccount]:
    """Accounts a campaign may be sent through."""
    return ProviderAccount.objects.filter(is_active=True).order_by("name")


def preferred_account(accounts: QuerySet[ProviderAccount]) -> ProviderAccount | None:
    """The account a new form shows chosen: the first whose last check or send went
    well, else the first. Chosen by its name's order alone, a failing account ("Bad
    SMSC") was preselected and a campaign sent through it stalled; failing ones stay
    offered, labelled with their error."""
    return accounts.filter(last_error="").first() or accounts.first()


def account_channels(*, account: ProviderAccount) -> list[MessageChannel]:
    """The channels the account's gateway can send, in the enum's order.

    Asked of an instance: a dialect may offer less (Webcom's GET API has no flash).
    """
    try:
        channels = gateway_for(account).channels
    except GatewayConfigurationError:
        channels = gateway_class(account.kind).channels
    except KeyError:
        return []
    return [channel for channel in MessageChannel if channel in channels]


def sender_choices(*, account: ProviderAccount) -> list[str]:
    """The account's usable sender names, its default sender first."""
    return senders_by_account([account])[account.pk]


def sender_problem(account: ProviderAccount, sender: str) -> str:
    """Why `sender` cannot go out from this account ("" when it can): not one of the
    account's usable names where the gateway lists them, else against the gateway's
    documented rule, which it would answer with a refusal only after the launch."""
    names = sender_choices(account=account)
    if sender in names:
        return ""
    if RemovedSenderName.objects.filter(account=account, name=sender).exists():
        # Checked before "no names": the one removed may have been the last.
        return _(
            "The sender name “%(sender)s” was removed from this account: choose "
            "another."
        ) % {"sender": sender}
    if not names:
        return sender_rule_problem(account.kind, sender)
    state = (
        SenderName.objects.filter(account=account, name=sender, usable=False)
        .values_list("state", flat=True)
        .first()
    )
    if state:  # requested, not approved (yet): say so, not "unknown"
        return _(
            "The gateway has not approved the sender name “%(sender)s” (%(state)s): "
            "choose an approved one, or wait for the approval."
        ) % {"sender": sender, "state": sender_state_label(state)}
    return _("“%(sender)s” is not a usable sender name of this account.") % {
        "sender": sender
    }


# The states in which a campaign's sender name has yet to go out.
SENDER_PENDING_STATES = (
    Campaign.State.DRAFT,
    Campaign.State.SCHEDULED,
    Campaign.State.PAUSED,
)


def campaign_sender_problem(*, campaign: Campaign) -> str:
    """Why the campaign cannot go out with its sender name ("" when it can, or when
    nothing is left to send): removed from the account, refused or withdrawn at the
    gateway since the campaign was saved."""
    if campaign.state not in SENDER_PENDING_STATES:
        return ""
    sender = campaign.sender or campaign.account.default_sender
    return sender_problem(campaign.account, sender) if sender else ""


def campaigns_sender_removed(campaigns: Iterable[Campaign]) -> set[int]:
    """Of these campaigns, those yet to send whose sender name a person removed from
    the account (one query, for a list page)."""
    waiting = {
        c.pk: (c.account_id, c.sender or c.account.default_sender)
        for c in campaigns
        if c.state in SENDER_PENDING_STATES
    }
    if not waiting:
        return set()
    removed = set(
        RemovedSenderName.objects.filter(
            account_id__in={account for account, _name in waiting.values()},
            name__in={name for _account, name in waiting.values()},
        ).values_list("account_id", "name")
    )
    return {pk for pk, pair in waiting.items() if pair in removed}


def length_problem(account: ProviderAccount, info: SegmentInfo) -> str:
    """Why the account's gateway would refuse a text counted as `info` for its
    length ("" when it would not)."""
    table = segment_table_for(account.kind)
    if info.too_many_characters:
        return _(
            "Too long: %(gateway)s accepts at most %(max)s characters; this text has "
            "%(characters)s."
        ) % {
            "gateway": account.get_kind_display(),
            "max": number_format(table.max_characters, force_grouping=True),
            "characters": number_format(info.characters, force_grouping=True),
        }
    if info.too_long:
        return _(
            "Too long: %(gateway)s accepts at most %(max)d segments; this text takes "
            "%(segments)d."
        ) % {
            "gateway": account.get_kind_display(),
            "max": table.max_parts,
            "segments": info.segments,
        }
    return ""


def senders_by_account(accounts: Iterable[ProviderAccount]) -> dict[int, list[str]]:
    """sender_choices for several accounts in one query."""
    accounts = list(accounts)
    usable: dict[int, list[str]] = {account.pk: [] for account in accounts}
    rows = (
        SenderName.objects.filter(account__in=accounts, usable=True)
        .order_by("name")
        .values_list("account_id", "name")
    )
    for account_id, name in rows:
        usable[account_id].append(name)
    return {
        account.pk: _default_first(account.default_sender, usable[account.pk])
        for account in accounts
    }


def _default_first(default: str, names: list[str]) -> list[str]:
    return [default, *(n for n in names if n != default)] if default else names


def custom_field_labels() -> dict[str, str]:
    """Each custom field's label by key, in the keys' order: one query serves a
    text's placeholder checks and its insert buttons."""
    return dict(CustomField.objects.order_by("key").values_list("key", "label"))


def counter_settings(account: ProviderAccount | None) -> dict[str, Any]:
    """The live segment counter's table and price for the account shown first."""
    return {
        "segment_table": segment_table_for(account.kind).name
        if account
        else "standard",
        "price_per_segment": account.tariff if account else None,
    }


def composer_account_info(
    accounts: Iterable[ProviderAccount],
) -> dict[str, dict[str, Any]]:
    """Per account, what a page follows when the account changes: the live counter's
    segment table and price per segment, and the usable sender names."""
    accounts = list(accounts)
    senders = senders_by_account(accounts)
    return {
        str(account.pk): {
            "table": segment_table_for(account.kind).name,
            "price": "" if account.tariff is None else str(Decimal(account.tariff)),
            "senders": senders[account.pk],
        }
        for account in accounts
    }


def campaigns_unmade() -> QuerySet:
    """Campaigns whose messages are not made yet: drafts, and those launched that
    have not built their audience (scheduled, or sending or paused before it). Their
    groups and placeholders are still to be read."""
    return Campaign.objects.filter(
        Q(state=Campaign.State.DRAFT)
        | Q(
            state__in=[
                Campaign.State.SCHEDULED,
                Campaign.State.SENDING,
                Campaign.State.PAUSED,
            ],
            expanded_at__isnull=True,
        )
    )


def campaign_named(campaign: Campaign) -> str:
    """ "draft “Autumn”" or "campaign “Autumn”", in a list of what uses something."""
    if campaign.state == Campaign.State.DRAFT:
        return _("draft “%(name)s”") % {"name": campaign.name}
    return _("campaign “%(name)s”") % {"name": campaign.name}


def group_users(group: ContactGroup) -> list[str]:
    """What still reads the group's members, named for the user: campaigns that have
    not built their audience yet, drafts included, and birthday greetings, inactive
    ones too. Dropped from a draft's or a greeting's exclusions, a group's members
    would be sent to ("the whole book except Staff" becoming the whole book); dropped
    from its audience, it would go to others than meant, or to nobody."""
    waiting = (
        campaigns_unmade()
        .filter(Q(include_groups=group) | Q(exclude_groups=group))
        .distinct()
        .order_by("name")
    )
    greetings = (
        BirthdayGreeting.objects.filter(
            Q(include_groups=group) | Q(exclude_groups=group)
        )
        .distinct()
        .order_by("name")
    )
    return [
        *(campaign_named(c) for c in waiting),
        *(_("birthday greeting “%(name)s”") % {"name": g.name} for g in greetings),
    ]


# A cancellation this long after finished_at cancelled a campaign that had completed
# (its messages held at the gateway), rather than ending it.
_COMPLETED_BEFORE_CANCEL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CampaignEnd:
    """When a campaign finished and when it was cancelled, each as it happened."""

    finished_at: datetime | None
    cancelled_at: datetime | None = None


def campaign_followups(*, campaign: Campaign) -> list[Campaign]:
    """The campaign's "resend to the failed" campaigns, oldest first."""
    return list(campaign.followups.order_by("id").only("id", "name", "state"))


def campaign_end(*, campaign: Campaign) -> CampaignEnd:
    """A completed campaign cancelled later (to withdraw what the gateway holds)
    keeps finished_at of its completion: its cancellation's own time is the audit
    log's (no field holds it), finished_at for one cancelled before the log knew."""
    if campaign.state != Campaign.State.CANCELLED:
        return CampaignEnd(campaign.finished_at)
    cancelled_at = (
        AuditEvent.objects.filter(
            object_type=Campaign._meta.label,
            object_id=str(campaign.pk),
            action=AuditEvent.Action.CANCELLED,
        )
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    ) or campaign.finished_at
    finished = campaign.finished_at
    if finished and cancelled_at and cancelled_at - finished > _COMPLETED_BEFORE_CANCEL:
        return CampaignEnd(finished, cancelled_at)
    return CampaignEnd(None, cancelled_at)
