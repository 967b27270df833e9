"""Uniqueness errors read as sentences of their own.

Django's default pastes the field's label into one sentence ("Группа с таким Название
уже существует."), which Russian cannot inflect; each unique field a form edits says it
in its own words instead.
"""

import pytest

from django.forms import modelform_factory
from django.utils import translation
from django.utils.text import capfirst

from contacts.admin import ContactAdminForm, StopListEntryAdminForm
from contacts.forms import ContactGroupForm, CustomFieldForm
from contacts.models import (
    Contact,
    ContactGroup,
    CustomField,
    GroupMembership,
    StopListEntry,
)
from providers.models import ProviderAccount, SenderName

pytestmark = pytest.mark.django_db


def _account() -> ProviderAccount:
    return ProviderAccount.objects.create(name="Shop", kind="smsc", login="shop")


def _group_form():
    ContactGroup.objects.create(name="Клиенты")
    return ContactGroupForm({"name": "Клиенты"}), "name", ContactGroup, "name"


def _custom_field_form():
    CustomField.objects.create(key="city", label="Город")
    data = {"label": "Город 2", "key": "city", "kind": "text"}
    return CustomFieldForm(data), "key", CustomField, "key"


def _contact_form():
    Contact.objects.create(phone="+79123456789")
    form_class = modelform_factory(
        Contact, form=ContactAdminForm, fields=["phone", "attributes"]
    )
    form = form_class({"phone": "+7 912 345-67-89", "attributes": "{}"})
    return form, "phone", Contact, "phone"


def _stop_list_form():
    StopListEntry.objects.create(phone="+79123456789")
    form_class = modelform_factory(
        StopListEntry, form=StopListEntryAdminForm, fields=["phone", "source"]
    )
    form = form_class({"phone": "89123456789", "source": "manual"})
    return form, "phone", StopListEntry, "phone"


def _account_form():
    _account()
    form = modelform_factory(ProviderAccount, fields=["name"])({"name": "Shop"})
    return form, "name", ProviderAccount, "name"


def _sender_name_form():
    account = _account()
    SenderName.objects.create(account=account, name="SHOP")
    form = modelform_factory(SenderName, fields=["account", "name"])(
        {"account": account.pk, "name": "SHOP"}
    )
    return form, "__all__", SenderName, "name"


def _membership_form():
    contact = Contact.objects.create(phone="+79123456789")
    group = ContactGroup.objects.create(name="Клиенты")
    GroupMembership.objects.create(contact=contact, group=group)
    form = modelform_factory(GroupMembership, fields=["contact", "group"])(
        {"contact": contact.pk, "group": group.pk}
    )
    return form, "__all__", GroupMembership, "group"


@pytest.mark.parametrize(
    ("make_form", "english"),
    [
        (_group_form, "A group with this name already exists."),
        (_custom_field_form, "A custom field with this key already exists."),
        (_contact_form, "A contact with this phone number already exists."),
        (_stop_list_form, "This phone number is already on the stop list."),
        (_account_form, "An account with this name already exists."),
        (_sender_name_form, "This account already has this sender name."),
        (_membership_form, "The contact is already in this group."),
    ],
)
def test_unique_errors_are_whole_sentences(make_form, english):
    form, where, model, field_name = make_form()
    with translation.override("en"):
        assert not form.is_valid()
        assert form.errors[where] == [english]
    label = capfirst(model._meta.get_field(field_name).verbose_name)
    with translation.override("ru"):
        form = type(form)(form.data)
        assert not form.is_valid()
        (message,) = form.errors[where]
        # Not the label pasted in uninflected: "с таким Название".
        assert f"таким {label}" not in message
        assert "значениями полей" not in message
