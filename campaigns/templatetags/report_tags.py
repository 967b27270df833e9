"""Template helpers of the report pages: status badges, the gateway's words and the
contact history block."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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
def tens(value) -> int:
    """A percent rounded down to a multiple of ten: a live line read out at each
    step, not at every refresh."""
    try:
        return int(float(value)) // 10 * 10
    except (TypeError, ValueError):
        return 0


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap badge class for a delivery status."""
    return BADGE_CLASSES.get(status, "text-bg-light")


@register.simple_tag
def gateway_words(code: str, text: str) -> SafeString:
    """The gateway's code and text beside a status: "<code>3</code> Expired"; a code
    that came without a text is said to be the gateway's ("gateway code 3"), as a
    bare "3" beside «Истёк срок доставки» read as a count or a footnote."""
    if code and text:
        return format_html("<code>{}</code> {}", code, text)
    if code:
        # Both parts escaped: the translated sentence and the code in it.
        template = conditional_escape(_("gateway code %(code)s"))
        return mark_safe(template % {"code": format_html("<code>{}</code>", code)})
    return conditional_escape(text)


@register.inclusion_tag("campaigns/_contact_history_block.html", takes_context=True)
def contact_history(context: template.Context, contact) -> dict:
    """The latest messages to and replies from a contact."""
    return {
        "contact": contact,
        "history_messages": contact_messages(contact=contact),
        "replies": contact_replies(contact=contact),
        "perms": context.get("perms"),
    }
