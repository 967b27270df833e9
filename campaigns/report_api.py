"""Delivery data in the REST API: messages (and sending one), inbound messages,
campaign report counters.

Lists use keyset (cursor) pagination on the id, newest first: `next_cursor` is passed
back as `cursor`; no page ever counts or skips rows with OFFSET.
"""

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from campaigns.by_phone import sent_to
from campaigns.counts import campaign_counts
from campaigns.inbox import incoming_fetch_all
from campaigns.inbox_reply import replies_mark, reply_send
from campaigns.models import Campaign, Message, Reply
from campaigns.one_off import is_same_message, message_for_client_key, one_off_send
from campaigns.report_filters import PHONE_NEEDS_DIGITS
from campaigns.report_selectors import (
    UNBILLED_STATUSES,
    campaign_report,
    message_status_query,
    reply_list,
    status_is_empty,
)
from campaigns.stoplist_sync import stoplist_sync, stoplist_sync_refusal
from contacts.phone import InvalidPhone, normalize_phone
from contacts.phone_search import phone_query, whole_number
from providers.base import DeliveryStatus
from providers.models import ProviderAccount
from smsportal.api import permission_required, require_perm
from smsportal.api_input import (
    KEY_REUSED,
    MAX_ID,
    InputSchema,
    ObjectId,
    PageSize,
    RecordId,
    cursor_refused,
    idempotency_key,
)
from smsportal.exceptions import ApplicationError, Conflict
from smsportal.lib.textcheck import without_nul
from smsportal.text_search import contains_text
from smsportal.textguard import check_sendable

# Mounted at the API root: paths below are /messages, /inbound, /campaigns/{id}/report.
PREFIX = ""
router = Router(tags=["reports"])

VIEW_PERM = "campaigns.view_campaign"
CHANGE_PERM = "campaigns.change_campaign"
Id = Field(None, ge=1, le=MAX_ID)


class MessageOut(Schema):
    id: int
    campaign_id: int | None
    client_key: str
    account_id: int
    contact_id: int | None
    phone: str
    text: str
    sender: str
    channel: str
    segments: int
    encoding: str
    status: str
    reason: str
    vendor_code: str
    vendor_text: str
    operator: str
    cost: Decimal | None
    estimated_cost: Decimal | None
    gateway_message_id: str
    planned_at: datetime
    submitted_at: datetime | None
    status_changed_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_estimated_cost(obj: Message) -> Decimal | None:
        """None for a message never billed (refused, failed, withdrawn): the estimate
        made before it left no longer says what it will cost, and the exports and
        the report's estimate leave it out too."""
        return None if obj.status in UNBILLED_STATUSES else obj.estimated_cost


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class ReplyOut(Schema):
    id: int
    account_id: int
    phone: str
    text: str
    to: str
    received_at: datetime
    contact_id: int | None
    campaign_id: int | None
    is_read: bool
    is_opt_out: bool


class ReplyPage(Schema):
    items: list[ReplyOut]
    next_cursor: str | None


class ReasonOut(Schema):
    status: str
    reason: str
    vendor_code: str
    vendor_text: str
    count: int


class OperatorOut(Schema):
    operator: str = Field(
        description="Empty for the messages no report named an operator for (listed "
        "last, so the rows add up to the campaign)"
    )
    total: int
    delivered: int
    failed: int


class ReportOut(Schema):
    campaign_id: int
    state: str
    total: int
    counts: dict[str, int] = Field(
        description="Messages per current status, each once: they add up to total"
    )
    delivered: int = Field(
        description="Delivered or read (a read message was delivered), as the "
        "report page's Delivered card and the delivered status filter count"
    )
    segments: int
    cost: Decimal
    estimated_cost: Decimal
    # Billable messages with neither a reported cost nor an estimate: not in the sums.
    unpriced_messages: int
    outcome_unknown_messages: int = Field(
        description="Messages failed with their outcome unknown: the gateway may "
        "have received them and charged for them; cost and estimated_cost leave "
        "them out"
    )
    gateway_priced_messages: int = Field(
        description="Messages whose cost the gateway reported; with none, cost is "
        "0 because nothing was reported yet"
    )
    segments_spent: int
    failure_reasons: list[ReasonOut]
    operators: list[OperatorOut]


