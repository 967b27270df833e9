"""Template helpers of the provider pages."""

from django import template

from providers.sender_states import sender_state_label

register = template.Library()


@register.filter
def sender_state(state: str) -> str:
    """{{ sender.state|sender_state }}: the state in the user's language."""
    return sender_state_label(state or "")
