"""Deadline storage: ask the engine (dsr.engine.deadlines) about a request and store its answer.

The computed due dates are stored on the request and its assignments so the sweeps find what is due
through partial indexes. Nothing here reads the wall clock: every function is given `now`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from policies.laws import LawRules, parse_law
from policies.models import LawRulesVersion, PolicyVersion
from policies.services import LawSet, laws_in_force, response_promises

from ..engine import deadlines as engine
from ..models import Assignment, Request
from .timeline import SYSTEM, Actor, Step, record

# Reminders to an assignee this many days before its due date; escalation to staff once it is overdue.
REMINDER_DAYS: tuple[int, ...] = (7, 2)
# Where no applicable law fixes a period (India's DPDP access rights, Singapore's "as soon as reasonably
# possible"), work still needs a date: the shortest common statutory period, named as a target, not a law.
INTERNAL_TARGET = dt.timedelta(days=30)


# The entries of stored law-rules versions, by digest: a version never changes once written.
_STORED: dict[str, dict[str, Any]] = {}
_STORED_MAX = 1024


def law_entries(codes: Sequence[str]) -> dict[str, Any]:
    """The laws' entries as loaded now, {code: entry}."""
    return store_key(codes)[1]


def store_key(codes: Sequence[str], *, laws: LawSet | None = None) -> tuple[str, dict[str, Any]]:
    """(digest, {code: entry}) of these laws as loaded now (or in `laws`, read by the caller just now)."""
    laws = laws or laws_in_force()
    missing = [code for code in codes if code not in laws.entries]
    if missing:
        raise engine.DeadlineError(f"Unknown law {', '.join(missing)}: run load_policies.")
    return laws.subset(codes)


def store_law_rules(codes: Sequence[str], *, laws: LawSet | None = None) -> str:
    """Keep these laws' rules as loaded now, for a request received now; returns the version's key.

    One row per distinct set of entries, shared by every request received under it (written once: a
    second writer, in this or another process, finds it there and leaves it). The insert is made every
    time rather than remembered per process, so a rolled-back first writer cannot leave a dangling key.
    """
    digest, entries = store_key(codes, laws=laws)
    LawRulesVersion.objects.bulk_create([LawRulesVersion(sha256=digest, entries=entries)], ignore_conflicts=True)
    return digest


def stored_entries(digest: str) -> dict[str, Any]:
    """The entries of a stored law-rules version (read once per process: versions never change)."""
    entries = _STORED.get(digest)
    if entries is None:
        entries = LawRulesVersion.objects.values_list("entries", flat=True).get(pk=digest)
        if len(_STORED) >= _STORED_MAX:
            _STORED.clear()
        _STORED[digest] = entries
    return entries


def law_rules(codes: Sequence[str], *, entries: dict[str, Any] | None = None) -> list[LawRules]:
    """The typed rules of these laws: from the entries kept with a request, else as loaded now.

    A request keeps the rules in force when it was received, so a later change to laws.yaml does not
    move the deadlines of requests already running when they are recomputed (pause, extension).
    """
    if entries is None or any(code not in entries for code in codes):
        entries = law_entries(codes)
    return [parse_law(entries[code], where="request") for code in codes]


# Parsed rules of stored law-rules versions, by digest and laws: a version never changes, and LawRules are
# immutable, so every request kept under one version shares them (parsing is most of routing's CPU).
_PARSED: dict[tuple[str, tuple[str, ...]], list[LawRules]] = {}


def request_law_rules(request: Request) -> list[LawRules]:
    """The rules of the laws that apply to this request, as kept with it at receipt."""
    if not request.law_rules_id:
        return law_rules(request.law_codes)
    key = (request.law_rules_id, tuple(request.law_codes))
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = law_rules(request.law_codes, entries=stored_entries(request.law_rules_id))
        if len(_PARSED) >= _STORED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return list(parsed)


def deadlines_for(
    version: PolicyVersion,
    *,
    law_codes: Sequence[str],
    request_type: str,
    received_at: dt.datetime,
    pauses: Sequence[engine.Pause] = (),
    extension: engine.ExtensionRequest | None = None,
    entries: dict[str, Any] | None = None,
) -> engine.DeadlineResult:
    """Ask the deadline engine about a request under one policy version (its promises, zone and country)."""
    promises = [engine.Promise.from_mapping(item) for item in response_promises(version)]
    if not law_codes and not promises:
        # No law reaches the person and the vendor promises nothing (routing.choose_laws): no legal date,
        # so `response_due_at` sets the office's internal target.
        return engine.DeadlineResult(
            request_type=request_type,
            received_at=received_at,
            received_on=received_at.astimezone(ZoneInfo(version.timezone)).date(),
            timezone=version.timezone,
            country=version.country or None,
            subdivision=None,
            deadlines=(),
            notes=("No law applies to this request and the vendor makes no promise: no legal deadline.",),
        )
    return engine.compute_deadlines(
        law_rules(law_codes, entries=entries),
        request_type=request_type,
        received_at=received_at,
        timezone=version.timezone,
        country=version.country or None,
        promises=promises,
        pauses=pauses,
        extension=extension,
    )


