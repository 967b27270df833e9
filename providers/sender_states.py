"""Sender-name states as the gateways word them, shown in the user's language.

The gateway's word is stored as it came (SenderName.state) and stays on the page for
support; the words the gateways document get a translated label, any other word is
shown as it is.
"""

from django.utils.translation import pgettext_lazy

_APPROVED = pgettext_lazy("sender name state", "Approved")
_IN_MODERATION = pgettext_lazy("sender name state", "In moderation")
STATE_LABELS = {
    # Webcom (REFERENCE.md 1.9): order waits for moderation, completed is usable.
    "order": _IN_MODERATION,
    "completed": _APPROVED,
    "rejected": pgettext_lazy("sender name state", "Rejected"),
    # SMSC lists its approved names as active; a new request waits in moderation.
    "active": _APPROVED,
    "moderation": _IN_MODERATION,
}


def sender_state_label(state: str) -> str:
    """The translated label of a gateway's state word, or the word itself."""
    label = STATE_LABELS.get(state.strip().lower())
    return str(label) if label is not None else state
