"""A save refused over a newer version: what changed, and the form again with it.

A versioned form (smsportal.versioning.VersionedForm) carries, beside the version,
the values it was opened with (hidden `initial-<field>` inputs, Django's own naming).
When its save is refused, three versions of each field are known: as opened, as
typed, and as the record holds it now. `version_conflict` lists what someone else
changed (was, now, and what was typed where both changed it); `form_reloaded` is the
form of the record as it is now with what the user changed kept, so saving again
needs no retyping: a field only they changed takes their value, one only the user
changed keeps the user's, a list (groups) gets both people's additions and removals,
and where both changed the same field the user's value stays, theirs shown beside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import formats
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from smsportal.versioning import VersionedForm

# The button of a refused form that asks for it again with the current values.
RELOAD = "reload_current"
VERSION = "version"


@dataclass(frozen=True)
class FieldChange:
    """A field someone else changed: as the page was opened, as it is now, and what
    the user typed when they changed it too (to something else), else None."""

    label: str
    was: str
    now: str
    yours: str | None


@dataclass(frozen=True)
class VersionConflict:
    changes: list[FieldChange]
    reloaded: bool  # the form holds the current values now (and the user's)

    @property
    def both_changed(self) -> list[FieldChange]:
        return [change for change in self.changes if change.yours is not None]


def compared_fields(form: forms.BaseForm) -> list[str]:
    """The fields a person edits: not the version, nor hidden, disabled or file
    fields."""
    return [
        name
        for name, field in form.fields.items()
        if name != VERSION
        and not field.disabled
        and not field.widget.is_hidden
        and not isinstance(field, forms.FileField)
    ]


def opened_inputs(form: VersionedForm) -> SafeString:
    """The hidden inputs of the values the page was opened with: the record's for a
    new page, the posted ones carried on for a form sent back."""
    if form.is_bound:
        if not carries_opened(form):
            return SafeString("")
        names = [VERSION, *compared_fields(form)]
        pairs = [
            (form.add_initial_prefix(name), value)
            for name in names
            for value in _posted_list(form.data, form.add_initial_prefix(name))
        ]
    else:
        if form[VERSION].initial is None:  # a new record: nothing to compare with
            return SafeString("")
        pairs = [(form.add_initial_prefix(VERSION), str(form[VERSION].initial))]
        pairs += [
            (form.add_initial_prefix(name), value)
            for name in compared_fields(form)
            for value in as_posted(form[name])
        ]
    return format_html_join(
        "", '<input type="hidden" name="{}" value="{}">', pairs
    ) or SafeString("")


def carries_opened(form: forms.BaseForm) -> bool:
    """Whether the posted form holds the values it was opened with (pages from
    before it did not)."""
    return form.add_initial_prefix(VERSION) in form.data


def opened_value(form: forms.BaseForm, name: str) -> Any:
    """A field's value as opened, read as its widget reads a post; None if not
    carried."""
    if not carries_opened(form):
        return None
    posted = _posted_list(form.data, form.add_initial_prefix(name))
    return _as_widget_reads(form.fields[name], posted)


def version_conflict(
    form: VersionedForm, current: VersionedForm, *, reloaded: bool = False
) -> VersionConflict:
    """What changed between the version `form` was opened at and `current` (the
    unbound form of the record as it is now)."""
    known = carries_opened(form)
    changes = []
    for name in compared_fields(form):
        if name not in current.fields:
            continue
        field = form.fields[name]
        # All three as the widget reads a post: a start time shown without its
        # zone compares with the one posted, not a naive with an aware datetime.
        now = _as_widget_reads(field, as_posted(current[name]))
        mine = form[name].data
        if known:
            opened = opened_value(form, name)
            if not _changed(field, opened, now):
                continue
            was = shown(field, _python(field, opened))
            mine_changed = _changed(field, opened, mine)
        elif _changed(field, now, mine):
            was, mine_changed = "", True  # opened unknown: told as now and yours
        else:
            continue
        yours = (
            shown(field, _python(field, mine))
            if mine_changed and _changed(field, now, mine)
            else None
        )
        label = str(field.label or name)
        changes.append(
            FieldChange(label, was, shown(field, _python(field, now)), yours)
        )
    return VersionConflict(changes=changes, reloaded=reloaded)


def reloaded_data(form: VersionedForm, current: VersionedForm) -> QueryDict:
    """`form`'s post made over `current`: the record's values now (as opened, too,
    and its version), with the fields the user changed kept as typed."""
    data = QueryDict(mutable=True)
    compared = set(compared_fields(form))
    known = carries_opened(form)
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        mine = _posted_list(form.data, key)
        if name == VERSION:
            continue
        if name not in compared or name not in current.fields:
            data.setlist(key, mine)
            continue
        now = as_posted(current[name])
        data.setlist(form.add_initial_prefix(name), now)
        if not known:
            value = mine  # what they changed is not known: what was typed stays
        else:
            opened = _posted_list(form.data, form.add_initial_prefix(name))
            value = _merged(field, opened=opened, mine=mine, now=now)
        data.setlist(key, value)
    version = str(current[VERSION].initial)
    data[form.add_prefix(VERSION)] = version
    data[form.add_initial_prefix(VERSION)] = version
    return data


def _merged(
    field: forms.Field, *, opened: list[str], mine: list[str], now: list[str]
) -> list[str]:
    opened_value = _as_widget_reads(field, opened)
    if not _changed(field, opened_value, _as_widget_reads(field, mine)):
        return now
    if not _is_list(field):
        return mine
    # Groups and the like: both people's additions and removals.
    added = [value for value in mine if value not in opened]
    removed = set(opened) - set(mine)
    return [value for value in now if value not in removed] + [
        value for value in added if value not in now
    ]


def as_posted(bound: forms.BoundField) -> list[str]:
    """What a browser posts for an unbound field as the page shows it."""
    widget = bound.field.widget
    # The admin's wrapper (the "+" beside a select) formats nothing itself.
    inner = getattr(widget, "widget", None)
    widget = inner if isinstance(inner, forms.Widget) else widget
    value = bound.value()
    if isinstance(widget, forms.CheckboxInput):
        return ["on"] if widget.check_test(value) else []
    formatted = widget.format_value(value)
    if formatted is None:
        return []
    if isinstance(formatted, list | tuple):
        return [str(item) for item in formatted]
    return [str(formatted)]


def shown(field: forms.Field, value: Any) -> str:
    """A field's value as a person reads it: choices by their labels, groups by
    their names, dates in the language's form."""
    if value in (None, "") or (isinstance(value, list | tuple) and not value):
        return _("(empty)")
    try:
        if isinstance(field, forms.ModelMultipleChoiceField):
            keys = [getattr(item, "pk", item) for item in value]
            names = (str(o) for o in field.queryset.filter(pk__in=keys))
            return ", ".join(sorted(names))
        if isinstance(field, forms.ModelChoiceField):
            key = getattr(value, "pk", value)
            return str(field.queryset.filter(pk=key).first() or value)
    except (TypeError, ValueError, ValidationError):
        return str(value)  # not a key (a value typed into the post by hand)
    if isinstance(field, forms.BooleanField):
        return _("Yes") if value else _("No")
    labels = _choice_labels(field)
    if labels:
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(str(labels.get(str(v), v)) for v in values)
    if isinstance(value, date | datetime | time):
        return formats.localize(value)
    return str(value)


def _choice_labels(field: forms.Field) -> dict[str, Any]:
    choices = getattr(field, "choices", None) or getattr(field.widget, "choices", ())
    labels: dict[str, Any] = {}
    for key, label in choices:
        if isinstance(label, list | tuple):  # a group of choices
            labels.update((str(k), v) for k, v in label)
        else:
            labels[str(key)] = label
    return labels


def _is_list(field: forms.Field) -> bool:
    return isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)


def _posted_list(data: Any, key: str) -> list[str]:
    if hasattr(data, "getlist"):
        return list(data.getlist(key))
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [value]


def _as_widget_reads(field: forms.Field, posted: Iterable[str]) -> Any:
    data = QueryDict(mutable=True)
    data.setlist("value", list(posted))
    return field.widget.value_from_datadict(data, MultiValueDict(), "value")


def _python(field: forms.Field, raw: Any) -> Any:
    try:
        return field.to_python(raw)
    except ValidationError:
        return raw


def _changed(field: forms.Field, opened: Any, typed: Any) -> bool:
    """As Django's own "has changed" with the initial value in a hidden input."""
    try:
        initial = field.to_python(opened)
    except ValidationError:
        return True
    return field.has_changed(initial, typed)
