"""Writing to one contact from its page: the form and the view. Thin: the sending is
campaigns.one_off's."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.forms import FollowsAccount, MessageTextField, offer_accounts
from campaigns.message_templates import composer_templates
from campaigns.one_off import MAX_LENGTH, one_off_send
from campaigns.one_off_notice import one_off_noticed
from contacts.models import Contact
from contacts.selectors import is_stop_listed
from providers.models import ProviderAccount
from smsportal import once
from smsportal.exceptions import ApplicationError
from smsportal.form_style import style_fields
from smsportal.lengths import formatted_max_length


class ContactMessageForm(FollowsAccount, forms.Form):
    submission = once.submission_field()
    account = forms.ModelChoiceField(
        label=gettext_lazy("Provider account"),
        queryset=ProviderAccount.objects.none(),
        empty_label=None,
    )
    # The chosen account's usable names (campaigns.js follows the account); the
    # sending checks the name against the account it goes through.
    sender = forms.CharField(
        label=gettext_lazy("Sender name"),
        max_length=20,
        required=False,
        widget=forms.Select(attrs={"data-senders-follow-account": ""}),
    )
    # Its figures as the counter writes them («5 000», not «5000»).
    text = formatted_max_length(
        MessageTextField(
            label=gettext_lazy("Text"),
            max_length=MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=gettext_lazy(
                "Placeholders such as {first_name} are filled from the contact."
            ),
            error_messages={
                "max_length": gettext_lazy(
                    "Too long: the text has %(show_value)s characters, at most "
                    "%(limit_value)s can be sent. Shorten it."
                )
            },
        )
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer_accounts(self.fields["account"])
        style_fields(self.fields, small=False)
        # As on the reply page: the browser cut a pasted longer text without a word;
        # the counter warns instead, and the form refuses it saying why.
        self.fields["text"].widget.attrs.pop("maxlength", None)


@permission_required("campaigns.change_campaign", raise_exception=True)
def contact_message(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """A one-off message to the contact, sent now; its outcome joins the history."""
    contact = get_object_or_404(Contact, pk=contact_pk)
    form = ContactMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The form's one-time token is the message's idempotency key, as an API
            # client's is: sent twice (a double click), the second finds the first.
            message, made = one_off_send(
                account=form.cleaned_data["account"],
                phone=contact.phone,
                text=form.cleaned_data["text"],
                sender=form.cleaned_data["sender"],
                contact_id=contact.pk,
                client_key=once.key(form.cleaned_data["submission"]),
                source="contact",
            )
        except ApplicationError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
        else:
            text = (
                _("Message sent to %(phone)s (%(status)s).")
                if made
                else _("This form was sent already: message to %(phone)s (%(status)s).")
            )
            one_off_noticed(request, message, text)
            return redirect("contacts:detail", pk=contact.pk)
    form.offer_senders(form.chosen_account)
    context = {
        "contact": contact,
        "form": form,
        "stopped": is_stop_listed(phone=contact.phone),
        **form.account_context(),
        "max_length": MAX_LENGTH,
        "message_templates": composer_templates(request.user),
    }
    # 200 with the errors shown, as every page form answers (a plain post: the
    # browser shows the page whatever the status).
    return render(request, "campaigns/contact_message.html", context)
