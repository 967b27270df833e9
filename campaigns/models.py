"""Campaigns, the message ledger (one row per recipient), status counts and replies.

Message status moves only forward (providers.base.STATUS_RANK); see DeliveryStatus for the
state machine. `claimed_at` is the exactly-once guard: a message is claimed by one
conditional UPDATE before it is submitted, and a claimed message whose submit outcome was
never recorded is reconciled with the gateway, never resent blindly.
"""

import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.audit import current_actor
from campaigns.send_window import SendWindow
from campaigns.start_clock import (
    repeated_start_clock,
    repeated_start_note,
    start_on_clock,
)
from contacts.models import Contact, ContactGroup
from contacts.timezones import zone_name
from providers.base import DeliveryStatus, FailureReason, MessageChannel
from providers.models import ProviderAccount
from smsportal.fields import PhoneField
from smsportal.lib.deferred import Deferred, deferred_text
from smsportal.lib.shared_clock import database_now
from smsportal.versioning import Versioned

# A campaign's texts that go to the gateway as stored (the sender aside, which may come
# from the account): none may hold a character a gateway cannot carry. The first two
# span lines, so a problem in them is placed by line and column.
SENT_TEXT_FIELDS = ("text", "viber_text", "viber_button_text", "viber_button_url",
                    "viber_image_url")  # fmt: skip
MULTILINE_TEXT_FIELDS = ("text", "viber_text")
# Channels billed per SMS part, the unit of the account's tariff and of the gateways'
# cost estimates.
# Assumption: Viber messages are billed per message and voice calls per second at the
# gateway's own tariffs, which no document gives a way to read; a cascade's SMS goes
# only to those Viber did not reach. Their cost is therefore not estimated at all,
# rather than shown as if each part were an SMS.
PER_SEGMENT_CHANNELS = frozenset({MessageChannel.SMS, MessageChannel.FLASH})
# Channels whose text goes out as SMS parts (a cascade's to whom Viber did not reach),
# so parts are counted and a gateway's part limit applies.
SMS_CHANNELS = (MessageChannel.SMS, MessageChannel.FLASH, MessageChannel.VIBER_THEN_SMS)


