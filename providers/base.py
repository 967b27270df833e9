"""The gateway interface: our vocabulary for messages, statuses and gateway operations.

Every gateway module translates between this vocabulary and its vendor's, nothing more:
it imports nothing from `contacts` or `campaigns`, and it never touches the database.
A gateway gets an `AccountConfig` (built from a ProviderAccount by the registry) and an
httpx client from `providers.http`.
"""

from __future__ import annotations

import codecs
import enum
import functools
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from providers.exceptions import (
    GatewayError,
    GatewayProtocolError,
    NotSupported,
    PartlySent,
    RequestNotSent,
    TestModeUnavailable,
)
from smsportal.lib.values import quick_init

if TYPE_CHECKING:
    from providers.http import GatewayHttp


class DeliveryStatus(models.TextChoices):
    """Where one outbound message stands. Stored values are forever: never rename.

    PENDING -> QUEUED -> SENT -> DELIVERED -> READ
                              -> UNDELIVERED
            -> REJECTED       (gateway or stop list refused it)
            -> FAILED         (retries exhausted on our side)
    PENDING/QUEUED -> CANCELLED (scheduled message withdrawn)
    UNKNOWN: the vendor said something we cannot map (kept verbatim beside it).
    """

    PENDING = "pending", _("Pending")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    UNDELIVERED = "undelivered", _("Undelivered")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    UNKNOWN = "unknown", _("Unknown")


# Updates never move a message backwards: a report applies only when its rank is higher.
# UNKNOWN ranks below QUEUED so a later real status replaces it, and it never erases one.
# A refusal, failure or withdrawal ends a message that was on its way, but never one
# the handset had: a late or older "rejected" after "delivered" (REFERENCE §4: never
# downgrade a final state) would fail a delivered message and send it again with the
# failed. A delivery report after a withdrawal is the truth: it went before the cancel.
STATUS_RANK: Mapping[str, int] = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.UNKNOWN: 1,
    DeliveryStatus.QUEUED: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.REJECTED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.CANCELLED: 4,
    DeliveryStatus.DELIVERED: 5,
    DeliveryStatus.UNDELIVERED: 5,
    DeliveryStatus.READ: 6,
}

# DELIVERED is final for SMS; a Viber message may still move on to READ.
FINAL = frozenset(
    {
        DeliveryStatus.READ,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.FAILED,
        DeliveryStatus.CANCELLED,
    }
)
SETTLED = FINAL | {DeliveryStatus.DELIVERED}


class FailureReason(models.TextChoices):
    """Why a message did not arrive; the vendor's code and text are kept beside it."""

    INVALID_NUMBER = "invalid_number", _("Invalid number")
    STOP_LIST = "stop_list", _("On the stop list")
    SENDER_NOT_ALLOWED = "sender_not_allowed", _("Sender name not allowed")
    INSUFFICIENT_BALANCE = "insufficient_balance", _("Insufficient balance")
    EXPIRED = "expired", _("Expired")
    UNREACHABLE = "unreachable", _("Subscriber unreachable")
    DESTINATION_CLOSED = "destination_closed", _("Destination closed")
    CONTENT_REJECTED = "content_rejected", _("Text rejected")
    # Found by us before the request: a character no gateway can carry (U+0007 ...).
    INVALID_TEXT = "invalid_text", _("Characters no gateway can send")
    GATEWAY_ERROR = "gateway_error", _("Gateway error")
    RETRY_LIMIT = "retry_limit", _("Retries exhausted")
    OUTCOME_UNKNOWN = "outcome_unknown", _("Submit outcome unknown")
    # Withdrawn because its campaign was cancelled (here or at the gateway): said so,
    # not "Cancelled" again beside the status. A withdrawal for an opt-out has
    # STOP_LIST instead.
    CANCELLED = "cancelled", _("Campaign cancelled")
    # Not sent: the contact was deleted, or its number changed to one the campaign
    # already has, before the message left.
    CONTACT_REMOVED = "contact_removed", _("Contact deleted or number changed")
    # The account is in the gateway's test mode: it answered, and sent nothing.
    TEST_MODE = "test_mode", _("Test mode: not sent")
    OTHER = "other", _("Other")


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    FLASH = "flash", _("Flash SMS")
    VIBER = "viber", _("Viber")
    VIBER_THEN_SMS = "viber_sms", _("Viber, then SMS")
    VOICE = "voice", _("Voice message")


