"""The body-size refusals of dsr.public.limits (a declared length over the path's limit, or none that reads as
a number, refused before anything reads the body), answered to the clients of the REST API and of the Data
Rights Protocol in JSON, each in its error shape (api.errors). Every other page's refusals stay plain text."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dsr.public import limits

from .errors import json_error


class BodySizeLimitMiddleware(limits.BodySizeLimitMiddleware):
    def refuse(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        return json_error(request, status, message) or super().refuse(request, status, message)
