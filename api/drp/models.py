"""Agents, their pair-wise tokens per vendor, the requests they filed, and the messages already seen.

No personal data here: the person's claims go into the request (dsr.models.Request), which the shredder
knows; these rows keep who filed what through the protocol, and digests.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from dsr.models import Request
from policies.models import Vendor

from .protocol import ID_PATTERN, decode_verify_key


def validate_verify_key(value: str) -> None:
    try:
        decode_verify_key(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Agent(models.Model):
    """An authorised agent, registered by staff from the agent directory (DRP 3.05.1) before it may set up keys."""

    agent_id = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(ID_PATTERN.pattern)],
        help_text="The agent's id in the agent directory (`agent-id` in its messages).",
    )
    name = models.CharField(max_length=200, help_text="The name people know the agent by.")
    verify_key = models.CharField(
        max_length=64,
        validators=[validate_verify_key],
        help_text="Base64 of the agent's Ed25519 verify key, from the agent directory.",
    )
    email = models.EmailField(
        help_text="Where the agent receives the emails of its requests (acknowledgements, answers)."
    )
    identity_assurance_url = models.URLField(
        blank=True, help_text="The agent's description of how it verifies a person's identity."
    )
    active = models.BooleanField(default=True, help_text="Untick to refuse all of the agent's messages and tokens.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agent_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"


class Registration(models.Model):
    """An agent may act for a vendor (a pair-wise relationship, DRP 2.05): its bearer token is kept hashed."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="registrations")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+")
    token_digest = models.CharField(max_length=64, blank=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "vendor"], name="drp_registration_once"),
            models.UniqueConstraint(
                fields=["token_digest"], name="drp_registration_token", condition=~models.Q(token_digest="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} for {self.vendor}"


class AgentRequest(models.Model):
    """A request an agent filed through the protocol: its protocol id, and where its status goes."""

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="The protocol's `request_id`."
    )
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="requests")
    request = models.OneToOneField(Request, on_delete=models.PROTECT, related_name="drp")
    agent_request_id = models.CharField(max_length=100, blank=True)
    exercise = models.CharField(max_length=40)
    regime = models.CharField(max_length=20, blank=True)
    relationship_hints = models.JSONField(default=list, blank=True)
    status_callback = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "agent_request_id"],
                name="drp_agent_request_id_once",
                condition=~models.Q(agent_request_id=""),
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class SeenMessage(models.Model):
    """A signed message already taken (its SHA-256), kept until it would have expired anyway: a replay is refused."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "digest"], name="drp_message_once")]

    def __str__(self) -> str:
        return f"{self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"
