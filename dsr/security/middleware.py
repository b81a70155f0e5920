"""Headers and guards every response gets, whoever wrote the view.

- A page reached by a signed link (any URL with a `token` argument: verify, status, respond, authority,
  a download...) is never stored by a browser or a proxy: the link is a bearer secret and the page may
  show personal data, so the back button on a shared computer or a shared cache must not bring it back.
- With DEBUG on (bin/run asks for it), only this machine is answered: Django's debug pages list the
  settings and must never reach anyone else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.cache import add_never_cache_headers

# URL arguments that carry a signed link's token.
TOKEN_ARGUMENTS = frozenset({"token"})


def reached_by_token(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and bool(TOKEN_ARGUMENTS & set(match.kwargs))


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and not is_loopback(str(request.META.get("REMOTE_ADDR", ""))):
            return HttpResponseForbidden("This development server answers this machine only.")
        response = self.get_response(request)
        if reached_by_token(request):
            add_never_cache_headers(response)
        return response
