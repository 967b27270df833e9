"""The dashboard (balances, campaigns in flight, 30 days of traffic, unread replies)
and /healthz."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required, permission_required
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.request import split_domain_port
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.defaults import bad_request as page_bad_request
from django.views.defaults import page_not_found

from accounts.roles import ADMIN, MANAGER, VIEWER, role_label, user_roles
from campaigns.beat import beat_status
from campaigns.report_selectors import (
    campaigns_in_flight,
    daily_traffic,
    dashboard_balances,
    latest_replies,
    unread_replies_count,
)
from campaigns.selectors import in_flight_poll_seconds
from campaigns.workers import worker_status
from providers.selectors import unreadable_active_account_count
from smsportal.lib.hosts import is_loopback_host
from smsportal.middleware import is_callback
from smsportal.outage import broker_problem, cache_answers

logger = logging.getLogger(__name__)


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {"no_role_notice": _no_role_notice(user)}
    if user.has_perm("providers.view_provideraccount"):
        context["balances"] = dashboard_balances()
    if user.has_perm("campaigns.view_campaign"):
        points = daily_traffic()
        context.update(
            **_in_flight_context(),
            unread=unread_replies_count(),
            replies=latest_replies(),
            traffic={
                "labels": [p.day for p in points],
                "sent": [p.sent for p in points],
                "delivered": [p.delivered for p in points],
                "sent_label": _("Sent"),
                "delivered_label": _("Delivered"),
            },
            # The chart's figures as a table and a summary, for who cannot see it.
            traffic_points=points,
            traffic_sent=sum(p.sent for p in points),
            traffic_delivered=sum(p.delivered for p in points),
        )
    return render(request, "dashboard.html", context)


def _no_role_notice(user: object) -> str:
    """For a person without a role (no group), who sees only the dashboard link: why,
    and whom to ask. "" for everyone else."""
    if user_roles(user):
        return ""
    return _(
        "Your account has no role yet: ask an administrator to give you one "
        "(%(admin)s, %(manager)s or %(viewer)s)."
    ) % {
        "admin": role_label(ADMIN),
        "manager": role_label(MANAGER),
        "viewer": role_label(VIEWER),
    }


@permission_required("campaigns.view_campaign", raise_exception=True)
def dashboard_in_flight(request: HttpRequest) -> HttpResponse:
    """The campaigns in flight alone: the dashboard block refreshing itself (htmx)."""
    return render(request, "_partials/in_flight.html", _in_flight_context())


def _in_flight_context() -> dict[str, object]:
    in_flight = campaigns_in_flight()
    return {
        "in_flight": in_flight,
        "in_flight_poll": in_flight_poll_seconds(i.campaign.state for i in in_flight),
        "workers": worker_status(),
        "beat": beat_status(),
    }


@login_not_required
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, for browsers that ask before reading the page's icon link."""
    # A temporary (302) redirect: the static name carries a hash that changes with
    # the icon, so browsers must not remember where it pointed.
    return HttpResponseRedirect(static("img/favicon.svg"))


@login_not_required
@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """A path under /api/ the API does not have: its JSON 404, also with DEBUG on
    (Django's HTML debug page would answer instead of not_found below)."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, but JSON under /api/: an API client that gets a path wrong
    (an id that is not a number) reads the answer as it reads the API's own 404s."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    if is_callback(request):
        # A gateway (or someone guessing tokens) gets two words, not a page that
        # would echo the token it tried.
        return HttpResponseNotFound(b"Not found", content_type="text/plain")
    return page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The refused-form page (templates/403_csrf.html), which also says when no form
    can pass at all: the site opened over plain HTTP while its cookies are set for
    HTTPS only (the default with DEBUG off), so the browser drops them. Production
    started per the README without TLS in front said "the page was open too long"
    and "accept cookies" at every sign-in, and the operator had nothing to go on."""
    host, _port = split_domain_port(request.get_host())
    cookies_need_https = (
        reason == REASON_NO_CSRF_COOKIE
        and settings.CSRF_COOKIE_SECURE
        and not request.is_secure()
        # Browsers keep an HTTPS-only cookie over plain HTTP from this machine alone.
        and not is_loopback_host(host)
    )
    if cookies_need_https:
        logger.warning(
            "Forms refused at %s: it is served over HTTP and CSRF_COOKIE_SECURE is "
            "on, so browsers drop the cookie. Serve it over HTTPS (behind a proxy: "
            "USE_X_FORWARDED_PROTO=true), or set CSRF_COOKIE_SECURE=false and "
            "SESSION_COOKIE_SECURE=false.",
            host,
        )
    context = {"cookies_need_https": cookies_need_https}
    return render(request, "403_csrf.html", context, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page, but JSON under /api/ (as the API's own errors): a request Django
    refuses before any view (a Host header it does not serve, a suspicious one) got
    an HTML page an API client cannot read."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return page_bad_request(request, exception)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker, cache, workers, beat and the accounts' credentials: 200 when
    the three answer, a worker is alive or nothing waits for one, beat is alive (or
    was never seen while nothing waits for it) and the current key reads every active
    account's secrets; 503 otherwise (README, Production)."""
    checks = {
        "database": _check_database(),
        "broker": _check_broker(),
        "cache": "ok" if cache_answers() else "error",
    }
    database_ok = checks["database"] == "ok"
    workers = worker_status() if database_ok else None
    beat = beat_status() if database_ok else None
    # A key changed by mistake at a deploy: the pages keep working and say so, but
    # nothing sends through those accounts.
    unreadable = unreadable_active_account_count() if database_ok else 0
    body: dict[str, object] = {
        **checks,
        **_heartbeat("workers", workers),
        **({"work_waiting": workers.work_waiting} if workers else {}),
        **_heartbeat("beat", beat),
        "credentials": (
            "unknown" if not database_ok else "unreadable" if unreadable else "ok"
        ),
    }
    if beat and beat.duplicates:
        # Which machines and processes to look at (host:pid).
        body["beat_processes"] = [process.label for process in beat.duplicates]
    alarming = [status.alarming for status in (workers, beat) if status]
    if unreadable:
        body["credentials_unreadable"] = unreadable  # how many active accounts
    healthy = (
        all(v == "ok" for v in checks.values()) and not any(alarming) and not unreadable
    )
    return JsonResponse(
        {"status": "ok" if healthy else "error", **body},
        status=200 if healthy else 503,
    )


def _heartbeat(name: str, status) -> dict[str, object]:
    """`name` ("workers", "beat"): ok, stale (seen, not lately) or none/never, with how
    long ago its last heartbeat was; unknown without the database (`status` None)."""
    if status is None:
        return {name: "unknown"}
    ago = status.seen_ago
    return {
        name: status.state,
        f"{name}_seen_seconds_ago": None if ago is None else int(ago.total_seconds()),
    }


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_broker() -> str:
    problem = broker_problem()
    return f"error: {problem}" if problem else "ok"
