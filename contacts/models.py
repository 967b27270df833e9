"""Contact books: contacts, groups, the stop list, custom fields and import jobs."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from contacts.search import contact_search_folded
from smsportal.fields import PhoneField
from smsportal.versioning import Versioned


class ContactQuerySet(models.QuerySet):
    def with_stop_flag(self) -> "ContactQuerySet":
        """Annotate `is_stopped`: the phone is on the stop list."""
        stopped = StopListEntry.objects.filter(phone=OuterRef("phone"))
        return self.annotate(is_stopped=Exists(stopped))


def validate_group_name(value: str) -> None:
    """No ";" in a group name: the "Groups" column of an import and an export
    separates names with it (contacts.importing.groups), so such a name would come
    back as two groups."""
    if ";" in value:
        raise ValidationError(
            _(
                "A group name cannot hold “;”: the “Groups” column of imports and "
                "exports separates names with it."
            ),
            code="separator",
        )


class ContactGroup(Versioned):
    # Django's default reads "Группа с таким Название уже существует." in Russian: it
    # pastes the field's label into the sentence uninflected.
    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A group with this name already exists.")},
        validators=[validate_group_name],
    )
    description = models.TextField(_("description"), blank=True)
    # A group (группа) is "создана"; the plain "created" reads "создан".
    created_at = models.DateTimeField(
        pgettext_lazy("group", "created"), default=timezone.now
    )

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The earliest day a contact's dates may name: older is a typing slip, and year 1 or
# 9999 leaves the calendar once moved to UTC or to a reader's zone (every read failed).
EARLIEST_DAY = date(1900, 1, 1)


class Contact(Versioned):
    """One person in the book, keyed by the phone in E.164.

    A contact whose phone is on the stop list stays here and is shown as stopped;
    campaigns must never message it (see selectors.contacts_reachable).
    """

    # Unique through Meta.constraints: unique=True would add a second (LIKE) index on
    # PostgreSQL that every insert pays for and no query uses.
    phone = PhoneField(
        _("phone"),
        error_messages={
            "unique": _("A contact with this phone number already exists.")
        },
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    nickname = models.CharField(_("nickname"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # IANA name: given, or the numbering plan's (contacts.numbering), else blank.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    is_mobile = models.BooleanField(_("mobile"), null=True)
    # Custom field values keyed by CustomField.key (text, number or ISO date).
    attributes = models.JSONField(_("custom fields"), default=dict, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=200, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # What the search box's words are looked for in (contacts.search), folded and
    # upper-cased once when the row is written, not for every row of every search.
    search_text = models.GeneratedField(
        expression=contact_search_folded(),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("search text"),
    )
    groups = models.ManyToManyField(
        ContactGroup,
        through="GroupMembership",
        related_name="contacts",
        blank=True,
        verbose_name=_("groups"),
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], name="contacts_contact_phone_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} {self.phone}".strip()

    @property
    def full_name(self) -> str:
        parts = (self.last_name, self.first_name, self.middle_name)
        return " ".join(part for part in parts if part)


class FormerPhone(models.Model):
    """A number a contact had before it changed: the messages sent to the contact at
    that number are still its history (campaigns.report_selectors.contact_messages),
    found through the message table's (campaign, phone) index, which has no
    contact column."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="former_phones"
    )
    phone = PhoneField(_("phone"))
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)

    class Meta:
        verbose_name = _("former number")
        verbose_name_plural = _("former numbers")
        ordering = ["-replaced_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "phone"], name="contacts_former_phone_once"
            )
        ]

    def __str__(self) -> str:
        return self.phone


class GroupMembership(models.Model):
    """A contact in a group; imports insert these by the million.

    No database-level foreign keys: PostgreSQL checks each one with a trigger and a row
    lock per inserted row, which doubled the cost of importing into a group (measured
    in bench/bench_import.py). Memberships are only inserted for ids just read from the
    database, and deletes go through the ORM, whose CASCADE removes them.
    """

    # The unique constraint's index starts with contact, so no separate one is needed.
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        db_index=False,
        db_constraint=False,
        verbose_name=_("contact"),
    )
    group = models.ForeignKey(
        ContactGroup,
        on_delete=models.CASCADE,
        db_constraint=False,
        verbose_name=_("group"),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "group"],
                name="contacts_membership_unique",
                violation_error_message=_("The contact is already in this group."),
            )
        ]

    def __str__(self) -> str:
        # Reads the contact and the group: lists of memberships select_related both
        # (the admin's inline), and the delete pages count them instead of listing.
        return gettext("%(contact)s in the group “%(group)s”") % {
            "contact": self.contact,
            "group": self.group,
        }


