"""The campaign composer form (drafts only) and the test-send form.

The REST API validates through the same CampaignForm, so both say the same things.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from campaigns.audience import parse_extra_numbers, pasted_items
from campaigns.channel_content import (
    VIBER_FORM_FIELDS,
    one_text,
    sent_template,
    text_problems,
    viber_field_problems,
)
from campaigns.models import (
    MULTILINE_TEXT_FIELDS,
    PER_SEGMENT_CHANNELS,
    SENT_TEXT_FIELDS,
    SMS_CHANNELS,
    Campaign,
)
from campaigns.planning import (
    normalize_newlines,
    segment_table_for,
    translit_channels,
    translit_problem,
    zone,
)
from campaigns.segments import count_segments, transliterate
from campaigns.selectors import (
    account_channels,
    composer_account_info,
    composer_accounts,
    counter_settings,
    custom_field_labels,
    length_problem,
    preferred_account,
    sender_choices,
    sender_problem,
)
from campaigns.services import MAX_TEST_PHONES, START_AHEAD_MAX
from campaigns.start_clock import repeated_start_note, start_on_clock
from campaigns.templating import (
    CONTACT_FIELDS,
    parse_template,
    render,
    template_problems,
)
from campaigns.voice_options import VoiceRules, voice_rules
from contacts.models import Contact, ContactGroup
from contacts.services import groups_held as contact_groups_held
from contacts.timezones import time_zone_choices, zone_name
from providers.base import Capability, MessageChannel
from providers.models import ProviderAccount
from providers.registry import gateway_class
from providers.selectors import account_capabilities, account_error_head
from smsportal import once
from smsportal.exceptions import ApplicationError
from smsportal.form_style import style_fields
from smsportal.textguard import guard_fields
from smsportal.versioning import VersionedForm, keep_unedited, require_version

VIBER_CHANNELS = (MessageChannel.VIBER, MessageChannel.VIBER_THEN_SMS)
VOICE_FIELDS = ("language", "voice", "speed", "tone")
# Fields whose values go to the gateway: none may hold a character it cannot carry.
SENT_FIELDS = (
    "sender", *SENT_TEXT_FIELDS, *(f"voice_{key}" for key in VOICE_FIELDS),
)  # fmt: skip
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# Invalid pasted numbers named one by one; the rest are counted.
MAX_LISTED_INVALID = 5
PLACEHOLDER = re.compile(r"(?<!\{)\{\s*[\w-]+\s*(?:\|[^{}]*)?\}(?!\})")

# Assumption: the gateways' documents give no limit; Viber's own for a business
# message is 1,000 characters, and a longer one is refused at the gateway, per message.
VIBER_TEXT_MAX = 1000
# Assumption: no gateway here documents a cap for every channel (SMSC's is 1,000,
# WEBSMS's nine parts, Webcom's none), and no SMS campaign is 75 parts long: a text
# past this is a paste gone wrong, and a megabyte of it reached the preview and the
# API's lists. Gateways with their own limit say so first (text_length_problem).
SMS_TEXT_MAX = 5000
# Gateways that schedule per recipient take messages a week ahead at most (dispatch.
# SCHEDULE_AHEAD); a spread past that is a typing slip (10000 for 100).
MAX_SPREAD_HOURS = 7 * 24
_WEB_LINK = URLValidator(schemes=["http", "https"])


class MessageTextField(forms.CharField):
    """A message's text with its line breaks as sent: browsers post CRLF, while a
    handset, the live counter and the gateways count one LF. Normalised here, before
    the length validators, so a limit is judged on the characters the counter shows."""

    def to_python(self, value: Any) -> str:
        return normalize_newlines(super().to_python(value))


def _web_link(value: str) -> str:
    """A link Viber opens or shows: http or https only (a URLField takes ftp too)."""
    if value:
        try:
            _WEB_LINK(value)
        except ValidationError:
            raise forms.ValidationError(
                _("Give a link that starts with https:// or http://.")
            ) from None
    return value


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed, on no zone's clock yet: the campaign's zone, chosen
    beside it, gives it one (CampaignForm._start_at). Django's field reads it in the
    server's zone first, and refused a time that zone skips or repeats at its summer
    time change ("couldn't be interpreted in time zone Europe/Berlin") though the
    campaign's zone has no such change."""

    def to_python(self, value: Any) -> datetime | None:
        # UTC skips and repeats no time: made aware there, it comes back as typed.
        with timezone.override(UTC):
            moment = super().to_python(value)
        if moment is None or moment.tzinfo is not UTC:
            return moment  # typed with an offset of its own: _start_at reads it
        return moment.replace(tzinfo=None)


