"""Birthday greetings' pages: the form, the table, list, create, edit and delete. Thin:
making and launching each day's campaign is campaigns.greetings'."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django_tables2 import RequestConfig

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.forms import (
    FollowsAccount,
    MessageTextField,
    cap_text,
    check_placeholders,
    groups_apart_check,
    groups_held,
    offer_accounts_and_groups,
    placeholder_choices,
    saved_account,
    text_length_problem,
)
from campaigns.greetings import LAST_START, greeting_count, greeting_local
from campaigns.message_templates import composer_templates
from campaigns.models import BirthdayGreeting
from campaigns.planning import zone
from campaigns.selectors import (
    custom_field_labels,
    sender_problem,
)
from contacts.models import ContactGroup
from contacts.services import GroupsGone
from contacts.timezones import time_zone_choices, zone_name
from providers.models import ProviderAccount
from smsportal.form_style import style_fields
from smsportal.tables import BaseTable, NameLinksToEdit
from smsportal.textguard import guard_fields
from smsportal.versioning import (
    VersionedForm,
    form_reloaded,
    reload_asked,
    save_current,
)

PAGE_SIZE = 50
RECENT_CAMPAIGNS = 10


class BirthdayGreetingForm(VersionedForm, FollowsAccount, forms.ModelForm):
    class Meta:
        model = BirthdayGreeting
        fields = [
            "name", "is_active", "account", "sender", "text", "to_whole_book",
            "include_groups", "exclude_groups", "send_time", "time_zone",
        ]  # fmt: skip
        field_classes = {"text": MessageTextField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5}),
            "include_groups": forms.SelectMultiple(attrs={"size": 6}),
            "exclude_groups": forms.SelectMultiple(attrs={"size": 6}),
            "send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            # The chosen account's usable names (campaigns.js follows the account).
            "sender": forms.Select(attrs={"data-senders-follow-account": ""}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_accounts_and_groups(self.fields, keep=saved_account(self.instance))
        self.fields["time_zone"].widget = forms.Select()
        self.fields["time_zone"].widget.choices = time_zone_choices(
            keep=self.instance.time_zone
        )
        self.fields["text"].help_text = _(
            "Placeholders such as {first_name} are filled per recipient; "
            "{first_name|Customer} gives “Customer” where the value is empty."
        )
        self.custom_labels = custom_field_labels()
        self.custom_keys = list(self.custom_labels)
        cap_text(self.fields["text"])
        guard_fields(self.fields, ["sender", "text"], multiline=["text"])
        style_fields(self.fields, small=False)
        self.fields["text"].widget.attrs["class"] += " font-monospace"
        self.offer_senders(self.chosen_account)

    @property
    def placeholders(self) -> list[tuple[str, str]]:
        return placeholder_choices(self.custom_labels)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]  # MessageTextField: LF line breaks
        check_placeholders(text, self.custom_keys)
        return text

    def clean_send_time(self) -> Any:
        send_time = self.cleaned_data["send_time"]
        if send_time is not None and send_time.tzinfo is not None:
            # Through the API: the greeting's own zone says which 10:00 it is.
            raise forms.ValidationError(_("Give the time without a time zone offset."))
        if send_time is not None and send_time >= LAST_START:
            raise forms.ValidationError(
                _("Choose a time before %(time)s: later greetings would wait for the "
                  "morning, a day late.") % {"time": time_format(LAST_START, "H:i")}
            )  # fmt: skip
        return send_time

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if zone(name) is None:
            raise forms.ValidationError(
                _("Unknown time zone: %(zone)s") % {"zone": name}
            )
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("to_whole_book"):
            data["include_groups"] = ContactGroup.objects.none()
        elif "include_groups" not in self.errors and not data.get("include_groups"):
            self.add_error(
                "include_groups",
                _("Choose the groups to greet, or the whole contact book."),
            )
        # A group both greeted and left out greets nobody, every day, silently: no
        # campaign is made for a day without anyone due, so no refusal says it.
        groups_apart_check(self, data)
        account = data.get("account")
        if account is not None:
            self._check_sender(account, data.get("sender", ""))
            if data.get("text"):
                problem = text_length_problem(
                    account, data["text"], custom_keys=self.custom_keys
                )
                if problem:
                    self.add_error("text", problem)
        return data

    def save(self, commit: bool = True) -> BirthdayGreeting:
        """Saved with its groups held against a delete to the commit; GroupsGone
        (naming the field) for one deleted since the form was validated: saved, the
        greeting failed on the database's check, or lost the group."""
        if not commit:
            return super().save(commit=False)
        with transaction.atomic():
            groups_held(self)
            return super().save()

    def _check_sender(self, account: ProviderAccount, sender: str) -> None:
        """A name the account may use; none means the account's default sender."""
        if "sender" in self.errors:
            return
        if not sender:
            if not account.default_sender:
                self.add_error(
                    "sender",
                    _("Choose a sender name: the account has no default one."),
                )
            return
        if problem := sender_problem(account, sender):
            self.add_error("sender", problem)


