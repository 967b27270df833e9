"""Who a campaign goes to: groups in, groups out, pasted numbers, or a parent's failures.

Shared by the preview (counts) and the expansion (Message rows). The stop list is
applied here and again right before each batch is submitted (campaigns.sending).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, CampaignFailureCount, GreetedBirthday, Message
from contacts.filters import birthdays_on
from contacts.models import (
    Contact,
    ContactGroup,
    FormerPhone,
    GroupMembership,
    StopListEntry,
)
from contacts.numbering import zones_for_phones
from contacts.phone import InvalidPhone, normalize_phone
from providers.base import DeliveryStatus, FailureReason
from smsportal.exceptions import ApplicationError
from smsportal.lib.sqlutil import is_postgres

# A follow-up ("resend to failed") goes to these outcomes of its parent.
RESEND_STATUSES = (
    DeliveryStatus.FAILED,
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.REJECTED,
)

NOT_RESENT = (
    FailureReason.STOP_LIST,
    FailureReason.INVALID_NUMBER,
    FailureReason.OUTCOME_UNKNOWN,
)


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """The groups a campaign goes to and leaves out, saved or still in the composer."""

    include: tuple[int, ...]
    exclude: tuple[int, ...] = ()
    whole_book: bool = False  # every contact; `include` is then not consulted
    birthday_on: date | None = None  # only the contacts whose birthday falls then
    # Who an automatic greeting would still greet: a number greeted already on that
    # birthday (GreetedBirthday) is left out, whichever greeting greeted it.
    once_a_day: bool = False
    # An automatic greeting's campaign: exactly the numbers it claimed in
    # GreetedBirthday (campaigns.greetings), not its groups read again.
    greeted_by: int | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> GroupChoice:
        return cls(
            include=tuple(campaign.include_groups.values_list("id", flat=True)),
            exclude=tuple(campaign.exclude_groups.values_list("id", flat=True)),
            whole_book=campaign.to_whole_book,
            birthday_on=campaign.birthday_on,
            greeted_by=campaign.pk if campaign.claimed_audience else None,
        )


@dataclass(frozen=True, slots=True)
class ExtraNumber:
    phone: str
    time_zone: str
    line: int
    is_mobile: bool | None = None  # as the number says (None: it cannot tell)


@dataclass
class ExtraNumbers:
    valid: list[ExtraNumber] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # line, raw, why
    duplicates: int = 0


def pasted_items(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each item of a pasted list of numbers: one per line,
    commas and semicolons also separating; blanks left out."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        for raw in line.replace(";", ",").split(","):
            if raw := raw.strip():
                yield line_no, raw


def parse_extra_numbers(text: str) -> ExtraNumbers:
    """Pasted numbers (pasted_items), normalised; the invalid named by line."""
    result = ExtraNumbers()
    seen: set[str] = set()
    for line_no, raw in pasted_items(text):
        try:
            number = normalize_phone(raw)
        except InvalidPhone as exc:
            result.invalid.append((line_no, raw, str(exc)))
            continue
        if number.e164 in seen:
            result.duplicates += 1
            continue
        seen.add(number.e164)
        result.valid.append(
            ExtraNumber(number.e164, number.time_zone, line_no, number.is_mobile)
        )
    return result


def audience_contacts(
    campaign: Campaign | None,
    groups: GroupChoice | None = None,
    *,
    id_range: tuple[int, int] | None = None,
) -> QuerySet[Contact]:
    """Contacts in the included groups (or the whole book) and in none of the excluded
    ones (stop list kept); `groups` instead of the saved ones for a composer's unsaved
    choice or a greeting's (no campaign then); `id_range` (from, to) for the contacts
    with ids from <= id < to."""
    if groups is None:
        if campaign is None:
            raise ValueError("audience_contacts needs a campaign or its groups")
        groups = GroupChoice.of(campaign)
    include, exclude = list(groups.include), list(groups.exclude)
    if groups.greeted_by is not None:
        return _greeted_by(groups.greeted_by, groups.birthday_on, id_range)
    if not include and not groups.whole_book:
        return Contact.objects.none()
    members = GroupMembership.objects.filter(contact=OuterRef("pk"))
    queryset = Contact.objects.all()
    if id_range is not None:
        # Said of the memberships too: PostgreSQL does not carry a range across the
        # join, and each part of a split expansion hashed all the memberships.
        low, high = id_range
        members = members.filter(contact_id__gte=low, contact_id__lt=high)
        queryset = queryset.filter(id__gte=low, id__lt=high)
    if not groups.whole_book:
        queryset = queryset.filter(Exists(members.filter(group_id__in=include)))
    if exclude:
        queryset = queryset.exclude(Exists(members.filter(group_id__in=exclude)))
    if groups.birthday_on is not None:
        queryset = queryset.filter(birthdays_on([groups.birthday_on]))
        if groups.once_a_day:
            queryset = queryset.exclude(_greeted_on(groups.birthday_on))
    return queryset


def _greeted_on(day: date) -> Q:
    """Contacts greeted for `day`: at their number, or at one they had until they
    gave a new one since the day before (the day's ledger is by number, and a
    renumbered contact was greeted again at the new one). An older former number,
    someone else's now, does not count."""
    greeted = GreetedBirthday.objects.filter(day=day)
    since = datetime.combine(day - timedelta(days=1), time.min, tzinfo=UTC)
    renumbered = FormerPhone.objects.filter(
        contact_id=OuterRef("pk"),
        replaced_at__gte=since,
        phone__in=greeted.values("phone"),
    )
    return Exists(greeted.filter(phone=OuterRef("phone"))) | Exists(renumbered)