class Capability(enum.StrEnum):
    """What a gateway can do; pages and the API hide what an account's gateway lacks."""

    SEND = "send"
    FLASH = "flash"
    VIBER = "viber"
    CASCADE = "cascade"  # Viber first, SMS if Viber is not delivered
    VOICE = "voice"
    SCHEDULED_SEND = "scheduled_send"
    VALIDITY = "validity"
    TRANSLIT = "translit"
    NO_SPLIT = "no_split"
    PERSONAL_LINK = "personal_link"
    CLIENT_REFERENCE = "client_reference"  # the gateway dedupes on our reference
    STATUS_POLL = "status_poll"
    STATUS_CALLBACK = "status_callback"
    BALANCE = "balance"
    INCOMING = "incoming"
    INCOMING_CALLBACK = "incoming_callback"
    SENDER_NAMES = "sender_names"
    SENDER_NAME_ADD = "sender_name_add"
    SENDER_NAME_DELETE = "sender_name_delete"  # withdraw a request or an approved name
    STOP_LIST_READ = "stop_list_read"
    STOP_LIST_WRITE = "stop_list_write"
    SCHEDULED_LIST = "scheduled_list"
    SCHEDULED_CANCEL = "scheduled_cancel"
    PHONE_BOOK = "phone_book"
    STATISTICS = "statistics"
    COST_ESTIMATE = "cost_estimate"
    NUMBER_LOOKUP = "number_lookup"
    RESOLVE_REFERENCE = "resolve_reference"  # find a submit by our reference
    # A send that the gateway answers as usual and does not deliver (nor charge): an
    # account's test mode. Without it, test mode is refused (it would send for real).
    TEST_MODE = "test_mode"


# Value objects ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """What a gateway needs to know about one provider account (no database object)."""

    kind: str
    base_url: str
    login: str = ""
    password: str = ""  # or the API token, for gateways that use one
    token: str = ""
    # What the gateway signs its callbacks with, as set in its cabinet ("" = none).
    callback_secret: str = ""
    dialect: str = ""
    test_mode: bool = False
    default_sender: str = ""
    callback_url: str = ""  # our delivery-report URL for this account
    incoming_url: str = ""  # our incoming-message URL for this account
    tariff: Decimal | None = None  # price per segment the admin entered, if any
    options: Mapping[str, object] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        values = (self.login, self.password, self.token, self.callback_secret)
        return [s for s in values if s]


@dataclass(frozen=True, slots=True)
class GatewayOption:
    """One key of an account's `options` that a gateway reads: its values as the
    gateway's code compares them (strings, lower case), its default, what it does."""

    choices: tuple[str, ...]
    default: str
    help: str  # lazily translated


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    """WEBSMS voice message settings."""

    language: str = "ru"
    voice: str = ""  # "male" / "female" or the vendor's voice name
    speed: str = ""
    tone: str = ""


class ViberField(enum.StrEnum):
    """The optional parts of a Viber message; a gateway declares those it carries."""

    BUTTON_TEXT = "button_text"
    BUTTON_URL = "button_url"
    IMAGE_URL = "image_url"
    # A picture of the gateway's own gallery, by its number (WEBSMS's `id_fileid`).
    IMAGE_ID = "image_id"


@dataclass(frozen=True, slots=True)
class ViberContent:
    text: str
    sender: str = ""
    button_text: str = ""
    button_url: str = ""
    image_url: str = ""
    image_id: str = (
        ""  # digits: a picture of the gateway's gallery (ViberField.IMAGE_ID)
    )


