from django_tables2 import SingleTableView

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView

from accounts.permissions import PermissionRequired
from providers.base import Capability
from providers.exceptions import (
    UNREADABLE_CREDENTIALS_FIX,
    GatewayConfigurationError,
    GatewayError,
)
from providers.forms import (
    ProviderAccountForm,
    SenderNameRecordForm,
    SenderNameRequestForm,
    credentials_note,
)
from providers.logins import retired_logins_in_use
from providers.models import ProviderAccount, SenderName
from providers.registry import GATEWAYS, gateway_class
from providers.selectors import (
    account_capabilities,
    callback_base_unreachable_host,
    capability_labels,
    gateway_info,
    provider_account_list,
    sender_name_list,
    sender_name_removal_warnings,
    sender_names_awaiting_listing,
    sender_names_removable,
    test_mode_problem,
)
from providers.sender_states import sender_state_label
from providers.services import (
    CheckResult,
    provider_account_callback_urls_renew,
    provider_account_check,
    provider_account_save,
    sender_name_record,
    sender_name_request,
)
from providers.services import sender_name_remove as sender_name_remove_service
from providers.services import sender_names_sync as sender_names_sync_service
from providers.tables import ProviderAccountTable
from smsportal.exceptions import ApplicationError

# Where each gateway takes our callback URLs (REFERENCE.md 1.7, 2.6, 3.4).
CALLBACK_HELP = {
    "webcom": gettext_lazy(
        "Webcom has no setting for it in the cabinet: send the status URL to your "
        "Webcom manager and ask them to deliver status reports (XML or JSON, matching "
        "the account's dialect) to it. Webcom does not push incoming messages: the "
        "dashboard fetches them every minute."
    ),
    "smsc": gettext_lazy(
        "In the SMSC cabinet open “User settings” and enter the status URL as the "
        "handler for delivery statuses and the incoming URL for incoming messages. "
        "If the cabinet takes only one handler, the status URL serves both."
    ),
    "websms": gettext_lazy(
        "In the WEBSMS cabinet open “Personal settings – Notifications” "
        "(CallBack.asp), tick “Receive SMS delivery statuses over HTTP” and enter the "
        "status URL. Only messages sent over HTTP get status reports."
    ),
}
CHANGE_PERM = "providers.change_provideraccount"


class ProviderAccountListView(PermissionRequired, SingleTableView):
    permission_required = "providers.view_provideraccount"
    table_class = ProviderAccountTable
    template_name = "providers/provideraccount_list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return provider_account_list()


class ProviderAccountDetailView(PermissionRequired, DetailView):
    permission_required = "providers.view_provideraccount"
    model = ProviderAccount
    template_name = "providers/provideraccount_detail.html"
    context_object_name = "account"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | account_page_context(
            self.request, self.object, check_result_take(self.request, self.object)
        )


# A check made by a POST is shown on the account page it redirects to (so reloading
# that page does not post again), once: the result waits in the session meanwhile.
CHECK_SESSION_KEY = "providers_check_results"


def check_result_keep(
    request: HttpRequest, account: ProviderAccount, check: CheckResult
) -> None:
    kept = request.session.get(CHECK_SESSION_KEY, {})
    kept[str(account.pk)] = check.as_dict()
    request.session[CHECK_SESSION_KEY] = kept


def check_result_take(
    request: HttpRequest, account: ProviderAccount
) -> CheckResult | None:
    kept = request.session.get(CHECK_SESSION_KEY)
    if not kept or str(account.pk) not in kept:
        return None
    data = kept.pop(str(account.pk))
    request.session[CHECK_SESSION_KEY] = kept
    return CheckResult.from_dict(data)


def account_page_context(
    request: HttpRequest, account: ProviderAccount, check: CheckResult | None = None
) -> dict[str, object]:
    """What the account page shows; buttons only where gateway and role allow."""
    capabilities = account_capabilities(account)
    can_change = request.user.has_perm(CHANGE_PERM)
    return {
        "account": account,
        "gateway": gateway_info(account.kind),
        "capability_labels": capability_labels(capabilities),
        "sender_names": _with_removal_warnings(account, can_change),
        "awaiting_listing": set(
            sender_names_awaiting_listing(account=account).values_list("pk", flat=True)
        ),
        # Names a person may take back: all where the gateway deletes them, else
        # those kept on a person's word.
        "removable": set(
            sender_names_removable(account=account).values_list("pk", flat=True)
        )
        if can_change
        else set(),
        "can_change": can_change,
        "deletes_at_gateway": Capability.SENDER_NAME_DELETE in capabilities,
        "can_sync": can_change and Capability.SENDER_NAMES in capabilities,
        "can_request": can_change and Capability.SENDER_NAME_ADD in capabilities,
        # A gateway that lists no names: the ones approved in its cabinet are
        # recorded by hand, or campaigns could only use the default sender.
        "can_record": can_change and Capability.SENDER_NAMES not in capabilities,
        "callback_help": CALLBACK_HELP.get(account.kind, ""),
        "callback_unreachable_host": callback_base_unreachable_host(),
        # Only a gateway that pushes replies has a use for the incoming URL: for
        # the others it answers 404, and replies come by the minutely fetch.
        "shows_incoming_url": Capability.INCOMING_CALLBACK in capabilities,
        "fetches_incoming": Capability.INCOMING in capabilities
        and Capability.INCOMING_CALLBACK not in capabilities,
        "check": check,
        # Replaced logins the gateway still holds messages under, or whose cabinets
        # may still get replies: what they are still used for (providers.logins).
        "retired_logins": retired_logins_in_use(account),
        "polls_statuses": Capability.STATUS_POLL in capabilities,
        "fetches_replies": Capability.INCOMING in capabilities,
        "credentials_fix": UNREADABLE_CREDENTIALS_FIX,
        "test_mode_problem": test_mode_problem(account),
        # Whether the gateway signs its callbacks with a secret set in its cabinet.
        "signs_callbacks": bool(
            gateway_info(account.kind).available
            and gateway_class(account.kind).callback_secret_rule
        ),
    }