def _greeted_by(
    campaign_id: int, day: date | None, id_range: tuple[int, int] | None
) -> QuerySet[Contact]:
    """The contacts a greeting's campaign claimed: the day's birthdays (by their
    index) whose (phone, day) row names the campaign (by its key)."""
    claimed = GreetedBirthday.objects.filter(
        phone=OuterRef("phone"), day=day, campaign_id=campaign_id
    )
    queryset = Contact.objects.filter(birthdays_on([day]), Exists(claimed))
    if id_range is not None:
        queryset = queryset.filter(id__gte=id_range[0], id__lt=id_range[1])
    return queryset


def audience_members(
    campaign: Campaign, phones: Collection[str], groups: GroupChoice | None = None
) -> set[str]:
    """Those of `phones` that are contacts of the campaign's groups (stop list or not).

    A stop-listed member is counted with the groups; pasting it again makes it a
    duplicate, not a second stop-list refusal.
    """
    if not phones:
        return set()
    members = audience_contacts(campaign, groups).filter(phone__in=phones)
    return set(members.values_list("phone", flat=True))


def excluded_members(
    campaign: Campaign, phones: Collection[str], groups: GroupChoice | None = None
) -> set[str]:
    """Those of `phones` that are contacts of an excluded group: a pasted number is
    left out too, as the exclusion says ("employees", "complained")."""
    # Assumption: an excluded group wins over a number pasted by hand; the preview and
    # the campaign's page count them apart, so nobody wonders where one went.
    exclude = (groups or GroupChoice.of(campaign)).exclude
    if not phones or not exclude:
        return set()
    members = Contact.objects.filter(
        phone__in=list(phones), groups__id__in=list(exclude)
    ).values_list("phone", flat=True)
    return set(members)


# Campaign.audience_groups' keys for the campaign's two group fields.
SNAPSHOT_KEYS = {"include_groups": "include", "exclude_groups": "exclude"}


def audience_groups_snapshot(campaign: Campaign) -> dict[str, list[list[Any]]]:
    """The campaign's groups now, as Campaign.audience_groups keeps them."""
    return {
        key: [list(row) for row in getattr(campaign, field).order_by("name")
              .values_list("id", "name")]
        for field, key in SNAPSHOT_KEYS.items()
    }  # fmt: skip


