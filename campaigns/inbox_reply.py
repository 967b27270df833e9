"""Answering from the inbox: a one-off message through the account the reply came to,
and marking replies read or unread."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Message, Reply
from campaigns.planning import (
    CONTACT_EXPRESSIONS,
    CONTACT_VALUES,
    count,
    segment_table_for,
    template_values,
)
from campaigns.selectors import custom_field_keys
from campaigns.sending import claim_ids, raise_unless_sent, submit
from campaigns.templating import empty_fields, has_fields, parse_template, render
from contacts.models import Contact
from contacts.selectors import is_stop_listed
from providers.base import MessageChannel
from smsportal.exceptions import ApplicationError
from smsportal.textguard import check_sendable

logger = logging.getLogger("campaigns.inbox")

MAX_REPLY_LENGTH = 1000


def reply_send(*, reply: Reply, text: str, user: Any = None) -> Message:
    """Send `text` to the reply's number through the same account, outside campaigns.

    Like a test send: one Message with campaign=None, claimed and submitted at once, so
    the exactly-once guard and the stop list re-check of campaigns.sending apply.
    """
    text = text.strip()
    # Also refuses NUL, which PostgreSQL text cannot hold.
    check_sendable(text, where="text", label=_("Answer"), multiline=True)
    if not text:
        raise ApplicationError(_("The text is empty."), where="text")
    if len(text) > MAX_REPLY_LENGTH:
        raise ApplicationError(
            _("The text is longer than %(n)d characters.") % {"n": MAX_REPLY_LENGTH},
            where="text",
        )
    text = _personalised(text, reply)
    account = reply.account
    if not account.is_active:
        raise ApplicationError(
            _("The provider account is not active."), where="account"
        )
    if is_stop_listed(phone=reply.phone):
        raise ApplicationError(
            _("%(phone)s is on the stop list: no message is sent.")
            % {"phone": reply.phone},
            where="phone",
        )
    # Answer under the sender name the recipient saw, when the reply answers a campaign.
    sender = (reply.campaign.sender if reply.campaign_id else "") or (
        account.default_sender
    )
    info = count(text, segment_table_for(account.kind))
    message = Message.objects.create(
        campaign=None,
        account=account,
        contact_id=reply.contact_id,
        phone=reply.phone,
        text=text,
        sender=sender,
        channel=MessageChannel.SMS,
        segments=info.segments,
        encoding=info.encoding,
        estimated_cost=(
            account.tariff * info.segments if account.tariff is not None else None
        ),
        planned_at=timezone.now(),
    )
    outcome = submit(
        account=account, campaign=None, claimed=claim_ids(message_ids=[message.pk])
    )
    raise_unless_sent(outcome, message_ids=[message.pk])
    logger.info(
        "answer to reply %s sent as message %s by %s", reply.pk, message.pk, user
    )
    if not reply.is_read:
        Reply.objects.filter(pk=reply.pk).update(is_read=True)
        reply.is_read = True
    message.refresh_from_db()
    return message


def _personalised(text: str, reply: Reply) -> str:
    """The answer with its placeholders filled from the contact, as a campaign fills
    them. One person reads it, so a placeholder without a value is refused rather
    than sent empty ("Hello, !")."""
    parts = parse_template(text, custom_fields=custom_field_keys())
    if not has_fields(parts):
        return render(parts, {})  # doubled braces become single ones
    row = (
        Contact.objects.filter(phone=reply.phone)
        .values(*CONTACT_VALUES, **CONTACT_EXPRESSIONS)
        .first()
    )
    values = template_values(row) if row else {"phone": reply.phone}
    if empty := empty_fields(parts, values):
        raise ApplicationError(
            _(
                "%(phone)s has no value for {%(name)s}: write the text in its place. "
                "To send braces as text, double them: {{%(name)s}}."
            )
            % {"phone": reply.phone, "name": empty[0]},
            where="text",
        )
    return render(parts, values)


def replies_mark(*, replies: QuerySet[Reply], read: bool) -> int:
    """Mark replies read or unread; returns how many changed."""
    return replies.exclude(is_read=read).update(is_read=read)
