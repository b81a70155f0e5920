"""Status callbacks (DRP 2.03): on every change of a request the agent can see (its state, or an extension of its
deadline, 3.08) the agent's `status_callback` is POSTed the Exercise Status object. Pure: what to send, where, and
under which key (one delivery per change)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from . import states


@dataclass(frozen=True)
class Callback:
    url: str
    payload: dict[str, Any]
    key: str  # the outbox's key: at most one delivery per change of this request


@dataclass(frozen=True)
class Earlier:
    """The changed request as it was before the change: its status, and its deadline and whether it was
    extended (the same as now for a change of status; the date before, and not extended, for an extension)."""

    status: str
    due_at: dt.datetime | None
    extended: bool

    def of(self, snapshot: states.Snapshot) -> states.Snapshot:
        return replace(snapshot, status=self.status, due_at=self.due_at, extended=self.extended)


def callback(
    url: str,
    snapshot: states.Snapshot,
    *,
    change: str,
    earlier: Earlier,
    followed: states.Snapshot | None = None,
) -> Callback | None:
    """The callback for a change of a request from `earlier` to the snapshot (`change` names it: the timeline
    event's id), or None where there is nothing to send: no callback URL, or nothing the agent would see change
    (e.g. responders' answers awaiting approval: in_progress before and after, the same details).

    For a duplicate, the change is the followed request's (`earlier` is that request before it): its state is
    the duplicate's."""
    if not url:
        return None
    payload = states.status_object(snapshot, followed=followed)
    if followed is not None:
        before = states.status_object(snapshot, followed=earlier.of(followed))
    else:
        before = states.status_object(earlier.of(snapshot))
    if before == payload:
        return None
    return Callback(url=url, payload=payload, key=f"drp:{snapshot.request_id}:{change}")
