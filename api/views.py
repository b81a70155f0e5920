"""The REST API (`/api/v1/`): thin views over api.services. Each call is authenticated by the client's
secret, counted against its rate limit and logged (who, what, when, the answer's status; never the body).
The views write nothing themselves."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from dsr.requests.errors import DomainError

from . import services
from .models import ApiClient
from .parsers import JsonBody, body_of
from .serializers import BatchCreate, BatchOut, ErrorOut, RequestCreate, RequestOut, RequestPage, submission_of

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 200},
    OpenApiParameter.HEADER,
    description="Any string of 1-200 characters, unique per call you mean. A retry with the same key and body "
    f"gets the first answer back, for {int(services.KEY_LIFETIME.total_seconds() // 3600)} hours; the same key with "
    "another body is refused (422); while the first call runs, a retry gets 409.",
)


# Every operation may answer these: no or a wrong secret, or past the client's rate limit.
COMMON = {401: ErrorOut, 429: ErrorOut}


class Page(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Any) -> int:
        """A page_size that is not a whole number from 1 is refused (400), not silently replaced."""
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        number = whole_number(request.query_params[self.page_size_query_param])
        if number is None or number < 1:
            raise exceptions.ValidationError({"page_size": ["A whole number from 1 to 200."]})
        return min(number, self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int:
        """A page that is not a whole number from 1 is refused (400); an empty one is not read as page 1."""
        if self.page_query_param not in request.query_params:
            return 1
        number = whole_number(request.query_params[self.page_query_param])
        if number is None or number < 1:
            raise exceptions.ValidationError({"page": ["A whole number from 1."]})
        return number


def whole_number(value: str) -> int | None:
    """`value` as a whole number written in the digits 0-9, else None. (str.isdigit also takes "²" and "①",
    which int() cannot read, and int() reads other scripts' digits, such as "٣".)"""
    if not (value.isascii() and value.isdigit()):
        return None
    try:
        return int(value)
    except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits(), 4,300)
        return None


