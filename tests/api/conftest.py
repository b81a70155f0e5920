"""API clients for the tests: one agent for Leadsment (vendor A), one for Seerene (vendor B)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from api import services
from dsr.models import Request
from dsr.requests import workflow
from dsr.requests.timeline import SYSTEM
from policies.models import Vendor


class Caller:
    """A client of the API, speaking HTTP through Django's test client with its secret."""

    def __init__(self, new: services.NewClient) -> None:
        self.client = new.client
        self.token = new.token
        self.callback_secret = new.callback_secret
        self.http = Client()

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        extra.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
        send = getattr(self.http, method.lower())
        if body is None:
            return send(path, **extra)
        return send(path, body, content_type="application/json", **extra)


def new_caller(slug: str, *, name: str, callback_url: str = "") -> Caller:
    return Caller(
        services.create_client(
            name=name,
            kind="agent",
            vendors=[Vendor.objects.get(slug=slug)],
            callback_url=callback_url,
            created_by="lead",
            now=timezone.now(),
        )
    )


@pytest.fixture
def agent_a(policies: None) -> Caller:
    """An authorised agent's client for Leadsment only."""
    return new_caller("leadsment", name="Rights Agent A")


@pytest.fixture
def agent_b(policies: None) -> Caller:
    """An authorised agent's client for Seerene only."""
    return new_caller("seerene", name="Rights Agent B")


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid request to Leadsment: a Finnish account user's erasure."""
    return {
        "vendor": "leadsment",
        "subject_request_type": "erasure",
        "relationships": ["account_user"],
        "country": "FI",
        "subject_name": "Alice Virtanen",
        "email": "agent@rights.example",
        **overrides,
    }


class Receiver:
    """An HTTP server on loopback that records every POST and answers with the next planned status."""

    def __init__(self) -> None:
        self.posts: list[tuple[Any, bytes]] = []  # (headers, read case-insensitively; body)
        self.answers: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.headers, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dsr-callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def agent(receiver: Receiver) -> Caller:
    """An agent of Leadsment whose callbacks go to `receiver`."""
    return new_caller("leadsment", name="Rights Agent C", callback_url=receiver.url)


def file_and_route(agent: Caller) -> Request:
    """A request the agent filed, routed: its 'in progress' callback queued, not yet posted."""
    reference = agent.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    return workflow.route_request(Request.objects.get(reference=reference).pk, now=timezone.now(), actor=SYSTEM)
