"""A list of checkboxes or radio buttons renders as Bootstrap form-check rows."""

import re

import pytest

from django import forms
from django.urls import reverse

from contacts.models import Contact, ContactGroup
from smsportal.form_style import style_fields

pytestmark = pytest.mark.django_db


def _list_div(html: str, field_id: str) -> str:
    match = re.search(rf'<div id="{field_id}"[^>]*>', html)
    assert match, f"no list div #{field_id} in {html[:500]}"
    return match.group(0)


@pytest.mark.parametrize("path", ["contacts:create", "contacts:edit"])
def test_groups_are_one_form_check_row_each(admin_client, path):
    first = ContactGroup.objects.create(name="Клиенты")
    ContactGroup.objects.create(name="Партнёры")
    kwargs = {}
    if path == "contacts:edit":
        kwargs = {"pk": Contact.objects.create(phone="+79123456789").pk}
    html = admin_client.get(reverse(path, kwargs=kwargs)).content.decode()

    # The list's div is no checkbox: a form-check-input on it drew the whole list as
    # one 1em box, a letter per line.
    assert "form-check-input" not in _list_div(html, "id_groups")
    rows = re.findall(
        r'<div class="form-check">\s*<input type="checkbox" name="groups" '
        r'value="(\d+)" class="form-check-input" id="(id_groups_\d+)"[^>]*>\s*'
        r'<label class="form-check-label" for="\2">([^<]+)</label></div>',
        html,
    )
    assert [(int(value), label) for value, _, label in rows][0] == (
        first.pk,
        "Клиенты",
    )
    assert len(rows) == 2


@pytest.mark.parametrize(
    "widget", [forms.CheckboxSelectMultiple, forms.RadioSelect], ids=["boxes", "radios"]
)
def test_every_styled_choice_list_renders_form_check_rows(widget):
    class Form(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "Один"), ("b", "Два")], widget=widget)

    form = Form()
    style_fields(form.fields)
    html = str(form["pick"])

    assert "form-check-input" not in _list_div(html, "id_pick")
    assert html.count('<div class="form-check">') == 2
    assert '<label class="form-check-label" for="id_pick_1">Два</label>' in html
