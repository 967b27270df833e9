"""The address a request came from, as far as this deployment can tell."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with SMSPORTAL_TRUSTED_PROXIES = N the
    address the Nth proxy from us saw in X-Forwarded-For (the one it appended)."""
    proxies = getattr(settings, "SMSPORTAL_TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        try:  # a header the proxy passed on unchecked may hold anything
            return str(ipaddress.ip_address(hops[-proxies]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")
