"""What a browser whose session has ended gets instead of the page it asked for.

A page of the dashboard outlives its session: the session expires, or the user logs
out in another tab, while a form is half filled in or a region keeps polling. Then:

- an htmx request (a preview, a polled region) gets a bare 401. Following the login
  redirect drew the whole login page, navigation and all, inside the fragment's box;
  static/js/app.js answers a 401 with one banner and stops polling.
- a page or a form sent goes to the login page, which says the session has ended
  (``?session=ended``) and sends the user back to the page they were on.

What was typed into a form is not stashed here: a signed-out POST has no session to
tie it to, and keeping contact data server-side for whoever holds a cookie, for every
view to pick up again, would be worse than the loss. The browser that holds the form
keeps it instead: forms marked ``data-keep-draft`` save a draft as the user types and
offer it back after sign-in (static/js/app.js, "Drafts").
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

SESSION_ENDED_PARAM = "session"
SESSION_ENDED_VALUE = "ended"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def is_htmx_fragment(request: HttpRequest) -> bool:
    """An htmx request for a part of a page (a history restore wants a whole one)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def session_ended(request: HttpRequest) -> bool:
    """The browser was signed in until lately, as far as a request can tell: it sends
    a form (only a signed-in page offers one), still carries a session cookie the
    server no longer honours, or comes from one of the dashboard's pages."""
    if request.method not in SAFE_METHODS:
        return True
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    referer = _referring_page(request)
    return bool(referer) and not referer.startswith(resolve_url(settings.LOGIN_URL))


def page_to_return_to(request: HttpRequest) -> str:
    """After sign-in: the page asked for, or for a form sent, the page it was sent
    from. The address a form posts to may answer nothing but POST (a reply, a test
    send), and the form's page is where its draft comes back."""
    if request.method not in SAFE_METHODS:
        return _referring_page(request) or request.get_full_path()
    return request.get_full_path()


def signed_out_fragment() -> HttpResponse:
    """The answer to an htmx request without a session: no page to swap in."""
    response = HttpResponse(
        _("Your session has ended. Sign in again to continue."),
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response


def signed_out_redirect(request: HttpRequest, login_url: str) -> HttpResponse:
    """To the login page, saying why when the session has ended."""
    if session_ended(request):
        separator = "&" if "?" in login_url else "?"
        login_url = f"{login_url}{separator}{SESSION_ENDED_PARAM}={SESSION_ENDED_VALUE}"
    return redirect_to_login(page_to_return_to(request), login_url)


def _referring_page(request: HttpRequest) -> str:
    """The path and query of the Referer when it is a page of this site, else ""."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")
