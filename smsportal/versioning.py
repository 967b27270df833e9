"""Records that count their changes, and saves refused when made on an older version.

Two people open the same record; whoever saved second wrote back every field as it
was when their page opened, undoing the first one's change without a word. A
versioned record's `version` goes up with every save; a page carries the version it
was opened at (a hidden field, `VersionedForm`) and its save compares it under the
row's lock (`lock_current`, `save_current`), refusing one made on an older version
with what was typed kept in the form, what changed since, and a way to load the
current values keeping the typing (`refuse_stale`, `form_reloaded`; the details in
smsportal.version_conflicts). A counter, not updated_at: two saves within the
clock's resolution would look like one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smsportal.exceptions import Conflict
from smsportal.version_conflicts import (
    RELOAD,
    VersionConflict,
    opened_inputs,
    reloaded_data,
    version_conflict,
)

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


class Versioned(models.Model):
    """Abstract: a `version` raised by every save that writes the whole row (or names
    `version` in update_fields). Saves of bookkeeping fields alone (a state, a
    worker's claim) leave it: they are not what a person edits."""

    # db_default too: imports COPY rows into contacts without naming the column.
    version = models.IntegerField(
        gettext_lazy("version"), default=1, db_default=1, editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if self._state.adding or (
            update_fields is not None and "version" not in update_fields
        ):
            super().save(*args, **kwargs)
            return
        noted = self.note_change()
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *noted}
        # In the UPDATE itself: a save that did not lock the row still counts.
        self.version = F("version") + 1
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["version"])

    def note_change(self) -> Iterable[str]:
        """Set what a model keeps about each change (who made it); the field names."""
        return ()


class StaleVersion(Conflict):
    """A save or a launch prepared on an older version than the record's: pages show
    the message (as a form error), the API answers 409."""


def stale_since(record: models.Model) -> dict[str, str]:
    """Who changed `record` last and when, as far as it keeps them ("" if not)."""
    who = getattr(record, "changed_by", None)
    at: datetime | None = getattr(record, "updated_at", None)
    return {
        "who": (who.get_full_name() or who.get_username()) if who else "",
        "when": date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
        if at
        else "",
    }


def stale_edit_message(record: models.Model) -> str:
    """A form's refusal to save over a newer version, naming who and when if known."""
    since = stale_since(record)
    if since["who"] and since["when"]:
        changed = _(
            "%(who)s changed this record (%(when)s) after you opened the page, so "
            "nothing was saved."
        )
    elif since["when"]:
        changed = _(
            "Someone else changed this record (%(when)s) after you opened the page, "
            "so nothing was saved."
        )
    else:
        changed = _(
            "Someone else changed this record after you opened the page, so nothing "
            "was saved."
        )
    return " ".join(
        [
            changed % since,
            _(
                "What they changed is listed below: “Load the current values” puts "
                "it in the form and keeps what you typed."
            ),
        ]
    )


def lock_current(
    queryset: models.QuerySet[M],
    pk: Any,
    *,
    expected: int | None,
    message: Callable[[M], str] = stale_edit_message,
) -> M:
    """The row, locked until the transaction ends; StaleVersion (worded by `message`)
    when `expected` is given and is not its version. Call inside transaction.atomic."""
    record = queryset.select_for_update().get(pk=pk)
    require_version(record, expected, message=message)
    return record


def require_version(
    record: M,
    expected: int | None,
    *,
    message: Callable[[M], str] = stale_edit_message,
) -> None:
    """StaleVersion unless `expected` is None or `record`'s version."""
    if expected is not None and record.version != expected:
        raise StaleVersion(message(record), where="version")


def parse_version(raw: Any) -> int | None:
    """A version posted by a page or an API client; None when none was given. Not a
    whole number: -1, which no record has, so the save is refused, not let through."""
    if raw in (None, ""):
        return None
    try:
        return int(str(raw).strip().strip('"').removeprefix('W/"').strip('"'))
    except ValueError:
        return -1


class VersionedForm:
    """Form mixin: a hidden `version`, the version of the record the page was opened
    at (a ModelForm's instance, or `initial["version"]`), and the values it was
    opened with (`opened_inputs`, for smsportal.version_conflicts). Not required: a
    form posted without them (an older page) saves as it did before."""

    conflict: VersionConflict | None = None  # set when its save was refused

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = forms.IntegerField(required=False, widget=forms.HiddenInput)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            field.initial = instance.version
        self.fields["version"] = field

    def add_error(self, field: str | None, error: Any) -> None:
        # Said at the top of the form: the hidden field has no place to show it.
        super().add_error(None if field == "version" else field, error)

    @property
    def opened_inputs(self) -> SafeString:
        """Hidden inputs: the version and the values the page was opened with."""
        return opened_inputs(self)

    def current_form(self, data: Any = None) -> Any:
        """This form for the record as it is now (bound to `data` if given); a
        ModelForm's by default, other forms say how."""
        instance = type(self.instance)._default_manager.get(pk=self.instance.pk)
        return type(self)(data, instance=instance, prefix=self.prefix)

    @property
    def opened_version(self) -> int | None:
        """The version the form was opened at (cleaned), or None."""
        value = self.cleaned_data.get("version")
        if value is None and self.data.get(self.add_prefix("version")):
            return -1  # something, but not a number: refused, not let through
        return value


def save_current(form: Any, save: Callable[[], T] | None = None) -> T | None:
    """Save a valid ModelForm of a versioned record (`save`, form.save by default)
    unless the record changed since the form's version: then None, with the refusal
    as the form's error and what was typed kept. The row stays locked from the
    comparison to the commit; fields the form does not edit are taken from the
    locked row, so a worker's change to them is not written back."""
    save = save or form.save
    instance = form.instance
    try:
        with transaction.atomic():
            if instance.pk is not None:
                current = lock_current(
                    type(instance)._default_manager,
                    instance.pk,
                    expected=form.opened_version,
                )
                keep_unedited(instance, current, edited=form._meta.fields or ())
            return save()
    except StaleVersion as exc:
        refuse_stale(form, exc)
        return None


def refuse_stale(form: Any, exc: StaleVersion) -> None:
    """The refusal as the form's error, with what changed since it was opened."""
    form.add_error(None, exc.message)
    # Deleted meanwhile: the message says enough.
    with contextlib.suppress(ObjectDoesNotExist):
        form.conflict = version_conflict(form, form.current_form())


def reload_asked(request: HttpRequest) -> bool:
    """The refused form's "Load the current values" was pressed."""
    return request.method == "POST" and RELOAD in request.POST


def form_reloaded(form: Any) -> Any:
    """The form of the record as it is now with what the user changed in `form`
    kept, bound (so what was typed shows) and telling what was taken from whom."""
    current = form.current_form()
    conflict = version_conflict(form, current, reloaded=True)
    reloaded = form.current_form(reloaded_data(form, current))
    reloaded.conflict = conflict
    return reloaded


def keep_unedited(instance: M, current: M, *, edited: Iterable[str]) -> None:
    """Copy into `instance` the fields outside `edited` from `current`, the row as
    locked now: what a form's save writes back that the form did not edit."""
    edited = set(edited)
    for field in instance._meta.concrete_fields:
        if field.name not in edited and not field.primary_key:
            setattr(instance, field.attname, getattr(current, field.attname))
