"""Who acts on a request, and the one way a step is written to its timeline.

Every service takes the acting `Actor` and `now`; the event records both, with a foreign key to the
staff user where a person logged in acted, and the label for everyone else (the person, a responder
through their link, the system).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from policies.models import PolicyVersion

from ..models import Event, Request

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
    """Append one step to the request's timeline (inside the caller's transaction)."""
    event = _event(Step(request, kind, message, data, policy_version), actor=actor, now=now)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Step:
    """One timeline step for `record_many`: as `record`'s arguments."""

    request: Request
    kind: str
    message: str
    data: dict[str, Any] | None = None
    policy_version: PolicyVersion | None = None


def record_many(steps: Sequence[Step], *, actor: Actor, now: dt.datetime) -> list[Event]:
    """Append many steps at once, in one INSERT (inside the caller's transaction), in the order given."""
    return Event.objects.bulk_create([_event(step, actor=actor, now=now) for step in steps])


def _event(step: Step, *, actor: Actor, now: dt.datetime) -> Event:
    return Event(
        request=step.request,
        at=now,
        kind=step.kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        message=step.message,
        data=step.data or {},
        policy_version=step.policy_version,
    )
