"""The body-size refusals of dsr.public.limits (a declared length over the path's limit, or none that reads as
a number, refused before anything reads the body), answered to the clients of the REST API and of the Data
Rights Protocol in JSON, each in its error shape: the API's `{"detail"}`, the protocol's error object (3.06).
Every other page's refusals stay plain text."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from dsr.public import limits

from .drp import directory
from .drp.protocol import ProtocolError

API_PATH = "/api/"
DRP_PATH = directory.API_PATH + "/"


class BodySizeLimitMiddleware(limits.BodySizeLimitMiddleware):
    def refuse(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path_info.startswith(DRP_PATH):
            return JsonResponse(ProtocolError(status, message).body(), status=status)
        if request.path_info.startswith(API_PATH):
            return JsonResponse({"detail": message}, status=status)
        return super().refuse(request, status, message)
