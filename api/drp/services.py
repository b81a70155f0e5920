"""The protocol's operations as plain functions (the views only read HTTP and call these).

A request an agent files goes through dsr.requests.intake.file_by_agent (the agent's signed attestation
recorded as the authority) and its revocation through dsr.requests.workflow.withdraw_by_agent: nothing here
writes a request's state itself. Every refusal is a ProtocolError with the HTTP status the protocol asks for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation

from dsr.models import Event, Request
from dsr.outbox import webhooks
from dsr.public.forms import OneLineField, RequestForm, residence_errors
from dsr.requests import intake, workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from dsr.security import ratelimit
from dsr.security.storable import storable
from policies.models import Vendor

from . import callbacks, protocol, states, vocabulary
from .models import Agent, AgentRequest, Registration, SeenMessage
from .protocol import ProtocolError, forbidden

__all__ = [
    "ProtocolError",
    "agent_info",
    "authenticate",
    "callbacks_for",
    "exercise",
    "extension_callbacks_for",
    "purge_seen",
    "revoke",
    "set_up_key",
    "status",
    "status_of",
]


def token_digest(token: str) -> str:
    """How a bearer token is stored: its SHA-256 (the token is 256 random bits, so no salt or stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_id(ours: str, theirs: str) -> bool:
    """Whether an id the agent sent is `ours`, compared in constant time (as bytes: hmac.compare_digest refuses
    strings with anything but ASCII in them)."""
    return hmac.compare_digest(ours.encode(), theirs.encode())


def vendor_by_business_id(business: str) -> Vendor | None:
    return next((v for v in Vendor.objects.all() if same_id(protocol.business_id(v.slug), business)), None)


def set_up_key(agent_id: str, body: bytes, *, now: dt.datetime) -> str:
    """Pair-wise key set-up (DRP 2.05): a new bearer token for the agent and the business its signed message
    names, where staff registered the agent for that vendor. The token replaces any earlier one."""
    agent = Agent.objects.filter(agent_id=agent_id, active=True).first() if storable(agent_id) else None
    if agent is None:
        raise forbidden("Unknown agent.")
    message = protocol.open_signed(body, agent.verify_key)
    envelope = protocol.check_envelope(protocol.claims_of(message), agent_id=agent.agent_id, business=None, now=now)
    vendor = vendor_by_business_id(envelope.business_id)
    registration = Registration.objects.filter(agent=agent, vendor=vendor).first() if vendor else None
    if registration is None:
        raise forbidden("The agent is not registered for this business.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        _remember(agent, message, envelope.expires_at)
        registration.token_digest = token_digest(token)
        registration.token_issued_at = now
        registration.save(update_fields=["token_digest", "token_issued_at"])
    return token


def authenticate(authorization: str) -> Registration | None:
    """The registration an `Authorization: Bearer <token>` header belongs to (its agent active), else None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return (
        Registration.objects.select_related("agent", "vendor")
        .filter(token_digest=token_digest(token.strip()), agent__active=True)
        .first()
    )


def agent_info(registration: Registration, agent_id: str) -> dict[str, Any]:
    """Agent information (2.06): an empty document while the token is the agent's; 403 otherwise."""
    if not same_id(registration.agent.agent_id, agent_id):
        raise forbidden("This token is not the agent's.")
    return {}


def exercise(registration: Registration, body: bytes, *, now: dt.datetime) -> dict[str, Any]:
    """A signed Data Rights Exercise request (2.01): checked, filed through the intake, its status returned."""
    agent = registration.agent
    message, claims, envelope = _signed(registration, body, now=now)
    wanted = protocol.read_exercise(claims, allow_http_callbacks=settings.DRP_ALLOW_HTTP_CALLBACKS)
    _check_person(wanted.person)
    _check_hints(wanted.hints)
    _check_residence(wanted)
    if wanted.status_callback and webhooks.registration_problem(
        wanted.status_callback,
        allow_http=settings.DRP_ALLOW_HTTP_CALLBACKS,
        allow_private=settings.DSR_WEBHOOK_ALLOW_PRIVATE,
    ):
        raise ProtocolError(400, "`status_callback` must be an https URL to a public host.")
    if not ratelimit.allow("drp-agent", agent.agent_id, now=now):
        raise ProtocolError(429, "Too many requests from this agent: try again later.")
    try:
        with transaction.atomic(durable=True):
            _remember(agent, message, envelope.expires_at)
            request = intake.file_by_agent(
                _submission(registration, wanted),
                filing=intake.AgentFiling(
                    agent_label=f"{agent.name} ({agent.agent_id})",
                    attestation=_attestation(agent, wanted),
                    protocol=vocabulary.PROTOCOL,
                ),
                now=now,
            )
            filed = AgentRequest.objects.create(
                registration=registration,
                request=request,
                agent_request_id=wanted.agent_request_id,
                exercise=wanted.action,
                regime=wanted.regime,
                relationship_hints=list(wanted.hints),
                status_callback=wanted.status_callback,
                created_at=now,
            )
    except IntegrityError:
        raise ProtocolError(409, "This `agent-request-id` was used for an earlier request.") from None
    except DomainError as error:
        raise ProtocolError(400, str(error), fatal=True) from None
    return status_of(filed)


# A claim the form would take in one of its one-line fields (the phone number, an address line, a hint).
ONE_LINE = OneLineField(required=False)


def _check_person(person: protocol.Person) -> None:
    """The person's claims checked by the public form's own fields (dsr.public.forms.RequestForm), so an agent's
    request takes what the form and the REST API take: a usable email (complete, deliverable), a name (if
    given) as the form takes the person's name, and the phone number and each line of the address as one-line
    fields of the form (no line break, control or invisible formatting character such as a bidi override)."""
    _check_claim("email", RequestForm.base_fields["email"], person.email)
    if person.name:
        _check_claim("name", RequestForm.base_fields["subject_name"], person.name)
    _check_claim("phone_number", ONE_LINE, person.phone_number)
    for key, value in person.address.items():
        for line in value.split("\n"):
            _check_claim(f"address.{key}", ONE_LINE, line)


def _check_hints(hints: Sequence[str]) -> None:
    """Each relationship hint as a one-line field of the form: a hint we do not map is copied into the details
    staff and responders read, where a line break could forge a line ("Email: … (verified by the agent)") and a
    NUL cannot be stored."""
    for hint in hints:
        _check_claim("relationships", ONE_LINE, hint)


# Where the person lives, in the protocol's claims and our words for a code not of the form's lists.
RESIDENCE_CLAIMS: dict[str, tuple[str, str]] = {
    "country": ("address.country", "an ISO 3166-1 country code (two letters, such as US)"),
    "state": ("address.region", "a US state (ISO 3166-2:US without 'US-', such as CA)"),
    "province": ("address.region", "a Canadian province or territory (ISO 3166-2:CA without 'CA-', such as QC)"),
}


def _check_residence(wanted: protocol.Exercise) -> None:
    """Where the person lives, checked by the public form's rule (dsr.public.forms.residence_errors): a country
    of its list, and the US state or Canadian province the laws differ by. 400, fatal: as it stands, the request
    names no place whose laws could be applied."""
    values = {"country": wanted.country, "state": wanted.state, "province": wanted.province}
    for field, error in residence_errors(wanted.country, wanted.state, wanted.province).items():
        claim, what = RESIDENCE_CLAIMS[field]
        if error.code == "invalid_choice":  # the form's words ask to choose from a list the agent never saw
            message = f"`{claim}` must be {what}: {values[field]!r} is not one."
        else:
            with translation.override("en"):
                message = f"`{claim}`: {' '.join(error.messages)}"
        raise ProtocolError(400, message, fatal=True)


def _check_claim(claim: str, field: forms.Field, value: str) -> None:
    """400 naming the claim, with the form's own words, where the form's field refuses the value."""
    with translation.override("en"):  # the protocol's messages are in English
        try:
            field.clean(value)
        except ValidationError as error:
            raise ProtocolError(400, f"`{claim}`: {' '.join(error.messages)}") from None


def _signed(
    registration: Registration, body: bytes, *, now: dt.datetime
) -> tuple[bytes, dict[str, Any], protocol.Envelope]:
    """A signed message under a bearer token (3.07): the agent's signature, then its envelope (the token's
    agent and business, now inside its time window). Returns the message, its claims and its envelope."""
    agent = registration.agent
    message = protocol.open_signed(body, agent.verify_key)
    claims = protocol.claims_of(message)
    envelope = protocol.check_envelope(
        claims, agent_id=agent.agent_id, business=protocol.business_id(registration.vendor.slug), now=now
    )
    return message, claims, envelope


def _remember(agent: Agent, message: bytes, expires_at: dt.datetime) -> None:
    """Refuse a signed message taken before (inside the caller's transaction); keep it until it expires."""
    try:
        with transaction.atomic():
            SeenMessage.objects.create(agent=agent, digest=protocol.digest(message), expires_at=expires_at)
    except IntegrityError:
        raise forbidden("This message was received before: a replay is refused.") from None


def _submission(registration: Registration, wanted: protocol.Exercise) -> intake.Submission:
    """The form's fields from the agent's request: the email is the agent's (as on the form for an agent),
    the person's own claims go into the details for staff and responders to match records with."""
    vendor = registration.vendor
    person = wanted.person
    lines = [f"Filed through the {vocabulary.PROTOCOL} ({wanted.action}) by {registration.agent.name}."]
    if wanted.scope:
        lines.append(f"Asked for: {wanted.scope}.")
    verified = "verified by the agent"
    for label, value, checked in (
        ("Email", person.email, person.email_verified),
        ("Phone", person.phone_number, person.phone_number_verified),
        ("Address", ", ".join(person.address_lines()), person.address_verified),
    ):
        if value:
            lines.append(f"{label}: {value}" + (f" ({verified})" if checked else " (not verified by the agent)"))
    unknown = [h for h in wanted.hints if protocol.relationship_of(h) is None]
    if unknown:
        lines.append("Relationship hints not understood: " + ", ".join(unknown) + ".")
    return intake.Submission(
        vendor_slug=vendor.slug,
        request_type=wanted.request_type,
        # Every relationship the hints name; none: "not sure", and the request covers every category held.
        relationships=wanted.relationships,
        country=wanted.country,
        state=wanted.state,
        province=wanted.province,
        subject_name=person.name,
        email=registration.agent.email,
        details="\n".join(lines),
        agent_name=registration.agent.name,
    )


def _attestation(agent: Agent, wanted: protocol.Exercise) -> str:
    person = wanted.person
    checked = [
        what
        for what, done in (
            ("email", person.email_verified),
            ("phone number", person.phone_number_verified),
            ("address", person.address_verified),
        )
        if done
    ]
    parts = [
        f"Signed with the Ed25519 key staff registered for {agent.name} ({agent.agent_id}); by the "
        f"{vocabulary.PROTOCOL} the agent attests that the person authorised it and that it verified who they are.",
        f"It says it verified: {', '.join(checked) if checked else 'nothing'}.",
    ]
    if agent.identity_assurance_url:
        parts.append(f"Its verification process: {agent.identity_assurance_url}.")
    if person.power_of_attorney:
        parts.append(f"Power of attorney referenced: {person.power_of_attorney}.")
    return " ".join(parts)


def _owned(registration: Registration, request_id: str) -> AgentRequest:
    """The agent's own request for this business; 403 for any other id, known or not (no enumeration)."""
    try:
        key = uuid.UUID(request_id)
    except ValueError:
        raise forbidden("Not a request of this agent.") from None
    found = (
        AgentRequest.objects.select_related("request", "registration__agent")
        .filter(public_id=key, registration=registration)
        .first()
    )
    if found is None:
        raise forbidden("Not a request of this agent.")
    return found


def status(registration: Registration, request_id: str) -> dict[str, Any]:
    """Data Rights Status (2.02)."""
    return status_of(_owned(registration, request_id))


def revoke(registration: Registration, request_id: str, body: bytes, *, now: dt.datetime) -> dict[str, Any]:
    """Data Rights Revoke (2.04): a signed message withdraws the request through the workflow.

    The message carries the envelope (3.07, as an exercise does) and names the request it revokes
    (`request_id`): one signed for another request, expired, or taken before is refused, and it is recorded
    in the replay store in the withdrawal's transaction."""
    agent = registration.agent
    filed = _owned(registration, request_id)
    message, claims, envelope = _signed(registration, body, now=now)
    wanted = protocol.read_revoke(claims)
    if wanted.request_id != filed.public_id:
        raise forbidden("The revoke message is signed for another request than the one in the URL.")
    actor = Actor("subject", f"{agent.name} ({agent.agent_id})")
    try:
        with transaction.atomic(durable=True):
            _remember(agent, message, envelope.expires_at)
            workflow.withdraw_by_agent(filed.request, now=now, actor=actor, reason=wanted.reason)
    except DomainError as error:
        raise ProtocolError(400, str(error)) from None
    filed.request.refresh_from_db()
    return status_of(filed)


def _snapshot(request: Request, filed: AgentRequest) -> states.Snapshot:
    return states.Snapshot(
        request_id=str(filed.public_id),
        agent_request_id=filed.agent_request_id,
        status=request.status,
        received_at=request.received_at,
        due_at=request.due_at,
        extended=request.extended,
    )


def _followed(request: Request, filed: AgentRequest) -> states.Snapshot | None:
    """For a duplicate, the request it was joined to (whose state is its state)."""
    if request.status != Request.Status.DUPLICATE:
        return None
    joined = Request.objects.get(pk=request.events.filter(kind="duplicate").values("data")[0]["data"]["of"])
    return _snapshot(joined, filed)


def status_of(filed: AgentRequest) -> dict[str, Any]:
    """The Exercise Status object (3.03) of a request filed through the protocol."""
    request = filed.request
    return states.status_object(_snapshot(request, filed), followed=_followed(request, filed))


def followed_by_agents(request_ids: list[int]) -> set[int]:
    """Those of `request_ids` an agent may follow through the protocol: filed by one, or with requests
    joined to them as duplicates (a superset of those `callbacks_for` finds callbacks for; two queries)."""
    filed = AgentRequest.objects.filter(request_id__in=request_ids).values_list("request_id", flat=True)
    joined = Event.objects.filter(request_id__in=request_ids, kind="repeated").values_list("request_id", flat=True)
    return set(filed) | set(joined)


def callbacks_for(request: Request, *, old_status: str, change: str) -> list[callbacks.Callback]:
    """The status callbacks (2.03) due for a change of `request` from `old_status`: to the agent that filed it
    through the protocol with a `status_callback`, and to the agents of the requests joined to it as duplicates
    (their state is its state), where the change is one they can see."""
    return _callbacks(
        request, change=change, earlier=callbacks.Earlier(old_status, due_at=request.due_at, extended=request.extended)
    )


def extension_callbacks_for(
    request: Request, *, old_due_at: dt.datetime | None, change: str
) -> list[callbacks.Callback]:
    """The callbacks due for an extension of `request`'s deadline from `old_due_at` (3.08: `expected_by` and
    `processing_details` change, and the agent is notified by its status callback), to the same agents as
    `callbacks_for`; `change` is the extension's timeline event."""
    return _callbacks(
        request, change=change, earlier=callbacks.Earlier(request.status, due_at=old_due_at, extended=False)
    )


def _callbacks(request: Request, *, change: str, earlier: callbacks.Earlier) -> list[callbacks.Callback]:
    joined = Event.objects.filter(kind="duplicate", data__of=request.pk).values_list("request_id", flat=True)
    due = []
    for filed in AgentRequest.objects.filter(Q(request=request) | Q(request_id__in=joined)).select_related("request"):
        own = filed.request_id == request.pk
        sent = callbacks.callback(
            filed.status_callback,
            _snapshot(request, filed) if own else _snapshot(filed.request, filed),
            change=change,
            earlier=earlier,
            followed=None if own else _snapshot(request, filed),
        )
        if sent is not None:
            due.append(sent)
    return due


def purge_seen(*, now: dt.datetime) -> int:
    """Forget seen messages that have expired: an expired message is refused for its time anyway."""
    deleted, _ = SeenMessage.objects.filter(expires_at__lt=now).delete()
    return deleted
