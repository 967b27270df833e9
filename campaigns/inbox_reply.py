"""Answering from the inbox: a one-off message through the account the reply came to,
putting the number on the stop list, and marking replies read or unread."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from campaigns.models import Message, Reply
from campaigns.one_off import one_off_send
from contacts.models import StopListEntry
from contacts.services import contact_opt_out

logger = logging.getLogger("campaigns.inbox")


def reply_send(
    *, reply: Reply, text: str, user: Any = None, client_key: str = ""
) -> tuple[Message, bool]:
    """Send `text` to the reply's number through the same account, outside campaigns,
    under the sender name the recipient saw when the reply answers a campaign. With
    a `client_key`, a second request with it (a double click, a retry) gets the
    first answer and sends nothing; returns the message and whether this call sent
    it."""
    sender = reply.campaign.sender if reply.campaign_id else ""
    message, made = one_off_send(
        account=reply.account,
        phone=reply.phone,
        text=text,
        sender=sender,
        contact_id=reply.contact_id,
        label=_("Answer"),
        client_key=client_key,
        source="inbox",
    )
    if made:
        logger.info(
            "answer to reply %s sent as message %s by %s", reply.pk, message.pk, user
        )
    if not reply.is_read:
        Reply.objects.filter(pk=reply.pk).update(is_read=True)
        reply.is_read = True
    return message, made


def reply_opt_out(*, reply: Reply, user: Any = None) -> tuple[StopListEntry, bool]:
    """Put the reply's number on the stop list by hand, as the stop list page does
    (source "manual", the user kept, the audit log told); the entry and whether it is
    new (False: the number was there already and keeps its entry)."""
    text = Truncator(" ".join(reply.text.split())).chars(100)
    # Says where the entry came from, and what the person wrote.
    reason = (
        _("From the inbox: “%(text)s”") % {"text": text}
        if text
        else _("From the inbox")
    )
    asked_at = timezone.now()
    entry = contact_opt_out(phone=reply.phone, reason=reason, user=user)
    return entry, entry.created_at >= asked_at


def replies_mark(*, replies: QuerySet[Reply], read: bool) -> int:
    """Mark replies read or unread; returns how many changed."""
    return replies.exclude(is_read=read).update(is_read=read)
