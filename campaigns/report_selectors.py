"""Read side of delivery reporting: funnels, breakdowns, charts, message and reply lists.

Totals come from the trigger-kept counts table (campaigns.counts), never from a COUNT
over the messages; the breakdowns (cost, operators, failure reasons, the delivery
chart) from the report tallies kept beside it (campaigns.report_tallies), so a
report's first view reads a few rows however many messages the campaign has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.by_phone import latest_sent_to
from campaigns.counts import CampaignCounts, campaign_counts, campaigns_counts
from campaigns.delivery_chart import ChartSeries, campaign_delivery_chart
from campaigns.models import Campaign, HourlyTraffic, Message, Reply
from campaigns.report_tallies import (
    failure_rows,
    operator_rows,
    outcome_unknown_failed,
)
from campaigns.selectors import (
    IN_FLIGHT,
    IN_FLIGHT_STATES,
    completed_campaigns_held,
    floored_percent,
    held_label,
)
from contacts.models import Contact, StopListEntry
from providers.base import DeliveryStatus, FailureReason, MessageChannel
from providers.models import ProviderAccount

# The funnel in the order the page shows it; pending and unknown only when non-zero.
FUNNEL_STATUSES = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.REJECTED,
    DeliveryStatus.FAILED,
    DeliveryStatus.CANCELLED,
)
OPTIONAL_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.UNKNOWN)
DELIVERED_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
FAILURE_STATUSES = (
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.REJECTED,
    DeliveryStatus.FAILED,
)
# Messages that left for the gateway and are paid for (or will be).
BILLABLE_STATUSES = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.UNKNOWN,
)
# Messages refused, failed or withdrawn: never billed, so no estimate stands for them
# (withdrawn at the gateway, the charge comes back: their cost reads 0).
UNBILLED_STATUSES = (
    DeliveryStatus.REJECTED,
    DeliveryStatus.FAILED,
    DeliveryStatus.CANCELLED,
)
DAILY_DAYS = 30
TOP_REASONS = 10


# Funnel -----------------------------------------------------------------------------


# A read message was delivered first: the Delivered step counts it, and Read is the
# part of Delivered that was also read (Viber). A step that is part of another is left
# out of any sum over the steps, which then adds up to the total.
PART_OF = {DeliveryStatus.READ: DeliveryStatus.DELIVERED}
# Channels whose messages report being read.
READABLE_CHANNELS = (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS)


@dataclass(frozen=True)
class FunnelStep:
    status: str
    label: str
    count: int
    percent: float  # of all the campaign's messages
    part_of: str = ""  # the step whose messages these are a part of (read: delivered)
    percent_of_part: float = 0.0  # of that step's count


@dataclass(frozen=True)
class Funnel:
    total: int
    segments: int
    steps: list[FunnelStep]
    delivered: int  # delivered or read
    # Taken by the gateway (billable): not the rejected, cancelled or failed.
    handed_over: int
    in_flight: int  # handed over, no final status yet: reports to come
    # Messages per current status, each message once: they add up to the total.
    by_status: dict[str, int] = field(default_factory=dict)
    # Whether the text went out in SMS parts (not Viber alone, nor voice): "5
    # segments" under a Viber campaign's total counted nothing it sent.
    in_segments: bool = True

    @property
    def delivery_rate(self) -> float:
        return _percent(self.delivered, self.total)

    @property
    def processed(self) -> int:
        """Everything past pending, taken or not: how far the sending has got."""
        return self.total - self.by_status.get(DeliveryStatus.PENDING, 0)

    @property
    def progress(self) -> float:
        return _percent(self.processed, self.total)

    @property
    def handed_over_rate(self) -> float:
        return _percent(self.handed_over, self.total)


def _percent(part: int, whole: int) -> float:
    # One decimal, by the campaign page's rule: 1,999 of 2,000 is 99.9, not 100.0.
    return floored_percent(part, whole, places=1)


def message_status_query(status: str) -> Q:
    """Messages "in" a status as the report counts them: delivered takes in read."""
    if status == DeliveryStatus.DELIVERED:
        return Q(status__in=DELIVERED_STATUSES)
    return Q(status=status)


def status_is_empty(counts: CampaignCounts, status: str) -> bool:
    """Whether the kept counts hold no message "in" `status` (as
    message_status_query reads it): its filter then needs no scan of the campaign."""
    statuses = DELIVERED_STATUSES if status == DeliveryStatus.DELIVERED else (status,)
    return not any(counts.get(s) for s in statuses)


def funnel_from_counts(
    counts: CampaignCounts, *, campaign: Campaign | None = None
) -> Funnel:
    """The report's funnel: one step per status, Delivered counting the read too.
    Of `campaign`'s channel: Read only where a message can be read (Viber) or some
    was, and no segments where none is sent."""
    labels = dict(DeliveryStatus.choices)
    readable = campaign is None or campaign.channel in READABLE_CHANNELS
    statuses = [
        *FUNNEL_STATUSES,
        *(s for s in OPTIONAL_STATUSES if counts.get(s)),
    ]
    delivered = sum(counts.get(s) for s in DELIVERED_STATUSES)
    # What each step's card shows: Delivered with the read ones in it.
    shown = {s: counts.get(s) for s in statuses} | {DeliveryStatus.DELIVERED: delivered}
    steps = []
    for s in statuses:
        if s == DeliveryStatus.READ and not (readable or shown[s]):
            continue  # an SMS is never "read": a tile of 0 said nothing
        part_of = PART_OF.get(s, "")
        steps.append(
            FunnelStep(
                s,
                str(labels[s]),
                shown[s],
                _percent(shown[s], counts.total),
                part_of=part_of,
                percent_of_part=_percent(shown[s], shown[part_of]) if part_of else 0.0,
            )
        )
    return Funnel(
        total=counts.total,
        segments=counts.segments,
        steps=steps,
        delivered=delivered,
        handed_over=sum(counts.get(s) for s in BILLABLE_STATUSES),
        in_flight=sum(counts.get(s) for s in IN_FLIGHT),
        by_status={s: counts.get(s) for s in statuses},
        in_segments=campaign is None or campaign.sent_as_sms,
    )


def campaign_funnel(*, campaign: Campaign) -> Funnel:
    """The funnel of one campaign, from the counts table."""
    return funnel_from_counts(
        campaign_counts(campaign_id=campaign.pk), campaign=campaign
    )


# Breakdowns (one campaign's rows, cached) -------------------------------------------


@dataclass(frozen=True)
class OperatorRow:
    operator: str
    total: int
    delivered: int
    failed: int

    @property
    def delivery_rate(self) -> float:
        return _percent(self.delivered, self.total)


@dataclass(frozen=True)
class ReasonRow:
    status: str
    reason: str
    vendor_code: str
    vendor_text: str
    count: int

    @property
    def status_label(self) -> str:
        return str(dict(DeliveryStatus.choices).get(self.status, self.status))

    @property
    def reason_label(self) -> str:
        # Translated when shown, not when cached: the cache is shared by languages.
        return str(dict(FailureReason.choices).get(self.reason, self.reason))


@dataclass(frozen=True)
class Spending:
    cost: Decimal  # reported by the gateway
    estimated: Decimal  # our estimate for billable messages without a reported cost
    segments: int  # segments of billable messages
    # Billable messages with neither a reported cost nor an estimate (no tariff and a
    # gateway that does not price): the sums above leave them out, they are not free.
    unpriced: int = 0
    billable: int = 0  # billable messages
    gateway_priced: int = 0  # messages whose cost the gateway reported
    billable_gateway_priced: int = 0  # billable ones among them
    # Failed with their outcome unknown (no answer came, not sent again): the gateway
    # may have taken them and charged for them, or never got them. Not billable, so
    # the sums leave them out; the report says how many may add to it, apart (no
    # figure: what they cost is known for none of them).
    outcome_unknown: int = 0

    @property
    def cost_reported(self) -> bool:
        """False while the gateway has priced no message: its cost of 0.00 would read
        as "free" rather than "not reported yet"."""
        return self.gateway_priced > 0

    @property
    def estimated_any(self) -> bool:
        """Whether any billable message is counted at our estimate (no reported cost,
        an estimate): with none, the estimate's 0.00 stands for nothing."""
        return self.billable - self.billable_gateway_priced - self.unpriced > 0

    @property
    def total(self) -> Decimal:
        return self.cost + self.estimated

    @property
    def priced(self) -> bool:
        """False when nothing billable has a price: a total of 0.00 would mislead."""
        return self.billable == 0 or self.unpriced < self.billable


