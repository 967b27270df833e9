"""Two requests creating the same thing at once: the second gets the form's own
"already exists", not a 500 (the uniqueness check passed for both before either
saved; here the twin's row is committed between the check and the save)."""

import pytest

from contacts import services
from contacts.forms import CustomFieldForm
from contacts.models import ContactGroup, CustomField
from smsportal.exceptions import ApplicationError
from smsportal.unique import save_unique

pytestmark = pytest.mark.django_db


def checked_before_the_twin_saved(form):
    """The form validated as the first request would: before the twin's insert."""
    assert form.is_valid(), form.errors
    CustomField.objects.create(key="city", label="Город (twin)", kind="text")


def test_the_second_of_two_twin_forms_says_the_key_exists(settings):
    settings.LANGUAGE_CODE = "en"
    form = CustomFieldForm({"key": "city", "label": "Город", "kind": "text"})
    checked_before_the_twin_saved(form)

    assert save_unique(form) is None
    assert "already exists" in str(form.errors["key"])
    assert CustomField.objects.count() == 1


def test_a_form_saves_as_usual_when_nobody_raced_it():
    form = CustomFieldForm({"key": "city", "label": "Город", "kind": "text"})
    assert form.is_valid()

    assert save_unique(form).key == "city"


def test_a_group_created_twice_at_once_is_refused_in_words(monkeypatch, settings):
    settings.LANGUAGE_CODE = "en"
    ContactGroup.objects.create(name="Клиенты")
    # The twin committed after this request's check found no such group.
    monkeypatch.setattr(
        ContactGroup.objects.__class__, "filter",
        lambda self, **kw: ContactGroup.objects.none(),
    )  # fmt: skip

    with pytest.raises(ApplicationError, match="already exists"):
        services.group_create(name="Клиенты")