def groups_deleted(
    campaign: Campaign, *, existing: set[int] | None = None
) -> dict[str, list[tuple[int, str]]]:
    """The groups a launched (or cancelled) campaign had that have been deleted
    since, as (id, name then) by field ({"exclude_groups": [(7, "Staff")]}); {} for
    a draft, whose groups are its own many-to-many rows alone. `existing`: the ids
    of its groups still there, where the caller has them (the API's list prefetches
    them: no query a campaign)."""
    if campaign.state == Campaign.State.DRAFT or not campaign.audience_groups:
        return {}
    kept = {
        field: [(pk, name) for pk, name in campaign.audience_groups.get(key, [])]
        for field, key in SNAPSHOT_KEYS.items()
    }
    ids = {pk for groups in kept.values() for pk, _name in groups}
    there = (
        existing
        if existing is not None
        else set(ContactGroup.objects.filter(pk__in=ids).values_list("pk", flat=True))
    )
    gone = {
        field: [(pk, name) for pk, name in groups if pk not in there]
        for field, groups in kept.items()
    }
    return {field: groups for field, groups in gone.items() if groups}


def audience_summary(campaign: Campaign) -> dict[str, Any]:
    """Who the campaign goes to, for its page: group names (a group deleted since
    the launch by the name it had then, marked so) and how many numbers were
    pasted, as written (counted without parsing them: there may be thousands)."""
    deleted = groups_deleted(campaign)
    summary: dict[str, Any] = {
        field: [g.name for g in getattr(campaign, field).order_by("name")]
        + [
            _("“%(name)s” (deleted)") % {"name": name}
            for _pk, name in deleted.get(field, [])
        ]
        for field in SNAPSHOT_KEYS
    }
    summary["extra_count"] = sum(1 for _item in pasted_items(campaign.extra_numbers))
    return summary


def failures_to_resend(campaign_id: int) -> QuerySet[Message]:
    """A campaign's messages a follow-up resends: not stop-list refusals, nor numbers
    the gateway called invalid (they would only fail again), nor messages a person
    gave up on while in doubt (they may have arrived)."""
    return Message.objects.filter(
        campaign_id=campaign_id, status__in=RESEND_STATUSES
    ).exclude(reason__in=NOT_RESENT)


def has_failures_to_resend(campaign_id: int) -> bool:
    """Whether failures_to_resend() has any, from the trigger-kept failure counts on
    PostgreSQL: asking the messages scanned the whole campaign (0.5 s at 900,000),
    on every poll of a finished campaign's page."""
    if not is_postgres():
        return failures_to_resend(campaign_id).exists()
    return (
        CampaignFailureCount.objects.filter(
            campaign_id=campaign_id, status__in=RESEND_STATUSES
        )
        .exclude(reason__in=NOT_RESENT)
        .aggregate(n=Sum("count"))["n"]
        or 0
    ) > 0


def parent_failures(campaign: Campaign) -> QuerySet[Message]:
    """The parent campaign's messages this follow-up resends."""
    if campaign.parent_id is None:
        return Message.objects.none()
    return failures_to_resend(campaign.parent_id)


@dataclass(frozen=True, slots=True)
class FollowUpAudience:
    """Whom a follow-up ("resend to failed") goes to besides its own groups and
    numbers: its parent's failed recipients, and those of them it does not resend
    (NOT_RESENT) by reason, in NOT_RESENT's order."""

    parent: Campaign
    count: int
    not_resent: tuple[tuple[str, int], ...] = ()

    @property
    def not_resent_count(self) -> int:
        return sum(n for _reason, n in self.not_resent)

    @property
    def not_resent_text(self) -> str:
        """«2 failed messages of the original campaign were not resent: 2 invalid
        numbers.» ("" when every failure is resent): the audience's own «left out»
        counts say nothing of these, which never became messages."""
        if not self.not_resent:
            return ""
        reasons = ", ".join(
            _NOT_RESENT_WORDS[reason](n) for reason, n in self.not_resent
        )
        return ngettext(
            "%(count)s failed message of the original campaign was not resent: "
            "%(reasons)s.",
            "%(count)s failed messages of the original campaign were not resent: "
            "%(reasons)s.",
            self.not_resent_count,
        ) % {"count": self.not_resent_count, "reasons": reasons}


