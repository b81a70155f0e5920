"""The audit trail's proof: each request's hash chain checked, and who looked at a person's data, on record.

A request's events form a chain (dsr.requests.timeline.record): each event's `hash` covers the previous
event's hash, its own fields and a salted digest of its message and data; the request keeps the last
hash (`last_event_hash`). `verify_request` recomputes the chain and names the first link that does not
hold: an event whose fields or content were changed, an event missing before another, an event missing at
the end. A redacted event's content is gone by design (the shredder), so only its digest's place in the
chain is checked, and only a purged request may have redacted events.

What the chain proves, honestly: any change made to one event, or a removed event, without rewriting
every later event and the head. Whoever can rewrite the whole chain (the database's owner, with the
trigger off) can forge it; an evidence export (dsr.requests.evidence) hands the head to someone outside,
and a later chain that no longer passes through that head is found out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ..models import Event, Request
from .timeline import Actor, content_digest, link_hash, record

# One "viewed" entry per staff member per request within this window: who looked, and when, without a row
# for every reload of the page.
VIEW_WINDOW = dt.timedelta(hours=1)
# The request's fields read with it, and each event's, to check a chain.
REQUEST_FIELDS = ("pk", "reference", "last_event_hash", "purged_at")
EVENT_FIELDS = (
    "id",
    "request_id",
    "at",
    "kind",
    "actor",
    "actor_user_id",
    "message",
    "data",
    "policy_version_id",
    "redacted",
    "salt",
    "content_digest",
    "prev_hash",
    "hash",
)
BATCH = 500


@dataclass(frozen=True)
class Break:
    """The first link of a request's chain that does not hold, in words."""

    reference: str
    event_id: int | None  # None: the break is after the last event (events removed from the end)
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "after the last event"
        return f"{self.reference}: {where}: {self.problem}"


@dataclass
class Report:
    """What a verification found: how much it checked and each broken chain's first break."""

    requests: int = 0
    events: int = 0
    broken: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken

    def summary(self) -> str:
        checked = f"Checked {self.requests} request(s), {self.events} event(s)"
        if self.intact:
            return f"{checked}: every chain is intact."
        return f"{checked}: {len(self.broken)} broken chain(s)."

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "events": self.events,
            "intact": self.intact,
            "broken": [{"reference": b.reference, "event": b.event_id, "problem": b.problem} for b in self.broken],
        }


def check_chain(request: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> tuple[int, Break | None]:
    """Check one request's events (in the order written, by id) against its head: (events seen, first break)."""
    reference = request["reference"]
    prev = ""
    last_id: int | None = None
    seen = 0
    for event in events:
        seen += 1
        where = event["id"]
        if event["prev_hash"] != prev:
            if last_id is None:
                problem = "it points to an earlier event, but no event comes before it: events were removed"
            else:
                problem = f"it does not follow event {last_id}: an event between them was removed or changed"
            return seen, Break(reference, where, problem)
        fields = {name: event[name] for name in ("request_id", "at", "kind", "actor", "actor_user_id")}
        recomputed = link_hash(
            prev, **fields, content_digest=event["content_digest"], policy_version_id=event["policy_version_id"]
        )
        if recomputed != event["hash"]:
            problem = "its hash does not match its fields: its time, kind, actor or policy version was changed"
            return seen, Break(reference, where, problem)
        if event["redacted"]:
            if request["purged_at"] is None:
                problem = "it is marked redacted, but the request's personal data was never deleted"
                return seen, Break(reference, where, problem)
        elif content_digest(event["salt"], event["message"], event["data"]) != event["content_digest"]:
            return seen, Break(reference, where, "its message or data was changed")
        prev, last_id = event["hash"], where
    if prev != request["last_event_hash"]:
        if last_id is None:
            return seen, Break(reference, None, "the request had events, and none is left")
        return seen, Break(reference, None, f"the chain ends at event {last_id}, but later events were written")
    return seen, None


def verify_request(reference: str) -> Report:
    """Check one request's chain, its row locked so no event is appended while it is read."""
    with transaction.atomic():
        request = (
            Request.objects.select_for_update(of=("self",)).filter(reference=reference).values(*REQUEST_FIELDS).get()
        )
        events = Event.objects.filter(request_id=request["pk"]).order_by("id").values(*EVENT_FIELDS)
        seen, broken = check_chain(request, events.iterator(chunk_size=2000))
    return Report(requests=1, events=seen, broken=[broken] if broken else [])


def verify_all() -> Report:
    """Check every request's chain, in batches of requests; a break is confirmed under the request's lock
    (an event appended between reading the request and its events is not a break)."""
    report = Report()
    after = 0
    while True:
        requests = list(Request.objects.filter(pk__gt=after).order_by("pk").values(*REQUEST_FIELDS)[:BATCH])
        if not requests:
            return report
        after = requests[-1]["pk"]
        by_request: dict[int, list[dict[str, Any]]] = {r["pk"]: [] for r in requests}
        events = Event.objects.filter(request_id__in=list(by_request)).order_by("request_id", "id")
        for event in events.values(*EVENT_FIELDS):
            by_request[event["request_id"]].append(event)
        for request in requests:
            seen, broken = check_chain(request, by_request[request["pk"]])
            if broken is not None:
                again = verify_request(request["reference"])
                seen, broken = again.events, (again.broken[0] if again.broken else None)
            report.requests += 1
            report.events += seen
            if broken is not None:
                report.broken.append(broken)


def record_view(request: Request, *, actor: Actor, now: dt.datetime, what: str = "the request's page") -> bool:
    """Put on the timeline that a staff member saw the request's personal data; False if they already
    had within VIEW_WINDOW (one entry per person per hour, not one per reload)."""
    with transaction.atomic(durable=True):
        locked = Request.objects.select_for_update(of=("self",)).only("pk", "last_event_hash").get(pk=request.pk)
        recent = Event.objects.filter(
            request_id=locked.pk,
            kind="viewed",
            actor=actor.label,
            actor_user_id=actor.user_id,
            at__gt=now - VIEW_WINDOW,
        )
        if recent.exists():
            return False
        message = f"{actor.label} viewed the person's data ({what})."
        record(locked, "viewed", message, actor=actor, now=now, data={"what": what})
    return True


def record_download(request: Request, *, name: str, actor: Actor, now: dt.datetime) -> None:
    """Put on the timeline that a staff member downloaded a file of the person's (each download)."""
    with transaction.atomic(durable=True):
        locked = Request.objects.select_for_update(of=("self",)).only("pk", "last_event_hash").get(pk=request.pk)
        record(locked, "file_downloaded", f"{actor.label} downloaded “{name}”.", actor=actor, now=now)
