"""A test authorised agent holding its own Ed25519 key, speaking the Data Rights Protocol over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from nacl.signing import SigningKey

from api.drp.models import Agent, Registration
from policies.models import Vendor

BASE = "/drp/v1"


def sign(key: SigningKey, document: dict[str, Any]) -> bytes:
    """Combined mode: the 64-byte signature, then the JSON; base64 (DRP 3.07.1)."""
    return base64.b64encode(key.sign(json.dumps(document).encode()))


@dataclass
class DrpAgent:
    agent_id: str
    key: SigningKey = field(default_factory=SigningKey.generate)
    client: Client = field(default_factory=Client)
    token: str = ""

    @property
    def verify_key(self) -> str:
        return base64.b64encode(bytes(self.key.verify_key)).decode()

    def register(self, *vendor_slugs: str, name: str = "Consumer Rights Agent") -> Agent:
        """What staff do in the admin: the agent from the directory, and the vendors it may act for."""
        agent = Agent.objects.create(
            agent_id=self.agent_id,
            name=name,
            verify_key=self.verify_key,
            email=f"{self.agent_id.lower()}@agent.example",
        )
        for slug in vendor_slugs:
            Registration.objects.create(agent=agent, vendor=Vendor.objects.get(slug=slug))
        return agent

    def envelope(self, business: str, *, now: dt.datetime, minutes: int = 10, **claims: Any) -> dict[str, Any]:
        return {
            "agent-id": self.agent_id,
            "business-id": business,
            "issued-at": now.isoformat(),
            "expires-at": (now + dt.timedelta(minutes=minutes)).isoformat(),
            "drp.version": "1.0",
            **claims,
        }

    def post(self, path: str, body: bytes, **headers: Any) -> Any:
        return self.client.post(BASE + path, body, content_type="text/plain", **self.auth(), **headers)

    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def set_up(self, business: str, *, now: dt.datetime) -> Any:
        response = self.client.post(
            f"{BASE}/agent/{self.agent_id}", sign(self.key, self.envelope(business, now=now)), content_type="text/plain"
        )
        if response.status_code == 200:
            self.token = response.json()["token"]
        return response

    def exercise_body(self, business: str, *, now: dt.datetime, **claims: Any) -> bytes:
        document = self.envelope(
            business,
            now=now,
            **{
                "exercise": "deletion",
                "regime": "ccpa",
                "name": "Carla Reyes",
                "email": "carla@example.com",
                "email_verified": True,
                **claims,
            },
        )
        return sign(self.key, document)

    def exercise(self, business: str, *, now: dt.datetime, **claims: Any) -> Any:
        return self.post("/data-rights-request", self.exercise_body(business, now=now, **claims))

    def status(self, request_id: str) -> Any:
        return self.client.get(f"{BASE}/data-rights-request/{request_id}", **self.auth())

    def revoke_body(
        self, request_id: str, *, now: dt.datetime, business: str = "LEADORO", reason: str = "I changed my mind"
    ) -> bytes:
        """A signed revoke: the envelope, and the request it revokes (our requirement, docs/drp.md)."""
        return sign(self.key, self.envelope(business, now=now, request_id=request_id, reason=reason))

    def delete(self, request_id: str, body: bytes) -> Any:
        return self.client.delete(
            f"{BASE}/data-rights-request/{request_id}", body, content_type="text/plain", **self.auth()
        )

    def revoke(self, request_id: str, reason: str = "I changed my mind", *, now: dt.datetime | None = None) -> Any:
        moment = now or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        return self.delete(request_id, self.revoke_body(request_id, now=moment, reason=reason))
