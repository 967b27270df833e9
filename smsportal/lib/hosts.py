"""Whether a host name is this machine itself, as every check of it here decides."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """localhost (or a name under it) or a loopback address; an IPv6 one may come in
    brackets, as in a Host header or a URL's netloc ("[::1]")."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
