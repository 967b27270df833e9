"""The dashboard: balances, campaigns in flight, 30 days of traffic, unread replies."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from campaigns.report_selectors import (
    campaigns_in_flight,
    daily_traffic,
    dashboard_balances,
    latest_replies,
    unread_replies_count,
)


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {}
    if user.has_perm("providers.view_provideraccount"):
        context["balances"] = dashboard_balances()
    if user.has_perm("campaigns.view_campaign"):
        points = daily_traffic()
        context.update(
            in_flight=campaigns_in_flight(),
            unread=unread_replies_count(),
            replies=latest_replies(),
            traffic={
                "labels": [p.day for p in points],
                "sent": [p.sent for p in points],
                "delivered": [p.delivered for p in points],
                "sent_label": _("Sent"),
                "delivered_label": _("Delivered"),
            },
        )
    return render(request, "dashboard.html", context)