@dataclass(frozen=True)
class CampaignReport:
    funnel: Funnel
    spending: Spending
    operators: list[OperatorRow] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)
    chart: ChartSeries | None = None


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    """Funnel, spending, operators, failure reasons and the delivery chart."""
    counts = campaign_counts(campaign_id=campaign.pk)
    by_operator = campaign_operator_rows(campaign=campaign)
    return CampaignReport(
        funnel=funnel_from_counts(counts, campaign=campaign),
        spending=_spending(
            by_operator,
            counts,
            outcome_unknown=outcome_unknown_failed(campaign_id=campaign.pk),
        ),
        operators=_operators(by_operator),
        reasons=campaign_failure_reasons(campaign=campaign),
        chart=campaign_delivery_chart(campaign=campaign),
    )


def _spending(
    by_operator: list[dict], counts: CampaignCounts, *, outcome_unknown: int = 0
) -> Spending:
    billable = [r for r in by_operator if r["status"] in BILLABLE_STATUSES]
    return Spending(
        cost=sum((r["reported"] or Decimal(0) for r in by_operator), Decimal(0)),
        estimated=sum((r["estimated"] or Decimal(0) for r in billable), Decimal(0)),
        segments=sum(counts.segments_by_status.get(s, 0) for s in BILLABLE_STATUSES),
        unpriced=sum(r["unpriced"] for r in billable),
        billable=sum(r["n"] for r in billable),
        gateway_priced=sum(r["gateway_priced"] or 0 for r in by_operator),
        billable_gateway_priced=sum(r["gateway_priced"] or 0 for r in billable),
        outcome_unknown=outcome_unknown,
    )


