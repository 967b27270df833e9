"""What a campaign's channel sends, per gateway: which text goes out, and which Viber
parts the account's gateway carries.

The composer, the API (through the composer's form), the launch and the expansion all
ask here, so what is stored for a message is what the gateway is sent and nothing the
user set is quietly left out of a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.voice_options import voice_rules
from providers.base import MessageChannel, ViberField
from providers.registry import gateway_class

VIBER_CHANNELS = frozenset({MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS})
# The campaign field holding each optional Viber part.
VIBER_FORM_FIELDS: Mapping[ViberField, str] = {
    ViberField.BUTTON_TEXT: "viber_button_text",
    ViberField.BUTTON_URL: "viber_button_url",
    ViberField.IMAGE_URL: "viber_image_url",
    ViberField.IMAGE_ID: "viber_image_id",
}


def one_text(kind: str, channel: str) -> bool:
    """Whether a single text goes out: Viber alone, or a cascade whose SMS repeats the
    Viber message's text (a gateway without an SMS text of the cascade's own)."""
    if channel == MessageChannel.VIBER:
        return True
    return (
        channel == MessageChannel.VIBER_THEN_SMS
        and not gateway_class(kind).cascade_has_sms_text
    )


def sent_template(
    *, kind: str, channel: str, text: str, viber_text: str
) -> tuple[str, bool]:
    """The text each message of the campaign holds, as it goes out, and whether it is
    a template (the SMS «Текст», placeholders filled per recipient) or the Viber text
    (sent as typed).

    Where one text goes out, it is the Viber text when there is one, else the SMS
    text; a Webcom cascade keeps the SMS text, the part that is counted and billed
    (the Viber text travels beside it).
    """
    if one_text(kind, channel) and viber_text:
        return viber_text, False
    return text, True


def text_problems(
    *, kind: str, channel: str, text: str, viber_text: str
) -> dict[str, str]:
    """What is wrong with the texts for this channel, by field ({} when nothing):
    the one a channel needs is missing, or a second one would be sent nowhere."""
    if not one_text(kind, channel):
        return {} if text.strip() else {"text": _("Write the text.")}
    if not text.strip() and not viber_text.strip():
        return {"text": _("Write the text, or the Viber text.")}
    if not text.strip() or not viber_text.strip() or text == viber_text:
        return {}
    if channel == MessageChannel.VIBER:
        return {
            "text": _(
                "A Viber message sends only the “Viber text”, so this text would go "
                "nowhere. Clear it, or clear the Viber text to send this one (with "
                "its placeholders) by Viber."
            )
        }
    return {
        "viber_text": _(
            "%(gateway)s sends one text in a “Viber, then SMS” message: the SMS "
            "repeats the Viber message. Leave the Viber text empty to send the text "
            "above by Viber and by SMS, or make the two the same."
        )
        % {"gateway": gateway_class(kind).label}
    }


def viber_field_problems(kind: str, values: Mapping[str, str]) -> dict[str, str]:
    """Why the gateway cannot carry each Viber part given ({} when it can): a part it
    has no parameter for, a button missing half of what it needs, an image link
    that is no picture the gateway takes. `values` holds the campaign's fields."""
    gateway = gateway_class(kind)
    problems: dict[str, str] = {}
    for part, name in VIBER_FORM_FIELDS.items():
        if values.get(name) and part not in gateway.viber_fields:
            problems[name] = str(
                gateway.viber_refusals.get(part)
                or _(
                    "%(gateway)s cannot carry this in a Viber message, so it would be "
                    "dropped. Leave it empty."
                )
                % {"gateway": gateway.label}
            )
    button, link = values.get("viber_button_text"), values.get("viber_button_url")
    # A link needs a caption to be shown on; a caption needs a link only where the
    # gateway takes one (WEBSMS takes the caption alone).
    if link and not button and "viber_button_url" not in problems:
        problems["viber_button_text"] = _(
            "A Viber button needs both its text and its link."
        )
    elif (
        button
        and not link
        and ViberField.BUTTON_URL in gateway.viber_fields
        and "viber_button_text" not in problems
    ):
        problems["viber_button_url"] = _(
            "A Viber button needs both its text and its link."
        )
    image = values.get("viber_image_url")
    problem = image_problem(image, gateway.viber_image_types) if image else ""
    if problem and "viber_image_url" not in problems:
        problems["viber_image_url"] = problem
    return problems


def image_problem(url: str, types: tuple[str, ...]) -> str:
    """Why the link does not look like a picture of these types ("" when it does):
    judged by the extension of its path, since the server never fetches it."""
    path = urlsplit(url).path.lower()
    extension = path.rpartition(".")[2] if "." in path.rpartition("/")[2] else ""
    if extension in types:
        return ""
    return _(
        "Give a link to a picture: its address must end in %(types)s (Viber shows no "
        "other kind, and a web page is not a picture)."
    ) % {"types": ", ".join(f".{t}" for t in types)}


def viber_text_sent(campaign: Campaign) -> str:
    """The Viber text its page shows: a Viber channel's. A draft switched to SMS or
    voice keeps the one typed (for a switch back), which nothing sends."""
    return campaign.viber_text if campaign.channel in VIBER_CHANNELS else ""


def channel_settings(campaign: Campaign) -> list[tuple[str, str, str]]:
    """What the campaign's channel sends besides its text, for its page: (label,
    value, link) rows; the Viber parts of a Viber message, the voice settings of a
    voice message (the gateway's default named where one is left empty)."""
    rows: list[tuple[str, str, str]] = []
    if campaign.channel in VIBER_CHANNELS:
        if campaign.viber_button_text or campaign.viber_button_url:
            rows.append(
                (
                    _("Viber button"),
                    campaign.viber_button_text or campaign.viber_button_url,
                    campaign.viber_button_url,
                )
            )
        if campaign.viber_image_url:
            rows.append(
                (_("Viber image"), campaign.viber_image_url, campaign.viber_image_url)
            )
        if campaign.viber_image_id:
            rows.append(
                (
                    _("Viber image"),
                    _("picture no. %(number)s of the gateway's gallery")
                    % {"number": campaign.viber_image_id},
                    "",
                )
            )
    elif campaign.channel == MessageChannel.VOICE:
        rules = voice_rules(campaign.account.kind)
        options = campaign.voice_options or {}
        default = _("Gateway default")
        for key, label, choices, taken in (
            ("voice", _("Voice"), rules.voices, True),
            ("language", _("Language"), rules.languages, bool(rules.languages)),
            ("speed", _("Speed"), None, rules.speed is not None),
            ("tone", _("Tone"), rules.tones, bool(rules.tones)),
        ):
            value = str(options.get(key, ""))
            if not taken and not value:
                continue  # a setting this gateway has not
            if key == "speed" and value:
                value = _speed_shown(value)
            if choices is not None:
                # Saved before the selects: "female", "Алиса" name their choice.
                value = (
                    rules.voice_aliases.get(value.lower(), value)
                    if key == "voice"
                    else value
                )
                value = str(dict(choices).get(value, value))
            rows.append((str(label), value or str(default), ""))
    return rows


def _speed_shown(stored: str) -> str:
    """A voice speed as the reader writes numbers («0,8»); stored as typed for the
    gateway («0.8»)."""
    try:
        return number_format(Decimal(stored))
    except InvalidOperation:
        return stored
