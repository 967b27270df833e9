"""One message to one number outside any campaign: an answer from the inbox, or a
message written on a contact's page."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.models import AuditEvent
from campaigns.models import Message
from campaigns.planning import (
    CONTACT_EXPRESSIONS,
    CONTACT_VALUES,
    count,
    custom_field_kinds,
    normalize_newlines,
    segment_table_for,
    template_values,
)
from campaigns.selectors import length_problem, sender_problem
from campaigns.sending import claim_ids, raise_unless_sent, submit
from campaigns.templating import empty_fields, has_fields, parse_template, render
from contacts.models import Contact
from contacts.phone import vendor_e164
from contacts.selectors import is_stop_listed
from providers.base import DeliveryStatus, FailureReason, MessageChannel
from providers.models import ProviderAccount
from smsportal.exceptions import ApplicationError
from smsportal.textguard import check_sendable

MAX_LENGTH = 1000


def message_for_client_key(account_id: int, client_key: str) -> Message | None:
    """The one-off message an API client sent through the account with this
    idempotency key, if any."""
    if not client_key:
        return None
    return Message.objects.filter(account_id=account_id, client_key=client_key).first()


def is_same_message(message: Message, *, phone: str, text: str, sender: str) -> bool:
    """Whether `message` is what one_off_send would make of this phone (E.164), text
    and sender: a retried request, not another message under a reused key."""
    if message.phone != phone:
        return False
    if (sender or message.account.default_sender) != message.sender:
        return False
    text = normalize_newlines(text).strip()
    if text == message.text:
        return True
    try:
        return personalised(text, phone) == message.text
    except ApplicationError:  # a placeholder now empty: not what was sent
        return False


def one_off_send(
    *,
    account: ProviderAccount,
    phone: str,
    text: str,
    sender: str = "",
    contact_id: int | None = None,
    label: str = "",
    client_key: str = "",
    source: str = "",
) -> tuple[Message, bool]:
    """Send `text`, its placeholders filled from the number's contact, to `phone`
    through `account` under `sender` (one of the account's usable names; empty: its
    default) now.

    Like a test send: one Message with campaign=None, claimed and submitted at once,
    so the exactly-once guard and the stop list re-check of campaigns.sending apply.
    `label` names the text field in what the user is told. With a `client_key` the
    message is stored under it first: a second request with the key, even one racing
    this one, gets this message and sends nothing. Returns the message and whether
    this call made it (False: a request with the same key got there first).
    The audit log names who sent it and from where (`source`: one of
    accounts.audit_display's SEND_SOURCES).
    """
    # Line breaks as a handset and the live counter count them: a form posts CRLF,
    # which would be billed, and sent, as two characters.
    text = normalize_newlines(text).strip()
    # Also refuses NUL, which PostgreSQL text cannot hold.
    check_sendable(text, where="text", label=label or _("Text"), multiline=True)
    if not text:
        raise ApplicationError(_("The text is empty."), where="text")
    if len(text) > MAX_LENGTH:
        raise ApplicationError(
            _("The text is longer than %(n)d characters.") % {"n": MAX_LENGTH},
            where="text",
        )
    if not phone or vendor_e164(phone) != phone:
        # A reply's sender name ("MEGAFON") or nothing at all: the gateway would be
        # asked to send to it, and count it sent.
        raise ApplicationError(
            _("“%(phone)s” is not a phone number: nothing can be sent to it.")
            % {"phone": phone},
            where="phone",
        )
    text = personalised(text, phone)
    if not account.is_active:
        raise ApplicationError(
            _("The provider account is not active."), where="account"
        )
    if is_stop_listed(phone=phone):
        raise ApplicationError(
            _("%(phone)s is on the stop list: no message is sent.") % {"phone": phone},
            where="phone",
        )
    _check_sender(account, sender)
    if contact_id is None:  # linked, so the contact's history shows it
        contact_id = (
            Contact.objects.filter(phone=phone).values_list("pk", flat=True).first()
        )
    info = count(text, segment_table_for(account.kind))
    if problem := length_problem(account, info):  # as the gateway counts it
        raise ApplicationError(problem, where="text")
    try:
        with transaction.atomic():
            message = Message.objects.create(
                campaign=None,
                account=account,
                contact_id=contact_id,
                phone=phone,
                text=text,
                sender=sender or account.default_sender,
                channel=MessageChannel.SMS,
                segments=info.segments,
                encoding=info.encoding,
                estimated_cost=(
                    account.tariff * info.segments
                    if account.tariff is not None
                    else None
                ),
                planned_at=timezone.now(),
                client_key=client_key,
            )
    except IntegrityError:
        earlier = message_for_client_key(account.pk, client_key)
        if earlier is None:
            raise
        return earlier, False  # a request with the same key got there first
    # Before it leaves: a send that fails still went out of someone's hands.
    audit(
        AuditEvent.Action.SENT,
        message,
        object_repr=phone,
        account=f"{account.name} (#{account.pk})",
        source=source,
    )
    claimed = claim_ids(
        message_ids=[message.pk], login_generation=account.login_generation
    )
    outcome = submit(account=account, campaign=None, claimed=claimed)
    raise_unless_sent(outcome, message_ids=[message.pk])
    message.refresh_from_db()
    return message, True


def outcome_unclear(message: Message) -> str:
    """What to tell whoever sent a one-off message the gateway answered without a
    definite yes or no ("" when it did answer): "sent (Pending)" said it went out.
    The reconciler settles it with the gateway, or gives it up; it is never sent
    again by itself."""
    if not (
        message.status == DeliveryStatus.PENDING
        and message.reason == FailureReason.OUTCOME_UNKNOWN
    ):
        return ""
    return _(
        "The gateway gave no clear answer for the message to %(phone)s: whether it "
        "went out is checked with the gateway shortly, and it is not sent again by "
        "itself. Its status will show in the history; send it again only if it ends "
        "failed."
    ) % {"phone": message.phone}


def _check_sender(account: ProviderAccount, sender: str) -> None:
    if sender and (problem := sender_problem(account, sender)):
        raise ApplicationError(problem, where="sender")


def personalised(text: str, phone: str) -> str:
    """`text` with its placeholders filled from the contact of `phone`, as a campaign
    fills them. One person reads it, so a placeholder without a value is refused
    rather than sent empty ("Hello, !")."""
    parts = parse_template(text, custom_fields=custom_field_kinds())
    if not has_fields(parts):
        return render(parts, {})  # doubled braces become single ones
    row = (
        Contact.objects.filter(phone=phone)
        .values(*CONTACT_VALUES, **CONTACT_EXPRESSIONS)
        .first()
    )
    values: dict[str, Any] = template_values(row) if row else {"phone": phone}
    if empty := empty_fields(parts, values):
        raise ApplicationError(
            _(
                "%(phone)s has no value for {%(name)s}: write the text in its place. "
                "To send braces as text, double them: {{%(name)s}}."
            )
            % {"phone": phone, "name": empty[0]},
            where="text",
        )
    return render(parts, values)
