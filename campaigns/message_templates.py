"""Saved message texts: their form, table and pages (list, create, edit, delete). The
composer offers them to start a campaign's text from."""

from typing import Any

import django_tables2 as tables
from django_tables2 import RequestConfig

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.forms import (
    MessageTextField,
    cap_text,
    check_placeholders,
    placeholder_choices,
    text_length_problem,
)
from campaigns.models import MessageTemplate
from campaigns.selectors import custom_field_labels
from providers.models import ProviderAccount
from smsportal.form_style import style_fields
from smsportal.tables import BaseTable, NameLinksToEdit
from smsportal.textguard import guard_fields
from smsportal.unique import save_unique
from smsportal.versioning import (
    VersionedForm,
    form_reloaded,
    reload_asked,
    save_current,
)

PAGE_SIZE = 50
# The composer lists this many, by name: a select, not a catalogue.
COMPOSER_LIMIT = 200


class MessageTemplateForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "text"]
        field_classes = {"text": MessageTextField}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.custom_labels = custom_field_labels()
        self.custom_keys = list(self.custom_labels)
        # Refused as the composer refuses them: a template is a campaign's text to be.
        guard_fields(self.fields, ["text"], multiline=["text"])
        style_fields(self.fields, small=False)
        self.fields["text"].widget.attrs["class"] += " font-monospace"
        cap_text(self.fields["text"])
        self.fields["text"].help_text = _(
            "Placeholders such as {first_name} are filled per recipient when a "
            "campaign sends it; {first_name|Customer} gives “Customer” where the "
            "value is empty."
        )

    @property
    def placeholders(self) -> list[tuple[str, str]]:
        return placeholder_choices(self.custom_labels)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]  # MessageTextField: LF line breaks
        check_placeholders(text, self.custom_keys)
        return text


class MessageTemplateTable(NameLinksToEdit, BaseTable):
    edit_url = "campaigns:template_edit"
    name = tables.Column(verbose_name=gettext_lazy("Name"))
    text = tables.Column(verbose_name=gettext_lazy("Text"), orderable=False)

    class Meta(BaseTable.Meta):
        model = MessageTemplate
        fields = ("name", "text", "updated_at")
        empty_text = gettext_lazy("No templates yet.")

    def render_text(self, value: str) -> str:
        return value if len(value) <= 120 else value[:119] + "…"


def composer_templates(user) -> list[dict[str, Any]]:
    """The templates a text field offers `user` (none to one who may not read them):
    id, name and text, by name."""
    if not user.has_perm("campaigns.view_messagetemplate"):
        return []
    return list(
        MessageTemplate.objects.order_by("name").values("id", "name", "text")[
            :COMPOSER_LIMIT
        ]
    )


@permission_required("campaigns.view_messagetemplate", raise_exception=True)
def template_list(request: HttpRequest) -> HttpResponse:
    table = MessageTemplateTable(
        MessageTemplate.objects.all(),
        can_edit=request.user.has_perm("campaigns.change_messagetemplate"),
    )
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(request, "campaigns/template_list.html", {"table": table})


@permission_required("campaigns.add_messagetemplate", raise_exception=True)
def template_create(request: HttpRequest) -> HttpResponse:
    return _template_form(request, MessageTemplate(created_by=request.user))


@permission_required("campaigns.change_messagetemplate", raise_exception=True)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _template_form(request, get_object_or_404(MessageTemplate, pk=pk))


def _template_form(request: HttpRequest, template: MessageTemplate) -> HttpResponse:
    if request.method == "POST" and request.POST.get("prefill"):
        # The composer's "Save as a template": the typed text, posted (it may be
        # longer than a URL takes), shown in a new form for a name to be given.
        initial = {"text": request.POST.get("text", "")}
        form = MessageTemplateForm(instance=template, initial=initial)
    else:
        form = MessageTemplateForm(request.POST or None, instance=template)
    if template.pk and reload_asked(request):
        form = form_reloaded(form)
    elif (
        form.is_bound
        and form.is_valid()
        and save_current(form, lambda: save_unique(form)) is not None
    ):
        messages.success(request, _("Template “%(name)s” saved.") % {"name": template})
        if problems := gateway_length_problems(template.text, form.custom_keys):
            messages.warning(
                request,
                _("A campaign cannot send it as it is through every account: %s")
                % " ".join(problems),
            )
        return redirect("campaigns:templates")
    return render(
        request,
        "campaigns/template_form.html",
        {"form": form, "template": template},
    )


def gateway_length_problems(text: str, custom_keys: list[str]) -> list[str]:
    """Why the gateways of the active accounts would refuse `text` as too long, one
    line per gateway. A template serves any account, so it is saved regardless; the
    composer refuses it only for an account whose gateway cannot take it."""
    kinds = ProviderAccount.objects.filter(is_active=True).values_list(
        "kind", flat=True
    )
    problems = (
        text_length_problem(ProviderAccount(kind=kind), text, custom_keys=custom_keys)
        for kind in sorted(set(kinds))
    )
    return [problem for problem in problems if problem]


@require_POST
@permission_required("campaigns.delete_messagetemplate", raise_exception=True)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=pk)
    template.delete()
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": template})
    return redirect("campaigns:templates")