def _formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class CampaignForm(VersionedForm, forms.ModelForm):
    """Create or edit a draft; the choices follow the chosen account's gateway."""

    START_NOW, START_AT = "now", "at"

    start_mode = forms.ChoiceField(
        label=_("When"),
        choices=[(START_NOW, _("Start on launch")), (START_AT, _("At a set time"))],
        initial=START_NOW,
        widget=forms.RadioSelect,
    )
    start_local = WallClockDateTimeField(
        label=_("Start at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
        ),
        help_text=_("In the campaign's time zone (the field beside it)."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    # Selects offering the chosen gateway's values (_set_voice_fields); checked in
    # clean() for a voice message only, so a hidden leftover never blocks an SMS.
    voice_language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=10,
        widget=forms.Select,
        help_text=_("The language the text is read out in."),
    )
    voice_voice = forms.CharField(
        label=_("Voice"),
        required=False,
        max_length=20,
        widget=forms.Select,
        help_text=_("Who reads the text out."),
    )
    voice_speed = forms.CharField(
        label=_("Speed"),
        required=False,
        max_length=10,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    voice_tone = forms.CharField(
        label=_("Tone"),
        required=False,
        max_length=10,
        widget=forms.Select,
        help_text=_("How the voice sounds: friendly, neutral or stern."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "account", "sender", "channel", "text", "viber_text",
            "viber_button_text", "viber_button_url", "viber_image_url",
            "viber_image_id", "to_whole_book", "include_groups", "exclude_groups", "birthday_on",
            "extra_numbers", "time_zone",
            "respect_quiet_hours", "window_start", "window_end", "validity_hours",
            "translit", "spread_hours",
        ]  # fmt: skip
        formfield_callback = _formfield
        field_classes = {"text": MessageTextField, "viber_text": MessageTextField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "viber_text": forms.Textarea(attrs={"rows": 4}),
            "extra_numbers": forms.Textarea(attrs={"rows": 4}),
            "include_groups": forms.SelectMultiple(attrs={"size": 6}),
            "exclude_groups": forms.SelectMultiple(attrs={"size": 6}),
            "window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "birthday_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        # A negative period was refused in other words than 0 ("greater than or
        # equal to 0"), though both are refused for the same reason.
        error_messages = {
            "validity_hours": {
                "min_value": _("Give at least 1 hour, or leave it empty."),
            },
        }
        help_texts = {
            "viber_text": _(
                "What Viber sends, as typed: placeholders such as {first_name} are "
                "not filled here, only in the “Text” above. Left empty, Viber sends "
                "the SMS “Text” above; with “Viber, then SMS” the SMS “Text” also "
                "goes by SMS to whoever Viber does not reach."
            ),
            "spread_hours": _(
                "Messages go out evenly over this many hours; 0 sends them at once. "
                "With quiet hours only sending hours count: what does not fit before "
                "the window closes goes on when it next opens, at the same pace."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_accounts_and_groups(self.fields, keep=saved_account(self.instance))
        # The campaign's own zone stays a valid choice, offered or not (timezones.py).
        self.fields["time_zone"].choices = time_zone_choices(
            keep=self.instance.time_zone
        )
        self.custom_labels = custom_field_labels()
        self.custom_keys = list(self.custom_labels)
        self.account = self._chosen_account()
        self._set_sender_field()
        self._set_channel_field()
        self._set_voice_fields()
        guard_fields(self.fields, SENT_FIELDS, multiline=MULTILINE_TEXT_FIELDS)
        if not self.is_bound:
            self._set_initial_from_instance()
        self._style_widgets()

    # Setup ------------------------------------------------------------------------

    def _chosen_account(self) -> ProviderAccount | None:
        raw = (
            self.data.get("account")
            if self.is_bound
            else self.initial.get("account") or self.instance.account_id
        )
        accounts = self.fields["account"].queryset
        if isinstance(raw, ProviderAccount):
            raw = raw.pk
        try:
            return accounts.get(pk=raw) if raw else preferred_account(accounts)
        except (ProviderAccount.DoesNotExist, ValueError, TypeError):
            return preferred_account(accounts)

    def _set_sender_field(self) -> None:
        names = sender_choices(account=self.account) if self.account else []
        self.sender_names = names
        field = self.fields["sender"]
        if names:
            current = self.initial.get("sender") or self.instance.sender
            choices = [(n, n) for n in names]
            if current and current not in names:
                # A draft keeps its sender visible even if the name was withdrawn;
                # clean() says why it cannot be used.
                choices.append((current, current))
            field.widget = forms.Select(choices=choices)
        else:
            field.widget = forms.TextInput()
            field.help_text = _(
                "This account has no sender names on record: type the name the "
                "gateway approved."
            )

    def _set_channel_field(self) -> None:
        channels = account_channels(account=self.account) if self.account else []
        self.channels = channels
        # Offered: the gateway's channels. Accepted by the field: any, so clean()
        # can say which gateway cannot send what instead of "invalid choice".
        self.fields["channel"].choices = MessageChannel.choices
        if channels:
            choices = [(c.value, c.label) for c in channels]
            current = (
                self.data.get("channel")
                if self.is_bound
                else self.initial.get("channel") or self.instance.channel
            )
            if current in MessageChannel.values and current not in channels:
                # Chosen for the account before (Flash SMS, then WEBSMS picked): the
                # select would show SMS in its place without a word, and a voice
                # campaign would go out as SMS. Kept, clean() says why it cannot be.
                choices.append((current, MessageChannel(current).label))
            self.fields["channel"].widget.choices = choices

    def _set_voice_fields(self) -> None:
        rules = voice_rules(self.account.kind if self.account else "")
        default = [("", _("Gateway default"))]
        for key, choices in (
            ("language", rules.languages),
            ("voice", rules.voices),
            ("tone", rules.tones),
        ):
            self.fields[f"voice_{key}"].widget.choices = default + choices
        speed = self.fields["voice_speed"]
        if rules.speed is None:
            speed.help_text = _("This gateway takes no speed; leave it empty.")
            return
        low, high = rules.speed
        speed.widget.attrs.update(min=str(low), max=str(high))
        speed.help_text = _(
            "From %(min)s (slow) to %(max)s (fast); 1 is the usual pace. Empty: the "
            "gateway's default."
        ) % {"min": number_format(low), "max": number_format(high)}

    def _set_initial_from_instance(self) -> None:
        campaign = self.instance
        tz_name = campaign.time_zone or settings.TIME_ZONE
        self.initial.setdefault("time_zone", tz_name)
        if campaign.start_at:
            local = campaign.start_at.astimezone(zone(tz_name) or ZoneInfo("UTC"))
            self.initial["start_mode"] = self.START_AT
            self.initial["start_local"] = local.replace(tzinfo=None)
        aliases = voice_rules(self.account.kind if self.account else "").voice_aliases
        for key in VOICE_FIELDS:
            value = (campaign.voice_options or {}).get(key, "")
            if key == "voice":  # saved before the selects: "female", "Алиса"
                value = aliases.get(str(value).lower(), value)
            self.initial.setdefault(f"voice_{key}", value)

    def _style_widgets(self) -> None:
        style_fields(self.fields, small=False)
        channel = self.fields["channel"].widget.attrs
        channel["class"] += " js-campaign-channel"
        # The live counter prices only these (campaigns.js), as the preview does.
        channel["data-per-segment"] = " ".join(sorted(PER_SEGMENT_CHANNELS))
        # The counter counts SMS parts, and offers transliteration, only for these.
        channel["data-sms"] = " ".join(sorted(SMS_CHANNELS))
        channel["data-translit"] = " ".join(
            sorted(translit_channels(self.account.kind) if self.account else ())
        )
        self.fields["text"].widget.attrs["class"] += " font-monospace"
        cap_text(self.fields["text"])

    # Validation -------------------------------------------------------------------

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]  # MessageTextField: LF line breaks
        self._check_placeholders(text)
        return text

    def clean_viber_text(self) -> str:
        text = self.cleaned_data.get("viber_text", "")
        if found := PLACEHOLDER.search(text):
            # The Viber text goes out as typed; only the SMS text is personalised.
            raise forms.ValidationError(
                _(
                    "“%(field)s” goes out as typed, so %(placeholder)s would reach "
                    "everyone as it stands. Remove it, or leave “%(field)s” empty and "
                    "write the personalised text in “%(text)s” above."
                )
                % {
                    "field": self.fields["viber_text"].label,
                    "placeholder": found.group(0),
                    "text": self.fields["text"].label,
                }
            )
        return text

    def clean_extra_numbers(self) -> str:
        # Kept as typed; a line no one can send to is refused, named by its number.
        text = self.cleaned_data.get("extra_numbers", "")
        invalid = parse_extra_numbers(text).invalid
        if not invalid:
            return text
        errors = [
            forms.ValidationError(
                _("Line %(line)d (%(raw)s): %(why)s"),
                params={"line": line, "raw": raw, "why": why},
            )
            for line, raw, why in invalid[:MAX_LISTED_INVALID]
        ]
        more = len(invalid) - MAX_LISTED_INVALID
        if more > 0:
            errors.append(
                forms.ValidationError(
                    ngettext(
                        "…and %(count)d more invalid number.",
                        "…and %(count)d more invalid numbers.",
                        more,
                    ),
                    params={"count": more},
                )
            )
        raise forms.ValidationError(errors)

    def _check_placeholders(self, text: str) -> None:
        check_placeholders(text, self.custom_keys)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        account = data.get("account")
        if account is not None:
            self._check_account_choices(account, data)
        if account is not None:
            self._check_texts(account, data)
        self._check_viber(account, data)
        if account is not None and data.get("channel") == MessageChannel.VOICE:
            self._check_voice(account, data)
        self._check_window(data)
        groups_apart_check(self, data)
        if data.get("to_whole_book"):
            # Groups picked before ticking the whole book would only mislead later.
            data["include_groups"] = ContactGroup.objects.none()
        self._check_birthday_audience(data)
        data["start_at"] = self._start_at(data)
        return data

    def _check_account_choices(
        self, account: ProviderAccount, data: dict[str, Any]
    ) -> None:
        channel = data.get("channel")
        channels = account_channels(account=account)
        if channel and channel not in channels:
            self.add_error(
                "channel",
                _("%(gateway)s cannot send %(channel)s. It can send: %(channels)s.")
                % {
                    "gateway": account.get_kind_display(),
                    "channel": MessageChannel(channel).label,
                    # «Viber, then SMS» holds a comma of its own.
                    "channels": "; ".join(str(c.label) for c in channels),
                },
            )
        self._check_sender(account, data.get("sender", ""))
        self._check_validity(account, data.get("validity_hours"))
        self._check_translit(account, data)
        self._check_length(account, data)

    def _check_translit(self, account: ProviderAccount, data: dict[str, Any]) -> None:
        # The page offers the option only where it applies; the API is told why not.
        if not data.get("translit") or not data.get("channel"):
            return
        problem = translit_problem(
            kind=account.kind,
            channel=data["channel"],
            viber_text=data.get("viber_text", ""),
        )
        if problem:
            self.add_error("translit", problem)

    def _check_length(self, account: ProviderAccount, data: dict[str, Any]) -> None:
        """Refuse what the live counter calls too long for the gateway: the text that
        goes as the SMS (a WEBSMS cascade's SMS repeats its Viber text)."""
        channel = data.get("channel")
        if channel not in SMS_CHANNELS:
            return
        text, templated = sent_template(
            kind=account.kind,
            channel=channel,
            text=data.get("text") or "",
            viber_text=data.get("viber_text") or "",
        )
        field = "text" if templated else "viber_text"
        if not text or field in self.errors:
            return
        problem = text_length_problem(
            account,
            text if templated else text.replace("{", "{{").replace("}", "}}"),
            custom_keys=self.custom_keys,
            translit=data.get("translit"),
        )
        if problem:
            self.add_error(field, problem)

    def _check_validity(self, account: ProviderAccount, hours: int | None) -> None:
        if hours is None:
            return
        longest = gateway_class(account.kind).max_validity
        if Capability.VALIDITY not in account_capabilities(account):
            self.add_error(
                "validity_hours",
                _("This gateway does not take a validity period; leave it empty."),
            )
        elif hours < 1:
            # Zero would be sent as no validity at all, not as "expire at once".
            self.add_error(
                "validity_hours", _("Give at least 1 hour, or leave it empty.")
            )
        elif longest is not None and hours > longest // timedelta(hours=1):
            # The gateway would cut a longer period silently. Compared in hours:
            # timedelta() of a typed 10**20 hours overflowed.
            self.add_error(
                "validity_hours",
                _("%(gateway)s keeps a message for at most %(max)d hours.")
                % {
                    "gateway": account.get_kind_display(),
                    "max": longest // timedelta(hours=1),
                },
            )

    def _check_sender(self, account: ProviderAccount, sender: str) -> None:
        if "sender" in self.errors:
            return  # the field already said what is wrong with the value itself
        if not sender:
            if not sender_choices(account=account):
                self.add_error("sender", _("Type the sender name."))
            return
        if problem := sender_problem(account, sender):
            self.add_error("sender", problem)

    def clean_spread_hours(self) -> int:
        hours = self.cleaned_data.get("spread_hours") or 0
        if hours > MAX_SPREAD_HOURS:
            raise forms.ValidationError(
                _(
                    "Spread a campaign over at most %(max)s hours (a week); for longer, "
                    "schedule several."
                )
                % {"max": MAX_SPREAD_HOURS}
            )
        return hours

    def clean_viber_button_url(self) -> str:
        return _web_link(self.cleaned_data.get("viber_button_url", ""))

    def clean_viber_image_url(self) -> str:
        return _web_link(self.cleaned_data.get("viber_image_url", ""))

    def _check_texts(self, account: ProviderAccount, data: dict[str, Any]) -> None:
        """The text the channel needs is there, and none would be sent nowhere."""
        # A refused Viber text was given: "write the text, or the Viber text" would
        # be a second, wrong error beside the one that names it.
        if not data.get("channel") or self.errors.keys() & {"text", "viber_text"}:
            return
        problems = text_problems(
            kind=account.kind,
            channel=data["channel"],
            text=data.get("text") or "",
            viber_text=data.get("viber_text") or "",
        )
        for field, problem in problems.items():
            if field not in self.errors:
                self.add_error(field, problem)

    def _check_viber(
        self, account: ProviderAccount | None, data: dict[str, Any]
    ) -> None:
        if data.get("channel") not in VIBER_CHANNELS:
            return
        # The Viber message is its own text, or the SMS text when that is empty.
        field = "viber_text" if data.get("viber_text") else "text"
        length = len(data.get(field) or "")
        if field not in self.errors and length > VIBER_TEXT_MAX:
            self.add_error(
                field,
                _(
                    "A Viber message holds at most %(max)s characters; this one has "
                    "%(count)s."
                )
                % {"max": VIBER_TEXT_MAX, "count": length},
            )
        if account is None:
            return
        # What the account's gateway cannot carry is refused, never dropped.
        problems = viber_field_problems(account.kind, data)
        for name, problem in problems.items():
            if name not in self.errors:  # a refused value is missing from data
                self.add_error(name, problem)

    def _check_voice(self, account: ProviderAccount, data: dict[str, Any]) -> None:
        """Only what the gateway's document allows, written as it takes it."""
        rules = voice_rules(account.kind)
        gateway = account.get_kind_display()
        for key, choices, aliases in (
            ("language", rules.languages, {}),
            ("voice", rules.voices, rules.voice_aliases),
            ("tone", rules.tones, {}),
        ):
            name = f"voice_{key}"
            typed = (data.get(name) or "").strip()
            if not typed or name in self.errors:
                continue
            value = aliases.get(typed.lower(), typed.lower())
            if value in dict(choices):
                data[name] = value
            elif choices:
                self.add_error(
                    name,
                    _("%(gateway)s takes one of: %(choices)s.")
                    % {
                        "gateway": gateway,
                        "choices": ", ".join(f"{label} ({v})" for v, label in choices),
                    },
                )
            else:
                self.add_error(name, _not_taken(gateway))
        self._check_voice_speed(rules, gateway, data)

    def _check_voice_speed(
        self, rules: VoiceRules, gateway: str, data: dict[str, Any]
    ) -> None:
        typed = (data.get("voice_speed") or "").strip()
        if not typed or "voice_speed" in self.errors:
            return
        if rules.speed is None:
            self.add_error("voice_speed", _not_taken(gateway))
            return
        low, high = rules.speed
        try:
            speed = Decimal(typed.replace(",", "."))
        except InvalidOperation:
            speed = None
        if speed is None or not speed.is_finite() or not low <= speed <= high:
            self.add_error(
                "voice_speed",
                _("Give a number from %(min)s to %(max)s, such as %(example)s.")
                % {
                    "min": number_format(low),
                    "max": number_format(high),
                    "example": number_format(Decimal("1.5")),
                },  # fmt: skip
            )
            return
        data["voice_speed"] = str(speed.normalize())

    def _check_birthday_audience(self, data: dict[str, Any]) -> None:
        if data.get("birthday_on") is None or "include_groups" in self.errors:
            return
        if not data.get("to_whole_book") and not data.get("include_groups"):
            # Pasted numbers have no birthday: the filter would pick nobody.
            self.add_error(
                "birthday_on",
                _(
                    "Birthdays are looked up among the groups' contacts: choose "
                    "groups or the whole contact book."
                ),
            )

    def _check_window(self, data: dict[str, Any]) -> None:
        """A window may cross midnight (22:00–06:00 sends overnight); one that ends
        when it starts would send never, or always: refused, as neither is meant."""
        start, end = data.get("window_start"), data.get("window_end")
        if data.get("respect_quiet_hours") and start and end and start == end:
            self.add_error(
                "window_end",
                _(
                    "The send window is empty: it ends at %(time)s, when it starts. "
                    "Give another end (before the start for a window overnight), or "
                    "untick “%(quiet_hours)s” to send at any hour."
                )
                % {
                    "time": start.strftime("%H:%M"),
                    "quiet_hours": self.fields["respect_quiet_hours"].label,
                },
            )

    def _start_at(self, data: dict[str, Any]) -> datetime | None:
        if data.get("start_mode") != self.START_AT:
            return None
        local = data.get("start_local")
        if local is None:
            if "start_local" not in self.errors:
                self.add_error("start_local", _("Give the start date and time."))
            return None
        # One typed with an offset is read on the server's clock, as before; the
        # user meant the zone chosen next to it.
        naive = (
            timezone.make_naive(local, timezone.get_current_timezone())
            if timezone.is_aware(local)
            else local
        )
        tz = zone(data.get("time_zone", "")) or timezone.get_current_timezone()
        # A time the autumn change repeats is its first occurrence (fold 0, summer
        # time); the API's offset picks the second, and the composer keeps it while
        # the start is left as it was (its field shows the wall time only, and
        # saving moved it to the first). One the spring change skips has no
        # instant at all: zoneinfo would move it on by the gap unsaid.
        start_at = naive.replace(tzinfo=tz)
        kept = start_on_clock(self.instance.start_at, str(tz))
        if kept is not None and kept.replace(tzinfo=None, fold=0) == naive.replace(
            fold=0
        ):
            start_at = kept
        if skipped_wall_time(naive, tz):
            later = start_at.astimezone(UTC).astimezone(tz)
            self.add_error(
                "start_local",
                _(
                    "%(when)s does not exist in %(zone)s: the clocks are put forward "
                    "past it that day. Choose another time, such as %(later)s."
                )
                % {
                    "when": f"{naive:%d.%m.%Y %H:%M}",
                    "zone": zone_name(str(tz)),
                    "later": f"{later:%H:%M}",
                },
            )
            return None
        now = timezone.now()
        if start_at <= now:
            self.add_error("start_local", _("The start time is in the past."))
        elif start_at > now + START_AHEAD_MAX:
            latest = (now + START_AHEAD_MAX).astimezone(tz)
            self.add_error(
                "start_local",
                _(
                    "The start time is too far ahead: set one within a year from "
                    "now (by %(latest)s)."
                )
                % {"latest": f"{latest:%d.%m.%Y %H:%M} {zone_name(str(tz))}"},
            )
            return None
        return start_at

    # Saving -----------------------------------------------------------------------

    def save(self, commit: bool = True) -> Campaign:
        campaign = super().save(commit=False)
        campaign.start_at = self.cleaned_data.get("start_at")
        campaign.voice_options = self._voice_options()
        if commit:
            campaign.save()
            self.save_m2m()
        return campaign

    def _voice_options(self) -> dict[str, str]:
        if self.cleaned_data.get("channel") != MessageChannel.VOICE:
            return {}
        options = {
            key: self.cleaned_data.get(f"voice_{key}", "") for key in VOICE_FIELDS
        }
        return {key: value for key, value in options.items() if value}

    # Template helpers -------------------------------------------------------------

    @property
    def start_note(self) -> str:
        """Which of the two a start at a time the autumn change repeats is: the one
        typed when it was read, else the saved one."""
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is not None:
            start_at, time_zone = cleaned.get("start_at"), cleaned.get("time_zone", "")
        else:
            start_at, time_zone = self.instance.start_at, self.instance.time_zone
        return repeated_start_note(start_at, time_zone or "")

    @property
    def viber_text_max(self) -> int:
        return VIBER_TEXT_MAX

    @property
    def placeholders(self) -> list[tuple[str, str]]:
        return placeholder_choices(self.custom_labels)

    def _holds(self, name: str) -> bool:
        """Whether the field has a value or an error to show."""
        return bool(self[name].value()) or name in self.errors

    @property
    def viber_parts(self) -> list[forms.BoundField]:
        """The Viber parts the account's gateway carries; one it cannot carry is shown
        only while it holds something, with the reason it is refused."""
        carried = gateway_class(self.account.kind).viber_fields if self.account else ()
        return [
            self[name]
            for part, name in VIBER_FORM_FIELDS.items()
            if part in carried or self._holds(name)
        ]

    @property
    def viber_not_carried(self) -> str:
        """The Viber parts left out of the form for this account's gateway, in words."""
        if self.account is None:
            return ""
        gateway = gateway_class(self.account.kind)
        shown = {field.name for field in self.viber_parts}
        missing = [
            str(self.fields[name].label)
            for part, name in VIBER_FORM_FIELDS.items()
            if part not in gateway.viber_fields and name not in shown
        ]
        if not missing:
            return ""
        return gettext(
            "%(gateway)s cannot carry these in a Viber message, so they are not "
            "offered: %(fields)s."
        ) % {"gateway": gateway.label, "fields": ", ".join(missing)}

    @property
    def viber_text_channels(self) -> str:
        """The channels the Viber text is offered for: a cascade whose SMS repeats
        the Viber text has one text, the one above."""
        kind = self.account.kind if self.account else ""
        if kind and one_text(kind, MessageChannel.VIBER_THEN_SMS):
            return "viber viber_sms" if self._holds("viber_text") else "viber"
        return "viber viber_sms"

    @property
    def gateway_label(self) -> str:
        return gateway_class(self.account.kind).label if self.account else ""

    @property
    def cascade_one_text(self) -> bool:
        return bool(self.account) and one_text(
            self.account.kind, MessageChannel.VIBER_THEN_SMS
        )

    @property
    def voice_parts(self) -> list[forms.BoundField]:
        """The voice settings the account's gateway takes (one it does not take only
        while it has an error to show): another gateway's settings are no choice."""
        rules = voice_rules(self.account.kind if self.account else "")
        taken = {
            "voice_language": bool(rules.languages),
            "voice_voice": bool(rules.voices),
            "voice_speed": rules.speed is not None,
            "voice_tone": bool(rules.tones),
        }
        return [self[name] for name, ok in taken.items() if ok or name in self.errors]


def offer_accounts(
    field: forms.ModelChoiceField, keep: ProviderAccount | None = None
) -> None:
    """The active accounts, by name, no empty choice; one whose last check or send
    failed says so in its label, from what the account stores. `keep`, the saved
    record's own account, stays a choice (labelled inactive) when it was
    deactivated since: left out, the select showed the first active account chosen,
    and saving the draft for a changed word moved it to that account unasked."""
    accounts = composer_accounts()
    if keep is not None and not keep.is_active:
        accounts = (accounts | ProviderAccount.objects.filter(pk=keep.pk)).order_by(
            "name"
        )
    field.queryset = accounts
    field.empty_label = None
    field.label_from_instance = account_option_label
    # Shown chosen on a new form (a saved one's own account wins: form initial).
    preferred = preferred_account(field.queryset)
    field.initial = preferred.pk if preferred else None


def saved_account(instance: Any) -> ProviderAccount | None:
    """The account a saved campaign or greeting is on (None for a new one)."""
    if instance.pk is None or instance.account_id is None:
        return None
    return instance.account


def account_option_label(account: ProviderAccount) -> str:
    """ "SMSC down — не удалось связаться со шлюзом" for an account whose gateway
    failed it last time: chosen anyway, a campaign would stall."""
    if not account.is_active:
        return gettext("%(name)s (inactive)") % {"name": account.name}
    head = account_error_head(account)
    if not head:
        return account.name
    return gettext("%(name)s — %(error)s") % {"name": account.name, "error": head}


def groups_apart_check(form: forms.Form, data: dict[str, Any]) -> None:
    """Refuse a group chosen both to send to and to leave out: its people are left
    out, which nobody choosing it twice meant (a greeting then greets nobody in it,
    every day, without a word)."""
    both = sorted(
        {group.name for group in data.get("include_groups") or ()}
        & {group.name for group in data.get("exclude_groups") or ()}
    )
    if both:
        quoted = ", ".join(pgettext("a quoted name", "“%(name)s”") % {"name": name}
                           for name in both)  # fmt: skip
        form.add_error(
            "exclude_groups",
            ngettext(
                "%(groups)s is both chosen and left out: choose it in one list.",
                "%(groups)s are both chosen and left out: choose each in one list.",
                len(both),
            )
            % {"groups": quoted},
        )


def offer_accounts_and_groups(
    fields: dict[str, forms.Field], keep: ProviderAccount | None = None
) -> None:
    """The active accounts (no empty choice; `keep` as offer_accounts keeps it) and
    every group, by name: the choices of a form that sends to groups (the composer,
    a birthday greeting)."""
    offer_accounts(fields["account"], keep=keep)
    groups = ContactGroup.objects.order_by("name")
    fields["include_groups"].queryset = groups
    fields["exclude_groups"].queryset = groups
    # A list box takes one group per click unless told otherwise; books may have
    # hundreds of groups, too many for a list of checkboxes.
    for name in ("include_groups", "exclude_groups"):
        fields[name].help_text = gettext(
            "To choose several, hold Ctrl (⌘ on a Mac) while clicking; "
            "from the keyboard, move with Ctrl+arrows and pick with Ctrl+Space."
        )


class FollowsAccount:
    """Form mixin: an `account` select and a `sender` select of the chosen account's
    usable names, which campaigns.js refills when the account changes (the contact
    page's message and the birthday greeting; the composer reloads its fields)."""

    @functools.cached_property
    def chosen_account(self) -> ProviderAccount | None:
        """The account chosen, else the one the select shows first (one query: the
        sender select and the page's counter both ask)."""
        accounts = self.fields["account"].queryset
        chosen = self["account"].value()
        found = accounts.filter(pk=chosen).first() if str(chosen).isdigit() else None
        return found or preferred_account(accounts)

    def offer_senders(self, account: ProviderAccount | None) -> None:
        names = sender_choices(account=account) if account else []
        choices = [(name, name) for name in names]
        current = self["sender"].value()
        if current and current not in names:
            choices.append((current, current))  # kept visible; the check says why
        self.fields["sender"].widget.choices = choices

    def account_context(self) -> dict[str, Any]:
        """What the page's live counter and sender select follow: every offered
        account's table, price and names, and the chosen account's at first."""
        return {
            "account_info_json": json.dumps(
                composer_account_info(self.fields["account"].queryset)
            ),
            **counter_settings(self.chosen_account),
        }


def _not_taken(gateway: str) -> str:
    return _(
        "%(gateway)s takes no such setting for a voice message; leave it empty."
    ) % {"gateway": gateway}


def cap_text(field: forms.CharField) -> None:
    """An SMS text field takes at most SMS_TEXT_MAX characters (the browser stops
    typing there too)."""
    field.max_length = SMS_TEXT_MAX
    field.validators.append(MaxLengthValidator(SMS_TEXT_MAX))
    field.widget.attrs["maxlength"] = str(SMS_TEXT_MAX)


def text_length_problem(
    account: ProviderAccount,
    text: str,
    *,
    custom_keys: Sequence[str],
    translit: bool = False,
) -> str:
    """Why the gateway would refuse an SMS text as too long ("" when it would not),
    judged, as the live counter judges it, with every placeholder empty: the shortest
    text any recipient can get."""
    table = segment_table_for(account.kind)
    if table.max_parts is None and table.max_characters is None:
        return ""
    parts = parse_template(text, custom_fields=custom_keys)
    shortest = render(parts, {}, fallbacks=False)
    if translit:
        shortest = transliterate(shortest)
    return length_problem(account, count_segments(shortest, table=table))


def placeholder_choices(custom_labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, what it holds) for a text's insert buttons: a custom field's key is
    Latin ({city}); its label (Город) says what it is."""
    labels = {
        name: str(Contact._meta.get_field(name).verbose_name) for name in CONTACT_FIELDS
    }
    labels.update(custom_labels)
    return [(key, capfirst(label)) for key, label in labels.items()]


def check_placeholders(text: str, custom_keys: Sequence[str]) -> None:
    """A ValidationError for a placeholder no contact field fills (or a stray brace),
    listing the ones there are."""
    if problems := template_problems(text, custom_fields=custom_keys):
        known = ", ".join(f"{{{k}}}" for k in [*CONTACT_FIELDS, *custom_keys])
        raise forms.ValidationError(
            _("%(problem)s Known placeholders: %(known)s.")
            % {"problem": " ".join(problems), "known": known}
        )


def campaign_draft_save(*, form: CampaignForm) -> Campaign:
    """Save a valid composer form, unless the campaign stopped being a draft meanwhile
    or changed since the page's version (StaleVersion).

    campaign_launch locks the row too, so an edit and a launch never interleave.
    """
    with transaction.atomic():
        if form.instance.pk:
            current = (
                Campaign.objects.select_for_update().filter(pk=form.instance.pk).first()
            )
            if current is None or current.state != Campaign.State.DRAFT:
                raise ApplicationError(
                    gettext("Only a draft can be changed."), where="state"
                )
            require_version(current, form.opened_version)
            keep_unedited(form.instance, current, edited=form._meta.fields)
        groups_held(form)
        return form.save()


def groups_held(form: Any) -> None:
    """Hold the groups chosen in `form` (its include_groups and exclude_groups)
    against a delete until the save commits; GroupsGone for one deleted since the
    form was validated (saved, it would have been left out, or the save failed on
    the database's check). Call inside the save's transaction."""
    contact_groups_held(
        {
            name: list(form.cleaned_data.get(name) or [])
            for name in ("include_groups", "exclude_groups")
            if name in form.fields
        }
    )


def campaign_form_data(campaign: Campaign) -> dict[str, Any]:
    """A draft's current values as form data, so a partial update can be validated."""
    data: dict[str, Any] = {
        name: getattr(campaign, name)
        for name in CampaignForm._meta.fields
        if name not in ("account", "include_groups", "exclude_groups")
    }
    data["account"] = campaign.account_id
    if campaign.pk:
        data["include_groups"] = list(
            campaign.include_groups.values_list("pk", flat=True)
        )
        data["exclude_groups"] = list(
            campaign.exclude_groups.values_list("pk", flat=True)
        )
    data["validity_hours"] = campaign.validity_hours or ""
    data["viber_image_id"] = campaign.viber_image_id or ""
    for key in VOICE_FIELDS:
        data[f"voice_{key}"] = (campaign.voice_options or {}).get(key, "")
    data.update(start_fields(campaign.start_at, campaign.time_zone))
    return data


def skipped_wall_time(naive: datetime, tz: ZoneInfo) -> bool:
    """Whether `tz`'s clocks never show `naive` (a spring change jumps over it)."""
    try:
        there = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    except OverflowError:  # year 1 or 9999: no clock change, refused as out of range
        return False
    return there.replace(tzinfo=None, fold=0) != naive.replace(fold=0)


def start_fields(start_at: datetime | None, time_zone: str) -> dict[str, Any]:
    """start_mode / start_local form values for an aware start time."""
    if start_at is None:
        return {"start_mode": CampaignForm.START_NOW, "start_local": ""}
    local = start_at.astimezone(zone(time_zone) or ZoneInfo("UTC"))
    # The wall-clock time itself, not its text in minutes: the API's 10:00:42 became
    # 10:00, refused as past when given within the minute, and cut again by a PATCH.
    return {
        "start_mode": CampaignForm.START_AT,
        "start_local": local.replace(tzinfo=None),
    }


class TestSendForm(VersionedForm, forms.Form):
    """Numbers for a test send, and (hidden) the campaign's version the page showed:
    a test of a text someone changed since is refused."""

    __test__ = False  # not a pytest class, despite the name

    submission = once.submission_field()
    phones = forms.CharField(
        label=_("Test numbers"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "+7 912 345-67-89"}),
        help_text=_("One to ten numbers, one per line or separated by commas."),
    )

    def clean_phones(self) -> list[str]:
        phones = [raw for _line, raw in pasted_items(self.cleaned_data["phones"])]
        if not phones:
            raise forms.ValidationError(_("Give at least one number."))
        # Counted as numbers by the service, once each: "8 912 …" and "+7912 …"
        # written both are one. Here only a paste far past any test is stopped.
        if len(phones) > MAX_TEST_PHONES * 10:
            raise forms.ValidationError(
                _("At most %(max)d test numbers at a time; you gave %(count)d.")
                % {"max": MAX_TEST_PHONES, "count": len(phones)}
            )
        return phones


class DecideForm(forms.Form):
    """A person's decision on messages whose submit outcome is unknown."""

    RESEND, GIVE_UP = "resend", "give_up"

    decision = forms.ChoiceField(choices=[(RESEND, RESEND), (GIVE_UP, GIVE_UP)])
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, allowed_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(i, i) for i in allowed_ids]
