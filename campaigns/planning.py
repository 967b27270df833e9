"""What every message of a campaign will be: text, segments, cost and send time.

`SendPlan` gathers the campaign's rules once; the expansion applies them either in SQL
(PostgreSQL, a million rows) or in Python (SQLite demo, transliteration, pasted
numbers). Both must agree: tests compare them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import segments
from campaigns.channel_content import sent_template
from campaigns.models import Campaign
from campaigns.send_window import SendWindow
from campaigns.templating import Part, parse_template, render
from contacts.models import CustomField
from providers.base import MessageChannel
from providers.registry import gateway_class

# Gateways whose documents give their own segment table.
GATEWAY_SEGMENT_TABLES: Mapping[str, segments.SegmentTable] = {
    "websms": segments.WEBSMS,
    "smsc": segments.SMSC,
}


def segment_table_for(kind: str) -> segments.SegmentTable:
    return GATEWAY_SEGMENT_TABLES.get(kind, segments.STANDARD)


def translit_channels(kind: str) -> frozenset[MessageChannel]:
    """The channels whose text leaves as an SMS of its own: only there does
    transliteration save parts. A voice would read the Latin letters out as nonsense,
    and Viber shows Cyrillic at no cost."""
    channels = {MessageChannel.SMS, MessageChannel.FLASH}
    if gateway_class(kind).cascade_has_sms_text:
        channels.add(MessageChannel.VIBER_THEN_SMS)
    return frozenset(channels)


def translit_problem(*, kind: str, channel: str, viber_text: str) -> str:
    """Why transliteration cannot apply to such a campaign ("" when it can)."""
    if channel == MessageChannel.VIBER_THEN_SMS:
        if MessageChannel.VIBER_THEN_SMS not in translit_channels(kind):
            return _(
                "This gateway sends the Viber message's text again as the SMS, so "
                "transliteration would turn the Viber message into Latin letters too. "
                "Untick it."
            )
        if not viber_text:
            # The Viber message is the SMS text when its own is empty.
            return _(
                "Transliteration turns only the SMS into Latin letters: write the "
                "Viber text, or the Viber message goes in Latin letters too."
            )
        return ""
    if channel in translit_channels(kind):
        return ""
    return _(
        "Transliteration is for text sent as SMS; a message sent as “%(channel)s” "
        "goes as written. Untick it."
    ) % {"channel": MessageChannel(channel).label}


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class SendPlan:
    parts: list[Part]
    table: segments.SegmentTable
    price: Decimal | None
    start: datetime
    time_zone: str
    respect_window: bool
    window_start: time
    window_end: time
    spread: timedelta
    translit: bool

    @classmethod
    def for_campaign(
        cls, campaign: Campaign, *, now: datetime | None = None
    ) -> SendPlan:
        now = now or timezone.now()
        custom = custom_field_kinds()
        start = (
            campaign.start_at if campaign.start_at and campaign.start_at > now else now
        )
        # What goes out: the Viber text, as typed, where a Viber message's one text
        # is its own; else the SMS text with its placeholders.
        text, templated = sent_template(
            kind=campaign.account.kind,
            channel=campaign.channel,
            text=normalize_newlines(campaign.text),
            viber_text=normalize_newlines(campaign.viber_text),
        )
        return cls(
            parts=parse_template(text, custom_fields=custom) if templated else [text],
            table=segment_table_for(campaign.account.kind),
            price=campaign.price_per_segment,
            start=start,
            time_zone=campaign.time_zone,
            # An empty window cannot be saved (the forms refuse it): one stored
            # all the same keeps none, rather than holding every message forever.
            respect_window=campaign.respect_quiet_hours
            and not campaign.send_window.is_empty,
            window_start=campaign.window_start,
            window_end=campaign.window_end,
            spread=timedelta(hours=campaign.spread_hours),
            # A draft saved before the rule, or a copy moved to another channel,
            # keeps the flag: it must not reach a voice or a Viber message.
            translit=campaign.translit
            and not translit_problem(
                kind=campaign.account.kind,
                channel=campaign.channel,
                viber_text=campaign.viber_text,
            ),
        )

    def text_for(self, values: Mapping[str, object]) -> str:
        text = render(self.parts, values)
        return segments.transliterate(text) if self.translit else text

    def base_time(self, position: int, total: int) -> datetime:
        """Send time before quiet hours: the start, spread evenly over the period."""
        if not self.spread or total <= 1:
            return self.start
        return self.start + self.spread * position / total

    def planned_at(self, base: datetime, time_zone: str) -> datetime:
        """`base` moved into the recipient's send window, in their local time.

        Spread time counts sending hours only: the start is moved into the window,
        and the recipient's share of the spread (`base` - start) runs on in the
        window, carried over to the window's next opening where this one closes. So
        what spreading pushes past the closing goes out at the next opening in the
        same order and spacing, not all at its first minute. Without spreading every
        base is the start: it goes out when the window opens. A window that crosses
        midnight (22:00–06:00) closes the next day (campaigns.send_window).
        The SQL expansion (campaigns.expansion) computes the same on wall-clock time.
        """
        if not self.respect_window:
            return base
        tz = zone(self.zone_name(time_zone)) or timezone.get_current_timezone()
        window = self.window
        wall_clock = self.start.astimezone(tz).replace(tzinfo=None)
        start = window.moved_in(wall_clock)
        offset = base - self.start
        closing = window.closing_after(start)
        room = closing - start
        if offset < room:
            local = start + offset
        else:
            days, within = divmod(offset - room, window.length)
            local = window.opening_after(closing) + timedelta(days=days) + within
        return local.replace(tzinfo=tz)

    def zone_name(self, time_zone: str) -> str:
        """The zone a recipient's quiet hours are kept in: theirs, if it is one, else
        the campaign's."""
        return time_zone if zone(time_zone) else self.time_zone

    @property
    def window(self) -> SendWindow:
        return SendWindow(self.window_start, self.window_end)


# Contact columns a template can use; read them with
# `.values(*CONTACT_VALUES, **CONTACT_EXPRESSIONS)`.
CONTACT_VALUES = (
    "id", "phone", "first_name", "last_name", "middle_name", "nickname", "email",
    "time_zone",
)  # fmt: skip
# Custom fields as the stored JSON text: a number keeps the digits it was written with
# ("1234.50", not the float 1234.5), as the SQL expansion's `->>` renders it.
CONTACT_EXPRESSIONS = {"attributes_json": Cast("attributes", TextField())}


def custom_field_kinds() -> dict[str, str]:
    """Each custom field's kind by its key: how a message writes its values."""
    return dict(CustomField.objects.values_list("key", "kind"))


def template_values(row: Mapping[str, object]) -> dict[str, object]:
    """A contact row (read as above) as placeholder values, custom fields rendered as
    PostgreSQL's `->>` does: both expansion paths must write the same text."""
    raw = row.get("attributes_json")
    attributes = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else {}
    values: dict[str, object] = {
        key: _as_sql_text(value) for key, value in (attributes or {}).items()
    }
    values.update({k: v for k, v in row.items() if k not in ("id", "attributes_json")})
    return values


def _as_sql_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def normalize_newlines(text: str) -> str:
    """Browsers submit CRLF; handsets and the live counter count LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@functools.lru_cache(maxsize=65536)
def count(text: str, table: segments.SegmentTable) -> segments.SegmentInfo:
    return segments.count_segments(text, table=table)