def _with_removal_warnings(account: ProviderAccount, can_change: bool) -> list:
    """The account's sender names, each with what its removal's confirmation adds:
    the campaigns it leaves without their name, the default sender it clears."""
    rows = list(sender_name_list(account=account))
    warnings = sender_name_removal_warnings(account=account) if can_change else {}
    for row in rows:
        row.removal_warning = warnings.get(row.name, "")
    return rows


class ProviderAccountFormMixin(PermissionRequired):
    form_class = ProviderAccountForm
    template_name = "providers/provideraccount_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Said without JavaScript too; providers.js says it again for another kind.
        kind = context["form"]["kind"].value()
        context["credentials_note"] = credentials_note(kind) if kind in GATEWAYS else ""
        return context

    def form_valid(self, form: ProviderAccountForm) -> HttpResponse:
        try:
            account = provider_account_save(
                account=form.save(commit=False), **form.secrets()
            )
        except ApplicationError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Account “%(name)s” saved.") % {"name": account}
        )
        if "save_and_check" in self.request.POST:
            check_result_keep(
                self.request, account, provider_account_check(account=account)
            )
        return redirect("providers:detail", pk=account.pk)


class ProviderAccountCreateView(ProviderAccountFormMixin, FormView):
    permission_required = "providers.add_provideraccount"

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"instance": ProviderAccount()}


class ProviderAccountUpdateView(ProviderAccountFormMixin, FormView):
    permission_required = CHANGE_PERM

    def get_form_kwargs(self):
        self.account = get_object_or_404(ProviderAccount, pk=self.kwargs["pk"])
        return super().get_form_kwargs() | {"instance": self.account}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"account": self.account}


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def account_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the connection now; htmx gets the result panel, others the account page
    (through a redirect, so a reload does not post again)."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    check = provider_account_check(account=account)
    if not request.headers.get("HX-Request"):
        check_result_keep(request, account, check)
        return redirect("providers:detail", pk=account.pk)
    context = account_page_context(request, account, check)
    context["balance_too"] = True  # the balance it read replaces the page's
    return render(request, "providers/_check_result.html", context)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def callback_urls_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """New callback URLs for the account; the old ones stop working at once."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    provider_account_callback_urls_renew(account=account)
    messages.success(
        request,
        _(
            "New callback URLs issued; the old ones no longer work. Paste the new "
            "ones into the gateway's cabinet now: until then its reports and "
            "replies are refused."
        ),
    )
    return redirect("providers:detail", pk=account.pk)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def sender_names_sync(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(ProviderAccount, pk=pk)
    try:
        rows = sender_names_sync_service(account=account)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except (GatewayError, GatewayConfigurationError):
        # The service recorded a readable description on the account.
        account.refresh_from_db(fields=["last_error", "last_error_record"])
        messages.error(
            request, account.last_error_message or _("Sender name sync failed.")
        )
    else:
        messages.success(
            request,
            _("Sender names synced: %(count)d at the gateway.") % {"count": len(rows)},
        )
    return redirect("providers:detail", pk=account.pk)


@require_POST
@permission_required(CHANGE_PERM, raise_exception=True)
def sender_name_remove(request: HttpRequest, pk: int, sender_pk: int) -> HttpResponse:
    """Remove a recorded name, or a request the gateway does not list (the page asks
    for a confirmation first)."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    default_before = account.default_sender
    try:
        row = sender_name_remove_service(account=account, sender_name_id=sender_pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Sender name “%(name)s” removed: campaigns no longer offer it.")
            % {"name": row.name},
        )
        if default_before and default_before == row.name:
            messages.warning(
                request,
                _(
                    "It was the account's default sender: the account has none now. "
                    "Choose another in its settings."
                ),
            )
    return redirect("providers:detail", pk=account.pk)


class _AccountSenderNameView(PermissionRequired, FormView):
    """A form about one account's sender names: `act` does it (ApplicationError names
    the field), `done` says what became of the name; back to the account page."""

    permission_required = CHANGE_PERM

    @cached_property
    def account(self) -> ProviderAccount:
        return get_object_or_404(ProviderAccount, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"account": self.account}

    def act(self, data: dict) -> SenderName:
        raise NotImplementedError

    def done(self, row: SenderName) -> str:
        raise NotImplementedError

    def form_valid(self, form) -> HttpResponse:
        try:
            row = self.act(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error("name" if exc.where == "name" else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, self.done(row))
        return redirect(reverse("providers:detail", args=[self.account.pk]))


class SenderNameRecordView(_AccountSenderNameView):
    form_class = SenderNameRecordForm
    template_name = "providers/sendername_record.html"

    def act(self, data: dict) -> SenderName:
        return sender_name_record(account=self.account, **data)

    def done(self, row: SenderName) -> str:
        return _(
            "Sender name “%(name)s” recorded: campaigns of this account offer it."
        ) % {"name": row.name}


class SenderNameRequestView(_AccountSenderNameView):
    form_class = SenderNameRequestForm
    template_name = "providers/sendername_request.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "supported": Capability.SENDER_NAME_ADD
            in account_capabilities(self.account),
        }

    def act(self, data: dict) -> SenderName:
        return sender_name_request(account=self.account, **data)

    def done(self, row: SenderName) -> str:
        return _("Sender name “%(name)s” requested; the gateway says: %(state)s.") % {
            "name": row.name,
            "state": sender_state_label(row.state) or "—",
        }
