"""What must follow a contact that is deleted, or whose number changes, while
messages to it wait to leave.

Contacts knows nothing that follows it; campaigns registers (campaigns.contact_follow):
a deleted contact's waiting messages are not sent, and a changed number's follow it
instead of going to the old one, which may be somebody else's by then.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone

from contacts.models import FormerPhone
from smsportal.lib.hooks import Hooks

Leaving = Callable[[QuerySet], None]  # the contacts about to be deleted
Renumbered = Callable[[int, str, str], None]  # contact id, old phone, new phone
_leaving: Hooks[Leaving] = Hooks()
_renumbered: Hooks[Renumbered] = Hooks()


def contact_changes_register(*, leaving: Leaving, renumbered: Renumbered) -> None:
    _leaving.register(leaving)
    _renumbered.register(renumbered)


def contacts_leaving(contacts: QuerySet) -> None:
    """Called in the deleting transaction, before the rows go (then the messages
    still name their contact)."""
    for follow in _leaving:
        follow(contacts)


def contact_renumbered(contact_id: int, old: str, new: str) -> None:
    """Called in the transaction that saves the new number. The old one is kept:
    what was sent to the contact there is still the contact's history."""
    FormerPhone.objects.filter(contact_id=contact_id, phone=new).delete()
    FormerPhone.objects.update_or_create(
        contact_id=contact_id, phone=old, defaults={"replaced_at": timezone.now()}
    )
    for follow in _renumbered:
        follow(contact_id, old, new)
