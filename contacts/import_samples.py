"""A sample file for each import: the headers the importer maps by itself and rows
written the ways it reads them, so a user can start from a file that imports cleanly."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from contacts.importing.fields import CONTACT_FIELDS, STOPLIST_FIELDS
from contacts.models import CustomField

# The built-in columns of the contact sample, each recognised by its own label.
# "Full name" is left out: it fills the same fields as the three name columns.
_CONTACT_COLUMNS = ("phone", "last_name", "first_name", "middle_name", "nickname",
                    "birthday", "email", "time_zone", "groups")  # fmt: skip
# Two people, the first written in full, the second as a typical export leaves it:
# a trunk-prefixed number with brackets and dashes and most of the fields empty.
_CONTACT_ROWS = (
    ("+79000000001", "Иванова", "Мария", "Петровна", "Маша", "15.03.1990",
     "maria@example.ru", "Europe/Moscow", "Клиенты; VIP"),
    ("8 (900) 000-00-02", "Смирнов", "Алексей", "", "", "", "", "", ""),
)  # fmt: skip
_CUSTOM_EXAMPLES = {
    CustomField.Kind.TEXT: "",
    CustomField.Kind.NUMBER: "1500",
    CustomField.Kind.DATE: "01.12.2026",
}


def sample_table(
    kind: str, custom_fields: Sequence[CustomField] = ()
) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the sample for a `kind` of import ("contacts", "stoplist"),
    headers in the current language; the contact sample has a column per custom field,
    filled in the first row where its kind needs a particular writing."""
    if kind == "stoplist":
        headers = [str(STOPLIST_FIELDS["phone"]), str(STOPLIST_FIELDS["reason"])]
        return headers, [
            ["+79000000001", _("Asked not to be messaged")],
            ["8 (900) 000-00-02", ""],
        ]
    headers = [str(CONTACT_FIELDS[field]) for field in _CONTACT_COLUMNS]
    headers += [field.label for field in custom_fields]
    rows = [list(row) for row in _CONTACT_ROWS]
    rows[0] += [_CUSTOM_EXAMPLES.get(field.kind, "") for field in custom_fields]
    rows[1] += [""] * len(custom_fields)
    return headers, rows
