"""What a column can be imported into, and the headers that map there by themselves."""

import re
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from smsportal.lib.languages import in_every_language

IGNORE = ""
ATTR_PREFIX = "attr:"

CONTACT_FIELDS = {
    "phone": _("Phone"),
    "last_name": _("Last name"),
    "first_name": _("First name"),
    "middle_name": _("Middle name"),
    "full_name": _("Full name (last, first, middle; a nickname in quotes)"),
    "nickname": _("Nickname"),
    "birthday": _("Birthday"),
    "email": _("Email"),
    "time_zone": _("Time zone"),
    # The groups a row's contact joins (contacts.importing.groups).
    "groups": _("Groups"),
}
STOPLIST_FIELDS = {"phone": _("Phone"), "reason": _("Reason")}

# Headers as people write them, after normalize_header(); Russian and English.
HEADER_ALIASES = {
    "phone": (
        "телефон", "тел", "мобильный", "мобильныйтелефон", "сотовый",
        "сотовыйтелефон", "номер", "номертелефона", "телефонмобильный", "моб",
        "phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "msisdn",
        "tel", "telephone", "cell", "cellphone", "number", "номермобильного",
    ),
    "last_name": ("фамилия", "lastname", "surname", "familyname"),
    "first_name": ("имя", "firstname", "givenname", "name"),
    "middle_name": ("отчество", "middlename", "patronymic", "secondname"),
    "full_name": ("фио", "фамилияимяотчество", "полноеимя", "fullname", "контакт"),
    "nickname": ("ник", "никнейм", "псевдоним", "прозвище", "nickname", "nick"),
    "birthday": (
        "деньрождения", "датарождения", "др", "birthday", "birthdate",
        "dateofbirth", "dob",
    ),
    "email": (
        "email", "емейл", "имейл", "почта", "электроннаяпочта", "элпочта", "mail",
        "адресэлектроннойпочты",
    ),
    "time_zone": (
        "часовойпояс", "пояс", "таймзона", "часовойпоясклиента", "timezone", "tz",
        "zone",
    ),
    "groups": ("группы", "группа", "groups", "group", "сегмент", "сегменты"),
    "reason": ("причина", "комментарий", "reason", "comment", "note"),
}  # fmt: skip
# Words that name the phone column only when no other header names it: "Номер" is
# as often the row's own number ("Номер;ФИО;Телефон"), and taken for the phone it
# left the "Телефон" column out and refused every row.
WEAK_ALIASES = frozenset({"номер", "number"})
_ALIAS_TO_FIELD = {
    alias: field for field, names in HEADER_ALIASES.items() for alias in names
}
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalize_header(text: str) -> str:
    """Lower case, ё as е, letters and digits only: "E-mail" -> "email"."""
    return _NOT_ALNUM.sub("", text.strip().lower().replace("ё", "е"))


def field_choices(*, kind: str, custom_fields: Sequence) -> list[tuple[str, str]]:
    """(value, label) for the mapping selects: ignore, built-in fields, custom fields."""
    choices = [(IGNORE, str(_("— ignore —")))]
    fields = STOPLIST_FIELDS if kind == "stoplist" else CONTACT_FIELDS
    choices += [(key, str(label)) for key, label in fields.items()]
    if kind != "stoplist":
        choices += [(ATTR_PREFIX + f.key, f.label) for f in custom_fields]
    return choices


def auto_mapping(
    headers: Sequence[str], *, kind: str, custom_fields: Sequence
) -> list[str]:
    """A field for each header that names one; each field is used at most once."""
    allowed = set(STOPLIST_FIELDS if kind == "stoplist" else CONTACT_FIELDS)
    custom: dict[str, str] = {}
    shared: dict[str, list[str]] = {}  # a label several fields have: theirs, in order
    if kind != "stoplist":
        for field in custom_fields:
            shared.setdefault(normalize_header(field.label), []).append(
                ATTR_PREFIX + field.key
            )
        for field in custom_fields:
            custom[normalize_header(field.key)] = ATTR_PREFIX + field.key
            if len(shared[normalize_header(field.label)]) == 1:
                custom[normalize_header(field.label)] = ATTR_PREFIX + field.key
    aliases = {**_label_aliases(), **_ALIAS_TO_FIELD}
    keys = [normalize_header(header) for header in headers]
    fields = [custom.get(key) or aliases.get(key, IGNORE) for key in keys]
    fields = _shared_labels_in_order(keys, fields, shared)
    named_plainly = {
        f for f, key in zip(fields, keys, strict=True) if key not in WEAK_ALIASES
    }
    mapping, used = [], set()
    for key, field in zip(keys, fields, strict=True):
        if key in WEAK_ALIASES and field in named_plainly:
            field = IGNORE
        if (
            field
            and field not in used
            and (field in allowed or field in custom.values())
        ):
            used.add(field)
            mapping.append(field)
        else:
            mapping.append(IGNORE)
    return mapping


def _shared_labels_in_order(
    keys: list[str], fields: list[str], shared: dict[str, list[str]]
) -> list[str]:
    """Labels shared by several custom fields (made before labels were checked,
    contacts.custom_field_labels): an export writes their columns in the fields'
    order, so as many columns of that name go back to them in that order. A file
    with another number of them cannot say whose each is: left for a person."""
    fields = list(fields)
    for label, owners in shared.items():
        if len(owners) < 2:
            continue
        places = [i for i, key in enumerate(keys) if key == label]
        for place, owner in zip(places, owners, strict=False):
            fields[place] = owner if len(places) == len(owners) else IGNORE
    return fields


def _label_aliases() -> dict[str, str]:
    """Our own field labels in every language, so an export always maps back."""
    return {
        normalize_header(label): field
        for field, label in in_every_language({**CONTACT_FIELDS, **STOPLIST_FIELDS})
    }


def field_label(field: str, custom_fields: Sequence) -> str:
    if field.startswith(ATTR_PREFIX):
        key = field[len(ATTR_PREFIX) :]
        return next((f.label for f in custom_fields if f.key == key), key)
    return str({**CONTACT_FIELDS, **STOPLIST_FIELDS}.get(field, field))
