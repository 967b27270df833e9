from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.filters import AuditEventFilterSet
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken, AuditEvent
from accounts.permissions import PermissionRequired
from accounts.roles import role_label, user_roles
from accounts.services import api_token_create, api_token_revoke
from accounts.tables import AuditEventTable
from accounts.throttle import (
    WINDOW_SECONDS,
    device_cookie_set,
    login_blocked,
    login_device,
    login_failed,
    login_succeeded,
)
from smsportal.client_address import client_address
from smsportal.signed_out import SESSION_ENDED_PARAM, SESSION_ENDED_VALUE

# The raw value of a token just made, kept in the session (stored on the server,
# not in a cookie) from the POST to the page it redirects to, which shows it once.
NEW_TOKEN_SESSION_KEY = "accounts_new_api_token"


def profile(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, raw = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            lifetime_days=form.cleaned_data["lifetime"],
        )
        # Redirected: answered with the page itself, F5 posted the form again and
        # made a second token.
        request.session[NEW_TOKEN_SESSION_KEY] = raw
        return redirect("accounts:profile")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": request.user.api_tokens.all(),
        "roles": [role_label(role) for role in user_roles(request.user)],
    }
    response = render(request, "accounts/profile.html", context)
    if new_token:
        add_never_cache_headers(response)  # no copy of it in a cache or history
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:profile")


class ThrottledLoginView(auth_views.LoginView):
    """The login page, locking a user name or address after repeated failures."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        ip = client_address(request)
        device = login_device(request, username)
        if login_blocked(username=username, ip=ip, device=device):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": WINDOW_SECONDS // 60},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Sent here by smsportal.signed_out: the page says why.
        context["session_ended"] = (
            self.request.GET.get(SESSION_ENDED_PARAM) == SESSION_ENDED_VALUE
        )
        return context

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        login_failed(
            username=username,
            ip=client_address(self.request),
            device=login_device(self.request, username),
        )
        return super().form_invalid(form)

    def form_valid(self, form):
        username = form.get_user().get_username()
        device = login_device(self.request, username)
        login_succeeded(
            username=username, ip=client_address(self.request), device=device
        )
        response = super().form_valid(form)
        # This browser may sign in as this name while a burst from elsewhere has
        # locked the name (accounts.throttle).
        device_cookie_set(response, username=username, device=device)
        return response


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login page, replaced by the throttled one: it let anyone try
    passwords past the throttle. A signed-in user the admin still sends here may not
    use the admin (no staff flag): told so, not sent round in a loop."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(
        request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"),
        login_url=reverse("login"),
    )


class AuditLogView(PermissionRequired, SingleTableMixin, FilterView):
    """The audit log for Admins: filterable, read only."""

    permission_required = "accounts.view_auditevent"
    template_name = "accounts/audit_log.html"
    table_class = AuditEventTable
    filterset_class = AuditEventFilterSet
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return AuditEvent.objects.select_related("actor")


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, recorded in the audit log (never the password)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(AuditEvent.Action.PASSWORD_CHANGED, self.request.user)
        return response