@quick_init  # one a message of a batch
@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One message to one recipient, ready for a gateway."""

    reference: str  # our Message reference; sent as the client id where the API allows
    phone: str  # E.164, already normalised by contacts.phone
    text: str
    sender: str
    channel: MessageChannel = MessageChannel.SMS
    send_at: datetime | None = None  # aware; None means now
    valid_until: datetime | None = None  # aware
    translit: bool = False
    no_split: bool = False
    viber: ViberContent | None = None
    voice: VoiceOptions | None = None
    personal_link: str = ""  # WEBSMS personal link target


@dataclass(frozen=True, slots=True)
class PreparedSend:
    """A batch with what its send request needs built beforehand (see prepare_send)."""

    batch: Sequence[OutgoingSms]
    body: bytes | None = None  # the request body, when the gateway builds one
    # One request for the whole batch without a body built beforehand (Webcom's GET
    # of one text for all); a batch with a body is one request too.
    single_request: bool = False

    @property
    def one_request(self) -> bool:
        """Whether the batch goes as one request (not a request per message)."""
        return self.body is not None or self.single_request


@quick_init  # one a message of a batch
@dataclass(frozen=True, slots=True)
class SendResult:
    reference: str
    gateway_message_id: str  # empty when the recipient was refused
    status: DeliveryStatus  # usually QUEUED; REJECTED for a per-recipient refusal
    reason: FailureReason | None = None
    vendor_code: str = ""
    vendor_text: str = ""
    segments: int | None = None
    cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    gateway_message_id: str
    status: DeliveryStatus
    reason: FailureReason | None = None
    vendor_code: str = ""  # verbatim
    vendor_text: str = ""  # verbatim, often Russian
    occurred_at: datetime | None = None  # aware; None when the vendor gave no time
    cost: Decimal | None = None
    segments: int | None = None
    operator: str = ""
    reference: str = ""  # our reference, when the vendor echoes it


@dataclass(frozen=True, slots=True)
class Balance:
    amount: Decimal
    currency: str = "RUB"
    # Some gateways count prepaid messages instead of money.
    messages_left: int | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class SenderNameInfo:
    name: str
    state: str  # the gateway's word, verbatim ("active", "moderation", ...)
    usable: bool
    operators: str = ""
    comment: str = ""


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    gateway_message_id: str
    phone: str  # as the vendor gave it, normalised to digits with a leading "+"
    text: str
    received_at: datetime | None
    to: str = ""  # our number / prefix / sender it was sent to
    reply_to_gateway_id: str = ""
    # On a number shared by several clients, the keyword the gateway routed the
    # message to us by: the text opens with it (Webcom's `prefix`, seed 000).
    keyword: str = ""


@dataclass(frozen=True, slots=True)
class IncomingBatch:
    """One fetch of incoming messages and where the next fetch goes on from."""

    messages: list[IncomingMessage]
    cursor: str = ""  # the gateway's position after these; "" where it reads by time


@dataclass(frozen=True, slots=True)
class ScheduledMessage:
    gateway_message_id: str
    phone: str
    text: str
    send_at: datetime | None


@dataclass(frozen=True, slots=True)
class CostEstimate:
    total: Decimal
    segments: int
    messages: int
    currency: str = "RUB"
    exact: bool = True  # False when computed from an admin-entered tariff


@dataclass(frozen=True, slots=True)
class NumberInfo:
    phone: str
    operator: str = ""
    region: str = ""
    country: str = ""
    ported: bool | None = None
    reachable: bool | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class PhoneBookEntry:
    phone: str
    name: str = ""
    group: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatisticsRow:
    day: date
    sent: int
    delivered: int
    cost: Decimal
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """A callback request as the gateway sent it, detached from Django."""

    method: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    body: bytes
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    remote_addr: str = ""
    # Still percent-encoded: `query` is decoded as UTF-8, which a gateway sending
    # windows-1251 (SMSC by default) does not use.
    query_string: str = ""

    @classmethod
    def from_django(cls, request: object) -> InboundRequest:
        return cls(
            method=request.method,  # type: ignore[attr-defined]
            query={k: v for k, v in request.GET.items()},  # type: ignore[attr-defined]
            form=_form_fields(request),
            body=request.body,  # type: ignore[attr-defined]
            content_type=request.content_type or "",  # type: ignore[attr-defined]
            headers=dict(request.headers),  # type: ignore[attr-defined]
            remote_addr=request.META.get("REMOTE_ADDR", ""),  # type: ignore[attr-defined]
            query_string=request.META.get("QUERY_STRING", ""),  # type: ignore[attr-defined]
        )


def _form_fields(request: object) -> dict[str, str]:
    """A posted form's fields. A URL-encoded body is read here in the charset it
    declares: Django refuses any but UTF-8 (a 400, a 500 in development) and SMSC
    and WEBSMS post windows-1251, so the reports and replies were lost."""
    content_type = request.content_type  # type: ignore[attr-defined]
    if content_type == "multipart/form-data":
        return {k: v for k, v in request.POST.items()}  # type: ignore[attr-defined]
    if content_type != "application/x-www-form-urlencoded":
        return {}
    charset = request.content_params.get("charset", "")  # type: ignore[attr-defined]
    try:
        charset = codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        charset = "utf-8"  # a charset nobody knows: UTF-8, as Django assumes
    body = request.body  # type: ignore[attr-defined]
    return {k: v for k, v in QueryDict(body, encoding=charset).items()}


@dataclass(frozen=True, slots=True)
class CallbackAck:
    """The exact reply a gateway expects to a callback."""

    body: bytes = b"OK"
    content_type: str = "text/plain; charset=utf-8"
    status: int = 200


# The gateway ------------------------------------------------------------------------


# Operations whose unexpected failures (a vendor body of a shape nobody documented) are
# turned into GatewayProtocolError, so callers only ever see GatewayErrors.
GUARDED_OPERATIONS = (
    "send", "prepare_send", "send_prepared", "fetch_statuses", "balance", "verify_callback", "parse_status_callback",
    "parse_incoming_callback", "resolve_references", "incoming", "sender_names",
    "sender_name_add", "stop_list", "stop_list_add", "stop_list_remove",
    "scheduled_list", "cancel_scheduled", "phone_book_list", "phone_book_push",
    "statistics", "estimate_cost", "lookup_number",
)  # fmt: skip
_UNEXPECTED = (LookupError, TypeError, AttributeError, ValueError, ArithmeticError)
# Operations that submit: an unexpected failure before any request of theirs left means
# nothing was sent (RequestNotSent), not that the outcome is unknown.
SUBMITTING_OPERATIONS = frozenset({"send", "prepare_send", "send_prepared"})
_wire = threading.local()


def request_started() -> None:
    """Called by providers.http as each request leaves (counted per thread)."""
    _wire.count = getattr(_wire, "count", 0) + 1


def requests_started() -> int:
    """Requests this thread has sent so far."""
    return getattr(_wire, "count", 0)


def answer_received() -> None:
    """Called by providers.http as each answer comes in, before it is read: wakes
    the waiter this thread was given (answers_signal), if any."""
    event = getattr(_wire, "answered", None)
    if event is not None:
        event.set()


@contextmanager
def send_deadline(deadline: float | None) -> Iterator[None]:
    """Requests of a batch sent one per message (or per text) start on this thread
    only until `deadline` (time.monotonic()); the messages past it come back not
    taken (PENDING), for a later batch. The campaign pump sets it from the batch's
    claim: a message claimed and not recorded for longer than the reconciler's grace
    is taken for lost, released (and sent by another pump) or shown to a person to
    send again, while this batch would still send it."""
    _wire.deadline = deadline
    try:
        yield
    finally:
        _wire.deadline = None


@contextmanager
def send_pace(interval: float) -> Iterator[None]:
    """Requests of a batch sent one per message start at least `interval` seconds
    apart on this thread. The account's rate limit grants a batch at once (a second's
    worth at most); its requests, all at the start of that second, met the next
    batch's (another pump's, or this one's a second later, answered slowly) in the
    same second: 69 to 75 a second at the simulator for a limit of 40."""
    _wire.pace = interval
    try:
        yield
    finally:
        _wire.pace = 0.0


def _pace_wait(started: float, index: int) -> None:
    """Sleep until the `index`-th request of a batch begun at `started` may start."""
    pace = getattr(_wire, "pace", 0.0)
    if pace > 0:
        wait = started + index * pace - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def send_deadline_passed() -> bool:
    """Whether this thread's send_deadline has passed (False without one)."""
    deadline = getattr(_wire, "deadline", None)
    return deadline is not None and time.monotonic() >= deadline