def can_extend(request: Request) -> bool:
    """Whether a law of this request lets its deadline be extended (none does for a CCPA opt-out)."""
    return not request.extended and engine.extendable(request_law_rules(request), request.request_type)


def local_date(request: Request, moment: dt.datetime) -> dt.date:
    """The calendar day `moment` falls on in the responder's time zone."""
    return moment.astimezone(ZoneInfo(request.policy_version.timezone)).date()


def compute_for(
    request: Request,
    *,
    now: dt.datetime,
    extension_on: dt.date | None = None,
    extended: bool | None = None,
    new: bool = False,
) -> engine.DeadlineResult:
    """The deadlines of this request as it stands at `now` (or as it would be with the given extension).

    `new`: a request not stored yet (filed in bulk), which has no pauses to read.
    """
    today = local_date(request, now)
    pauses = [
        # An open pause counts up to today; resuming recomputes with its real end.
        engine.Pause(start=p.started_on, end=p.ended_on or max(today, p.started_on), kind=p.kind)  # type: ignore[arg-type]
        for p in (() if new else request.pauses.all())
    ]
    return deadlines_for(
        request.policy_version,
        law_codes=request.law_codes,
        entries=stored_entries(request.law_rules_id) if request.law_rules_id else None,
        request_type=request.request_type,
        received_at=request.received_at,
        pauses=pauses,
        extension=engine.ExtensionRequest(
            taken=request.extended if extended is None else extended,
            announced_on=extension_on or request.extension_announced_on,
        ),
    )


def response_due_at(result: engine.DeadlineResult) -> tuple[dt.datetime, str]:
    """The date work is due: the strictest legal deadline, or an internal target where no law fixes one."""
    strictest = result.strictest
    if strictest is not None and strictest.due_at is not None:
        return strictest.due_at, strictest.explanation
    target = engine.end_of_day(result.received_on + INTERNAL_TARGET, ZoneInfo(result.timezone))
    return target, (
        f"No law that applies fixes a deadline for this request. The back office sets an internal target of "
        f"{INTERNAL_TARGET.days} days from receipt ({target.date().isoformat()}), so the request is not forgotten; "
        "answer as soon as reasonably possible."
    )


def apply_deadlines(request: Request, *, now: dt.datetime, reason: str, actor: Actor = SYSTEM) -> engine.DeadlineResult:
    """Recompute and store the request's deadlines (inside the caller's transaction), with an event."""
    result = store_deadlines(request, now=now)
    record_deadlines(request, now=now, reason=reason, actor=actor)
    return result


def store_deadlines(request: Request, *, now: dt.datetime) -> engine.DeadlineResult:
    """Recompute and store the request's deadlines (inside the caller's transaction), without their event.

    For a status change that moves the deadlines (a pause, its end): the new dates are stored before the
    change's own event, which announces it (timeline.record), so what the announcement's receivers read (an
    agent's `expected_by`) is the request as it will be committed; `record_deadlines` then follows that event.
    """
    previous = request.due_at
    result = set_deadlines(request, now=now)
    request.save(update_fields=list(DEADLINE_FIELDS))
    if request.due_at != previous:
        # A new due date starts the reminders and the escalation over, counted from it.
        open_ = request.assignments.filter(status=Assignment.Status.OPEN)
        reset: dict[str, Any] = {"reminders_sent": [], "escalated_at": None, "next_action_at": None}
        inner = (Assignment.Action.ASSIST_CONTROLLER, *RECIPIENT_ACTIONS)
        open_.exclude(action__in=inner).update(due_at=request.due_at, **reset)
        open_.filter(action=Assignment.Action.ASSIST_CONTROLLER).update(due_at=assist_due_at(request), **reset)
        open_.filter(action__in=RECIPIENT_ACTIONS).update(due_at=recipients_due_at(request), **reset)
        schedule_assignments(request)
    return result


def record_deadlines(request: Request, *, now: dt.datetime, reason: str, actor: Actor = SYSTEM) -> None:
    """The timeline event saying the deadlines were computed, and why (after `store_deadlines`)."""
    step = deadlines_step(request, reason=reason)
    record(request, step.kind, step.message, actor=actor, now=now, data=step.data, policy_version=step.policy_version)


# What set_deadlines writes on a request.
DEADLINE_FIELDS = ("deadlines", "due_at", "ack_due_at", "extension_notice_due_at", "next_action_at")


