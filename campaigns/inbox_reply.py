"""Answering from the inbox: a one-off message through the account the reply came to,
and marking replies read or unread."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.models import Message, Reply
from campaigns.one_off import one_off_send

logger = logging.getLogger("campaigns.inbox")


def reply_send(*, reply: Reply, text: str, user: Any = None) -> Message:
    """Send `text` to the reply's number through the same account, outside campaigns,
    under the sender name the recipient saw when the reply answers a campaign."""
    sender = reply.campaign.sender if reply.campaign_id else ""
    message, _made = one_off_send(
        account=reply.account,
        phone=reply.phone,
        text=text,
        sender=sender,
        contact_id=reply.contact_id,
        label=_("Answer"),
    )
    logger.info(
        "answer to reply %s sent as message %s by %s", reply.pk, message.pk, user
    )
    if not reply.is_read:
        Reply.objects.filter(pk=reply.pk).update(is_read=True)
        reply.is_read = True
    return message


def replies_mark(*, replies: QuerySet[Reply], read: bool) -> int:
    """Mark replies read or unread; returns how many changed."""
    return replies.exclude(is_read=read).update(is_read=read)
