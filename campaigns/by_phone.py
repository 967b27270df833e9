"""A number's messages, found without an index on the phone alone.

Every index on the message table is paid for by each row an expansion writes and by
each update that moves a row to a new version (claims, send results, status reports:
the new version goes into every index). Dropping the index on `phone` took a
million-row expansion from 9.2 to 6.8-7.6 s and a million status reports from 20-21
to 14-17 s on the 2-core machine (bench/). It served pages that read a few dozen
rows: a contact's history, a reply's conversation, the campaign a reply answers.
These find the number through the unique (campaign, phone) index instead, one
descent per campaign (`campaign_id = ANY(array) AND phone = ...`), and the one-off
messages (test sends, inbox answers: no campaign) through a small partial index
(`message_one_off_phone`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Expression, Lookup, Q, QuerySet

from campaigns.models import Campaign, Message


class InArray(Lookup):
    """`column = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once and descends
    the index once per value, where `IN (subquery)` may be planned as a join that
    scans the whole table."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)  # "(SELECT ...)"
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


Message._meta.get_field("campaign").register_lookup(InArray)


def sent_to(
    phone: str | Expression, *, campaigns: QuerySet[Campaign] | None = None
) -> Q:
    """Messages to `phone` (of `campaigns` if given, else of any campaign or none)."""
    if connection.vendor != "postgresql":
        # The embedded demo's table is small enough to scan.
        return (
            Q(phone=phone)
            if campaigns is None
            else Q(phone=phone, campaign__in=campaigns)
        )
    if campaigns is not None:
        return _in_campaigns(phone, campaigns)
    return _in_campaigns(phone, Campaign.objects.all()) | _one_off(phone)


def latest_sent_to(
    phone: str,
    *,
    limit: int = 50,
    contact_id: int | None = None,
    former_phones: Sequence[str] = (),
) -> list[Message]:
    """The latest `limit` messages to `phone`, with their campaigns; with
    `contact_id`, only those sent to that contact or to no contact (a pasted number,
    a contact since deleted), not those to another person who had the number, and
    also those sent to that contact at its `former_phones`.

    Each query is one index's plain condition: PostgreSQL may answer a single
    `(in campaigns) OR (no campaign)` condition by reading the whole unique index.
    """
    latest = Message.objects.select_related("campaign").order_by("-id")
    current = latest
    if contact_id is not None:
        current = latest.filter(Q(contact_id=contact_id) | Q(contact_id__isnull=True))
    queries = to_numbers(current, [phone])
    if contact_id is not None and former_phones:
        # Whoever has a former number now, only this contact's messages are its.
        queries += to_numbers(latest.filter(contact_id=contact_id), former_phones)
    merged = [message for query in queries for message in query[:limit]]
    return sorted(merged, key=lambda message: message.pk, reverse=True)[:limit]


def to_numbers(
    messages: QuerySet[Message],
    phones: Sequence[str],
    *,
    campaigns: QuerySet[Campaign] | None = None,
) -> list[QuerySet]:
    """`messages` to these numbers (in `campaigns` if given, else in any) and the
    one-off messages to them, as queries that each use one index's plain condition
    (on PostgreSQL, one for those in campaigns, one for the others). Never join them
    with OR: `Q(pk__in=...) | Q(pk__in=...)` is planned as a scan of the table."""
    campaigns = Campaign.objects.all() if campaigns is None else campaigns
    if connection.vendor != "postgresql":
        # The embedded demo's table is small enough to scan.
        return [
            messages.filter(phone__in=list(phones), campaign__in=campaigns),
            messages.filter(phone__in=list(phones), campaign__isnull=True),
        ]
    return [
        messages.filter(_in_campaigns(list(phones), campaigns)),
        messages.filter(_one_off(list(phones))),
    ]


def _in_campaigns(
    phone: str | Expression | Sequence[str], campaigns: QuerySet[Campaign]
) -> Q:
    """Served by the unique (campaign, phone) index."""
    in_array = campaigns.order_by().values("pk")
    if isinstance(phone, list | tuple):
        return Q(campaign__in_array=in_array, phone__in=list(phone))
    return Q(campaign__in_array=in_array, phone=phone)


def _one_off(phone: str | Expression | Sequence[str]) -> Q:
    """Served by the partial index message_one_off_phone."""
    if isinstance(phone, list | tuple):
        return Q(campaign__isnull=True, phone__in=list(phone))
    return Q(campaign__isnull=True, phone=phone)
