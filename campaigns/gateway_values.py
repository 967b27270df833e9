"""A gateway's answers, reports and replies as our rows can hold them.

What a gateway posts or answers is not ours to vouch for: a code longer than its
column, a price of "NaN", a time in the year 1 or 9999, a NUL, five megabytes of
error text. One such value failed the statement it rode in, and with it every report
or reply of its batch (a STOP among them) at each retry of the callback or poll, for
ever. Here each value is made to fit, or left out where it means nothing:

- texts lose NUL (PostgreSQL text cannot hold it) and are cut to their column;
- a status report for a gateway id longer than any we store cannot be one of ours;
- a price that is not a finite number, or more than its column holds, is no price;
- a time before 2000 or more than a day ahead is no time: the arrival stands in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from providers.base import IncomingMessage, StatusReport
from smsportal.lib.textcheck import without_nul

GATEWAY_ID_MAX = 64  # Message.gateway_message_id, Reply.gateway_message_id
CODE_MAX = 64  # Message.vendor_code
OPERATOR_MAX = 100  # Message.operator
# Message.vendor_text is unbounded text, but it is shown in tables and exports: a
# gateway's explanation is a sentence; what comes after a thousand characters is not.
VENDOR_TEXT_MAX = 1000
PHONE_MAX = 16  # Reply.phone (E.164 has at most 15 digits)
TO_MAX = 32  # Reply.to
# The longest SMS a person can send is 255 parts of 153 characters; a reply longer
# than this is not one, and a page showing it would not load.
REPLY_TEXT_MAX = 40_000
COST_LIMIT = Decimal("1000000")  # numeric(10, 4): below a million
SEGMENTS_MAX = 32767  # Message.segments, a small integer
LAST_ERROR_MAX = 2000  # ProviderAccount.last_error: an error message, whole
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SLACK = timedelta(days=1)  # a gateway's clock (or zone) a little ahead of ours


def plausible_time(moment: datetime | None, *, now: datetime) -> datetime | None:
    """The moment, or None when no report or reply can have it."""
    if moment is None:
        return None
    try:
        return moment if EARLIEST <= moment <= now + CLOCK_SLACK else None
    except OverflowError:  # an offset that takes the year past 1 or 9999
        return None


def fitted(text: str, limit: int) -> str:
    """The text without NUL, cut to `limit` characters."""
    return without_nul(text)[:limit]


def storable_segments(segments: int | None) -> int | None:
    """The gateway's count of parts, or None (the estimate stays) past any SMS."""
    if segments is None or 0 <= segments <= SEGMENTS_MAX:
        return segments
    return None


def storable_cost(cost: Decimal | None) -> Decimal | None:
    if cost is None or (cost.is_finite() and abs(cost) < COST_LIMIT):
        return cost
    return None


def storable_report(report: StatusReport, *, now: datetime) -> StatusReport | None:
    """The report as a message row holds it; None for one that cannot be ours."""
    if len(report.gateway_message_id) > GATEWAY_ID_MAX:
        return None
    occurred_at = plausible_time(report.occurred_at, now=now)
    cost = storable_cost(report.cost)
    if (
        occurred_at is report.occurred_at
        and cost is report.cost
        and len(report.vendor_code) <= CODE_MAX
        and len(report.vendor_text) <= VENDOR_TEXT_MAX
        and len(report.operator) <= OPERATOR_MAX
        and "\x00" not in report.gateway_message_id
        and "\x00" not in report.vendor_code
        and "\x00" not in report.vendor_text
        and "\x00" not in report.operator
    ):
        return report  # nearly every report: nothing to build
    return replace(
        report,
        gateway_message_id=without_nul(report.gateway_message_id),
        vendor_code=fitted(report.vendor_code, CODE_MAX),
        vendor_text=fitted(report.vendor_text, VENDOR_TEXT_MAX),
        operator=fitted(report.operator, OPERATOR_MAX),
        occurred_at=occurred_at,
        cost=cost,
    )


def storable_reply(message: IncomingMessage, *, now: datetime) -> IncomingMessage:
    """The incoming message as a reply row holds it. Nothing is dropped: what the
    person wrote is kept up to a length no SMS reaches."""
    received_at = plausible_time(message.received_at, now=now)
    limits = {
        "gateway_message_id": GATEWAY_ID_MAX,
        "phone": PHONE_MAX,
        "text": REPLY_TEXT_MAX,
        "to": TO_MAX,
        "reply_to_gateway_id": GATEWAY_ID_MAX,
    }
    if received_at is message.received_at and all(
        len(getattr(message, name)) <= limit and "\x00" not in getattr(message, name)
        for name, limit in limits.items()
    ):
        return message
    return replace(
        message,
        received_at=received_at,
        **{
            name: fitted(getattr(message, name), limit)
            for name, limit in limits.items()
        },
    )
