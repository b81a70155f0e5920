"""How the API reads a JSON body: from the stream, up to the path's body limit, keeping it as sent.

DRF's JSONParser reads Django's request.body, which refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
with a 400 in HTML, while a batch may be up to dsr.public.limits.BATCH_MAX_BYTES (8 MB). The body-size
middleware (api.limits) has already refused, unread, a body declaring more than its path's limit
(dsr.public.limits.body_limit); this parser reads at most that limit too, so the global setting stays as it
is for every other page. The body as sent is kept (`JsonBody.body`) for the idempotency fingerprint.
"""

from __future__ import annotations

import io
from typing import IO, Any

from rest_framework import exceptions, parsers, status
from rest_framework.request import Request as ApiRequest

from dsr.public import limits


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "This request is too large."


class JsonBody(parsers.BaseParser):
    media_type = "application/json"
    body = b""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = limits.body_limit(parser_context["request"].path_info)
        self.body = stream.read(limit + 1)
        if len(self.body) > limit:
            raise TooLarge()
        try:
            return parsers.JSONParser().parse(io.BytesIO(self.body), media_type, parser_context)
        except RecursionError:  # nested deeper than Python's reader goes ("[" * 100000): no request of ours
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


def body_of(request: ApiRequest) -> bytes:
    """The call's body as sent (b"" for none), read by parsing it: a body not JSON is refused here (400, 415)."""
    request.data  # noqa: B018 (parses the body)
    return next((parser.body for parser in request.parsers or () if isinstance(parser, JsonBody)), b"")