class AnswerIn(InputSchema):
    text: str
    client_key: str = ""  # or the Idempotency-Key header: a retry sends nothing


class MarkIn(InputSchema):
    ids: list[RecordId] = Field(..., max_length=1000)
    read: bool = True


class MarkOut(Schema):
    changed: int = Field(description="Replies whose read state changed")
    not_found: list[int] = Field(description="Ids of no reply, passed over")


class SendIn(InputSchema):
    """One SMS now, outside campaigns."""

    answer_schema = MessageOut

    account: int = Field(..., ge=1, le=MAX_ID, description="Provider account id")
    phone: str = Field(..., max_length=64, description="Any common writing of it")
    text: str = Field(..., description="Placeholders come from the number's contact")
    sender: str = Field("", max_length=20, description="Empty: the account's default")
    client_key: str = Field(
        "",
        max_length=64,
        description="Idempotency key (or the Idempotency-Key header): the same key "
        "again, on the same account, with the same phone, text and sender returns the "
        "first message and sends nothing; with another message it is a 409.",
    )


class MessageFilters(Schema):
    campaign: int | None = Id
    status: DeliveryStatus | None = Field(
        None, description="delivered takes in read: a read message was delivered"
    )
    phone: str | None = None
    cursor: str | None = None
    limit: PageSize = 100


class ReplyFilters(Schema):
    account: int | None = Id
    state: Literal["unread", "read", "opt_out"] | None = None
    phone: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: PageSize = 100


