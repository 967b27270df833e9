"""Inbox pages: replies, marking them read, fetching now, answering. Thin."""

from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_POST

from accounts.permissions import PermissionRequired
from campaigns.forms import MessageTextField
from campaigns.inbox import incoming_fetch_accounts
from campaigns.inbox_export import stream_inbox_export
from campaigns.inbox_reply import replies_mark, reply_opt_out, reply_send
from campaigns.message_templates import composer_templates
from campaigns.models import Reply
from campaigns.one_off import MAX_LENGTH
from campaigns.one_off_notice import one_off_noticed
from campaigns.report_filters import ReplyFilterSet
from campaigns.report_selectors import (
    conversation,
    replies_name_contacts,
    reply_list,
    unread_replies_count,
)
from campaigns.report_tables import ReplyTable
from campaigns.selectors import counter_settings
from contacts import exporting
from contacts.models import StopListEntry
from smsportal import once
from smsportal.exceptions import ApplicationError
from smsportal.filtering import filtered
from smsportal.lengths import formatted_max_length
from smsportal.tables import NothingMatchesMixin
from smsportal.textguard import guard_fields

PAGE_SIZE = 50


class ReplyForm(forms.Form):
    # Its figures as the counter writes them («5 000», not «5000»).
    text = formatted_max_length(
        MessageTextField(
            label=gettext_lazy("Answer"),
            max_length=MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            error_messages={
                "max_length": gettext_lazy(
                    "Too long: the answer has %(show_value)s characters, at most "
                    "%(limit_value)s can be sent. Shorten it."
                )
            },
        )
    )

    # The answer's idempotency key: sent twice (a double click, a second tab), the
    # second finds the first and sends nothing.
    submission = once.submission_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["text"], multiline=["text"])
        # The browser cut a pasted longer text without a word; the counter warns
        # instead, and the form refuses it saying why.
        self.fields["text"].widget.attrs.pop("maxlength", None)


class InboxView(PermissionRequired, NothingMatchesMixin, SingleTableMixin, FilterView):
    permission_required = "campaigns.view_campaign"
    table_class = ReplyTable
    filterset_class = ReplyFilterSet
    template_name = "campaigns/inbox.html"
    table_pagination = {"paginator_class": LazyPaginator, "per_page": PAGE_SIZE}

    def get_queryset(self):
        return reply_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread"] = unread_replies_count()
        context["query"] = self.request.GET.urlencode()
        return context


@permission_required("campaigns.view_campaign", raise_exception=True)
def inbox_export(request: HttpRequest) -> HttpResponse:
    """The replies under the inbox's filters as CSV or XLSX, streamed; audited."""
    fmt = exporting.format_from(request.GET)
    try:
        replies = filtered(ReplyFilterSet(request.GET, queryset=reply_list()))
    except ApplicationError as exc:  # never every reply for a filter it cannot read
        messages.error(request, exc.message)
        return redirect(f"{reverse('reports:inbox')}?{request.GET.urlencode()}")
    return exporting.audited_download(
        stream_inbox_export(replies, fmt=fmt),
        # Not in an f-string: makemessages does not look inside one.
        name=pgettext("file name", "replies-%(date)s")
        % {"date": timezone.localdate().isoformat()},
        fmt=fmt,
        filters=request.GET,
    )


@permission_required("campaigns.view_campaign", raise_exception=True)
def reply_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One reply in its conversation, with the answer form."""
    reply = get_object_or_404(
        Reply.objects.select_related("account", "contact", "campaign"), pk=pk
    )
    # Nothing changes on a GET: a link prefetcher, a chat's link preview or a
    # crawler with the session read replies nobody had seen. The page reads it by
    # a POST (reply_read) once it is shown.
    return _detail(request, reply, ReplyForm())


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def reply_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one reply read (the reply page asks once it is shown) or unread (its
    button); asked again, it changes nothing."""
    reply = get_object_or_404(Reply, pk=pk)
    read = request.POST.get("action") != "unread"
    replies_mark(replies=Reply.objects.filter(pk=reply.pk), read=read)
    reply.is_read = read
    if request.headers.get("HX-Request"):
        return render(request, "campaigns/_reply_read_state.html", {"reply": reply})
    if read:
        return redirect("reports:reply", pk=reply.pk)
    # Back to the list: on the reply's page it would be read again at once.
    messages.success(
        request,
        ngettext("%(n)d reply marked unread.", "%(n)d replies marked unread.", 1)
        % {"n": 1},
    )
    return redirect("reports:inbox")


