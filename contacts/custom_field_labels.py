"""Which labels a custom field may take: its label is the header of its column in an
export, and an import maps a column back by its header (importing.fields.auto_mapping,
a custom field's label first). Two fields under one label, or one under a header the
export writes for a contact's own data ("Email", "Группы", "Источник согласия"), sent
one column's values into another field when an export was imported back."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from contacts.importing.fields import CONTACT_FIELDS, normalize_header
from contacts.timezones import unzoned_header
from smsportal.lib.languages import in_every_language


def _export_headers() -> set[str]:
    """The headers an export writes besides the custom fields', in every language,
    as the import compares them."""
    # Imported here: contacts.exporting reads the models, which check labels here.
    from contacts.exporting import OPT_IN_OUT_HEADERS

    labels = {**CONTACT_FIELDS, **dict(enumerate(OPT_IN_OUT_HEADERS))}
    return {normalize_header(label) for _key, label in in_every_language(labels)}


def _zoned_export_header() -> tuple[str, set[str]]:
    """The header an export writes with the zone of its times after it (the consent
    time's: «Согласие дано (Москва, UTC+03:00)»), in the reader's language, and in
    every language as the import compares it."""
    from contacts.exporting import OPT_IN_OUT_HEADERS

    consent_at = OPT_IN_OUT_HEADERS[2]
    names = {
        normalize_header(label) for _key, label in in_every_language({0: consent_at})
    }
    return str(consent_at), names


def label_problem(
    label: str, *, others: Sequence[str], other_keys: Sequence[str] = ()
) -> str:
    """Why a custom field cannot be labelled `label` ("" when it can), `others` being
    the other custom fields' labels, `other_keys` their keys."""
    name = normalize_header(label)
    if not name:
        return ""
    # An import knows a custom field's column by its key too (auto_mapping).
    if problem := _named_as_a_key(name, other_keys):
        return problem
    if any(normalize_header(other) == name for other in others):
        return _(
            "Another custom field is labelled “%(label)s”: an export would have two "
            "columns of that name, and importing it back would put both into one "
            "field. Choose another label."
        ) % {"label": label}
    if name in _export_headers():
        return _(
            "“%(label)s” is the name of a column an export writes for a contact's own "
            "data: importing an export back would put that column into this field. "
            "Choose another label."
        ) % {"label": label}
    column, zoned = _zoned_export_header()
    # Whichever zone an export was taken in: the import reads any bracket after that
    # header as its zone (importing.preview._export_only), and a field of that label
    # took the consent column's values.
    if (
        unzoned_header(label) != label
        and normalize_header(unzoned_header(label)) in zoned
    ):
        return _(
            "“%(label)s” reads as the column “%(column)s” an export writes, with the "
            "time zone of its times in brackets: importing an export back would put "
            "that column into this field. Choose another label."
        ) % {"label": label, "column": column}
    return ""


def key_problem(
    key: str, *, other_labels: Sequence[str], other_keys: Sequence[str]
) -> str:
    """Why a custom field cannot have the key `key` ("" when it can): an import
    reading a column of that name could not tell which field it is for."""
    name = normalize_header(key)
    if not name:
        return ""
    if problem := _named_as_a_key(name, [k for k in other_keys if k != key]):
        return problem
    for other in other_labels:
        if normalize_header(other) == name:
            return _(
                "Another custom field is labelled “%(label)s”: an import would read "
                "a column of that name into either field. Choose another key."
            ) % {"label": other}
    return ""


def _named_as_a_key(name: str, keys: Sequence[str]) -> str:
    for other in keys:
        if normalize_header(other) == name:
            return _(
                "Another custom field has the key “%(key)s”: an import reads a column "
                "of that name into that field, so an export imported back would put "
                "this field's values there. Choose another name."
            ) % {"key": other}
    return ""
