"""Who acts on a request, and the one way a step is written to its timeline.

Every service takes the acting `Actor` and `now`; the event records both, with a foreign key to the
staff user where a person logged in acted, and the label for everyone else (the person, a responder
through their link, the system).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

from policies.models import PolicyVersion

from .. import bulk
from ..models import Event, Request
from .signals import StatusChange, status_changed, statuses_changed

# Staff act as a vendor team's handler or lead (StaffMembership.role; superusers act as leads).
Role = Literal["subject", "handler", "lead", "responder", "system"]
ROLES: tuple[Role, ...] = ("subject", "handler", "lead", "responder", "system")
STAFF_ROLES: tuple[Role, ...] = ("handler", "lead")


@dataclass(frozen=True)
class Actor:
    role: Role
    label: str
    user_id: int | None = None

    @classmethod
    def staff(cls, user: Any, role: Role) -> Actor:
        """A logged-in staff member acting in their role on this vendor's team (the event keeps the user)."""
        if role not in STAFF_ROLES:
            raise ValueError(f"{role!r} is not a staff role")
        return cls(role, str(user.get_username()), int(user.pk))

    @classmethod
    def responder(cls, name: str) -> Actor:
        """Whoever holds a responder's signed link for an assignment."""
        return cls("responder", f"responder: {name}")


SYSTEM = Actor("system", "system")
SUBJECT = Actor("subject", "subject")
AGENT = Actor("subject", "agent")  # an authorised agent, acting for the person


def record(
    request: Request,
    kind: str,
    message: str,
    *,
    actor: Actor,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    policy_version: PolicyVersion | None = None,
) -> Event:
    """Append one step to the request's timeline, chained to its previous step (inside the caller's transaction).

    Appends to one request are serialized by its row: the head of the chain (`last_event_hash`) moves by a
    conditional UPDATE from the head this instance last saw, which takes the row's lock until the
    transaction ends. Where the head moved meanwhile (another transaction appended first, or this
    instance is stale), the head is read again under the lock and the event chained to it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() appends inside the caller's transaction, with the chain's head.")
    step = Step(request, kind, message, data, policy_version)
    event = _chained(step, request.last_event_hash, actor=actor, now=now)
    heads = Request.objects.filter(pk=request.pk)
    if not heads.filter(last_event_hash=event.prev_hash).update(last_event_hash=event.hash):
        prev = heads.select_for_update(of=("self",)).values_list("last_event_hash", flat=True).get()
        event = _chained(step, prev, actor=actor, now=now)
        heads.update(last_event_hash=event.hash)
    request.last_event_hash = event.hash
    event.save(force_insert=True)
    _announce(request, event, now=now)
    return event


def _announce(request: Request, event: Event, *, now: dt.datetime) -> None:
    """Send `status_changed` when the event records a new status (every status change writes an event).

    The first event a new instance writes only notes its status: a request's filing is not a change.
    """
    change = _change(request, event)
    if change is not None:
        status_changed.send(
            sender=Request,
            request=request,
            old_status=change.old_status,
            new_status=change.new_status,
            event=event,
            now=now,
        )


def _change(request: Request, event: Event) -> StatusChange | None:
    """The status change `event` records (the request now announces its status), or None."""
    status = request.__dict__.get("status")
    announced = request.announced_status
    request.announced_status = status
    if announced is not None and status is not None and status != announced:
        return StatusChange(request, announced, status, event)
    return None


@dataclass(frozen=True)
class Step:
    """One timeline step for `record_many`: as `record`'s arguments."""

    request: Request
    kind: str
    message: str
    data: dict[str, Any] | None = None
    policy_version: PolicyVersion | None = None