def _detail(request: HttpRequest, reply: Reply, form: ReplyForm) -> HttpResponse:
    replies_name_contacts([reply])
    context = {
        "reply": reply,
        "form": form,
        # Nothing can be sent to it: the page says so instead of a form that fails.
        "stop_listed": StopListEntry.objects.filter(phone=reply.phone).exists(),
        "conversation": conversation(reply=reply),
        "message_templates": composer_templates(request.user),
        "max_length": MAX_LENGTH,
        **counter_settings(reply.account),
    }
    return render(request, "campaigns/inbox_detail.html", context)


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def reply_answer(request: HttpRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(
        Reply.objects.select_related("account", "contact", "campaign"), pk=pk
    )
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message, made = reply_send(
                reply=reply,
                text=form.cleaned_data["text"],
                user=request.user,
                client_key=once.key(form.cleaned_data["submission"]),
            )
        except ApplicationError as exc:
            form.add_error("text" if exc.where == "text" else None, exc.message)
        else:
            text = (
                _("Answer sent to %(phone)s (%(status)s).")
                if made
                else _("This form was sent already: answer to %(phone)s (%(status)s).")
            )
            one_off_noticed(request, message, text)
            return redirect("reports:reply", pk=reply.pk)
    # 200 with the errors shown, as every page form answers.
    return _detail(request, reply, form)


@require_POST
@permission_required("contacts.add_stoplistentry", raise_exception=True)
def reply_stop_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the reply's number on the stop list, then show the reply again."""
    reply = get_object_or_404(Reply, pk=pk)
    try:
        entry, added = reply_opt_out(reply=reply, user=request.user)
    except ApplicationError as exc:  # a sender name, not a number
        messages.error(request, exc.message)
    else:
        if added:
            messages.success(
                request, _("%(phone)s is on the stop list.") % {"phone": entry.phone}
            )
        else:
            since = date_format(
                timezone.localtime(entry.created_at), "SHORT_DATETIME_FORMAT"
            )
            messages.info(
                request,
                _("%(phone)s has been on the stop list since %(date)s.")
                % {"phone": entry.phone, "date": since},
            )
    return redirect("reports:reply", pk=reply.pk)


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def inbox_mark(request: HttpRequest) -> HttpResponse:
    """Mark the selected replies read or unread."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    read = request.POST.get("action") != "unread"
    if ids:
        changed = replies_mark(replies=Reply.objects.filter(pk__in=ids), read=read)
        text = (
            ngettext("%(n)d reply marked read.", "%(n)d replies marked read.", changed)
            if read
            else ngettext(
                "%(n)d reply marked unread.", "%(n)d replies marked unread.", changed
            )
        )
        messages.success(request, text % {"n": changed})
    else:
        messages.error(request, _("Select replies first."))
    return _back_to_inbox(request)


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    url = reverse("reports:inbox")
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def inbox_fetch(request: HttpRequest) -> HttpResponse:
    """Ask every active account that keeps incoming messages for new ones, now."""
    outcomes = incoming_fetch_accounts()
    answered = [outcome for outcome in outcomes if not outcome.error]
    for outcome in outcomes:
        if outcome.error:
            messages.warning(
                request,
                _("%(account)s: replies were not fetched. %(error)s")
                % {"account": outcome.account.name, "error": outcome.error},
            )
    if not outcomes:
        messages.info(request, _("No active account can fetch replies."))
    elif answered:
        fetched = sum(outcome.new for outcome in answered)
        messages.success(
            request,
            ngettext(
                "%(n)d new reply (accounts that answered: %(accounts)d).",
                "%(n)d new replies (accounts that answered: %(accounts)d).",
                fetched,
            )
            % {"n": fetched, "accounts": len(answered)},
        )
    return _back_to_inbox(request)
