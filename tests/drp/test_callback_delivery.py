"""Status callbacks delivered over HTTP (DRP 2.03): a real receiver on loopback gets the Exercise Status object
when the workflow changes an agent's request, once per change, through the webhook outbox."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from api.drp.models import AgentRequest
from dsr.models import OutgoingWebhook
from dsr.outbox.webhooks import deliver_webhook
from dsr.requests import workflow
from dsr.requests.audit import verify_request
from tests.drp.agent import DrpAgent
from tests.factories import STAFF

pytestmark = pytest.mark.usefixtures("policies")


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        Receiver.received.append(
            {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(self.rfile.read(length))}
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(settings: Any) -> Iterator[str]:
    settings.DRP_ALLOW_HTTP_CALLBACKS = True  # a plain-http receiver on this machine
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/drp/status"
    server.shutdown()
    thread.join()


def deliver_all() -> None:
    for pk in OutgoingWebhook.objects.values_list("pk", flat=True):
        deliver_webhook(pk, now=timezone.now())


def test_each_change_of_an_agents_request_is_posted_to_its_status_callback_once(receiver: str) -> None:
    agent = DrpAgent("CR_AA_CB")
    agent.register("leadoro")
    now = timezone.now() - dt.timedelta(seconds=1)
    assert agent.set_up("LEADORO", now=now).status_code == 200
    response = agent.exercise("LEADORO", now=now, status_callback=receiver, **{"agent-request-id": "cb-1"})
    assert response.status_code == 200
    request = AgentRequest.objects.get().request
    workflow.record_identity(request, method="email_matches_record", note="Matches.", actor=STAFF, now=timezone.now())
    workflow.close_request(request, status="completed", message="Erased.", actor=STAFF, now=timezone.now())

    deliver_all()
    deliver_all()  # a second delivery run posts nothing again: at most once per change
    assert [r["body"]["status"] for r in Receiver.received] == ["fulfilled"]
    (posted,) = Receiver.received
    assert posted["path"] == "/drp/status" and posted["type"] == "application/json"
    assert posted["body"]["request_id"] == response.json()["request_id"]
    assert posted["body"]["agent_request_id"] == "cb-1"
    assert agent.status(response.json()["request_id"]).json() == posted["body"]


def test_a_revoke_is_called_back_and_a_request_without_a_callback_posts_nothing(receiver: str) -> None:
    agent = DrpAgent("CR_AA_CB")
    agent.register("leadoro")
    now = timezone.now() - dt.timedelta(seconds=1)
    agent.set_up("LEADORO", now=now)
    with_callback = agent.exercise("LEADORO", now=now, status_callback=receiver).json()["request_id"]
    without = agent.exercise("LEADORO", now=now, name="Dana Reyes").json()["request_id"]
    assert agent.revoke(with_callback).status_code == agent.revoke(without).status_code == 200
    deliver_all()
    assert [(r["body"]["request_id"], r["body"]["status"]) for r in Receiver.received] == [(with_callback, "revoked")]


def test_the_callbacks_of_a_pause_and_its_end_carry_the_deadline_the_status_endpoint_gives(receiver: str) -> None:
    """DRP 2.03: the callback's body adheres to the Exercise Status schema: what GET /data-rights-request/{id}
    answers once the change is made, the deadline the pause moved included (not the one before it)."""
    asked = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    answered = asked + dt.timedelta(days=10)
    agent = DrpAgent("CR_AA_CB")
    agent.register("leadoro")
    with time_machine.travel(asked, tick=False):
        agent.set_up("LEADORO", now=asked - dt.timedelta(seconds=1))
        # Leadoro names the UK GDPR, whose clarification pause stops the clock (Art 12A).
        filed = agent.exercise(
            "LEADORO",
            now=asked - dt.timedelta(seconds=1),
            status_callback=receiver,
            regime=None,
            exercise="access",
            address={"country": "GB"},
        ).json()
        request = AgentRequest.objects.get(public_id=filed["request_id"]).request
        workflow.route_request(request.pk, now=asked)
        workflow.pause_request(
            request, kind="clarification", on=asked.date(), reason="Which account?", actor=STAFF, now=asked
        )
        deliver_all()
        assert Receiver.received[-1]["body"] == agent.status(filed["request_id"]).json()
        assert "waiting" in Receiver.received[-1]["body"]["processing_details"]
    with time_machine.travel(answered, tick=False):
        workflow.resume_request(request, on=answered.date(), actor=STAFF, now=answered)
        deliver_all()
        posted = Receiver.received[-1]["body"]
        assert posted == agent.status(filed["request_id"]).json()
        assert posted["expected_by"] > filed["expected_by"]  # the paused days added
    assert [r["body"]["status"] for r in Receiver.received] == ["in_progress", "in_progress"]
    # The timeline keeps its order (the person answered, then the deadlines were computed) and its chain.
    request.refresh_from_db()
    assert list(request.events.order_by("pk").values_list("kind", flat=True))[-2:] == ["resumed", "deadlines"]
    assert verify_request(request.reference).intact


def test_an_extension_is_posted_once_with_the_deadline_and_reason_the_status_endpoint_gives(receiver: str) -> None:
    """DRP 3.08: an extension amends `expected_by` and `processing_details`, and 'the Privacy Infrastructure
    Provider SHALL attempt to notify the Authorized Agent using the Data Rights Status Callback'."""
    agent = DrpAgent("CR_AA_CB")
    agent.register("leadoro")
    now = timezone.now() - dt.timedelta(seconds=1)
    agent.set_up("LEADORO", now=now)
    filed = agent.exercise("LEADORO", now=now, status_callback=receiver).json()
    request = AgentRequest.objects.get(public_id=filed["request_id"]).request
    workflow.route_request(request.pk, now=timezone.now())  # in_progress before and after: nothing posted
    workflow.extend_request(request, reason="Many records to search.", actor=STAFF, now=timezone.now())

    deliver_all()
    deliver_all()  # at most once
    (posted,) = Receiver.received
    assert posted["body"] == agent.status(filed["request_id"]).json()
    assert posted["body"]["status"] == "in_progress" and posted["body"]["expected_by"] > filed["expected_by"]
    assert "extended" in posted["body"]["processing_details"]
    extended = request.events.get(kind="extended")
    assert OutgoingWebhook.objects.get().key == f"drp:{filed['request_id']}:{extended.pk}"
