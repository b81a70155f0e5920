"""Callbacks never reach the inside: an address that is, or resolves to, a local or private one is refused at
registration and never posted to at send time (the row `failed` with the reason); a redirect is never followed.
The suite lets loopback receivers through (DSR_WEBHOOK_ALLOW_PRIVATE, tests/conftest.py); these tests turn it off."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from api import services
from api.models import ApiClient
from dsr.models import OutgoingWebhook
from dsr.outbox import webhooks
from dsr.requests.errors import DomainError
from policies.models import Vendor
from tests.api.conftest import Receiver
from tests.drp.agent import DrpAgent
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")


@pytest.fixture
def private_off(settings: Any) -> None:
    settings.DSR_WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing TCP connection attempted (none is made: each fails as unreachable)."""
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        raise OSError("unreachable in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def queued(url: str) -> OutgoingWebhook:
    return webhooks.queue_webhook(url=url, payload={"status": "in_progress"}, key=f"test:{url}", now=timezone.now())


@pytest.mark.usefixtures("private_off")
@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "[fd00::1]"])
def test_a_callback_to_a_private_or_metadata_address_is_never_posted_and_fails_with_the_reason(
    host: str, connections: list[Any]
) -> None:
    hook = queued(f"https://{host}/latest/meta-data/")
    assert webhooks.deliver_webhook(hook.pk, now=timezone.now()) is None  # no retry
    hook.refresh_from_db()
    assert connections == []
    assert hook.status == OutgoingWebhook.Status.FAILED and hook.sent_at is None
    assert "local or private address" in hook.last_error and host.strip("[]") in hook.last_error


@pytest.mark.usefixtures("private_off")
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # a literal, and a name resolved to loopback
def test_a_callback_to_loopback_is_never_posted_and_fails_with_the_reason(host: str, receiver: Receiver) -> None:
    hook = queued(receiver.url.replace("127.0.0.1", host))
    assert webhooks.deliver_webhook(hook.pk, now=timezone.now()) is None
    hook.refresh_from_db()
    assert receiver.posts == []
    assert hook.status == OutgoingWebhook.Status.FAILED and hook.attempts == 1
    assert hook.last_error.startswith(f"Not sent: the callback host {host} resolves to ")


def test_a_name_resolving_to_a_private_address_among_public_ones_is_refused(
    private_off: None, connections: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    hook = queued("https://rebind.example/cb")
    webhooks.deliver_webhook(hook.pk, now=timezone.now())
    hook.refresh_from_db()
    assert connections == [] and hook.status == OutgoingWebhook.Status.FAILED
    assert "192.168.1.5" in hook.last_error


class Redirecting:
    """Two loopback servers: `first` answers every request with a redirect to `target`, which records any request."""

    def __init__(self, code: int) -> None:
        self.first_hits: list[str] = []
        self.target_hits: list[str] = []
        outer = self

        class Target(http.server.BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                outer.target_hits.append(self.command)
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST = handle_one  # noqa: N815 (http.server's names)

            def log_message(self, *args: Any) -> None:
                pass

        self.target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
        target_url = f"http://127.0.0.1:{self.target.server_address[1]}/internal"

        class First(http.server.BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                if self.headers["Content-Length"]:
                    self.rfile.read(int(self.headers["Content-Length"]))
                outer.first_hits.append(self.command)
                self.send_response(code)
                self.send_header("Location", target_url)
                self.end_headers()

            do_GET = do_POST = handle_one  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.first = http.server.ThreadingHTTPServer(("127.0.0.1", 0), First)
        self.url = f"http://127.0.0.1:{self.first.server_address[1]}/cb"
        for server in (self.target, self.first):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in (self.target, self.first):
            server.shutdown()
            server.server_close()


@pytest.fixture(params=[301, 302, 303, 307])
def redirecting(request: Any) -> Iterator[Redirecting]:
    servers = Redirecting(request.param)
    yield servers
    servers.close()


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(redirecting: Redirecting) -> None:
    # Loopback receivers are allowed here (the suite's setting) so that the first one is reached at all.
    hook = queued(redirecting.url)
    now = timezone.now()
    assert webhooks.deliver_webhook(hook.pk, now=now) == webhooks.RETRY_SCHEDULE[0]
    hook.refresh_from_db()
    assert redirecting.first_hits == ["POST"] and redirecting.target_hits == []
    assert hook.status == OutgoingWebhook.Status.AWAITING_RETRY and hook.sent_at is None
    assert "redirects are not followed" in hook.last_error
    webhooks.deliver_webhook(hook.pk, now=now + dt.timedelta(seconds=webhooks.RETRY_SCHEDULE[0]))
    assert redirecting.target_hits == [] and len(redirecting.first_hits) == 2


@pytest.mark.usefixtures("private_off")
@pytest.mark.parametrize(
    "url",
    [
        "http://agent.example/cb",  # plain http
        "https://127.0.0.1/cb",
        "https://10.0.0.1/cb",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/cb",
        "https://[::ffff:10.0.0.1]/cb",
        "https://localhost/cb",
        "https://api.localhost/cb",
        "https://user:pw@agent.example/cb",
        "ftp://agent.example/cb",
    ],
)
def test_a_client_cannot_register_a_local_private_or_plain_http_callback(url: str) -> None:
    with pytest.raises(DomainError):
        services.check_callback_url(url)
    services.check_callback_url("https://agent.example/cb")  # a public https address is fine


@pytest.mark.usefixtures("private_off")
def test_the_admin_refuses_a_private_callback_address_with_the_reason() -> None:
    staff = client_for(member("lena", "leadsment", role="lead"))
    form = {"name": "Rights Agent", "kind": "agent", "vendors": [Vendor.objects.get(slug="leadsment").pk]}
    answer = staff.post(
        "/admin/api/apiclient/add/", {**form, "callback_url": "https://169.254.169.254/", "active": "on"}
    )
    assert answer.status_code == 200
    assert "must not be localhost or a local or private IP address" in answer.content.decode()
    assert not ApiClient.objects.exists()


@pytest.mark.usefixtures("private_off")
@pytest.mark.parametrize("callback", ["https://169.254.169.254/drp/status", "https://localhost/drp/status"])
def test_an_agents_status_callback_to_a_local_address_is_refused(callback: str, settings: Any) -> None:
    settings.DRP_ALLOW_HTTP_CALLBACKS = True  # http allowed, still no local hosts
    agent = DrpAgent("CR_AA_SSRF")
    agent.register("leadoro")
    now = timezone.now() - dt.timedelta(seconds=1)
    assert agent.set_up("LEADORO", now=now).status_code == 200
    response = agent.exercise("LEADORO", now=now, status_callback=callback)
    assert response.status_code == 400
    assert agent.exercise("LEADORO", now=now, status_callback="https://agent.example/drp/status").status_code == 200
