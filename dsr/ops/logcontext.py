"""Request and task ids in every log line, so one person's click can be followed from the web process
to the worker that sent their email (JSON logs in production: config/settings.py LOGGING)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from ..security.tokens import hide_links

request_id: ContextVar[str] = ContextVar("request_id", default="")
task_id: ContextVar[str] = ContextVar("task_id", default="")

# An id a proxy may pass in: short, plain characters only (never trusted to carry anything else).
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def scrub_tokens(text: str) -> str:
    """`/status/<token>/` → `/status/[token]/`, wherever a link's path appears in `text`: the token is a
    bearer secret and never reaches a log (the link pattern is dsr.security.tokens.LINK_PATH)."""
    return hide_links(text, "[token]")


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` to every record (empty outside a request or a task), and cuts
    link tokens out of the message and of the request it describes (Django logs "Bad Request: <path>")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.task_id = task_id.get()
        message = record.getMessage()
        scrubbed = scrub_tokens(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        if hasattr(record, "request"):
            record.request = scrub_tokens(str(record.request))
        return True


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID (if well-formed) or makes one; echoes it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs a failed response after the middleware has returned.
        request_id.set(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response
