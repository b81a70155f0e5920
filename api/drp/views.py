"""The protocol's endpoints (DRP v1.0 section 2): read the HTTP request, call a service, answer JSON.

Signed messages come as text/plain (base64 of signature + JSON); everything else is the bearer token. No
cookies, so no CSRF: every call that changes anything is signed by the agent's key. Refusals answer with the
protocol's error object (3.06), a method a path does not take too; a refused key set-up with an empty 403, as
2.05.1 asks. Refused calls count against the caller's network, and past the limit every call from it gets 429.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from dsr.security import ratelimit
from dsr.security.clients import client_ip

from . import services
from .models import Registration
from .services import ProtocolError

MAX_BODY = 64 * 1024


def error(problem: ProtocolError) -> JsonResponse:
    return JsonResponse(problem.body(), status=problem.status)


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a network past its limit of refused calls; count each refusal; answer errors as the protocol does."""

    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = timezone.now()
        address = client_ip(request)
        if ratelimit.exceeded_client("drp-refused-ip", address, now=now):
            return error(ProtocolError(429, "Too many refused calls from this network: try again later."))
        try:
            return view(request, *args, **kwargs)
        except ProtocolError as problem:
            if problem.status in (401, 403):
                ratelimit.allow_client("drp-refused-ip", address, now=now)
            if view is key_setup and request.method == "POST" and problem.status != 429:
                return HttpResponse(status=403)  # 2.05.1: any failed validation, an empty 403
            return error(problem)

    run.__name__ = view.__name__
    return csrf_exempt(run)


def allowing(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Only `methods`; any other is answered 405 with the methods allowed, in the protocol's error object."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                refused = error(ProtocolError(405, f"This path takes {' or '.join(methods)} only."))
                refused["Allow"] = ", ".join(methods)
                return refused
            return view(request, *args, **kwargs)

        run.__name__ = view.__name__
        return csrf_exempt(run)

    return wrap


def registration_of(request: HttpRequest) -> Registration:
    found = services.authenticate(request.headers.get("Authorization", ""))
    if found is None:
        raise ProtocolError(401, "A valid bearer token is required (POST /v1/agent/{agent-id}).")
    return found


def signed_body(request: HttpRequest) -> bytes:
    if len(request.body) > MAX_BODY:
        raise ProtocolError(413, "The message is too large.")
    return request.body


def key_setup(request: HttpRequest, agent_id: str) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse(services.agent_info(registration_of(request), agent_id))
    token = services.set_up_key(agent_id, signed_body(request), now=timezone.now())
    return JsonResponse({"agent-id": agent_id, "token": token})


def exercise(request: HttpRequest) -> HttpResponse:
    registration = registration_of(request)
    return JsonResponse(services.exercise(registration, signed_body(request), now=timezone.now()))


def request_status(request: HttpRequest, request_id: str) -> HttpResponse:
    registration = registration_of(request)
    if request.method == "DELETE":
        return JsonResponse(services.revoke(registration, request_id, signed_body(request), now=timezone.now()))
    return JsonResponse(services.status(registration, request_id))


agent_view = allowing("GET", "POST")(guarded(key_setup))
exercise_view = allowing("POST")(guarded(exercise))
status_view = allowing("GET", "DELETE")(guarded(request_status))