def estimate_counted(*, status: str, cost: Decimal | None) -> bool:
    """Whether a message's estimated cost is part of the spending's estimate: billable
    and not priced by the gateway (what campaign_operator_rows and Spending sum)."""
    return cost is None and status in BILLABLE_STATUSES


def campaign_operator_rows(*, campaign: Campaign) -> list[dict]:
    """Messages, cost and estimate per (operator, status), from the kept tallies."""
    return operator_rows(campaign_id=campaign.pk)


def _operators(rows: Iterable[dict]) -> list[OperatorRow]:
    """By operator, the largest first; the messages no report named an operator for
    (not reported yet, or by a gateway that does not say) last, so the rows add up
    to the campaign. A gateway that named none gets no table at all."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        entry = totals.setdefault(row["operator"], [0, 0, 0])
        entry[0] += row["n"]
        entry[1] += row["n"] if row["status"] in DELIVERED_STATUSES else 0
        entry[2] += row["n"] if row["status"] in FAILURE_STATUSES else 0
    unnamed = totals.pop("", None)
    named = sorted(
        (OperatorRow(op, *values) for op, values in totals.items()),
        key=lambda r: (-r.total, r.operator),
    )
    if named and unnamed:
        named.append(OperatorRow("", *unnamed))
    return named


def campaign_failure_reasons(
    *, campaign: Campaign, limit: int = TOP_REASONS
) -> list[ReasonRow]:
    """The commonest failures with the gateway's own code and text."""
    return [
        ReasonRow(
            status=r["status"],
            reason=r["reason"],
            vendor_code=r["vendor_code"],
            vendor_text=r["vendor_text"],
            count=r["n"],
        )
        for r in failure_rows(campaign_id=campaign.pk, limit=limit)
    ]


# Messages ---------------------------------------------------------------------------


def campaign_messages(*, campaign: Campaign) -> QuerySet[Message]:
    """A campaign's messages in the order the (campaign, phone) index already keeps."""
    return Message.objects.filter(campaign=campaign).order_by("phone")


def message_export_rows(*, messages: QuerySet[Message]) -> Iterable[tuple]:
    return messages.values_list(*EXPORT_FIELDS).iterator(chunk_size=2000)


EXPORT_FIELDS = (
    "phone", "status", "reason", "vendor_code", "vendor_text", "operator", "segments",
    "cost", "estimated_cost", "gateway_message_id", "planned_at", "submitted_at",
    "status_changed_at", "delivered_at", "text",
)  # fmt: skip


# Dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class InFlight:
    campaign: Campaign
    funnel: Funnel
    # Completed, but the gateway holds this many of its messages for a later send
    # time (after the current minute).
    held: int = 0

    @property
    def held_label(self) -> str:
        """Its state while held, in the words of its own page."""
        return held_label(self.held)


@dataclass(frozen=True)
class DailyPoint:
    day: str
    sent: int
    delivered: int


def dashboard_balances() -> QuerySet[ProviderAccount]:
    return ProviderAccount.objects.filter(is_active=True).order_by("name")


def campaigns_in_flight(*, limit: int = 20) -> list[InFlight]:
    """Scheduled, sending and paused campaigns, then completed ones whose messages
    the gateway still holds for a later send time, with their progress from the
    counts."""
    campaigns = list(
        Campaign.objects.filter(state__in=IN_FLIGHT_STATES)
        .select_related("account")
        .order_by("-launched_at", "-id")[:limit]
    )
    held = dict(completed_campaigns_held(limit=limit - len(campaigns)))
    counts = campaigns_counts(campaign_ids=[c.pk for c in (*campaigns, *held)])
    return [
        InFlight(
            c,
            funnel_from_counts(counts.get(c.pk, CampaignCounts()), campaign=c),
            held=held.get(c, 0),
        )
        for c in (*campaigns, *held)
    ]