class StopListEntry(models.Model):
    """A phone that must never be messaged (an opt-out)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Added by hand")
        IMPORT = "import", _("Imported")
        KEYWORD = "keyword", _("Stop word in a reply")
        GATEWAY = "gateway", _("Reported by the gateway")

    phone = PhoneField(
        _("phone"),
        error_messages={"unique": _("This phone number is already on the stop list.")},
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("stop list entry")
        verbose_name_plural = _("stop list entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], name="contacts_stoplist_phone_unique"
            )
        ]

    def __str__(self) -> str:
        return self.phone


# A contact's own fields and what imports and placeholders call them: a custom field
# under one of these names was listed twice everywhere and never used in texts.
RESERVED_FIELD_KEYS = frozenset(
    {"phone", "first_name", "last_name", "middle_name", "full_name", "nickname",
     "birthday", "email", "time_zone", "attributes", "consent_source", "consent_at",
     "id", "groups", "created_at", "updated_at"}
)  # fmt: skip


def validate_field_key(key: str) -> None:
    if key.lower() in RESERVED_FIELD_KEYS:
        raise ValidationError(
            _("“%(key)s” is a contact's own field: choose another key."),
            code="reserved",
            params={"key": key},
        )


class CustomField(models.Model):
    """A typed extra field; values live in Contact.attributes under `key`."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")

    key = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        help_text=_(
            "Used in placeholders and the API; Latin letters, digits, _ and -."
        ),
        error_messages={"unique": _("A custom field with this key already exists.")},
        validators=[validate_field_key],
    )
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT
    )

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        # The key settles fields under one label (made before labels were checked):
        # an export writes their columns in this order, and an import reads them back
        # so (contacts.importing.fields.auto_mapping).
        ordering = ["label", "key"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        # The custom fields page and the admin both save through a ModelForm.
        from contacts.custom_field_labels import key_problem, label_problem

        others = list(
            CustomField.objects.exclude(pk=self.pk).values_list("label", "key")
        )
        labels, keys = [o[0] for o in others], [o[1] for o in others]
        problems = {}
        if problem := label_problem(self.label, others=labels, other_keys=keys):
            problems["label"] = problem
        # The key is set once: checked when the field is made (the admin's change
        # form does not show it).
        if self._state.adding and (
            problem := key_problem(self.key, other_labels=labels, other_keys=keys)
        ):
            problems["key"] = problem
        if problems:
            raise ValidationError(problems, code="label_taken")


class WorkerJob(models.Model):
    """What a job a worker runs needs so that none is lost or run twice: when it was
    last sent to the task queue, which worker took it and how many times one did
    (contacts.job_claim), and its requester's language, for its texts and for sending
    it again (smsportal.job_sweep)."""

    language = models.CharField(_("language"), max_length=16, blank=True)
    enqueued_at = models.DateTimeField(_("sent to the workers"), null=True, blank=True)
    # The heartbeat instance of the worker running it (campaigns.workers).
    worker = models.CharField(_("worker"), max_length=255, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("runs started"), default=0)

    class Meta:
        abstract = True

    @property
    def ran_before(self) -> bool:
        """Queued again after a run that did not finish: its worker stopped
        (smsportal.job_sweep) or it failed and was retried."""
        return self.status == "queued" and self.attempts > 0


class ImportJob(WorkerJob):
    """One upload of a contacts or stop-list file and what became of it."""

    class Kind(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        STOPLIST = "stoplist", _("Stop list")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded, waiting for column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.CONTACTS
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    # Reader and mapping choices: encoding, delimiter, header, mapping, groups, update.
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    bytes_total = models.BigIntegerField(_("size"), default=0)
    bytes_done = models.BigIntegerField(_("bytes read"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    # A workbook's first rows, read once at upload (contacts.importing.preview): the
    # column page reopened the whole workbook each time, ten seconds on 200,000 rows.
    preview = models.JSONField(_("preview"), default=dict, blank=True, editable=False)
    rejects = models.FileField(
        _("rejected rows"), upload_to="imports/rejects/%Y/%m/", blank=True
    )
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(
        pgettext_lazy("import", "started"), null=True, blank=True
    )
    finished_at = models.DateTimeField(
        pgettext_lazy("import", "finished"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(self.bytes_done * 100 / self.bytes_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def files_kept_until(self) -> datetime | None:
        """When its files (the rejected rows, a failed import's upload) are removed:
        SMSPORTAL_IMPORT_FILES_DAYS after it finished (contacts.job_files, hourly)."""
        if self.finished_at is None:
            return None
        return self.finished_at + timedelta(days=settings.SMSPORTAL_IMPORT_FILES_DAYS)

    @property
    def rejects_removed(self) -> bool:
        """Rows were rejected, but their file is gone: kept only
        SMSPORTAL_IMPORT_FILES_DAYS after the import (contacts.job_files)."""
        rejected = ("duplicates", "invalid", "stop_listed")  # ImportReport.rejected
        return (
            self.status == self.Status.DONE
            and not self.rejects
            and any(self.report.get(key) for key in rejected)
        )

    @property
    def upload_removed(self) -> bool:
        """A failed import that could run again but for its upload, removed
        SMSPORTAL_IMPORT_FILES_DAYS after it failed (contacts.job_files)."""
        return (
            self.status == self.Status.FAILED and bool(self.options) and not self.file
        )

    @property
    def is_saving(self) -> bool:
        """Every row read, the last step (merging them into the book) still running:
        on a large file a third of the time, with the bar at its 99 %."""
        return (
            self.status == self.Status.RUNNING
            and self.bytes_total > 0
            and self.bytes_done >= self.bytes_total
        )


class NumberRange(models.Model):
    """One range of the Russian numbering plan (the registry's ABC/DEF extract), with
    the zone of its region: a +7 9XX mobile number names no place by itself, its
    range does. Loaded by `manage.py load_numbering_plan`; see contacts.numbering."""

    code = models.PositiveSmallIntegerField(_("code"))  # ABC or DEF: 3 digits
    first = models.PositiveIntegerField(_("from"))  # the 7 digits after the code
    last = models.PositiveIntegerField(_("to"))
    operator = models.CharField(_("operator"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=300, blank=True)
    # Blank where the region is not one zone's (all Russia) or not recognised.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("numbering plan range")
        verbose_name_plural = _("numbering plan ranges")
        indexes = [models.Index(fields=["code", "first"], name="number_range_lookup")]

    def __str__(self) -> str:
        return f"{self.code} {self.first:07d}-{self.last:07d} {self.region}"


class NumberingPlanLoad(WorkerJob):
    """One upload of the numbering plan registry's files and what the load did."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # [{"name": "DEF-9xx.csv", "path": "<storage path>"}, ...]
    files = models.JSONField(_("files"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # contacts.numbering.PlanLoad as a dict: ranges, rejected, examples,
    # unknown_regions ([region, ranges] pairs), contacts_zoned, contacts_rezoned.
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(
        pgettext_lazy("numbering plan load", "started"), null=True, blank=True
    )
    finished_at = models.DateTimeField(
        pgettext_lazy("numbering plan load", "finished"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("numbering plan load")
        verbose_name_plural = _("numbering plan loads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return ", ".join(f["name"] for f in self.files)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ContactBulkJob(WorkerJob):
    """A bulk action of the contact list over more contacts than one request should
    take (contacts.bulk_jobs): a worker applies it in chunks while the list shows how
    far it has gone, then its result or why it failed."""

    class Action(models.TextChoices):
        ADD_TO_GROUP = "add_to_group", _("Add to group")
        REMOVE_FROM_GROUP = "remove_from_group", _("Remove from group")
        OPT_OUT = "opt_out", _("Add to stop list")
        DELETE = "delete", _("Delete")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    group = models.ForeignKey(
        ContactGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    # The group's name when the action was chosen: it may be renamed or deleted since.
    group_name = models.CharField(_("group name"), max_length=100, blank=True)
    # The contact list's filters (its query string): the worker selects by them.
    query = models.TextField(_("filters"), blank=True)
    # The stop list's reason, written in the language of whoever chose the action.
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    # The action, group and filters: a second submit of the same one while it runs
    # is refused by the unique constraint below, whatever the timing.
    key = models.CharField(_("key"), max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("contacts chosen"), null=True, blank=True)
    done = models.PositiveIntegerField(_("contacts gone through"), default=0)
    # The last contact id gone through: a worker that died resumes after it.
    last_id = models.BigIntegerField(default=0, editable=False)
    # {"count": contacts changed, "already": (adding) in the group already}
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(
        pgettext_lazy("bulk action", "started"), null=True, blank=True
    )
    finished_at = models.DateTimeField(
        pgettext_lazy("bulk action", "finished"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["queued", "running"]),
                name="contacts_bulkjob_once_at_a_time",
            )
        ]

    def __str__(self) -> str:
        return self.get_action_display()

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def description(self) -> str:
        """The action as the list names it: "Add to the group “Клиенты”"."""
        texts = {
            self.Action.ADD_TO_GROUP: gettext("Add to the group “%(group)s”"),
            self.Action.REMOVE_FROM_GROUP: gettext("Remove from the group “%(group)s”"),
            self.Action.OPT_OUT: gettext("Add to the stop list"),
            self.Action.DELETE: gettext("Delete"),
        }
        return texts[self.action] % {"group": self.group_name}

    @property
    def is_filtered(self) -> bool:
        """Whether the job took the contacts matching filters, not the whole book."""
        from contacts.bulk_jobs import filters_of

        return bool(filters_of(self.query))

    @property
    def result_message(self) -> str:
        from contacts.bulk_jobs import bulk_result_message

        return bulk_result_message(
            count=self.result.get("count", 0), already=self.result.get("already")
        )

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.done * 100 / self.total))