def record_many(
    steps: Sequence[Step], *, actor: Actor, now: dt.datetime, announce: bool = False, also: Sequence[str] = ()
) -> list[Event]:
    """Append many steps at once, each chained to its request's previous step, in one INSERT and one UPDATE
    of the heads (inside the caller's transaction, which must hold the requests' rows: the sweep's
    `lock_requests`). The heads are read from the database, so a retried write chains from what is stored.
    With `announce`, the events that record a new status are announced together (`statuses_changed`).
    `also` names fields of the steps' requests written in the same UPDATE, as the requests hold them (the
    status routing sets): each row is rewritten once, not once a field."""
    if not steps:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_many() appends inside the caller's transaction, with the chains' heads.")
    ids = {step.request.pk for step in steps}
    heads = dict(
        Request.objects.select_for_update(of=("self",)).filter(pk__in=ids).values_list("pk", "last_event_hash")
    )
    events = []
    for step in steps:
        event = _chained(step, heads[step.request.pk], actor=actor, now=now)
        heads[step.request.pk] = step.request.last_event_hash = event.hash
        events.append(event)
    requests = {step.request.pk: step.request for step in steps}
    bulk.update_each(
        Request,
        ["last_event_hash", *also],
        {pk: [head, *(getattr(requests[pk], name) for name in also)] for pk, head in heads.items()},
    )
    written = bulk.insert(Event, events)
    if announce:
        changes = [c for step, event in zip(steps, written, strict=True) if (c := _change(step.request, event))]
        if changes:
            statuses_changed.send(sender=Request, changes=changes, now=now)
    return written


def record_new(steps: Sequence[Step], *, actors: Sequence[Actor], now: dt.datetime) -> list[Event]:
    """The first steps of requests inserted in this transaction (filed in bulk): each chained after its
    request's previous step, in one INSERT and one UPDATE of the heads. `actors[i]` took `steps[i]`.

    Nobody else can append to a request not yet committed, so the heads are those in memory. No status
    change is announced: a filing is the request's first state, not a change of one.
    """
    if not steps:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_new() appends inside the transaction that inserted the requests.")
    events = chain_new(steps, actors=actors, now=now)
    bulk.update_each(Request, ["last_event_hash"], {event.request_id: [event.hash] for event in events})
    return bulk.insert(Event, events)


def chain_new(steps: Sequence[Step], *, actors: Sequence[Actor], now: dt.datetime) -> list[Event]:
    """The first steps of new requests as unsaved events, chained in memory, each request's head moved on
    the request object (`last_event_hash`): for a caller that inserts the requests after, with their ids
    already given (dsr.bulk.reserve_ids), and then the events. `actors[i]` took `steps[i]`."""
    events = []
    for step, actor in zip(steps, actors, strict=True):
        if step.request.pk is None:
            raise RuntimeError("chain_new() links each step to its request's id: give the requests their ids.")
        event = _chained(step, step.request.last_event_hash, actor=actor, now=now)
        step.request.last_event_hash = event.hash
        events.append(event)
    return events


def _chained(step: Step, prev: str, *, actor: Actor, now: dt.datetime) -> Event:
    """The step as an unsaved event chained after `prev`: a fresh salt, its content digest and its link."""
    data = step.data or {}
    salt = secrets.token_hex(16)
    digest = content_digest(salt, step.message, data)
    head = link_hash(
        prev,
        request_id=step.request.pk,
        at=now,
        kind=step.kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        content_digest=digest,
        policy_version_id=step.policy_version.pk if step.policy_version else None,
    )
    return Event(
        request=step.request,
        at=now,
        kind=step.kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        message=step.message,
        data=data,
        policy_version=step.policy_version,
        salt=salt,
        content_digest=digest,
        prev_hash=prev,
        hash=head,
    )


def _canonical(value: Any) -> bytes:
    """One spelling of a value as bytes: JSON with sorted keys, no spaces, UTF-8 (what the hashes cover)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_digest(salt: str, message: str, data: Any) -> str:
    """SHA-256 of an event's personal content (message and data) with its salt."""
    return hashlib.sha256(_canonical(["dsr-event-content/1", salt, message, data])).hexdigest()


def link_hash(
    prev_hash: str,
    *,
    request_id: int,
    at: dt.datetime,
    kind: str,
    actor: str,
    actor_user_id: int | None,
    content_digest: str,
    policy_version_id: int | None,
) -> str:
    """The event's link in its request's chain: SHA-256 over the previous hash and the event's fields.

    The content enters only through its digest, so redaction (which blanks message and data) leaves the
    chain whole. The time is written in UTC to the microsecond, as the database keeps it.
    """
    when = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [prev_hash, request_id, when, kind, actor, actor_user_id, content_digest, policy_version_id]
    return hashlib.sha256(_canonical(["dsr-event/1", *fields])).hexdigest()
