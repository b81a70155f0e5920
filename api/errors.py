"""Errors answered to the REST API's and the protocol's clients in JSON, each in its error shape: the API's
`{"detail"}`, the protocol's error object (DRP 3.06). A body refused for its size (api.limits), a path that is
not there and a server error included (config/urls.py names these as its handlers); every other page keeps
Django's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from .drp import directory
from .drp.protocol import ProtocolError

API_PATH = "/api/"
DRP_PATH = directory.API_PATH + "/"


def json_error(request: HttpRequest, status: int, message: str) -> HttpResponse | None:
    """The error in the JSON shape of the path's clients, or None for a path of neither."""
    if request.path_info.startswith(DRP_PATH):
        return JsonResponse(ProtocolError(status, message).body(), status=status)
    if request.path_info.startswith(API_PATH):
        return JsonResponse({"detail": message}, status=status)
    return None


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return json_error(request, 404, "Not found.") or defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    message = "A server error occurred. It is logged; please try again later."
    return json_error(request, 500, message) or defaults.server_error(request)
