"""Messages waiting to leave follow their contact: not sent once it is deleted; sent
to its new number once that changes (contacts.contact_changes calls these). A pasted
number's, which keeps its zone from the numbering plan, follows a reload of the plan
(contacts.numbering calls that one).

Only messages not yet claimed: one claimed is on its way to the gateway already.
Both read the pending index first (the waiting messages are few), then the
contacts or the (campaign, phone) index: never a scan of every message.
"""

from django.db.models import QuerySet
from django.utils import timezone

from campaigns.models import Message
from contacts.numbering import follow_new_ranges
from providers.base import DeliveryStatus, FailureReason


def _waiting():
    return Message.objects.filter(is_pending=True, claimed_at__isnull=True)


def _not_sent(messages: QuerySet) -> int:
    return messages.update(
        status=DeliveryStatus.CANCELLED,
        reason=FailureReason.CONTACT_REMOVED,
        vendor_code="",  # a lost answer's words, of a message that never left
        vendor_text="",
        status_changed_at=timezone.now(),
    )


def waiting_messages_of_deleted_contacts(contacts: QuerySet) -> None:
    _not_sent(_waiting().filter(contact_id__in=contacts.order_by().values("pk")))


def waiting_messages_follow_new_number(contact_id: int, old: str, new: str) -> None:
    waiting = _waiting().filter(contact_id=contact_id, phone=old)
    # A campaign that already has a message to the new number keeps that one alone
    # (a phone appears once per campaign).
    has_new = Message.objects.filter(
        campaign_id__in=waiting.values("campaign_id"), phone=new
    ).values("campaign_id")
    _not_sent(waiting.filter(campaign_id__in=has_new))
    waiting.update(phone=new)


def waiting_pasted_numbers_follow_new_ranges(previous: int) -> int:
    """Quiet hours read a waiting message's zone when it falls due late; messages
    gone keep the zone they went with. Reads the pending index first."""
    return follow_new_ranges(
        previous,
        table=Message._meta.db_table,
        only="is_pending AND contact_id IS NULL",
    )