def not_taken(sms: OutgoingSms) -> SendResult:
    """The result of a message whose request was never made: the caller sends it
    again later."""
    return SendResult(
        reference=sms.reference, gateway_message_id="", status=DeliveryStatus.PENDING
    )


@contextmanager
def answers_signal(event: threading.Event) -> Iterator[None]:
    """Set `event` when the first answer to this thread's requests comes in, before
    it is read: the campaign pump checks the campaign's state meanwhile."""
    _wire.answered = event
    try:
        yield
    finally:
        _wire.answered = None


def unexpected_error(
    kind: str, exc: Exception, *, submitting: bool, requests_before: int
) -> GatewayError:
    """The GatewayError an unexpected exception stands for: RequestNotSent when a
    submitting operation failed before any request of its own left, else a protocol
    error (the gateway may have acted on what it got)."""
    what = f"{type(exc).__name__}: {exc}"
    if submitting and requests_started() == requests_before:
        return RequestNotSent(kind, f"could not build the request: {what}"[:300])
    return GatewayProtocolError(kind, f"unexpected answer: {what}"[:300])


def secrets_masked(error: GatewayError, secrets: list[str]) -> GatewayError:
    """`error` with the account's secrets masked in its message, as its raw body
    already is. The message quotes the gateway's words, or the start of an answer it
    could not read: one that echoed the request (an error page of a proxy before the
    gateway, a vendor repeating what it refused) put the password on the account's
    page, in the API's error and in the log."""
    from providers.http import redact  # providers.http imports this module

    error.message = redact(error.message, secrets)
    error.vendor_code = redact(error.vendor_code, secrets)
    error.args = (error.message, *error.args[1:])
    if isinstance(error, PartlySent):
        secrets_masked(error.cause, secrets)
    return error


