import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from contacts import services
from contacts.importing.fields import field_choices, field_label
from contacts.importing.sources import ENCODING_CHOICES, ENCODING_LABELS
from contacts.models import Contact, ContactGroup, CustomField
from contacts.services import PLACEHOLDER_FIELDS, TEXT_FIELDS, plan_time_zone
from contacts.timezones import time_zone_choices
from smsportal.decimal_input import TypedDecimalField
from smsportal.exceptions import ApplicationError
from smsportal.form_style import style_fields
from smsportal.textguard import guard_fields, one_line_fields
from smsportal.version_conflicts import opened_value
from smsportal.versioning import VersionedForm

TIME_ZONE_BLANK = _("By the number (none for a mobile)")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DELIMITER_LABELS = {
    "auto": _("Detect"),
    ",": _("Comma"),
    ";": _("Semicolon"),
    "tab": _("Tab"),
}


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self.fields)


class StyledModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self.fields)


def _raise_as_field_error(check: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        check(*args, **kwargs)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message) from None


class ContactForm(VersionedForm, StyledForm):
    phone = forms.CharField(label=_("Phone"), max_length=40)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    middle_name = forms.CharField(
        label=_("Middle name"), max_length=100, required=False
    )
    nickname = forms.CharField(label=_("Nickname"), max_length=100, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE_INPUT)
    # The column is varchar(254): a longer address was a 500.
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=functools.partial(time_zone_choices, blank=TIME_ZONE_BLANK),
        help_text=_(
            "Quiet hours follow it. A mobile number tells no region: choose the zone "
            "here, or campaigns use their own."
        ),
    )
    consent_source = forms.CharField(
        label=_("Consent source"),
        max_length=200,
        required=False,
        help_text=_("Where the person agreed to receive messages."),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"),
        queryset=ContactGroup.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args,
        contact: Contact | None = None,
        custom_fields: Sequence[CustomField] = (),
        **kwargs,
    ) -> None:
        """`contact`: the one edited (its values are the form's initial ones)."""
        if contact is not None:
            kwargs.setdefault("initial", self.initial_for(contact))
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.custom_fields = list(custom_fields)
        # The contact's own zone stays a valid choice, offered or not (timezones.py).
        self.fields["time_zone"].choices = time_zone_choices(
            blank=TIME_ZONE_BLANK, keep=self.initial.get("time_zone") or ""
        )
        for field in self.custom_fields:
            self.fields[f"cf_{field.key}"] = _custom_form_field(field)
        # Every text the services check (numbers and dates are safe by type): the
        # form says which character and where, as the services and the API do.
        texts = [f"cf_{f.key}" for f in self.custom_fields if f.kind == f.Kind.TEXT]
        guard_fields(self.fields, [*TEXT_FIELDS, *texts])
        one_line_fields(self.fields, PLACEHOLDER_FIELDS)
        style_fields(self.fields)

    # The services check these again; checked here too, every problem of the form is
    # said at once, not the first the services meet.
    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        _raise_as_field_error(services.phone_normalize_or_error, phone=phone)
        return phone

    def clean_birthday(self) -> Any:
        birthday = self.cleaned_data["birthday"]
        _raise_as_field_error(services.birthday_check, birthday)
        return birthday

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        initial = {
            name: getattr(contact, name)
            for name in ("phone", "last_name", "first_name", "middle_name", "nickname",
                         "birthday", "email", "consent_source")
        }  # fmt: skip
        # The plan's zone shows as "by the number", so a new number brings its own.
        by_plan = contact.time_zone == plan_time_zone(contact.phone)
        initial["time_zone"] = "" if by_plan else contact.time_zone
        initial["groups"] = list(contact.groups.all())
        initial["version"] = contact.version
        for key, value in (contact.attributes or {}).items():
            initial[f"cf_{key}"] = value
        return initial

    def current_form(self, data: Any = None) -> "ContactForm":
        if self.contact is None:
            raise ValueError("only an edited contact has a current form")
        contact = Contact.objects.get(pk=self.contact.pk)
        return type(self)(data, contact=contact, custom_fields=self.custom_fields)

    def service_fields(self, *, previous: dict | None = None) -> dict:
        """Cleaned data as contact_create / contact_update take it (the version the
        page was opened at is the view's to give)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.update(self._groups_change(data.pop("groups", None)))
        attributes = dict(previous or {})
        for field in self.custom_fields:
            value = data.pop(f"cf_{field.key}", None)
            if value in (None, ""):
                attributes.pop(field.key, None)
            else:
                attributes[field.key] = _stored_value(field, value)
        data["attributes"] = attributes
        return data

    # Membership is not part of a contact's version: bulk actions, imports into a
    # group and the group API change it a million contacts at a time, and raising
    # each one's version would rewrite every row of the book for it (and refuse
    # every contact page open meanwhile, for a change the person did not make).
    # The page says what the person changed instead: the groups they ticked and
    # unticked since it was opened. Anyone else's additions and removals stay.
    def _groups_change(self, chosen: Any) -> dict[str, Any]:
        """The groups as contact_create / contact_update take them: the ones ticked
        and unticked since the page was opened, or (a new contact, a page from
        before it carried what it was opened with) the whole list."""
        chosen = list(chosen or [])
        opened = opened_value(self, "groups") if self.contact is not None else None
        if opened is None:
            return {"groups": chosen}
        opened_ids = {int(pk) for pk in opened if str(pk).isdigit()}
        chosen_ids = {group.pk for group in chosen}
        return {
            "add_to_groups": [g for g in chosen if g.pk not in opened_ids],
            "remove_from_groups": sorted(opened_ids - chosen_ids),
        }


def _custom_form_field(field: CustomField) -> forms.Field:
    if field.kind == CustomField.Kind.NUMBER:
        return TypedDecimalField(label=field.label, required=False)
    if field.kind == CustomField.Kind.DATE:
        return forms.DateField(label=field.label, required=False, widget=DATE_INPUT)
    return forms.CharField(label=field.label, required=False, max_length=1000)


def _stored_value(field: CustomField, value: Any) -> Any:
    """A cleaned custom field value as Contact.attributes holds it: a JSON number,
    an ISO date or text."""
    if field.kind == CustomField.Kind.DATE:
        return value.isoformat()
    if field.kind == CustomField.Kind.NUMBER:
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def attributes_clean(
    attributes: Any,
    *,
    custom_fields: Sequence[CustomField],
    previous: dict | None = None,
) -> dict:
    """Custom field values written as JSON (the admin's contact form) checked by the
    contact page's rules (its form fields), and stored as that page stores them;
    ValidationError naming each wrong field and value. A key that is no custom field
    is refused unless the contact already held it as it is (a field deleted since:
    the contact page keeps those too); an empty value removes the key, as there."""
    if not isinstance(attributes, dict):
        raise forms.ValidationError(
            _('Write the custom fields as a JSON object: {"key": value}.')
        )
    fields = {f.key: f for f in custom_fields}
    previous = previous or {}
    cleaned, errors = {}, []
    for key, value in attributes.items():
        field = fields.get(key)
        if field is None:
            if key in previous and previous[key] == value:
                cleaned[key] = value
            else:
                errors.append(
                    _("“%(key)s” is not a custom field: add it under Custom fields "
                      "first, or remove it.") % {"key": key}
                )  # fmt: skip
            continue
        try:
            value = _custom_value_clean(field, value)
        except forms.ValidationError as exc:
            shown = value if isinstance(value, str) else json.dumps(value)
            errors.append(
                _("%(field)s (%(key)s): “%(value)s”: %(error)s")
                % {
                    "field": field.label,
                    "key": key,
                    "value": shown[:60],
                    "error": " ".join(exc.messages),
                }
            )
            continue
        if value not in (None, ""):
            cleaned[key] = _stored_value(field, value)
    if errors:
        raise forms.ValidationError(errors)
    return cleaned


def _custom_value_clean(field: CustomField, value: Any) -> Any:
    """One JSON value through the contact page's form field of its kind."""
    form_field = _custom_form_field(field)
    # Form fields take what a browser sends: text. JSON can say more, and a text
    # field's 5 or a date's 20240501 would be stored as a number.
    if value is None:
        return None
    if field.kind == CustomField.Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise forms.ValidationError(form_field.error_messages["invalid"])
    elif not isinstance(value, str):
        if field.kind == CustomField.Kind.DATE:
            raise forms.ValidationError(form_field.error_messages["invalid"])
        raise forms.ValidationError(_("Write the text in quotes."))
    return form_field.clean(value)


class ContactGroupForm(VersionedForm, StyledModelForm):
    class Meta:
        model = ContactGroup
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["name", "description"], multiline=["description"])
        one_line_fields(self.fields, ["name"])


