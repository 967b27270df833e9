"""Template helpers of the provider pages."""

from django import template

from providers import money
from providers.sender_states import sender_state_label

register = template.Library()


@register.filter
def sender_state(state: str) -> str:
    """{{ sender.state|sender_state }}: the state in the user's language."""
    return sender_state_label(state or "")


@register.filter
def currency_sign(code: str) -> str:
    """{{ account.balance_currency|currency_sign }}: «₽» on a Russian page."""
    return money.currency_sign(code or "")