def _guarded(method):
    submitting = method.__name__ in SUBMITTING_OPERATIONS

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if (
            submitting
            and self.config.test_mode
            and not self.supports(Capability.TEST_MODE)
        ):
            # Whoever ticked test mode meant nothing to go out: without a test mode
            # at the gateway, a send would be real and paid for (accounts saved so
            # before the forms refused it), so it never leaves.
            raise TestModeUnavailable(self.kind)
        before = requests_started()
        try:
            return method(self, *args, **kwargs)
        except GatewayError as exc:
            secrets_masked(exc, self.config.secrets())
            raise
        except _UNEXPECTED as exc:
            error = unexpected_error(
                self.kind, exc, submitting=submitting, requests_before=before
            )
            raise secrets_masked(error, self.config.secrets()) from exc

    wrapper.__guarded__ = True
    return wrapper


# Webcom and SMSC sign in with an API token (SMSC: apikey) or a login and password.
TOKEN_OR_LOGIN_AND_PASSWORD = (frozenset({"token"}), frozenset({"login", "password"}))


# Webcom (seed 004: "≤11 alphanumeric or ≤15 digits"; add_originator lists the marks)
# and SMSC (REFERENCE §2.2): a name of at most 11 Latin letters, digits, spaces and
# marks, or a number of at most 15 digits. A longer or Cyrillic name is refused only
# after the launch ("The sender must not exceed…"), pausing the campaign.
LATIN_OR_NUMERIC_SENDER = re.compile(
    r"(?:[A-Za-z0-9 \"'?><,.\-_=+/!@#$%^&*()]{1,11}|\d{1,15})\Z"
)
LATIN_OR_NUMERIC_SENDER_RULE = _(
    "at most 11 Latin letters, digits, spaces and marks, or at most 15 digits"
)