class Campaign(Versioned):
    class State(models.TextChoices):
        # In their own context: Russian says them of a рассылка (feminine, "Отменена"),
        # while the same English words label messages' statuses (neuter, "Отменено").
        DRAFT = "draft", pgettext_lazy("campaign state", "Draft")
        SCHEDULED = "scheduled", pgettext_lazy("campaign state", "Scheduled")
        SENDING = "sending", pgettext_lazy("campaign state", "Sending")
        PAUSED = "paused", pgettext_lazy("campaign state", "Paused")
        COMPLETED = "completed", pgettext_lazy("campaign state", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("campaign state", "Cancelled")
        FAILED = "failed", pgettext_lazy("campaign state", "Failed")

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("provider account"),
    )
    sender = models.CharField(_("sender name"), max_length=20, blank=True)
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=MessageChannel.choices,
        default=MessageChannel.SMS,
    )
    # Blank for a Viber message written only as its Viber text; the composer asks
    # for what the channel needs (campaigns.channel_content.text_problems).
    text = models.TextField(
        _("text"),
        blank=True,
        help_text=_("Placeholders such as {first_name} are replaced per recipient."),
    )
    viber_text = models.TextField(_("Viber text"), blank=True)
    viber_button_text = models.CharField(
        _("Viber button text"), max_length=30, blank=True
    )
    viber_button_url = models.URLField(_("Viber button link"), blank=True)
    viber_image_url = models.URLField(_("Viber image link"), blank=True)
    # WEBSMS takes a Viber picture only from its cabinet's gallery, by its number
    # (seed 002: `id_fileid`, an integer), never by a link.
    viber_image_id = models.PositiveIntegerField(
        _("Viber gallery picture number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "The number of the picture in the gallery of the gateway's cabinet."
        ),
    )
    voice_options = models.JSONField(_("voice settings"), default=dict, blank=True)
    # Everyone in the book (the stop list and exclude_groups still apply): a book
    # imported without groups can be messaged without first grouping it whole.
    to_whole_book = models.BooleanField(
        _("send to the whole contact book"),
        default=False,
        help_text=_(
            "Every contact but those on the stop list and in the groups left out."
        ),
    )
    include_groups = models.ManyToManyField(
        ContactGroup, related_name="+", blank=True, verbose_name=_("send to groups")
    )
    exclude_groups = models.ManyToManyField(
        ContactGroup, related_name="+", blank=True, verbose_name=_("except groups")
    )
    # The groups as they were when it was launched (or cancelled unlaunched):
    # {"include": [[id, name], ...], "exclude": [...]}. Once it no longer reads them,
    # its groups may be deleted, and their many-to-many rows go too; this keeps whom
    # it was sent to and whom it left out, for its page and for a copy of it
    # (campaigns.audience.groups_as_sent). Not read for a draft.
    audience_groups = models.JSONField(
        _("groups when launched"), default=dict, blank=True, editable=False
    )
    extra_numbers = models.TextField(
        _("extra numbers"), blank=True, help_text=_("One number per line.")
    )
    # A birthday greeting: only the groups' contacts born on this day and month.
    birthday_on = models.DateField(
        _("only birthdays on"),
        null=True,
        blank=True,
        help_text=_(
            "Only the contacts of the groups (or of the whole book) whose birthday "
            "falls on this day; 29 February birthdays count on 28 February in other "
            "years. Pasted numbers are sent to as they are."
        ),
    )
    start_at = models.DateTimeField(
        _("start at"), null=True, blank=True, help_text=_("Empty: start on launch.")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE
    )
    # Quiet hours: messages go out only inside this window of the recipient's local time.
    respect_quiet_hours = models.BooleanField(_("respect quiet hours"), default=True)
    window_start = models.TimeField(_("send from"), default=time(9, 0))
    window_end = models.TimeField(_("send until"), default=time(21, 0))
    validity_hours = models.PositiveSmallIntegerField(
        _("validity, hours"), null=True, blank=True
    )
    translit = models.BooleanField(_("transliterate"), default=False)
    spread_hours = models.PositiveSmallIntegerField(_("spread over, hours"), default=0)
    # Resumed, spread: what fell due during the pause is planned again at the
    # campaign's pace by the first pump (campaigns.dispatch._replan_if_due), and
    # nothing is claimed until then. In a worker: a million rows take 10-30 s.
    replan_due = models.BooleanField(default=False, db_default=False, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT
    )
    # Why the campaign was paused by the system, shown as a banner ("top up", ...):
    # the untranslated text (campaigns.sending.pause_reason_for), or a record of one
    # with parameters (pause_reason_of), see pause_message.
    pause_reason = models.TextField(_("pause reason"), blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("resend of"),
    )
    # The automatic greeting that made this campaign, for the day in birthday_on.
    greeting = models.ForeignKey(
        "BirthdayGreeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("birthday greeting"),
    )
    # Its audience is the numbers it claimed in GreetedBirthday, not its groups'
    # birthdays read again: kept when the greeting is deleted (the link cleared), so
    # a draft launched by hand then does not greet the day's earlier people twice.
    claimed_audience = models.BooleanField(
        _("audience claimed by a greeting"), default=False, editable=False
    )
    price_per_segment = models.DecimalField(
        _("price per segment"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    # The preview's estimate when it was launched: until its audience is built (a
    # scheduled campaign) it has no messages to count, and the balance a later launch
    # is checked against must still pay for it first (campaigns.services).
    launch_estimate = models.DecimalField(
        _("estimated cost at launch"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # A campaign (рассылка) is "создана"; the plain "created" reads "создан".
    created_at = models.DateTimeField(
        pgettext_lazy("campaign", "created"), default=timezone.now
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Who saved the draft last (a page, the API or the admin), for "changed by ...
    # after you opened it" (smsportal.versioning); None when a task or a shell did.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        editable=False,
    )
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("launched by"),
    )
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    expanded_at = models.DateTimeField(_("audience built"), null=True, blank=True)
    # Counts from the expansion: created, stop_listed, invalid, duplicates.
    audience_stats = models.JSONField(_("audience counts"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "start_at"])]
        # A greeting may make several campaigns for one birthday (the people added
        # later in the day, the evening before for the zones whose day has ended):
        # that nobody is greeted twice is GreetedBirthday's unique pair.

    def __str__(self) -> str:
        return self.name

    def note_change(self) -> tuple[str, ...]:
        self.changed_by = current_actor()
        return ("changed_by",)

    @property
    def start_local(self) -> datetime | None:
        """The set start on the clock of the campaign's zone, with its offset."""
        return start_on_clock(self.start_at, self.time_zone)

    @property
    def start_note(self) -> str:
        """Which of the two a start at a time the autumn change repeats is ("" for
        any other start)."""
        return repeated_start_note(self.start_at, self.time_zone)

    @property
    def start_zone_label(self) -> str:
        """The zone's name beside the start's wall time, with which of the two it is
        for a time the autumn change repeats: "Berlin; summer time, UTC+02:00"."""
        name = zone_name(self.time_zone) if self.time_zone else ""
        clock = repeated_start_clock(self.start_at, self.time_zone)
        return f"{name}; {clock}" if name and clock else name or clock

    @property
    def start_passed(self) -> bool:
        """A set start that has come: launching now sends at once, not later."""
        return self.start_at is not None and self.start_at <= timezone.now()

    @property
    def started_at(self) -> datetime | None:
        """When sending began: at the launch, or at the set start the campaign waited
        for. None while it has not begun: a draft, a scheduled campaign, or one paused
        or cancelled before its start (its launched_at is when it was scheduled)."""
        if self.launched_at is None or self.state in (
            self.State.DRAFT,
            self.State.SCHEDULED,
        ):
            return None
        if self.start_at is None or self.start_at <= self.launched_at:
            return self.launched_at
        # It waited for its start: the audience is built then (expanded_at), and
        # the beat tick moves it to sending.
        if self.expanded_at is not None or self.state == self.State.SENDING:
            return self.start_at
        return None

    @property
    def send_window(self) -> SendWindow:
        """Quiet hours' other side: when messages may reach a recipient."""
        return SendWindow(self.window_start, self.window_end)

    @property
    def billed_per_segment(self) -> bool:
        """Whether the cost is its SMS parts at the account's price (see above)."""
        return self.channel in PER_SEGMENT_CHANNELS

    @property
    def sent_as_sms(self) -> bool:
        """Whether its text goes out in SMS parts at all (not Viber alone, voice)."""
        return self.channel in SMS_CHANNELS

    @property
    def pause_message(self) -> str:
        """The pause reason in the reader's language (reasons written before it was
        stored untranslated come back as they were written)."""
        if self.pause_reason.startswith("{"):
            try:
                return deferred_text(json.loads(self.pause_reason))
            except ValueError:
                return self.pause_reason
        return gettext(self.pause_reason) if self.pause_reason else ""

    @staticmethod
    def pause_reason_of(record: Deferred) -> str:
        """A reason with parameters, stored as its record: no gettext msgid starts
        with "{", so pause_message tells the two apart (and no column is added)."""
        return json.dumps(record, ensure_ascii=False)

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT


class Message(models.Model):
    """One outbound message to one recipient; the ledger that makes sending exact."""

    class Encoding(models.TextChoices):
        GSM7 = "gsm7", "GSM-7"
        UCS2 = "ucs2", "UCS-2"

    # The foreign keys of this table have no database constraints: Django makes them
    # deferred, so a million-row expansion queued a million checks per key for its
    # COMMIT (7 of its 21 seconds), and each checked contact row was locked and
    # written. The ORM still cascades, protects and nulls on delete (every delete
    # goes through it), and the rows are only ever written from their campaign.
    # Indexed by the (campaign, phone) and pending indexes.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("campaign"),
    )
    # Denormalised from the campaign so callbacks find messages by (account, gateway id).
    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("provider account"),
    )
    # A contact's history is found by phone; deleting contacts sets this to NULL.
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
        db_constraint=False,
        verbose_name=_("contact"),
    )
    phone = PhoneField(_("phone"))
    text = models.TextField(_("text"))
    sender = models.CharField(_("sender"), max_length=20, blank=True)
    channel = models.CharField(
        _("channel"), max_length=12, choices=MessageChannel.choices
    )
    segments = models.PositiveSmallIntegerField(_("segments"), default=1)
    encoding = models.CharField(
        _("encoding"), max_length=4, choices=Encoding.choices, default="gsm7"
    )
    estimated_cost = models.DecimalField(
        _("estimated cost"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    cost = models.DecimalField(
        _("cost"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    gateway_message_id = models.CharField(_("gateway id"), max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    reason = models.CharField(
        _("failure reason"), max_length=24, choices=FailureReason.choices, blank=True
    )
    vendor_code = models.CharField(_("gateway code"), max_length=64, blank=True)
    vendor_text = models.TextField(_("gateway text"), blank=True)
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    planned_at = models.DateTimeField(_("planned for"))
    # A pasted number's zone (from the numbering plan) where the campaign keeps quiet
    # hours: a message that falls due late, after a backlog or a resume, is held for
    # the next morning in it (campaigns.quiet_hours). A contact's zone is read from
    # the contact then: written on each of a million rows, it cost the expansion 1.5 s.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", db_default=""
    )
    claimed_at = models.DateTimeField(_("claimed for sending"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    polled_at = models.DateTimeField(_("status asked"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The account's login generation its claim was made under, the one whose
    # credentials sent it: asked about and withdrawn with those, should the login
    # change meanwhile (providers.logins). Kept by the database for raw inserts; no
    # CHECK (a positive field's), which adding would have to verify on every row.
    login_generation = models.IntegerField(
        _("login generation"), default=0, db_default=0, editable=False
    )
    # An API client's idempotency key for a one-off message: a request repeated with
    # the same key gets the message sent the first time, not a second one. A default
    # kept by the database too: the expansion and the benches insert in raw SQL.
    client_key = models.CharField(
        _("client key"), max_length=64, blank=True, default="", db_default=""
    )
    # The pending index's condition, kept by the database. Were the condition on
    # `status` itself, every status change would be written to every index (a status
    # column in any index rules out PostgreSQL's heap-only updates); on this column a
    # report moving queued to delivered changes nothing indexed, and with the table's
    # free space (migration 0012) the new row version stays on its page, unindexed.
    is_pending = models.GeneratedField(
        expression=models.Q(status=DeliveryStatus.PENDING),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "phone"], name="message_phone_once_per_campaign"
            ),
            # Only one-off messages carry a key (campaign rows skip this index); a key
            # is an account's, so two integrations on two accounts never collide.
            models.UniqueConstraint(
                fields=["account", "client_key"],
                name="message_client_key_once",
                condition=~models.Q(client_key=""),
            ),
        ]
        # Every index is paid for by each of the million rows an expansion writes and
        # by every status change, so each serves a hot query and partial ones skip the
        # rows that query never looks at. One more, in SQL (PostgreSQL only): the
        # handed-over messages by campaign and planned minute (campaigns 0034).
        indexes = [
            # Callbacks and polling: (account, gateway id), once the gateway gave one.
            models.Index(
                fields=["account", "gateway_message_id"],
                name="message_gateway_id",
                condition=~models.Q(gateway_message_id=""),
            ),
            # Claims, what is left of a campaign, messages in doubt: the pending ones.
            # Queries name `is_pending` (not `status`) for the planner to use it.
            models.Index(
                fields=["campaign", "planned_at", "id"],
                name="message_pending",
                condition=models.Q(is_pending=True),
            ),
            # One-off messages (no campaign) by number; a campaign's are found through
            # the (campaign, phone) index: see campaigns.by_phone.
            models.Index(
                fields=["phone"],
                name="message_one_off_phone",
                condition=models.Q(campaign__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        """Our id for the message at the gateway (client id, idempotency key).

        The primary key: digits, as SMSC, WEBSMS and Webcom's JSON take it. The gateways
        keep it per account for ever (Webcom skips a repeated `client_id_sms` without a
        word), so a new installation numbers its messages from a random point
        (migration 0040): another on the same account (a database built again,
        staging beside production) does not start where this one did.
        Assumption: two installations' random starts lie farther apart than either
        ever sends (about once in 5,000 pairs they would not, at 10^8 messages each).
        """
        return str(self.pk)


def went_out(handed_over: str = "submitted_at") -> Greatest:
    """When a message goes out to its phone, as an expression: its hand-over (the
    `handed_over` field), or its planned time when the gateway holds it until then
    (Webcom's time_send). NULL until handed over. The dashboard's traffic is dated so
    (campaigns 0038, in SQL)."""
    # Coalesced: on SQLite a NULL makes the greatest NULL.
    return Greatest(handed_over, Coalesce("planned_at", handed_over))


class CampaignStatusCount(models.Model):
    """Squashed message counts per campaign and status, kept by database triggers.

    Rows are deltas (+n/-n) appended by statement-level triggers on the message table
    and periodically squashed, so counting never scans the messages (RapidPro's way).
    """

    # No database constraint: the delete trigger may append rows while Django deletes a
    # campaign; campaign_delete removes them afterwards.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.DO_NOTHING, db_index=False, db_constraint=False
    )
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices)
    count = models.BigIntegerField(default=0)
    segments = models.BigIntegerField(default=0)
    is_squashed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("campaign status count")
        verbose_name_plural = _("campaign status counts")
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.status}: {self.count}"


class OrphanStatusReport(models.Model):
    """A status report for a gateway id we have not stored yet.

    A callback can overtake the send result it belongs to; it is kept here and applied
    as soon as the send result is recorded, so no status is lost.
    """

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+"
    )
    gateway_message_id = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices)
    reason = models.CharField(max_length=24, blank=True)
    vendor_code = models.CharField(max_length=64, blank=True)
    vendor_text = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    operator = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("early status report")
        verbose_name_plural = _("early status reports")
        indexes = [models.Index(fields=["account", "gateway_message_id"])]

    def __str__(self) -> str:
        return f"{self.gateway_message_id}: {self.status}"


class Reply(models.Model):
    """An incoming message from a recipient."""

    # History, as messages are (opt-outs among them): the account stays while it has
    # any (providers.admin_deletion says to deactivate it instead).
    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.PROTECT,
        related_name="replies",
        verbose_name=_("provider account"),
    )
    gateway_message_id = models.CharField(max_length=64, blank=True)
    phone = PhoneField(_("phone"))
    text = models.TextField(_("text"))
    to = models.CharField(_("to"), max_length=32, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    is_read = models.BooleanField(_("read"), default=False)
    is_opt_out = models.BooleanField(_("opt-out"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "gateway_message_id"],
                condition=~models.Q(gateway_message_id=""),
                name="reply_once_per_gateway_id",
            )
        ]
        indexes = [
            # The inbox, newest first; an account's latest (SMSC get_answers' window);
            # the unread ones (the dashboard's badge and the inbox filter).
            models.Index(fields=["-received_at", "-id"], name="reply_latest"),
            models.Index(
                fields=["account", "received_at"], name="reply_account_received"
            ),
            models.Index(
                fields=["received_at"],
                condition=models.Q(is_read=False),
                name="reply_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"

    @property
    def from_number(self) -> bool:
        """From a phone number, not a sender name ("MEGAFON"), which nothing can be
        sent to nor put on the stop list."""
        return self.phone.startswith("+") and self.phone[1:].isdigit()


class HourlyTraffic(models.Model):
    """Messages per hour they go out (UTC; went_out) and status, kept by database
    triggers.

    The dashboard's 30-day chart sums these instead of scanning the messages. Rows are
    deltas like CampaignStatusCount's, folded by counts_squash. Hours are UTC so the
    chart can be cut into days of any whole-hour time zone without a rebuild.
    """

    hour = models.DateTimeField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices)
    count = models.BigIntegerField(default=0)
    is_squashed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("hourly traffic")
        verbose_name_plural = _("hourly traffic")
        indexes = [models.Index(fields=["hour", "status"], name="traffic_hour_status")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00/{self.status}: {self.count}"


# The report's breakdowns, kept like CampaignStatusCount (deltas appended by the
# message table's statement triggers, folded by counts_squash) on PostgreSQL, so a
# campaign's report reads a few rows instead of scanning its million messages. SQLite
# (the embedded demo) has no triggers for them: its reports scan the messages.


class CampaignTally(models.Model):
    """What every kept tally of a campaign has: its campaign (no constraint: a
    campaign's delete removes its rows itself, campaigns.counts), a count and
    whether the row is a folded sum or a trigger's delta."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.DO_NOTHING, db_index=False, db_constraint=False
    )
    count = models.BigIntegerField(default=0)
    is_squashed = models.BooleanField(default=False)

    class Meta:
        abstract = True


class CampaignMinuteTally(CampaignTally):
    """A campaign's messages per UTC minute of some time: every time zone's minutes
    are whole minutes of UTC."""

    minute = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.minute:%Y-%m-%d %H:%M}: {self.count}"


class CampaignOperatorCount(CampaignTally):
    """A campaign's messages and their money per status and operator."""

    status = models.CharField(max_length=12, choices=DeliveryStatus.choices)
    operator = models.CharField(max_length=100, blank=True)
    # Sums of numeric(10,4) values: room for a hundred million messages at the
    # largest price a message may carry.
    cost = models.DecimalField(max_digits=24, decimal_places=4, default=0)
    # Estimates of the messages without a reported cost.
    estimated = models.DecimalField(max_digits=24, decimal_places=4, default=0)
    unpriced = models.BigIntegerField(default=0)  # neither a cost nor an estimate
    # Messages whose cost the gateway reported: with none, a cost of 0 means "not
    # reported yet", not "free". A default in the database too: the tallies are
    # written by SQL (trigger functions, backfills) that may not name it.
    gateway_priced = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("campaign operator count")
        verbose_name_plural = _("campaign operator counts")
        indexes = [
            models.Index(fields=["campaign", "status"], name="operator_count_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.status}/{self.operator}: {self.count}"


class CampaignFailureCount(CampaignTally):
    """A campaign's failed messages per status, reason and the gateway's words."""

    status = models.CharField(max_length=12, choices=DeliveryStatus.choices)
    reason = models.CharField(max_length=24, blank=True)
    vendor_code = models.CharField(max_length=64, blank=True)
    vendor_text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("campaign failure count")
        verbose_name_plural = _("campaign failure counts")
        indexes = [
            models.Index(fields=["campaign", "status"], name="failure_count_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.status}/{self.reason}: {self.count}"


class CampaignDeliveryCount(CampaignMinuteTally):
    """A campaign's messages delivered (or read) per UTC minute of delivery, so the
    chart cuts them into the days and hours of any time zone."""

    class Meta:
        verbose_name = _("campaign delivery count")
        verbose_name_plural = _("campaign delivery counts")
        indexes = [
            models.Index(fields=["campaign", "minute"], name="delivery_count_campaign")
        ]


class CampaignClaimCount(CampaignMinuteTally):
    """A campaign's messages claimed for sending and not answered (pending, claimed,
    not submitted) per UTC minute of their claim: the detail page finds its messages
    in doubt (claimed minutes ago, no answer) from it instead of walking every
    pending message (campaigns.claim_tally)."""

    class Meta:
        verbose_name = _("campaign claim count")
        verbose_name_plural = _("campaign claim counts")
        indexes = [
            models.Index(fields=["campaign", "minute"], name="claim_count_campaign")
        ]


class CampaignHeldCount(CampaignMinuteTally):
    """A campaign's messages held at the gateway (handed over, queued or sent) per UTC
    minute of their planned time: the list and detail pages sum the minutes still
    ahead (campaigns.selectors._gateway_waits) instead of reading the messages."""

    class Meta:
        verbose_name = _("campaign held count")
        verbose_name_plural = _("campaign held counts")
        indexes = [
            models.Index(fields=["campaign", "minute"], name="held_count_campaign")
        ]


class MessageTemplate(Versioned):
    """A saved text a composer starts from: placeholders as in a campaign's text."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A template with this name already exists.")},
    )
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BirthdayGreeting(Versioned):
    """A campaign sent every day to the contacts whose birthday it is (an automatic
    greeting): campaigns.greetings makes and launches it at the send time."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A greeting with this name already exists.")},
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Send every day. Turn off to stop greetings without losing them."),
    )
    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("provider account"),
    )
    sender = models.CharField(_("sender name"), max_length=20, blank=True)
    text = models.TextField(_("text"))
    to_whole_book = models.BooleanField(_("the whole contact book"), default=False)
    include_groups = models.ManyToManyField(
        ContactGroup, related_name="+", blank=True, verbose_name=_("send to groups")
    )
    exclude_groups = models.ManyToManyField(
        ContactGroup, related_name="+", blank=True, verbose_name=_("except groups")
    )
    send_time = models.TimeField(
        _("send at"),
        default=time(10, 0),
        help_text=_(
            "Each day's greeting starts at this time of the greeting's time zone. "
            "Every contact is greeted once, on their own birthday in their own time "
            "zone, between 09:00 and 21:00 there; where that day's 21:00 has passed, "
            "the contact is not greeted a day late. Contacts added during the day "
            "are greeted on a later run, until 21:00 of the greeting's time zone."
        ),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE
    )
    # The last day of the greeting's zone it ran on (its ticks run all day, until
    # 21:00); a new day clears the last error.
    last_run_on = models.DateField(_("last run"), null=True, blank=True)
    # Beat's worker meets the error and anyone reads it: pages show
    # last_error_message, worded from the record in the reader's language.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_record = models.JSONField(
        _("last error record"), default=dict, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("birthday greeting")
        verbose_name_plural = _("birthday greetings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def last_error_message(self) -> str:
        """The last error in the reader's language; the stored text for an error
        recorded before there were records."""
        if self.last_error_record:
            return deferred_text(self.last_error_record)
        return self.last_error


class GreetedBirthday(models.Model):
    """Who was greeted on which birthday: one row per (phone, day), whichever of the
    greetings got there first (campaigns.greetings claims them with ON CONFLICT DO
    NOTHING), and the campaign that greets them (its audience)."""

    # The key is the once-a-day rule itself: a second index (a serial id) cost a
    # run claiming 100,000 birthdays a fifth more.
    pk = models.CompositePrimaryKey("phone", "day")
    phone = PhoneField(_("phone"))
    # The birthday it was for, as a date of the contact's own zone.
    day = models.DateField(_("birthday"))
    # No database constraints on the two links: checked at the commit, they cost a
    # run claiming 100,000 birthdays a second; Django sets them to NULL itself.
    greeting = models.ForeignKey(
        BirthdayGreeting,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("birthday greeting"),
    )
    # Deleting the campaign (a refused draft, a finished one) keeps the row: the
    # person stays greeted for that day rather than greeted again.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("campaign"),
    )

    class Meta:
        verbose_name = _("greeted birthday")
        verbose_name_plural = _("greeted birthdays")

    def __str__(self) -> str:
        return f"{self.phone} {self.day}"


class Heartbeat(models.Model):
    """A process's last sign of life, one row per process run."""

    # hostname:pid:random, new at each start (a restarted process is another one).
    instance = models.CharField(_("instance"), max_length=255, unique=True)
    hostname = models.CharField(_("host name"), max_length=255)
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    # Rows of processes gone this long are deleted by the next one's first beat.
    FORGET_AFTER = timedelta(days=1)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.instance

    @classmethod
    def write(cls, instance: str, hostname: str) -> None:
        """One heartbeat of `instance` (its row made at the first, which is its
        start). In the database's time, as every reader judges it: machines'
        clocks differ (smsportal.lib.shared_clock)."""
        now = database_now()
        if not cls.objects.filter(instance=instance).update(seen_at=now):
            cls.objects.create(
                instance=instance, hostname=hostname, started_at=now, seen_at=now
            )
            cls.objects.filter(seen_at__lt=now - cls.FORGET_AFTER).delete()

    @classmethod
    def last_seen(cls) -> tuple[datetime | None, datetime]:
        """The freshest heartbeat and the database's time now, in one query (the
        pages ask on every request)."""
        row = cls.objects.aggregate(last=models.Max("seen_at"), now=models.Max(Now()))
        return row["last"], row["now"] or database_now()


class WorkerHeartbeat(Heartbeat):
    """A Celery worker process's, written every few seconds by a thread of its own
    (campaigns.workers): pages and /healthz tell when none is alive while work
    waits, and a pump lease held by a dead worker is taken over."""

    started_at = models.DateTimeField(_("worker started"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")


class BeatHeartbeat(Heartbeat):
    """Celery beat's, written by its scheduler loop (campaigns.beat; its instance
    begins "beat@"): pages and /healthz tell when beat has stopped."""

    started_at = models.DateTimeField(_("beat started"))

    class Meta:
        verbose_name = _("beat heartbeat")
        verbose_name_plural = _("beat heartbeats")


class StopListSyncState(models.Model):
    """An account's stop-list sync as of its last run (campaigns.stoplist_sync): the
    gateway's list then, which tells a number taken off ours since (to be taken off
    theirs) from one the gateway added (to be pulled), and that run's outcome for
    the page. In the database, not the cache: a Redis restarted (it keeps nothing)
    pulled every number taken off our list back from the gateway."""

    account = models.OneToOneField(
        ProviderAccount, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    phones = models.JSONField(_("numbers on the gateway's list"), default=list)
    last = models.JSONField(_("last sync"), default=dict)
    # The run under way, if any (campaigns.stoplist_sync takes it): one at a time,
    # so beat's run and a user's «Sync now» do not both push. A lease, not a lock:
    # the run of a worker taken for dead, or one past `lease_until` (a web request
    # killed by its server), is taken over.
    lease_token = models.CharField(max_length=32, blank=True, default="")
    lease_holder = models.CharField(max_length=200, blank=True, default="")
    lease_since = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stop list sync state")
        verbose_name_plural = _("stop list sync states")

    def __str__(self) -> str:
        return str(self.account_id)
