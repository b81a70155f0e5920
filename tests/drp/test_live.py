"""The Data Rights Protocol over a real socket: a test agent with its own Ed25519 key talks to the live server
(urllib, no test client): key set-up, agent information, a signed exercise, its replay refused, status, another
agent refused, revoke."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.utils import timezone

from api.drp.models import AgentRequest
from tests.drp.agent import DrpAgent, sign

pytestmark = pytest.mark.usefixtures("policies")


def call(url: str, *, method: str = "GET", body: bytes | None = None, token: str = "") -> tuple[int, Any]:
    headers = {"Content-Type": "text/plain"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def test_an_exchange_over_http(live_server: Any) -> None:
    base = f"{live_server.url}/drp/v1"
    agent = DrpAgent("CR_AA_LIVE")
    agent.register("sera-leads")
    now = timezone.now() - dt.timedelta(seconds=1)

    status, body = call(
        f"{base}/agent/CR_AA_LIVE", method="POST", body=sign(agent.key, agent.envelope("SERA_LEADS", now=now))
    )
    assert status == 200 and body["agent-id"] == "CR_AA_LIVE"
    token = body["token"]
    assert call(f"{base}/agent/CR_AA_LIVE", token=token) == (200, {})

    exercise = agent.exercise_body("SERA_LEADS", now=now, exercise="access", **{"agent-request-id": "live-1"})
    status, filed = call(f"{base}/data-rights-request", method="POST", body=exercise, token=token)
    assert status == 200 and filed["status"] == "in_progress" and filed["agent_request_id"] == "live-1"
    assert "expected_by" in filed
    replay_status, replay = call(f"{base}/data-rights-request", method="POST", body=exercise, token=token)
    assert replay_status == 403 and replay["code"] == "403"

    assert call(f"{base}/data-rights-request/{filed['request_id']}", token=token) == (200, filed)

    other = DrpAgent("OTHER_LIVE")
    other.register("sera-leads")
    status, theirs = call(
        f"{base}/agent/OTHER_LIVE", method="POST", body=sign(other.key, other.envelope("SERA_LEADS", now=now))
    )
    assert call(f"{base}/data-rights-request/{filed['request_id']}", token=theirs["token"])[0] == 403

    status, revoked = call(
        f"{base}/data-rights-request/{filed['request_id']}",
        method="DELETE",
        body=agent.revoke_body(filed["request_id"], now=now, business="SERA_LEADS", reason="Changed their mind."),
        token=token,
    )
    assert status == 200 and revoked["status"] == "revoked"
    assert AgentRequest.objects.get().request.status == "withdrawn"