def set_deadlines(request: Request, *, now: dt.datetime, new: bool = False) -> engine.DeadlineResult:
    """Compute the request's deadlines onto the instance (DEADLINE_FIELDS; nothing saved)."""
    result = compute_for(request, now=now, new=new)
    request.deadlines = result.as_dict()
    request.due_at, request.deadlines["summary"] = response_due_at(result)
    request.ack_due_at = result.acknowledgement.due_at if result.acknowledgement else None
    request.extension_notice_due_at = result.extension_notice.due_at if result.extension_notice else None
    forward = forward_for(request)
    request.deadlines["forward"] = forward.to_dict() if forward is not None else None
    recipients = recipients_target_for(request)
    request.deadlines["recipients"] = recipients.to_dict() if recipients is not None else None
    request.next_action_at = request.due_at
    return result


def deadlines_step(request: Request, *, reason: str) -> Step:
    """The timeline step saying the deadlines were computed, and why."""
    return Step(
        request,
        "deadlines",
        f"Deadlines computed ({reason}). " + deadline_summary(request),
        data={"due_at": request.due_at.isoformat() if request.due_at else None, "reason": reason},
        policy_version=request.policy_version,
    )


def forward_for(request: Request) -> engine.ForwardTarget | None:
    """Where the vendor is only a processor: its target to forward the request to the controller."""
    return _inner_target(request, engine.forward_target)


# The tasks that pass a request on to the data's recipients: due by the recipients' target (`recipients_due_at`).
RECIPIENT_ACTIONS = (Assignment.Action.PROPAGATE, Assignment.Action.IDENTIFY_RECIPIENTS)


def recipients_target_for(request: Request) -> engine.ForwardTarget | None:
    """By when the data's recipients are told of the request (GDPR Art 19; CCPA 1798.105(c), 11 CCR 7026(f))."""
    return _inner_target(request, engine.recipient_target, request_type=request.request_type)


def _inner_target(
    request: Request, target: Callable[..., engine.ForwardTarget | None], **extra: str
) -> engine.ForwardTarget | None:
    """One of the engine's internal targets inside the request's own date, in the responder's calendar."""
    if request.due_at is None:
        return None
    version = request.policy_version
    return target(
        request_law_rules(request),
        received_at=request.received_at,
        timezone=version.timezone,
        country=version.country or None,
        response_due=local_date(request, request.due_at),
        **extra,
    )


def recipients_due_at(request: Request) -> dt.datetime:
    """When a task to tell the recipients is due: their target, never after the request's own date."""
    assert request.due_at is not None
    target = (request.deadlines or {}).get("recipients")
    if not target:
        return request.due_at
    return min(request.due_at, dt.datetime.fromisoformat(target["due_at"]))


def recipients_basis(request: Request) -> str:
    """The legal source of the duty to tell the recipients, as stored with the target ("" where none)."""
    target = (request.deadlines or {}).get("recipients")
    steps = target.get("steps") if target else None
    source = steps[0].get("source") if steps else None
    return str(source["cite"]) if source else ""


def controller_sets_deadline(request: Request) -> bool:
    """Whether the vendor is only a processor for everything the person's relationships cover.

    Then the answer's deadline is the controller's (the vendor's business customer), counted from when it
    receives the request; the vendor only forwards and assists (EDPB Guidelines 07/2020 paras 127-129), so
    the person is not shown a date as if the vendor owed the answer.
    """
    return request.policy_version.policy.processor_only(request.relationships)


def forward_date(request: Request) -> dt.date | None:
    """The day the vendor forwards the request to its controller, where it has a forwarding target."""
    forward = (request.deadlines or {}).get("forward")
    return dt.date.fromisoformat(forward["due_date"]) if forward else None


def assist_due_at(request: Request) -> dt.datetime:
    """When an assist-the-controller task is due: the forwarding target, never after the request's own date."""
    assert request.due_at is not None
    forward = (request.deadlines or {}).get("forward")
    if not forward:
        return request.due_at
    return min(request.due_at, dt.datetime.fromisoformat(forward["due_at"]))


def due_date(request: Request) -> dt.date | None:
    """The response due date as the responder counts it (the local date of `due_at`)."""
    if request.due_at is None:
        return None
    return local_date(request, request.due_at)


def deadline_summary(request: Request) -> str:
    return str((request.deadlines or {}).get("summary") or "The deadline is set once the email address is confirmed.")


def schedule_assignments(request: Request) -> None:
    """Set each open assignment's next reminder (dsr.requests.sweeps reads it through a partial index)."""
    for assignment in request.assignments.filter(status=Assignment.Status.OPEN):
        assignment.next_action_at = next_reminder_at(assignment)
        assignment.save(update_fields=["next_action_at"])


def next_reminder_at(assignment: Assignment) -> dt.datetime | None:
    """When the sweep should next look at this assignment: the next reminder, else the moment it is overdue.

    Once escalated, nothing more is due (reminders before the due date are moot): the row leaves the
    sweep's index, even if it was first seen already overdue with no reminder sent.
    """
    if assignment.status != Assignment.Status.OPEN or assignment.escalated_at is not None:
        return None
    for days in REMINDER_DAYS:
        if days not in assignment.reminders_sent:
            return assignment.due_at - dt.timedelta(days=days)
    return assignment.due_at