def daily_traffic(*, days: int = DAILY_DAYS) -> list[DailyPoint]:
    """Sent (handed over, not refused) and delivered per day they go out (their
    hand-over, or the later time the gateway holds them for: campaigns.models.went_out),
    last `days` days.

    Summed from the trigger-kept hourly rollup (campaigns.models.HourlyTraffic): at
    most days x 24 x statuses rows however many messages were sent, so it is read
    live on every page view instead of scanning the messages.
    """
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    # Assumption: the time zone is a whole number of hours off UTC (all of Russia's
    # are), so every UTC hour falls into one local day.
    rows = (
        HourlyTraffic.objects.filter(hour__gte=since)
        .annotate(day=TruncDate("hour"))
        .values("day")
        .annotate(
            # Handed to the gateway and not refused, as a campaign's report counts
            # them: a message refused at submit never left.
            sent=Sum("count", filter=Q(status__in=BILLABLE_STATUSES)),
            delivered=Sum("count", filter=Q(status__in=DELIVERED_STATUSES)),
        )
    )
    by_day = {r["day"]: r for r in rows}
    points = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = by_day.get(day) or {}
        # Day first, as both languages' short dates (smsportal/formats): "06.12".
        points.append(
            DailyPoint(
                day.strftime("%d.%m"), row.get("sent") or 0, row.get("delivered") or 0
            )
        )
    return points


def unread_replies_count() -> int:
    return Reply.objects.filter(is_read=False).count()


def latest_replies(*, limit: int = 5) -> list[Reply]:
    return list(
        Reply.objects.select_related("account", "contact", "campaign").order_by(
            "-received_at", "-id"
        )[:limit]
    )


# Inbox and contact history ----------------------------------------------------------


def reply_list() -> QuerySet[Reply]:
    """The inbox, newest first; `stop_listed` says whether the number is on the stop
    list now (an opt-out may have been taken off it since)."""
    on_stop_list = StopListEntry.objects.filter(phone=OuterRef("phone"))
    return (
        # The contacts of a page are read apart: joined, a deep page (an offset of
        # tens of thousands) made the planner hash the whole million-contact book,
        # about a second, where the reply_latest index serves the page alone.
        Reply.objects.select_related("account", "campaign")
        .prefetch_related("contact")
        .annotate(stop_listed=Exists(on_stop_list))
        .order_by("-received_at", "-id")
    )


def replies_name_contacts(replies: list[Reply]) -> None:
    """Give the replies that came before their number was in the book the contact
    it has now (in memory: a page's, one query): linked only when a reply comes, one
    from a number added later stayed nameless."""
    unlinked = [reply for reply in replies if reply.contact_id is None]
    if not unlinked:
        return
    by_phone = {
        contact.phone: contact
        for contact in Contact.objects.filter(
            phone__in={reply.phone for reply in unlinked}
        )
    }
    for reply in unlinked:
        if reply.phone in by_phone:
            reply.contact = by_phone[reply.phone]


def conversation(*, reply: Reply, limit: int = 50) -> list[Message | Reply]:
    """Messages to and replies from the reply's number, oldest first."""
    messages = latest_sent_to(reply.phone, limit=limit)
    replies = list(Reply.objects.filter(phone=reply.phone).order_by("-id")[:limit])
    return sorted(messages + replies, key=_order)


def _order(item: Message | Reply) -> tuple[datetime, bool, int]:
    """By time; in the same second a message before the replies to it, and replies
    in the order they came (read newest first, four in one second ran backwards)."""
    if isinstance(item, Reply):
        return item.received_at, True, item.pk
    return item.submitted_at or item.planned_at, False, item.pk


# Former numbers looked up for a contact's history: one index descent each per
# campaign; a contact renumbered more often than this shows the latest ones'.
FORMER_PHONES_SHOWN = 20


def contact_messages(*, contact, limit: int = 50) -> list[Message]:
    """The latest messages to a contact's number (by phone, so those sent before the
    contact was created or re-created count too), but not those sent to another
    contact who had the number before: a person's messages are theirs to see. Those
    sent to the contact at a number it had before are its too."""
    former = contact.former_phones.values_list("phone", flat=True)
    return latest_sent_to(
        contact.phone,
        limit=limit,
        contact_id=contact.pk,
        former_phones=list(former[:FORMER_PHONES_SHOWN]),
    )


def contact_replies(*, contact, limit: int = 50) -> list[Reply]:
    """Replies linked to the contact, and those from its number linked to nobody."""
    return list(
        Reply.objects.filter(
            Q(contact=contact) | Q(phone=contact.phone, contact__isnull=True)
        )
        .select_related("campaign", "account")
        .order_by("-received_at", "-id")[:limit]
    )