class BirthdayGreetingTable(NameLinksToEdit, BaseTable):
    edit_url = "campaigns:greeting_edit"
    name = tables.Column(verbose_name=gettext_lazy("Name"))
    is_active = tables.BooleanColumn(verbose_name=gettext_lazy("Active"))
    account = tables.Column(verbose_name=gettext_lazy("Provider account"))
    send_time = tables.Column(verbose_name=gettext_lazy("Send at"))
    last_run_on = tables.DateColumn(verbose_name=gettext_lazy("Last run"))
    last_error = tables.Column(
        verbose_name=gettext_lazy("Last error"), orderable=False, default=""
    )

    class Meta(BaseTable.Meta):
        model = BirthdayGreeting
        fields = ("name", "is_active", "account", "send_time", "time_zone",
                  "last_run_on", "last_error")  # fmt: skip
        empty_text = gettext_lazy("No birthday greetings yet.")

    def render_send_time(self, value: Any) -> str:
        return time_format(value, "H:i")

    def render_time_zone(self, value: str) -> str:
        return zone_name(value)  # "Москва", as the form's select names it

    def render_last_error(self, record: BirthdayGreeting) -> str:
        # In the reader's language, not the beat worker's it was met in.
        message = record.last_error_message
        return format_html('<span class="text-danger">{}</span>', message)


@permission_required("campaigns.view_birthdaygreeting", raise_exception=True)
def greeting_list(request: HttpRequest) -> HttpResponse:
    table = BirthdayGreetingTable(
        BirthdayGreeting.objects.select_related("account"),
        can_edit=request.user.has_perm("campaigns.change_birthdaygreeting"),
    )
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    has_inactive = BirthdayGreeting.objects.filter(is_active=False).exists()
    return render(
        request,
        "campaigns/greeting_list.html",
        {"table": table, "has_inactive": has_inactive},
    )


@permission_required("campaigns.add_birthdaygreeting", raise_exception=True)
def greeting_create(request: HttpRequest) -> HttpResponse:
    return _greeting_form(request, BirthdayGreeting(created_by=request.user))


@permission_required("campaigns.change_birthdaygreeting", raise_exception=True)
def greeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _greeting_form(request, get_object_or_404(BirthdayGreeting, pk=pk))


def _greeting_form(request: HttpRequest, greeting: BirthdayGreeting) -> HttpResponse:
    form = BirthdayGreetingForm(request.POST or None, instance=greeting)
    if greeting.pk and reload_asked(request):
        form = form_reloaded(form)
    elif form.is_bound and form.is_valid() and _saved(form) is not None:
        messages.success(request, _("Greeting “%(name)s” saved.") % {"name": greeting})
        return redirect("campaigns:greetings")
    context: dict[str, Any] = {
        "form": form,
        "greeting": greeting,
        **form.account_context(),
    }
    if greeting.pk:
        today = greeting_local(greeting, timezone.now()).date()
        context["today"] = today
        context["today_count"] = greeting_count(greeting, today)
        context["today_birthdays"] = greeting_count(greeting, today, greeted_too=True)
        context["recent_campaigns"] = greeting.campaigns.order_by("-birthday_on")[
            :RECENT_CAMPAIGNS
        ]
    context["message_templates"] = composer_templates(request.user)
    return render(
        request,
        "campaigns/greeting_form.html",
        context,
    )


def _saved(form: BirthdayGreetingForm) -> BirthdayGreeting | None:
    """The greeting saved, or None with why not as the form's error."""
    try:
        return save_current(form)
    except GroupsGone as exc:  # deleted by someone while this was saved
        form.add_error(exc.where, exc.message)
        return None


@require_POST
@permission_required("campaigns.delete_birthdaygreeting", raise_exception=True)
def greeting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    greeting = get_object_or_404(BirthdayGreeting, pk=pk)
    greeting.delete()
    messages.success(request, _("Greeting “%(name)s” deleted.") % {"name": greeting})
    return redirect("campaigns:greetings")
