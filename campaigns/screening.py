"""The last check before a request is built: characters no gateway can carry.

Forms, the API and imports refuse or remove them, but a value can still reach a message
another way (the admin, a database edit, data older than those checks). Such a message
is certainly not sent: it is left out of the request, and settled REJECTED (reason
INVALID_TEXT, the field and the place in vendor_text) with the rest of the batch's
answer. Without this, the Webcom XML builder refused the whole batch and every message
of it was left "outcome unknown".

campaigns.sending wires it in: `outgoing_for` screens (no database, no network: the pump
builds the next batch while the last is out), `send_request` carries what was held back to `settle` inside a
`Screened` answer, and `settle` rejects those and leaves them out of the chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Case, TextField, Value, When
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from campaigns.models import Message
from providers.base import (
    DeliveryStatus,
    FailureReason,
    OutgoingSms,
    SendResult,
)
from providers.exceptions import GatewayError
from smsportal.lib.textcheck import UNSENDABLE
from smsportal.textguard import unsendable_message

logger = logging.getLogger("campaigns.sending")

# Field labels for vendor_text (lazy: only a message that fails needs one).
TEXT, SENDER = _("text"), _("sender name")
VIBER_TEXT, BUTTON_TEXT = _("Viber text"), _("Viber button text")
BUTTON_URL, IMAGE_URL = _("Viber button link"), _("Viber image link")
VOICE = _("Voice")


class Outgoing(list):
    """What outgoing_for hands to send_request when it held messages back: the messages
    to send, and what is wrong with each held (message id: problem)."""

    def __init__(
        self, items: Iterable[OutgoingSms], *, held: Mapping[int, str]
    ) -> None:
        super().__init__(items)
        self.held = held


@dataclass(frozen=True, slots=True)
class Screened:
    """send_request's answer for an Outgoing: the gateway's answer for the messages sent,
    and those held back (message id: problem), which settle rejects."""

    answer: list[SendResult] | GatewayError
    held: Mapping[int, str]

    @property
    def held_references(self) -> frozenset[str]:
        return frozenset(str(message_id) for message_id in self.held)


def screen(outgoing: list[OutgoingSms]) -> list[OutgoingSms]:
    """`outgoing` as it is, or an Outgoing without the messages that cannot be sent."""
    problems = {}
    for sms in outgoing:
        problem = unsendable_problem(sms)
        if problem is not None:
            problems[int(sms.reference)] = problem
    if not problems:
        return outgoing
    held = frozenset(str(message_id) for message_id in problems)
    return Outgoing((s for s in outgoing if s.reference not in held), held=problems)


def unsendable_problem(sms: OutgoingSms) -> str | None:
    """What cannot be sent in this message and where, or None (one regex search)."""
    viber, voice = sms.viber, sms.voice
    everything = sms.text + sms.sender
    if viber is not None:
        everything += (
            viber.text + viber.sender + viber.button_text + viber.button_url
            + viber.image_url
        )  # fmt: skip
    if voice is not None:
        everything += voice.language + voice.voice + voice.speed + voice.tone
    if UNSENDABLE.search(everything) is None:
        return None
    fields = [(TEXT, sms.text, True), (SENDER, sms.sender, False)]
    if viber is not None:
        fields += [
            (VIBER_TEXT, viber.text, True), (SENDER, viber.sender, False),
            (BUTTON_TEXT, viber.button_text, False),
            (BUTTON_URL, viber.button_url, False), (IMAGE_URL, viber.image_url, False),
        ]  # fmt: skip
    if voice is not None:
        options = (voice.language, voice.voice, voice.speed, voice.tone)
        fields.append((VOICE, " ".join(options), False))
    for label, value, multiline in fields:
        message = unsendable_message(value, multiline=multiline, remedy=False)
        if message is not None:
            return f"{capfirst(label)}: {message}"
    return None  # unreachable: the search above found one


def reject_unsendable(problems: Mapping[int, str]) -> int:
    """Settle these pending messages as REJECTED, each with its problem: one UPDATE."""
    logger.warning(
        "%d messages not sent: characters no gateway can carry", len(problems)
    )
    vendor_text = Case(
        *(
            When(id=message_id, then=Value(text))
            for message_id, text in problems.items()
        ),
        output_field=TextField(),
    )
    return Message.objects.filter(
        id__in=list(problems), status=DeliveryStatus.PENDING
    ).update(
        status=DeliveryStatus.REJECTED,
        reason=FailureReason.INVALID_TEXT,
        vendor_text=vendor_text,
        status_changed_at=timezone.now(),
    )
