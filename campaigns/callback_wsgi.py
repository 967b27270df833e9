"""A short way through Django for delivery reports of accounts this process knows.

Gateways push one delivery report per request, thousands a second in a large campaign,
and Django's handling around the view (URL resolving, a dozen middleware most of which
pass callbacks straight on, the handler's response machinery) cost about a fifth of
such a request's CPU. This WSGI wrapper serves a status callback (GET or POST to
/callbacks/<token>/status/) whose account this process remembers from an earlier
callback: it builds Django's own request object, sends Django's request signals, runs
the middleware that act on a callback (Django's own classes, in settings order: HTTPS
redirect and security headers, host validation and Content-Length, the audit context)
around the view's own `answer_cached`, and returns what that answered.

Everything else goes through Django as before: other paths, a token not remembered, an
account that turned out stale, a middleware answering by itself (a redirect), any
error. Applying a report is idempotent, so a request that failed after its report went
in is simply served again by Django, which then answers exactly as it always did (a
500 and its log entry included). A middleware in settings.MIDDLEWARE that this module
does not know turns the short way off.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core import signals
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.http import HttpRequest, HttpResponse
from django.urls import set_script_prefix
from django.utils import translation
from django.utils.module_loading import import_string

from campaigns import webhooks

# Run for callbacks on the short way, as Django runs them.
APPLIED_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "smsportal.security.SecurityHeadersMiddleware",
        "django.middleware.common.CommonMiddleware",
        "accounts.audit.AuditMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)
# Nothing to do for a callback: static files only; smsportal.middleware's pages-only
# subclasses; callback views are CSRF-exempt and under an open prefix; a callback's
# language is the site's, which the short way activates as LocaleMiddleware does.
SKIPPED_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "smsportal.middleware.SessionMiddleware",
        "smsportal.middleware.LocaleMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "smsportal.middleware.AuthenticationMiddleware",
        "smsportal.middleware.LoginRequiredMiddleware",
        "smsportal.middleware.MessageMiddleware",
        "smsportal.middleware.MethodNotAllowedPageMiddleware",  # pages only
        "smsportal.middleware.OutagePageMiddleware",  # pages only
    }
)
logger = logging.getLogger("campaigns.webhooks")
STATUS_PATH = re.compile(r"/callbacks/(?P<token>[^/]+)/status/")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
Handler = Callable[[HttpRequest], HttpResponse]


class StatusCallbackShortcut:
    """WSGI application: status callbacks of remembered accounts, else `django_app`."""

    def __init__(self, django_app: WsgiApp) -> None:
        self.django_app = django_app
        self._view = webhooks.StatusCallbackView()
        self._chain: Handler | None = None
        self._off = False  # an unknown middleware is configured

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = STATUS_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") not in ("GET", "POST"):
            return self.django_app(environ, start_response)
        known = webhooks.cached_account(match["token"])
        chain = self._middleware_chain()
        if known is None or chain is None:
            return self.django_app(environ, start_response)
        response = self._answer(environ, chain, known)
        if response is None:
            return self.django_app(environ, start_response)
        start_response(
            f"{response.status_code} {response.reason_phrase}", list(response.items())
        )
        return [response.content]

    def _answer(self, environ: dict, chain: Handler, known) -> HttpResponse | None:
        """The view's answer through the middleware, or None (the body put back for
        Django to read) when Django must serve the request."""
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        request.callback_account = known  # type: ignore[attr-defined]
        try:
            response = chain(request)
        except webhooks.STALE_ACCOUNT_ERRORS:  # the current account decides: Django
            response = None
        except SuspiciousOperation:  # Django answers it (400) and logs it
            response = None
        except Exception:  # noqa: BLE001 - Django serves it again
            # Said, so that a short way that always fails does not go unnoticed.
            logger.exception("status callback: the short way failed, Django serves it")
            response = None
        finally:
            signals.request_finished.send(sender=self.__class__)
        if response is not None and getattr(response, "from_view", False):
            return response
        if hasattr(request, "_body"):  # read already: Django reads it again
            environ["wsgi.input"] = io.BytesIO(request._body)
        return None

    def _view_answer(self, request: HttpRequest) -> HttpResponse:
        """The end of the chain: the view's answer with the remembered account."""
        translation.activate(settings.LANGUAGE_CODE)  # as LocaleMiddleware does
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        inbound = webhooks.inbound_request(request)
        known = request.callback_account  # type: ignore[attr-defined]
        response = self._view.answer_cached(known, inbound)
        response.from_view = True  # type: ignore[attr-defined]
        return response

    def _middleware_chain(self) -> Handler | None:
        """The middleware that act on callbacks around the view, or None when
        settings.MIDDLEWARE holds one this module does not know."""
        if self._chain is None and not self._off:
            names = list(settings.MIDDLEWARE)
            if not set(names) <= APPLIED_MIDDLEWARE | SKIPPED_MIDDLEWARE:
                self._off = True
                return None
            handler: Handler = self._view_answer
            for name in reversed(names):
                if name in APPLIED_MIDDLEWARE:
                    handler = import_string(name)(handler)
            self._chain = handler
        return self._chain