def _page(queryset: QuerySet, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first, the cursor the last id given."""
    if cursor:
        if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_ID:
            raise cursor_refused()
        queryset = queryset.filter(id__lt=int(cursor))
    rows, more = _one_page(queryset.order_by("-id"), limit)
    return {"items": rows, "next_cursor": str(rows[-1].id) if more else None}


def _one_page(ordered: QuerySet, limit: int) -> tuple[list, bool]:
    """A page's rows, and whether more follow (one row past it is read)."""
    rows = list(ordered[: limit + 1])
    return rows[:limit], len(rows) > limit


# A campaign's messages in the order of its (campaign, phone) index: each page is a
# walk of that index from the cursor. Newest first read all of a million-message
# campaign for every page (0.8 s; 10,000 pages), since no index keeps its ids.
PHONE_CURSOR = "p"


def _page_by_phone(queryset: QuerySet, cursor: str | None, limit: int) -> dict:
    """One campaign's messages by phone; the cursor is "p" and the last phone's
    digits (a "+" would read as a space in a query string)."""
    if cursor:
        digits = cursor.removeprefix(PHONE_CURSOR)
        if not (cursor.startswith(PHONE_CURSOR) and digits.isascii()
                and digits.isdigit() and len(digits) <= 20):  # fmt: skip
            raise cursor_refused()
        queryset = queryset.filter(phone__gt=f"+{digits}")
    rows, more = _one_page(queryset.order_by("phone"), limit)
    last = PHONE_CURSOR + rows[-1].phone.lstrip("+") if more else None
    return {"items": rows, "next_cursor": last}


@router.get("/messages", response=MessagePage)
def message_list(
    request: HttpRequest, filters: Query[MessageFilters]
) -> dict[str, Any]:
    """Messages, newest first; filter by campaign, status and phone. One campaign's
    come in the order of their phone numbers (its index's), `next_cursor` then
    being "p" and a phone's digits."""
    require_perm(request, VIEW_PERM)
    queryset = Message.objects.all()
    if filters.campaign is not None:
        queryset = queryset.filter(campaign_id=filters.campaign)
        counts = campaign_counts(campaign_id=filters.campaign)
        if filters.status and status_is_empty(counts, filters.status):
            return {"items": [], "next_cursor": None}  # the counts hold none
    if filters.status:
        queryset = queryset.filter(message_status_query(filters.status))
    if filters.phone:
        _require_digits(filters.phone)
        number = whole_number(filters.phone)
        if number and filters.campaign is None:
            queryset = queryset.filter(sent_to(number))  # any campaign: see by_phone
        else:
            queryset = queryset.filter(phone_query(filters.phone))
    if filters.campaign is not None:
        return _page_by_phone(queryset, filters.cursor, filters.limit)
    return _page(queryset, filters.cursor, filters.limit)


@router.post(
    "/messages",
    response={200: MessageOut, 201: MessageOut},
    openapi_extra=KEY_REUSED,
)  # fmt: skip
@permission_required(CHANGE_PERM)
def message_send(request: HttpRequest, payload: SendIn) -> Status:
    """Send one SMS now through an account, outside campaigns: 201 with the message
    and the gateway's answer; 200 with the earlier message when its key was used for
    the same phone, text and sender; 409 when it was used for another message."""
    key = idempotency_key(
        payload.client_key, request.headers.get("Idempotency-Key", "")
    )
    account = _account(payload.account)
    # Refused with the place, never quietly cleaned: what goes out is what was asked.
    check_sendable(payload.phone, where="phone", label=_("Phone"))
    check_sendable(payload.sender, where="sender", label=_("Sender name"))
    phone = payload.phone
    try:
        number = normalize_phone(phone).e164
    except InvalidPhone as exc:
        raise ApplicationError(f"{phone}: {exc.reason}", where="phone") from None
    sender = payload.sender.strip()
    earlier = message_for_client_key(account.pk, key)
    if earlier is not None:
        return Status(200, _repeated(earlier, payload, number, sender))
    message, made = one_off_send(
        account=account, phone=number, text=payload.text, sender=sender,
        client_key=key, source="api",
    )  # fmt: skip
    # A request racing one with the same key gets its message, as a repeat does.
    if made:
        return Status(201, message)
    return Status(200, _repeated(message, payload, number, sender))


def _account(account_id: int) -> ProviderAccount:
    """The body's account; a 400 naming the field when there is none: the request
    is wrong, not its address (a 404 would say the operation is not there)."""
    account = ProviderAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise ApplicationError(
            _("There is no provider account %(id)s.") % {"id": account_id},
            where="account",
        )
    return account


def _repeated(
    earlier: Message, payload: SendIn | AnswerIn, phone: str, sender: str
) -> Message:
    """The message sent under the request's key, when the request asks for it again;
    a 409 when the key was used for another message, which would go unsent."""
    if is_same_message(earlier, phone=phone, text=payload.text, sender=sender):
        return earlier
    raise Conflict(
        _(
            "The idempotency key “%(key)s” was already used for another message "
            "(another number, text or sender); give this message a key of its own."
        )
        % {"key": earlier.client_key},
        where="client_key" if payload.client_key.strip() else "Idempotency-Key",
    )


def _require_digits(phone: str) -> None:
    """A phone filter without a digit would match every message: refuse it."""
    if not any(ch.isdigit() for ch in phone):
        raise ApplicationError(str(PHONE_NEEDS_DIGITS), where="phone")


@router.get("/inbound", response=ReplyPage)
def inbound_list(request: HttpRequest, filters: Query[ReplyFilters]) -> dict[str, Any]:
    """Incoming messages (replies), newest first."""
    require_perm(request, VIEW_PERM)
    queryset = reply_list()
    if filters.account is not None:
        queryset = queryset.filter(account_id=filters.account)
    if filters.state == "unread":
        queryset = queryset.filter(is_read=False)
    elif filters.state == "read":
        queryset = queryset.filter(is_read=True)
    elif filters.state == "opt_out":
        queryset = queryset.filter(is_opt_out=True)
    if filters.phone:
        _require_digits(filters.phone)
        queryset = queryset.filter(phone_query(without_nul(filters.phone)))
    if filters.q:
        queryset = queryset.filter(contains_text("text", without_nul(filters.q)))
    return _page(queryset, filters.cursor, filters.limit)


@router.post("/inbound/mark", response=MarkOut)
@permission_required(CHANGE_PERM)
def inbound_mark(request: HttpRequest, payload: MarkIn) -> dict[str, Any]:
    """Mark replies read (or unread with `read: false`); `not_found` lists the ids
    of no reply."""
    replies = Reply.objects.filter(pk__in=[i for i in payload.ids if 0 < i <= MAX_ID])
    found = set(replies.values_list("pk", flat=True))
    changed = replies_mark(replies=replies, read=payload.read)
    return {
        "changed": changed,
        "not_found": sorted({i for i in payload.ids if i not in found}),
    }


@router.post("/inbound/fetch", response=dict[str, int])
def inbound_fetch(request: HttpRequest) -> dict[str, int]:
    """Ask every active account's gateway for new incoming messages now."""
    require_perm(request, CHANGE_PERM)
    return {"fetched": incoming_fetch_all()}


@router.post(
    "/inbound/{reply_id}/answer",
    response=MessageOut,
    openapi_extra=KEY_REUSED,
)  # fmt: skip
@permission_required(CHANGE_PERM)
def inbound_answer(
    request: HttpRequest, payload: AnswerIn, reply_id: ObjectId
) -> Message:
    """Answer a reply with a one-off message through the same account. With an
    `Idempotency-Key` header (or `client_key`), a repeated request gets the first
    answer and sends nothing."""
    key = idempotency_key(
        payload.client_key, request.headers.get("Idempotency-Key", "")
    )
    reply = get_object_or_404(Reply.objects.select_related("account"), pk=reply_id)
    earlier = message_for_client_key(reply.account_id, key)
    if earlier is not None:  # a retry: what was sent, even if it could not go now
        return _repeated(earlier, payload, reply.phone, earlier.sender)
    message, made = reply_send(
        reply=reply, text=payload.text, user=request.user, client_key=key
    )
    # A key used before for another answer (another reply, another text): a 409.
    return message if made else _repeated(message, payload, reply.phone, message.sender)


@router.get("/campaigns/{campaign_id}/report", response=ReportOut)
def report(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    """Funnel counters (from the counts table), cost, segments, failure reasons."""
    require_perm(request, VIEW_PERM)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    data = campaign_report(campaign=campaign)
    funnel = data.funnel
    return {
        "campaign_id": campaign.pk,
        "state": campaign.state,
        "total": funnel.total,
        "counts": funnel.by_status,
        "delivered": funnel.delivered,
        "segments": funnel.segments,
        "cost": _money(data.spending.cost),
        "estimated_cost": _money(data.spending.estimated),
        "unpriced_messages": data.spending.unpriced,
        "outcome_unknown_messages": data.spending.outcome_unknown,
        "gateway_priced_messages": data.spending.gateway_priced,
        "segments_spent": data.spending.segments,
        "failure_reasons": [asdict(r) for r in data.reasons],
        "operators": [asdict(o) for o in data.operators],
    }


# As every money field of the API is written: four places (a message's "0.0000"),
# also for a sum of no rows (Decimal 0, which read "0").
MONEY_PLACES = Decimal("0.0001")


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(MONEY_PLACES)


@router.post("/stop-list/sync/{account_id}", response=dict[str, Any])
def stop_list_sync(request: HttpRequest, account_id: ObjectId) -> dict[str, Any]:
    """Sync the stop list with one account's gateway now."""
    require_perm(request, CHANGE_PERM)
    account = get_object_or_404(ProviderAccount, pk=account_id, is_active=True)
    refusal = stoplist_sync_refusal(account)
    if refusal:
        raise ApplicationError(refusal, where="account_id")
    return asdict(stoplist_sync(account=account))
