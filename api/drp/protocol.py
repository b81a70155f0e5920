"""The protocol's messages, checked: pure functions, no database (DRP v1.0 sections 2.01, 2.05, 3.04, 3.07).

A signed message is the agent's Ed25519 signature immediately followed by the JSON document ("combined mode"),
base64-encoded and sent as text/plain. It is checked in the order section 3.07 gives: it decodes; the signature
holds for the agent's registered verify key; `agent-id` is that agent; `business-id` is the business the token
(or, at key set-up, the URL) names; now is after `issued-at`; now is before `expires-at`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from policies.vocabulary import RELATIONSHIPS

from . import vocabulary

SIGNATURE_BYTES = 64
# How far in the future `expires-at` may lie: the protocol recommends windows of no more than 10 minutes
# (2.01); an hour leaves room for a slow agent while keeping the replay store short.
MAX_VALIDITY = dt.timedelta(hours=1)
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class ProtocolError(Exception):
    """A request the protocol refuses: `status` is the HTTP code, `fatal` the protocol's error flag (3.06)."""

    def __init__(self, status: int, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fatal = fatal

    def body(self) -> dict[str, Any]:
        """The protocol's error object (3.06): `code` (the HTTP status), `message`, and `fatal` where it is."""
        body: dict[str, Any] = {"code": str(self.status), "message": self.message}
        if self.fatal:
            body["fatal"] = True
        return body


def forbidden(message: str) -> ProtocolError:
    return ProtocolError(403, message)


def business_id(vendor_slug: str) -> str:
    """A vendor's id in the service directory ("[A-Z_]+", 3.05.2): "sera-leads" is "SERA_LEADS"."""
    return re.sub(r"[^A-Z]+", "_", vendor_slug.upper()).strip("_")


def decode_verify_key(text: str) -> VerifyKey:
    """An agent's verify key as the agent directory gives it: base64 of the 32-byte Ed25519 public key (0.9.1)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The verify key is not base64.") from None
    if len(raw) != 32:
        raise ValueError("An Ed25519 verify key is 32 bytes.")
    return VerifyKey(raw)


def open_signed(body: bytes, verify_key: str) -> bytes:
    """The JSON document of a signed message, if its signature holds for `verify_key`; else 403."""
    try:
        raw = base64.b64decode(body.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise forbidden("The message is not base64.") from None
    if len(raw) <= SIGNATURE_BYTES:
        raise forbidden("The message is not signed.")
    try:
        return decode_verify_key(verify_key).verify(raw)
    except (BadSignatureError, ValueError):
        raise forbidden("The signature does not hold for the agent's registered key.") from None


def digest(message: bytes) -> str:
    """What the replay store keeps of a message: its SHA-256 (an Ed25519 signature is deterministic)."""
    return hashlib.sha256(message).hexdigest()


def claims_of(message: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(message)
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested deeper than the reader goes: not ours
        raise ProtocolError(400, "The signed message is not JSON.") from None
    if not isinstance(claims, dict):
        raise ProtocolError(400, "The signed message is not a JSON object.")
    return claims


def text(claims: dict[str, Any], key: str, *, required: bool = True, limit: int = 200, lines: bool = False) -> str:
    """A string claim, without control characters; with `lines`, lines separated by newlines (\n or \r\n,
    given back as \n)."""
    value = claims.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ProtocolError(400, f"`{key}` must be a string.")
    if lines:
        value = value.replace("\r\n", "\n")
    if len(value) > limit or any(ord(c) < 32 and not (lines and c == "\n") for c in value):
        raise ProtocolError(400, f"`{key}` is too long or holds control characters.")
    return value.strip()


def timestamp(claims: dict[str, Any], key: str) -> dt.datetime:
    """An ISO 8601 timestamp with its offset (a time without one names no moment)."""
    value = text(claims, key, limit=40)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(400, f"`{key}` is not an ISO 8601 timestamp.") from None
    if moment.tzinfo is None:
        raise ProtocolError(400, f"`{key}` has no time zone offset.")
    return moment


@dataclass(frozen=True)
class Envelope:
    agent_id: str
    business_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime


def check_envelope(claims: dict[str, Any], *, agent_id: str, business: str | None, now: dt.datetime) -> Envelope:
    """The trust claims of 3.07 after the signature: the agent, the business, the time window.

    `business` is the business the bearer token was issued for (None at key set-up, where the registration
    for the named business is looked up next). A message from another agent, for another business, issued in
    the future or expired is refused with 403: these are requests the agent cannot retry as they are.
    """
    envelope = Envelope(
        agent_id=text(claims, "agent-id", limit=64),
        business_id=text(claims, "business-id", limit=64),
        issued_at=timestamp(claims, "issued-at"),
        expires_at=timestamp(claims, "expires-at"),
    )
    if envelope.agent_id != agent_id:
        raise forbidden("`agent-id` is not the agent this token or key belongs to.")
    if business is not None and envelope.business_id != business:
        raise forbidden("`business-id` is not the business this token was issued for.")
    if now < envelope.issued_at:
        raise forbidden("`issued-at` is in the future: check the agent's clock.")
    if now >= envelope.expires_at:
        raise ProtocolError(403, "The request expired (`expires-at`).", fatal=True)
    if envelope.expires_at - envelope.issued_at > MAX_VALIDITY:
        raise forbidden(f"The request is valid for too long: at most {int(MAX_VALIDITY.total_seconds())} seconds.")
    version = claims.get("drp.version")
    if version is not None and version not in vocabulary.VERSIONS:
        raise ProtocolError(400, f"Unsupported `drp.version`: {', '.join(vocabulary.VERSIONS)} only.")
    return envelope


@dataclass(frozen=True)
class Person:
    """The person's claims (3.04, schema.org/Person), as the agent sends them."""

    name: str
    email: str
    email_verified: bool
    phone_number: str
    phone_number_verified: bool
    address: dict[str, str]
    address_verified: bool
    power_of_attorney: str

    def address_lines(self) -> list[str]:
        """The address's parts in the order of ADDRESS_FIELDS, a multi-line one (ADDRESS_LINES) line by line."""
        return [line.strip() for value in self.address.values() for line in value.split("\n") if line.strip()]


@dataclass(frozen=True)
class Exercise:
    action: str  # the protocol's action (canonical spelling)
    request_type: str  # ours
    scope: str
    regime: str
    country: str
    state: str
    province: str  # a Canadian province or territory, where the address says the person lives in Canada
    hints: tuple[str, ...]  # as sent
    relationships: tuple[str, ...]  # ours, in the order of the hints
    status_callback: str
    agent_request_id: str
    person: Person


ADDRESS_FIELDS = ("formatted", "street_address", "locality", "region", "postal_code", "country")
# OpenID Connect Core 5.1.1: these two "MAY contain multiple lines, separated by newlines".
ADDRESS_LINES = frozenset({"formatted", "street_address"})


def person_of(claims: dict[str, Any]) -> Person:
    """The person's claims. The email is required: our directory entry lists the email as the verification we
    support (3.04: the corresponding identity fields SHOULD be in the request), and it is what the person is
    identified, verified and matched by. The name is taken if known (3.04: "if known"), else left empty."""
    address = claims.get("address") or {}
    if not isinstance(address, dict) or not all(isinstance(v, str) for v in address.values()):
        raise ProtocolError(400, "`address` must be an object of strings (OpenID Connect Core 5.1.1).")
    email = text(claims, "email", required=False, limit=254)
    if not email:
        raise ProtocolError(
            400,
            "`email` is required: the person's email address is the identity this business verifies and matches "
            'records by (its directory entry: "supported_verifications": ["email"]).',
        )
    return Person(
        name=text(claims, "name", required=False),
        email=email,
        email_verified=claims.get("email_verified") is True,
        phone_number=text(claims, "phone_number", required=False, limit=32),
        phone_number_verified=claims.get("phone_number_verified") is True,
        address={k: text(address, k, limit=300, lines=k in ADDRESS_LINES) for k in ADDRESS_FIELDS if address.get(k)},
        address_verified=claims.get("address_verified") is True,
        power_of_attorney=text(claims, "power_of_attorney", required=False, limit=500),
    )


def read_exercise(claims: dict[str, Any], *, allow_http_callbacks: bool = False) -> Exercise:
    """The exercise request's own claims (2.01), in our vocabulary; 400 for what we cannot file."""
    action = vocabulary.canonical_action(text(claims, "exercise", limit=40))
    if action in vocabulary.REFUSED:
        raise ProtocolError(400, f"Unsupported rights action {action}: {vocabulary.REFUSED[action]}", fatal=True)
    if action not in vocabulary.ACTIONS:
        raise ProtocolError(400, "Unsupported rights actions submitted.", fatal=True)
    regime = text(claims, "regime", required=False, limit=20).lower()
    person = person_of(claims)
    if regime:
        if regime not in vocabulary.REGIMES:
            raise ProtocolError(400, f"Unsupported regime: {', '.join(vocabulary.REGIMES)} only.", fatal=True)
        country, state = vocabulary.REGIMES[regime]
        province = ""
    else:
        country = person.address.get("country", "").upper()
        region = person.address.get("region", "").upper()
        state, province = (region if country == "US" else ""), (region if country == "CA" else "")
        if len(country) != 2 or (country == "US" and len(state) != 2):
            raise ProtocolError(
                400, "Without a regime, the address claim must give the person's country (and US state).", fatal=True
            )
    hints = claims.get("relationships") or []
    if not isinstance(hints, list) or not all(isinstance(h, str) and len(h) <= 64 for h in hints) or len(hints) > 20:
        raise ProtocolError(400, "`relationships` must be a list of short strings.")
    callback = text(claims, "status_callback", required=False, limit=500)
    if callback:
        check_callback_url(callback, allow_http=allow_http_callbacks)
    agent_request_id = text(claims, "agent-request-id", required=False, limit=100)
    act = vocabulary.ACTIONS[action]
    return Exercise(
        action=action,
        request_type=act.request_type,
        scope=act.scope,
        regime=regime,
        country=country,
        state=state,
        province=province,
        hints=tuple(hints),
        relationships=tuple(
            dict.fromkeys(r for r in (relationship_of(h) for h in hints) if r is not None)  # once each, in order
        ),
        status_callback=callback,
        agent_request_id=agent_request_id,
        person=person,
    )


def relationship_of(hint: str) -> str | None:
    key = hint.strip().lower()
    if key in RELATIONSHIPS:
        return key
    return vocabulary.RELATIONSHIP_HINTS.get(key)


def check_callback_url(url: str, *, allow_http: bool) -> None:
    """A status callback goes to an https URL with a host and no credentials in it."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ProtocolError(400, "`status_callback` must be an https URL.")


@dataclass(frozen=True)
class Revoke:
    request_id: uuid.UUID
    reason: str


def read_revoke(claims: dict[str, Any]) -> Revoke:
    """The revoke message (2.04): an optional `reason`, and, as we require, the `request_id` it revokes (the
    protocol's name for a request's id, 3.03), so that a signed revoke holds for that one request only."""
    try:
        request_id = uuid.UUID(text(claims, "request_id", limit=64))
    except ValueError:
        raise ProtocolError(400, "`request_id` is not a request id.") from None
    return Revoke(request_id=request_id, reason=text(claims, "reason", required=False, limit=1000))
