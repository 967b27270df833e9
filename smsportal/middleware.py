from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as _DjangoAuthentication,
)
from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as _DjangoLoginRequired,
)
from django.contrib.messages.middleware import MessageMiddleware as _DjangoMessages
from django.contrib.sessions.middleware import SessionMiddleware as _DjangoSessions
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as _DjangoLocale
from django.shortcuts import render, resolve_url
from django.utils import translation
from django.utils.translation import gettext as _

from smsportal.outage import outage_message, outage_noted
from smsportal.signed_out import (
    is_htmx_fragment,
    signed_out_fragment,
    signed_out_redirect,
)

API_PREFIX = "/api/"
# Paths that authenticate on their own (API tokens, callback tokens) or must stay open.
OPEN_PREFIXES = ("/api/", "/callbacks/", "/healthz", "/static/", "/i18n/")
# Gateway callbacks: machine to machine, authenticated by the token in the URL.
CALLBACK_PREFIX = "/callbacks/"


def is_callback(request: HttpRequest) -> bool:
    """A gateway callback (delivery report, incoming message), not a page."""
    return request.path_info.startswith(CALLBACK_PREFIX)


class LoginRequiredMiddleware(_DjangoLoginRequired):
    """Every page needs a login unless it opts out or lives under an open prefix."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        # A fragment must never get the login page to draw inside its box
        # (smsportal/signed_out.py).
        if is_htmx_fragment(request):
            return signed_out_fragment()
        return signed_out_redirect(request, resolve_url(self.get_login_url(view_func)))


# Callbacks have no session, user or flash messages, and a gateway negotiates no
# language, yet these middleware took about a seventh of a callback's CPU. The
# subclasses below run Django's own for everything else and still satisfy the admin's
# checks. Security, host validation (CommonMiddleware), CSRF (callback views are
# exempt), the security headers and the audit context run for callbacks too.


class _PagesOnly:
    get_response: Callable[[HttpRequest], HttpResponse]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_callback(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_PagesOnly, _DjangoSessions):
    pass


class AuthenticationMiddleware(_PagesOnly, _DjangoAuthentication):
    pass


class MessageMiddleware(_PagesOnly, _DjangoMessages):
    pass


class LocaleMiddleware(_DjangoLocale):
    """Pages follow the browser; callbacks always get the site's language."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_callback(request):
            # Not the language a page request left behind in this thread.
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
            return self.get_response(request)
        return super().__call__(request)


class MethodNotAllowedPageMiddleware:
    """Django answers a GET on a POST-only view (require_POST) with an empty 405:
    a blank page for a user who opened the address. Pages get one that says why.
    The API's (django-ninja's "Method not allowed", text/html and English) is its
    JSON `detail` in the request's language, as its other errors are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _api_method_not_allowed(request, response)
        if (
            response.status_code == 405
            and not response.content
            and request.method == "GET"
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response


def _api_method_not_allowed(
    request: HttpRequest, refused: HttpResponse
) -> HttpResponse:
    allowed = refused.get("Allow", "")
    detail = _("The method %(method)s is not allowed here.") % {
        "method": request.method
    }
    if allowed:
        detail += " " + _("Allowed: %(methods)s.") % {"methods": allowed}
    response = JsonResponse({"detail": detail}, status=405)
    if allowed:
        response["Allow"] = allowed
    return response


class OutagePageMiddleware:
    """A page whose work needed the task queue or the shared cache while it was down
    says so (503) instead of "something went wrong"; the API answers for itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if request.path.startswith(OPEN_PREFIXES) or not outage_noted(exception):
            return None
        return render(request, "503.html", {"reason": outage_message()}, status=503)