class ClientView(APIView):
    """Authenticated by the client's secret; rate-limited and logged per client."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JsonBody]

    def client(self, request: ApiRequest) -> ApiClient:
        client = request.user
        assert isinstance(client, ApiClient)
        return client

    def initial(self, request: ApiRequest, *args: Any, **kwargs: Any) -> None:
        request.started = time.monotonic()  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)
        if not services.allow_call(self.client(request), now=timezone.now()):
            raise exceptions.Throttled(wait=services.retry_after(timezone.now()))

    def finalize_response(self, request: ApiRequest, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        client = getattr(request, "_user", None)
        started = getattr(request, "started", time.monotonic())
        services.log_call(
            client if isinstance(client, ApiClient) else None,
            method=request.method or "",
            path=request.path,
            status_code=response.status_code,
            at=timezone.now(),
            ms=int((time.monotonic() - started) * 1000),
        )
        return response

    def idempotent(self, request: ApiRequest, work: Any) -> Response:
        """Run `work()` (returning a Response) once per Idempotency-Key, if the call has one."""
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if key is None:
            return work()  # type: ignore[no-any-return]
        client = self.client(request)
        try:
            replay = services.begin_idempotent(
                client,
                key,
                fingerprint=services.fingerprint(request.method or "", request.path, body_of(request)),
                now=timezone.now(),
            )
        except services.KeyConflict as exc:
            return Response({"detail": str(exc)}, status=exc.status_code)
        if replay is not None:
            return Response(replay.response, status=replay.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            response: Response = work()
        except BaseException:
            services.finish_idempotent(client, key, status_code=500, response=None)
            raise
        services.finish_idempotent(client, key, status_code=response.status_code, response=response.data)
        return response


# The list's filters and pages: anything else in the query is refused.
LIST_PARAMETERS = frozenset(
    {"status", "subject_request_type", "vendor", "submitted_after", "submitted_before", "page", "page_size"}
)


class RequestList(ClientView):
    @extend_schema(
        operation_id="requests_list",
        summary="List the client's requests",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="Our status, or an OpenDSR request_status."),
            OpenApiParameter("subject_request_type", OpenApiTypes.STR),
            OpenApiParameter("vendor", OpenApiTypes.STR, description="A vendor's slug."),
            OpenApiParameter("submitted_after", OpenApiTypes.DATETIME),
            OpenApiParameter("submitted_before", OpenApiTypes.DATETIME),
            OpenApiParameter("page", {"type": "integer", "minimum": 1}),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1},
                description="At most 200 (more is taken as 200; default 50).",
            ),
        ],
        responses={200: RequestPage, 400: OpenApiTypes.OBJECT, 404: ErrorOut, **COMMON},
    )
    def get(self, request: ApiRequest) -> Response:
        unknown = sorted(set(request.query_params) - LIST_PARAMETERS)
        if unknown:  # a misspelt filter would otherwise list everything, silently
            raise exceptions.ValidationError({"detail": f"Unknown query parameter: {', '.join(unknown) or '(empty)'}."})
        try:
            rows = services.filter_requests(
                services.requests_of(self.client(request)),
                status=request.query_params.get("status", ""),
                request_type=request.query_params.get("subject_request_type", ""),
                vendor=request.query_params.get("vendor", ""),
                after=_when(request, "submitted_after"),
                before=_when(request, "submitted_before"),
            )
        except DomainError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from exc
        pages = Page()
        page = pages.paginate_queryset(rows, request, view=self)
        return pages.get_paginated_response(RequestOut(page or [], many=True).data)

    @extend_schema(
        summary="File a request",
        description="The same fields and validation as the public form. What proves the person: see the API's "
        "README (the client's attestation is recorded as the agent's authority and the address's proof; "
        "staff still record the identity check the laws ask for before anything is disclosed).",
        request=RequestCreate,
        parameters=[IDEMPOTENCY],
        responses={201: RequestOut, 400: OpenApiTypes.OBJECT, 409: ErrorOut, 422: ErrorOut, **COMMON},
    )
    def post(self, request: ApiRequest) -> Response:
        return self.idempotent(request, lambda: self._create(request))

    def _create(self, request: ApiRequest) -> Response:
        incoming = RequestCreate(data=request.data, context={"client": self.client(request)})
        incoming.is_valid(raise_exception=True)
        filed = services.file_request(self.client(request), submission_of(incoming.validated_data), now=timezone.now())
        return Response(RequestOut(filed).data, status=status.HTTP_201_CREATED)


class RequestBatch(ClientView):
    @extend_schema(
        summary="File up to 1,000 requests",
        description="Each item is validated and filed on its own: one bad item does not stop the others. The "
        "answer lists each item's outcome by its index.",
        request=BatchCreate,
        parameters=[IDEMPOTENCY],
        responses={200: BatchOut, 400: OpenApiTypes.OBJECT, 409: ErrorOut, 422: ErrorOut, **COMMON},
    )
    def post(self, request: ApiRequest) -> Response:
        return self.idempotent(request, lambda: self._create(request))

    def _create(self, request: ApiRequest) -> Response:
        batch = BatchCreate(data=request.data)
        batch.is_valid(raise_exception=True)
        client = self.client(request)
        results: dict[int, dict[str, Any]] = {}
        valid: dict[int, Any] = {}
        # One serializer validates every item (DRF copies a serializer's fields per instance), sharing what
        # every item's validation reads alike: the client's vendors, their policies, one form per policy.
        validator = RequestCreate(context={"client": client, "shared": {}})
        for index, item in enumerate(batch.validated_data["requests"]):
            try:
                valid[index] = submission_of(validator.run_validation(item))
            except serializers.ValidationError as exc:
                results[index] = {"index": index, "ok": False, "errors": exc.detail}
        filed = services.file_requests(client, list(valid.values()), now=timezone.now())
        made = [result for result in filed if not isinstance(result, DomainError)]
        # One serializer for all the requests filed, as for validating them.
        shown = iter(RequestOut(made, many=True, context={"policy_gaps": services.policy_gaps(made)}).data)
        for index, result in zip(valid, filed, strict=True):
            if isinstance(result, DomainError):
                results[index] = {"index": index, "ok": False, "errors": {"detail": [str(result)]}}
            else:
                results[index] = {"index": index, "ok": True, "request": next(shown)}
        ordered = [results[index] for index in sorted(results)]
        return Response({"created": len(made), "failed": len(ordered) - len(made), "results": ordered})


class OneRequest(ClientView):
    def found(self, request: ApiRequest, reference: str) -> Any:
        """The client's own request, else 404 (the same for another client's request as for none)."""
        found = services.find(self.client(request), reference)
        if found is None:
            raise exceptions.NotFound("No such request.")
        return found


class RequestDetail(OneRequest):
    @extend_schema(
        operation_id="requests_read",
        summary="Read a request's status, due dates and outcome",
        responses={200: RequestOut, 404: ErrorOut, **COMMON},
    )
    def get(self, request: ApiRequest, reference: str) -> Response:
        return Response(RequestOut(self.found(request, reference)).data)


class RequestWithdraw(OneRequest):
    @extend_schema(
        summary="Withdraw a request", request=None, responses={200: RequestOut, 404: ErrorOut, 409: ErrorOut, **COMMON}
    )
    def post(self, request: ApiRequest, reference: str) -> Response:
        try:
            withdrawn = services.withdraw(self.client(request), self.found(request, reference), now=timezone.now())
        except DomainError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(RequestOut(withdrawn).data)


def _when(request: ApiRequest, name: str) -> Any:
    if name not in request.query_params:
        return None
    value = request.query_params[name]
    try:
        parsed = parse_datetime(value)
        # In UTC: the database refuses offsets past 15:59 that ISO 8601 allows.
        utc = parsed.astimezone(dt.UTC) if parsed is not None and parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise exceptions.ValidationError({name: ["A date and time with its offset, e.g. 2026-03-01T00:00:00Z."]})
    return utc


def docs(request: HttpRequest) -> HttpResponse:
    """The API's reference, read from the same schema as /api/v1/schema/ (no scripts)."""
    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True) or {}  # type: ignore[no-untyped-call]
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "description": op.get("description", ""),
        }
        for path, ops in schema.get("paths", {}).items()
        for method, op in ops.items()
    ]
    return render(request, "api/docs.html", {"info": schema.get("info", {}), "operations": operations})