class CustomFieldForm(StyledModelForm):
    class Meta:
        model = CustomField
        fields = ["label", "key", "kind"]


class StopListAddForm(StyledForm):
    phone = forms.CharField(label=_("Phone"), max_length=40)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["phone", "reason"])
        one_line_fields(self.fields, ["reason"])


class ImportUploadForm(StyledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1251; comma, semicolon or tab) or Excel .xlsx"
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        if isinstance(data, list | tuple):
            if not data:  # no file chosen: the field's own "required" message
                return [super().clean(None, initial)]
            return [
                super(MultipleFileField, self).clean(item, initial) for item in data
            ]
        return [super().clean(data, initial)]


class NumberingPlanUploadForm(StyledForm):
    files = MultipleFileField(
        label=_("Registry files"),
        help_text=_(
            "The registry's CSV extracts as published: DEF-9xx.csv for mobile numbers, "
            "the ABC files for landlines if you like. They replace what is loaded."
        ),
    )


class ImportMappingForm(StyledForm):
    """Reader settings, one field choice per column, and what to do with the rows."""

    encoding = forms.ChoiceField(
        label=_("Encoding"), choices=[(k, ENCODING_LABELS[k]) for k in ENCODING_CHOICES]
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"), choices=list(DELIMITER_LABELS.items())
    )
    header = forms.BooleanField(
        label=_("The first row holds column names"), required=False
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Add to groups"),
        queryset=ContactGroup.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Every contact of the file joins these. A column set to “Groups” adds "
            "each row's own: names separated by “;”, a new name makes a new group."
        ),
    )
    update = forms.BooleanField(
        label=_("Update contacts that are already in the book"),
        required=False,
        help_text=_(
            "Otherwise they are left as they are. Empty cells never erase data."
        ),
    )
    consent_source = forms.CharField(
        label=_("Consent source for new contacts"), max_length=200, required=False
    )
    stop_reason = forms.CharField(
        label=_("Reason for numbers without one"), max_length=255, required=False
    )

    def __init__(
        self,
        *args,
        kind: str,
        width: int,
        custom_fields: Sequence[CustomField],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.width = width
        self.custom_fields = list(custom_fields)
        if kind == "stoplist":
            for name in ("groups", "update", "consent_source"):
                del self.fields[name]
        else:
            del self.fields["stop_reason"]
        choices = field_choices(kind=kind, custom_fields=self.custom_fields)
        for index in range(width):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=_("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
            )
        style_fields(self.fields)

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{index}"] for index in range(self.width)]

    def keep_choices(self, data: QueryDict, *, columns: bool) -> None:
        """Show on this unbound form what `data` (this page as submitted) chose: the
        groups, update and reason options, and the columns too when `columns` (the file
        was read the same way; read otherwise, its columns are proposed afresh)."""
        names = ["groups", "update", "consent_source", "stop_reason"]
        if columns:
            names += [f"col_{index}" for index in range(self.width)]
        for name in names:
            if name not in self.fields:
                continue
            value = self.fields[name].widget.value_from_datadict(
                data, self.files, self.add_prefix(name)
            )
            if value is not None:
                self.initial[name] = value

    def clean(self) -> dict:
        data = super().clean()
        mapping = [data.get(f"col_{index}", "") for index in range(self.width)]
        if "phone" not in mapping:
            raise forms.ValidationError(
                _("Choose the column that holds the phone number.")
            )
        for field in {f for f in mapping if f}:
            if mapping.count(field) > 1:
                raise forms.ValidationError(
                    _("“%(field)s” is chosen for more than one column.")
                    % {"field": field_label(field, self.custom_fields)}
                )
        data["mapping"] = mapping
        return data


class BulkActionForm(forms.Form):
    ACTIONS = (
        ("add_to_group", _("Add to group")),
        ("remove_from_group", _("Remove from group")),
        ("opt_out", _("Add to stop list")),
        ("delete", _("Delete")),
    )
    # The permission each action needs, checked on submit and used to offer only
    # the actions a user may take (a viewer gets none, so no bulk form at all).
    PERMISSIONS = {
        "add_to_group": "contacts.change_contact",
        "remove_from_group": "contacts.change_contact",
        "opt_out": "contacts.add_stoplistentry",
        "delete": "contacts.delete_contact",
    }
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=ContactGroup.objects.all(), required=False
    )
    ids = forms.ModelMultipleChoiceField(queryset=Contact.objects.all(), required=False)
    select_all = forms.BooleanField(required=False)
    query = forms.CharField(required=False)

    @classmethod
    def actions_for(cls, user) -> list[tuple[str, str]]:
        """The (value, label) actions `user` may apply to contacts."""
        return [
            (value, label)
            for value, label in cls.ACTIONS
            if user.has_perm(cls.PERMISSIONS[value])
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") in ("add_to_group", "remove_from_group") and not data.get(
            "group"
        ):
            raise forms.ValidationError(_("Choose a group."))
        if not data.get("select_all") and not data.get("ids"):
            raise forms.ValidationError(_("Select at least one contact."))
        return data
