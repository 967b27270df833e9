"""An import's options and report as the admin shows them: labelled rows in the
reader's language, not the JSON they are stored as."""

from collections.abc import Callable
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from contacts.forms import DELIMITER_LABELS
from contacts.importing.fields import ATTR_PREFIX, CONTACT_FIELDS, STOPLIST_FIELDS
from contacts.importing.reasons import reason_text
from contacts.importing.sources import ENCODING_LABELS
from contacts.models import ContactGroup, CustomField, StopListEntry


def _yes_no(value: Any) -> str:
    if value is None:
        return _("detected")
    return _("Yes") if value else _("No")


def _encoding(value: str) -> str:
    return str(ENCODING_LABELS.get(value, value or "—"))


def _delimiter(value: str) -> str:
    return str(DELIMITER_LABELS.get("tab" if value == "\t" else value, value or "—"))


def _mapping(columns: list[str] | None) -> str:
    if not columns:
        return _("by the column names")
    labels = {**CONTACT_FIELDS, **STOPLIST_FIELDS}
    custom = {f.key: f.label for f in CustomField.objects.all()}
    shown = []
    for number, field in enumerate(columns, start=1):
        if field.startswith(ATTR_PREFIX):
            key = field[len(ATTR_PREFIX) :]
            name = custom.get(key, key)
        else:
            name = labels.get(field, field) if field else _("ignored")
        shown.append(
            _("column %(number)s: %(field)s") % {"number": number, "field": name}
        )
    return "; ".join(shown)


def _groups(ids: list[int]) -> str:
    names = dict(ContactGroup.objects.filter(pk__in=ids).values_list("pk", "name"))
    return ", ".join(names.get(pk, f"#{pk}") for pk in ids) or "—"


def _count(value: Any) -> str:
    return intcomma(value) if isinstance(value, int) else str(value)


def _lines(items: list) -> str:
    return "; ".join(
        _("row %(row)s: %(reason)s")
        % {"row": item.get("row"), "reason": reason_text(item.get("reason"))}
        if isinstance(item, dict)
        else str(item)
        for item in items
    )


def _source(value: str) -> str:
    return str(dict(StopListEntry.Source.choices).get(value, value))


# key -> (label, how its value reads); keys not here are shown by their name.
OPTIONS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "kind": (gettext_lazy("Kind"), str),
    "encoding": (gettext_lazy("Encoding"), _encoding),
    "delimiter": (gettext_lazy("Delimiter"), _delimiter),
    "header": (gettext_lazy("The first row holds column names"), _yes_no),
    "mapping": (gettext_lazy("Columns"), _mapping),
    "group_ids": (gettext_lazy("Add to groups"), _groups),
    "update": (gettext_lazy("Update contacts that are already in the book"), _yes_no),
    "consent_source": (gettext_lazy("Consent source"), str),
    "stop_reason": (gettext_lazy("Reason"), str),
    "stop_source": (gettext_lazy("Source"), _source),
    "region": (gettext_lazy("Region"), str),
}
SKIPPED_OPTIONS = {"created_by_id"}  # the job's own "uploaded by" shows it
REPORT: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "rows": (gettext_lazy("Data rows in the file"), _count),  # as the import page says
    "created": (
        pgettext_lazy("import: rows that became new records", "Created"),
        _count,
    ),
    "updated": (gettext_lazy("Updated"), _count),
    "added_to_groups": (gettext_lazy("Already there, added to groups"), _count),
    "unchanged": (gettext_lazy("Already there, unchanged"), _count),
    "duplicates": (gettext_lazy("Duplicates within the file"), _count),
    "invalid": (gettext_lazy("Invalid"), _count),
    "stop_listed": (gettext_lazy("On the stop list, not imported"), _count),
    "stop_listed_in_book": (
        gettext_lazy("On the stop list, already in the book"),
        _count,
    ),
    "format": (gettext_lazy("Format"), lambda v: str(v).upper()),
    "encoding": (gettext_lazy("Encoding"), _encoding),
    "delimiter": (gettext_lazy("Delimiter"), _delimiter),
    "errors": (gettext_lazy("The first rows not imported"), _lines),
    "cleaned": (
        gettext_lazy("Imported without invisible control characters"),
        _count,
    ),
    "cleaned_examples": (gettext_lazy("Rows cleaned, the first"), _lines),
    "skipped_sheets": (gettext_lazy("Sheets not imported"), ", ".join),
    "title_rows": (gettext_lazy("Title rows above the header"), _count),
    "groups_created": (gettext_lazy("New groups"), ", ".join),
}


def _table(data: dict, labels: dict, skipped: set[str] = frozenset()) -> SafeString:
    rows = []
    for key, value in (data or {}).items():
        if key in skipped:
            continue
        label, shown = labels.get(key, (key, str))
        if value in (None, "", [], {}) and key not in ("header",):
            text = "—"
        else:
            text = shown(value)
        rows.append((label, text))
    if not rows:
        return format_html("{}", "—")
    return format_html(
        '<table class="import-details"><tbody>{}</tbody></table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
    )


def import_options_html(options: dict) -> SafeString:
    return _table(options, OPTIONS, SKIPPED_OPTIONS)


# How the reasons are stored, not something the import did.
SKIPPED_REPORT = {"reason_records"}


def import_report_html(report: dict) -> SafeString:
    return _table(report, REPORT, SKIPPED_REPORT)
