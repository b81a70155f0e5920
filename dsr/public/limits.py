"""Oversized bodies are refused before they are read (issue #12: hardening).

Django parses a POST as soon as anything asks for it (the CSRF check does, before any view), and
streams a multipart body's files to disk whatever their size. This middleware runs first and refuses a
body whose declared length exceeds what the page can take, with 413 and without reading a byte of it:
a form is a few kilobytes; only the pages that take files (the agent's permission, staff recording a
reply, a responder's file for the answer package) take more, up to the files' own limits. A body
without a declared length is never read by Django (it is taken as empty).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ..requests.workflow import REPLY_FILE_MAX_BYTES, REPLY_MAX_FILES

# Every form field of the public pages together, in UTF-8, with room to spare (details: 5,000 characters;
# a responder's outcome: 10,000).
FORM_MAX_BYTES = 128 * 1024
# The pages that take files: at most REPLY_MAX_FILES files of REPLY_FILE_MAX_BYTES, and the form around them.
UPLOAD_MAX_BYTES = REPLY_MAX_FILES * REPLY_FILE_MAX_BYTES + FORM_MAX_BYTES
UPLOAD_PATHS = ("/authority/", "/admin/", "/respond/")  # /respond/: a responder's file for the answer package


# The API's batch of up to 1,000 requests (api/): each item a form's worth at most.
BATCH_PATH = "/api/v1/requests/batch/"
BATCH_MAX_BYTES = 8 * 1024 * 1024


def body_limit(path: str) -> int:
    """The most a request body to `path` may declare."""
    if path == BATCH_PATH:
        return BATCH_MAX_BYTES
    return UPLOAD_MAX_BYTES if path.startswith(UPLOAD_PATHS) else FORM_MAX_BYTES


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return self.refuse(request, 400, "Bad Content-Length.")
        if length > body_limit(request.path_info):
            return self.refuse(request, 413, "This request is too large.")
        return self.get_response(request)

    def refuse(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        """The refusal, in plain text (api.limits answers the API's and the protocol's clients in JSON)."""
        return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