_NOT_RESENT_WORDS = {
    FailureReason.STOP_LIST: lambda n: ngettext(
        "%(n)s on the stop list", "%(n)s on the stop list", n
    ) % {"n": n},
    FailureReason.INVALID_NUMBER: lambda n: ngettext(
        "%(n)s invalid number (it would fail again)",
        "%(n)s invalid numbers (they would fail again)",
        n,
    ) % {"n": n},
    FailureReason.OUTCOME_UNKNOWN: lambda n: ngettext(
        "%(n)s given up on while in doubt (it may have arrived)",
        "%(n)s given up on while in doubt (they may have arrived)",
        n,
    ) % {"n": n},
}  # fmt: skip


def follow_up_audience(campaign: Campaign) -> FollowUpAudience | None:
    """The follow-up's inherited audience, or None for a campaign that is none.

    A failure whose number went on the stop list after the parent was sent is not
    resent either (the expansion leaves it out): it is counted with the stop list,
    not with those it goes to, unless it already became one of this follow-up's
    messages (a number stop-listed after the launch was resent all the same).
    """
    if campaign.parent_id is None:
        return None
    resent = Message.objects.filter(campaign_id=campaign.pk, phone=OuterRef("phone"))
    rows = (
        Message.objects.filter(
            campaign_id=campaign.parent_id, status__in=RESEND_STATUSES
        )
        .annotate(stopped=is_stopped_q(), resent=Exists(resent))
        .order_by()
        .values("reason", "stopped", "resent")
        .annotate(n=Count("id"))
        .values_list("reason", "stopped", "resent", "n")
    )
    count = 0
    left: dict[str, int] = {}
    for reason, stopped, was_resent, n in rows:
        if reason in NOT_RESENT:
            left[reason] = left.get(reason, 0) + n
        elif stopped and not was_resent:
            left[FailureReason.STOP_LIST] = left.get(FailureReason.STOP_LIST, 0) + n
        else:
            count += n
    return FollowUpAudience(
        campaign.parent,
        count,
        tuple((r.value, left[r]) for r in NOT_RESENT if left.get(r)),
    )


def extra_phone_zones(campaign: Campaign, extra: ExtraNumbers) -> dict[str, str]:
    """Pasted numbers and a parent's failures with their numbering plan zone (a
    landline code's, else the loaded registry's range; "" when unknown), in the order
    the expansion adds them. The preview counts them from the same map."""
    zones = {n.phone: n.time_zone for n in extra.valid}
    for phone in parent_failures(campaign).values_list("phone", flat=True):
        zones.setdefault(phone, "")
    zones.update(zones_for_phones(p for p, zone in zones.items() if not zone))
    return zones


def audience_and_stopped_counts(contacts: QuerySet[Contact]) -> tuple[int, int]:
    """How many `contacts` there are, and how many of them are on the stop list, in
    one pass: the composer's live counter asks after every change. A join (the stop
    list's phone is unique), not EXISTS: counted by a FILTER, EXISTS ran once per
    contact, three times slower than the two counts it replaces."""
    query = contacts.order_by().values("phone").query
    if query.is_empty():  # no groups chosen: Contact.objects.none()
        return 0, 0
    sql, params = query.sql_with_params()
    stop_list = StopListEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COUNT(s.phone) FROM ({sql}) AS a "
            f"LEFT JOIN {stop_list} s ON s.phone = a.phone",
            params,
        )
        total, stopped = cursor.fetchone()
    return total, stopped


def is_stopped_q(field_name: str = "phone") -> Exists:
    return Exists(StopListEntry.objects.filter(phone=OuterRef(field_name)))


def require_audience(campaign: Campaign) -> None:
    """Raise when the campaign has nobody to send to at all."""
    if (
        not campaign.to_whole_book
        and not campaign.include_groups.exists()
        and not campaign.extra_numbers.strip()
        and campaign.parent_id is None
    ):
        raise ApplicationError(
            _("Choose the whole contact book, at least one group, or paste numbers."),
            where="include_groups",
        )
