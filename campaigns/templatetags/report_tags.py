"""Template helpers of the report pages: status badges and the contact history block."""

from django import template

from campaigns.report_selectors import contact_messages, contact_replies
from providers.base import DeliveryStatus

register = template.Library()

BADGE_CLASSES = {
    DeliveryStatus.PENDING: "text-bg-light",
    DeliveryStatus.QUEUED: "text-bg-secondary",
    DeliveryStatus.SENT: "text-bg-info",
    DeliveryStatus.DELIVERED: "text-bg-success",
    DeliveryStatus.READ: "text-bg-success",
    DeliveryStatus.UNDELIVERED: "text-bg-warning",
    DeliveryStatus.REJECTED: "text-bg-danger",
    DeliveryStatus.FAILED: "text-bg-danger",
    DeliveryStatus.CANCELLED: "text-bg-dark",
    DeliveryStatus.UNKNOWN: "text-bg-light",
}


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap badge class for a delivery status."""
    return BADGE_CLASSES.get(status, "text-bg-light")


@register.inclusion_tag("campaigns/_contact_history_block.html", takes_context=True)
def contact_history(context: template.Context, contact) -> dict:
    """The latest messages to and replies from a contact."""
    return {
        "contact": contact,
        "history_messages": contact_messages(phone=contact.phone),
        "replies": contact_replies(contact=contact),
        "perms": context.get("perms"),
    }
