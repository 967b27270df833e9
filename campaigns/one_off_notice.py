"""What a page says after it sent a one-off message (a contact's, an inbox answer)."""

from django.contrib import messages
from django.http import HttpRequest

from campaigns.models import Message
from campaigns.one_off import outcome_unclear


def one_off_noticed(request: HttpRequest, message: Message, said: str) -> None:
    """`said` ("… sent to %(phone)s (%(status)s).") as a success; a warning instead
    when the gateway gave no clear answer: "sent (Pending)" said it went out."""
    if unclear := outcome_unclear(message):
        messages.warning(request, unclear)
        return
    status = message.get_status_display()
    messages.success(request, said % {"phone": message.phone, "status": status})
