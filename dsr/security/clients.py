"""Who is asking: the client address as the trusted proxies in front of us saw it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .identities import network


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind N trusted proxies (DSR_TRUSTED_PROXY_HOPS), the one they saw."""
    hops = int(getattr(settings, "DSR_TRUSTED_PROXY_HOPS", 0))
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return str(forwarded[-hops])
    return str(request.META.get("REMOTE_ADDR", ""))


def client_network(request: HttpRequest) -> str:
    """The client's network (an IPv6 /64, IPv4 as is): what staff-login lockouts count (AXES_CLIENT_IP_CALLABLE)."""
    return network(client_ip(request))
