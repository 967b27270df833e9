"""What a voice message's settings may be, per gateway: the composer's selects and
the API's checks. WEBSMS's come from its document (seed 002, `mode=voice`); other
gateways read the voice alone."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from providers.gateways.websms_parse import VOICE_ALIASES, VOICE_LANGUAGES, VOICE_NAMES

Choices = list[tuple[str, str]]


@dataclass(frozen=True)
class VoiceRules:
    languages: Choices
    voices: Choices
    tones: Choices
    # Typed values that mean a choice ("Алиса", "female" -> "3"), lower-case.
    voice_aliases: dict[str, str]
    speed: tuple[Decimal, Decimal] | None  # None: the gateway takes no speed


_LANGUAGE_LABELS = {"ru": _("Russian"), "en": _("English"), "tr": _("Turkish")}

WEBSMS = VoiceRules(
    languages=[(code, _LANGUAGE_LABELS[code]) for code in VOICE_LANGUAGES],
    # The document's table says 1-5 but names six voices, in this order.
    voices=[(str(n), name.capitalize()) for n, name in enumerate(VOICE_NAMES, 1)],
    tones=[("good", _("Friendly")), ("neutral", _("Neutral")), ("evil", _("Stern"))],
    voice_aliases={
        **{name: str(n) for n, name in enumerate(VOICE_NAMES, 1)},
        **VOICE_ALIASES,
    },
    speed=(Decimal("0.5"), Decimal("2.0")),
)

# SMSC takes a male or a female voice (smsc_parse maps them); nothing else.
VOICE_ONLY = VoiceRules(
    languages=[],
    voices=[("male", _("Male")), ("female", _("Female"))],
    tones=[],
    voice_aliases={},
    speed=None,
)


def voice_rules(kind: str) -> VoiceRules:
    return WEBSMS if kind == "websms" else VOICE_ONLY