class SmsGateway(ABC):
    """One vendor's protocol. Optional operations raise NotSupported unless declared.

    Every public operation of a subclass is wrapped so that an unexpected exception
    while reading a vendor's answer surfaces as GatewayProtocolError.
    """

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for name in GUARDED_OPERATIONS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__guarded__", False):
                setattr(cls, name, _guarded(method))

    kind: ClassVar[str]  # registry key, DB value, URL segment; never renamed
    label: ClassVar[str]
    dialects: ClassVar[tuple[str, ...]] = ()  # first one is the default
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    channels: ClassVar[frozenset[MessageChannel]] = frozenset({MessageChannel.SMS})
    max_batch: ClassVar[int] = 100  # recipients per send request
    max_status_batch: ClassVar[int] = 100  # ids per status request
    # Status requests one poll run may make (None: the poller's own cap).
    status_requests_per_poll: ClassVar[int | None] = None
    # The longest validity the gateway takes (None: no limit stated); send clamps to it.
    max_validity: ClassVar[timedelta | None] = None
    # Whether the Viber-then-SMS cascade carries an SMS text of its own (else the SMS
    # repeats the Viber message's text).
    cascade_has_sms_text: ClassVar[bool] = False
    default_base_url: ClassVar[str]
    status_map: ClassVar[Mapping[str, DeliveryStatus]] = {}
    # A sender name the gateway's document allows (None: any its cabinet knows), and
    # the rule in words, for the form that refuses a name before a launch fails.
    sender_pattern: ClassVar[re.Pattern[str] | None] = None
    sender_rule: ClassVar[str] = ""
    # The account settings it signs in with, any one set of them ("login", "password",
    # "token"), and the rule in words: an account saved without them fails every call.
    credential_sets: ClassVar[tuple[frozenset[str], ...]] = (
        frozenset({"login", "password"}),
    )
    credentials_rule: ClassVar[str] = _("a login and a password")
    # Where the gateway signs its callbacks with a secret the user sets in its cabinet,
    # what that secret is, in words (the account form offers the field only then).
    callback_secret_rule: ClassVar[str] = ""
    # Whether sender_names() lists names in every state (waiting, approved, refused).
    # A gateway that lists only approved ones leaves a request in moderation out, so a
    # sync must not take its absence for the gateway having dropped it.
    sender_list_complete: ClassVar[bool] = True
    # The optional Viber parts its send request carries (the text always goes): the
    # composer and the API refuse the others rather than let them be dropped, saying
    # why in `viber_refusals`' words.
    viber_fields: ClassVar[frozenset[ViberField]] = frozenset()
    viber_refusals: ClassVar[Mapping[ViberField, str]] = {}
    # Assumption: no gateway document names image formats; Viber's business messages
    # show JPEG and PNG pictures, so an image link must end in one of these.
    viber_image_types: ClassVar[tuple[str, ...]] = ("jpg", "jpeg", "png")
    # The keys of AccountConfig.options the gateway reads; the admin form accepts
    # only these, with their choices.
    account_options: ClassVar[Mapping[str, GatewayOption]] = {}

    def __init__(self, config: AccountConfig, *, http: GatewayHttp | None = None):
        from providers.http import GatewayHttp

        self.config = config
        self.http = http or GatewayHttp(config)

    @property
    def dialect(self) -> str:
        return self.config.dialect or (self.dialects[0] if self.dialects else "")

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def map_status(self, vendor_code: str) -> DeliveryStatus:
        """Our status for a vendor status word or code; UNKNOWN when unmapped."""
        return self.status_map.get(
            str(vendor_code).strip().lower(), DeliveryStatus.UNKNOWN
        )

    # Every gateway --------------------------------------------------------------

    @abstractmethod
    def send(self, batch: Sequence[OutgoingSms]) -> list[SendResult]:
        """Submit messages of one account; one result per message, same order.

        Per-recipient refusals come back as REJECTED results with a reason; anything
        that stops the whole request raises a GatewayError. A timeout after the request
        left raises GatewayUnavailable with outcome_unknown=True: the caller must not
        resend blindly but reconcile (resolve_references) or ask a person.
        """

    def prepare_send(self, batch: Sequence[OutgoingSms]) -> PreparedSend:
        """Everything `send` does before its request leaves (checks, the body), with no
        network: the campaign pump prepares the next batch while the last one is with
        the gateway. Raises what `send` would raise for the batch itself."""
        return PreparedSend(batch)

    def send_prepared(self, prepared: PreparedSend) -> list[SendResult]:
        """`send` of a batch prepare_send prepared (by default, `send` itself)."""
        return self.send(prepared.batch)

    def send_each(
        self,
        batch: Sequence[OutgoingSms],
        send_one: Callable[[OutgoingSms], SendResult],
    ) -> list[SendResult]:
        """`send` for gateways that take one request per message.

        An error on the first message raises as it is; after some went out it comes as
        PartlySent with their results, so none of them is lost and the rest, never
        sent, stay with the caller. Past the thread's send_deadline, the messages not
        sent yet come back not taken.
        """
        results: list[SendResult] = []
        started = time.monotonic()
        for index, sms in enumerate(batch):
            if index:
                _pace_wait(started, index)  # with send_pace only
            if results and send_deadline_passed():
                # Out of time (send_deadline): the rest go back, never sent.
                return results + [not_taken(rest) for rest in batch[index:]]
            before = requests_started()
            try:
                results.append(send_one(sms))
            except GatewayError as exc:
                if not results:
                    raise
                raise PartlySent(self.kind, results=results, cause=exc) from exc
            except _UNEXPECTED as exc:
                # Classified for this message alone: whether its own request left.
                error = unexpected_error(
                    self.kind, exc, submitting=True, requests_before=before
                )
                if not results:
                    raise error from exc
                raise PartlySent(self.kind, results=results, cause=error) from exc
        return results

    @abstractmethod
    def fetch_statuses(self, gateway_ids: Sequence[str]) -> list[StatusReport]:
        """Current status of sent messages; ids the gateway does not know are omitted."""

    @abstractmethod
    def balance(self) -> Balance:
        """The account balance."""

    # Callbacks (pushed by the gateway) -----------------------------------------

    def verify_callback(self, request: InboundRequest) -> None:
        """Raise CallbackRejected when the request is not authentic.

        The per-account URL token already authenticates the sender; gateways that sign
        callbacks check the signature here.
        """
        return

    # One handler URL for delivery reports and incoming messages (SMSC's cabinet):
    # each of our two URLs then takes both, is_incoming_callback telling them apart.
    one_callback_url: ClassVar[bool] = False

    def is_incoming_callback(self, request: InboundRequest) -> bool:
        """True when a request at the status URL carries an incoming message: a gateway
        with one handler URL for both (SMSC) says which one it sent."""
        return False

    def parse_status_callback(self, request: InboundRequest) -> list[StatusReport]:
        """Status reports in a delivery-report callback."""
        raise NotSupported(self.kind, "status callback")

    def status_callback_ack(
        self, request: InboundRequest, reports: Sequence[StatusReport]
    ) -> CallbackAck:
        """The exact reply the gateway expects to a delivery-report callback."""
        return CallbackAck()

    def parse_incoming_callback(self, request: InboundRequest) -> list[IncomingMessage]:
        """Incoming messages pushed by the gateway."""
        raise NotSupported(self.kind, "incoming callback")

    def incoming_callback_ack(
        self, request: InboundRequest, messages: Sequence[IncomingMessage]
    ) -> CallbackAck:
        return CallbackAck()

    # Optional operations ------------------------------------------------------

    def resolve_references(
        self, references: Sequence[str], *, phones: Mapping[str, str] | None = None
    ) -> dict[str, SendResult]:
        """Submits the gateway holds under our references (for unknown outcomes).

        `phones` maps each reference to its recipient (E.164): callers always pass it,
        because some gateways (SMSC) can only look a message up by reference and phone.
        References the gateway does not hold are left out of the answer.
        """
        raise NotSupported(self.kind, "resolve references")

    def incoming(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[IncomingMessage]:
        raise NotSupported(self.kind, "incoming messages")

    def incoming_after(self, *, cursor: str, since: datetime) -> IncomingBatch:
        """The messages after `cursor` (an earlier batch's), or since `since` when it is
        "". A gateway that lists its messages by id pages on from the cursor, and one
        fetch may stop at a page cap: the next goes on from the batch's cursor, so a
        backlog of any size is read in full, each message once. One that reads by
        time only answers everything since `since`."""
        return IncomingBatch(self.incoming(since=since))

    def sender_names(self) -> list[SenderNameInfo]:
        raise NotSupported(self.kind, "sender names")

    def sender_name_add(self, name: str, *, comment: str = "") -> SenderNameInfo:
        raise NotSupported(self.kind, "sender name request")

    def sender_name_delete(self, name: str) -> None:
        """Delete a sender name at the gateway: a request or an approved name."""
        raise NotSupported(self.kind, "sender name delete")

    def stop_list(self) -> list[str]:
        raise NotSupported(self.kind, "stop list")

    def stop_list_add(self, phones: Sequence[str]) -> None:
        raise NotSupported(self.kind, "stop list add")

    def stop_list_remove(self, phones: Sequence[str]) -> None:
        raise NotSupported(self.kind, "stop list remove")

    def scheduled_list(self) -> list[ScheduledMessage]:
        raise NotSupported(self.kind, "scheduled messages")

    def cancel_scheduled(self, gateway_ids: Sequence[str]) -> list[str]:
        """Withdraw scheduled messages; returns the ids actually cancelled. One
        that withdraws message by message and fails after some raises
        PartlyCancelled with those."""
        raise NotSupported(self.kind, "cancel scheduled")

    def phone_book_list(self, *, group: str = "") -> list[PhoneBookEntry]:
        raise NotSupported(self.kind, "phone book")

    def phone_book_push(self, entries: Sequence[PhoneBookEntry], *, group: str) -> int:
        raise NotSupported(self.kind, "phone book")

    def statistics(self, *, start: date, end: date) -> list[StatisticsRow]:
        raise NotSupported(self.kind, "statistics")

    def estimate_cost(self, batch: Sequence[OutgoingSms]) -> CostEstimate:
        raise NotSupported(self.kind, "cost estimate")

    def lookup_number(self, phone: str) -> NumberInfo:
        raise NotSupported(self.kind, "number lookup")
