"""Status callbacks (DRP 2.03): on every change of a request's state the agent's `status_callback` is POSTed
the Exercise Status object. Pure: what to send, where, and under which key (one delivery per change)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import states


@dataclass(frozen=True)
class Callback:
    url: str
    payload: dict[str, Any]
    key: str  # the outbox's key: at most one delivery per change of this request


def callback(
    url: str,
    snapshot: states.Snapshot,
    *,
    change: str,
    old_status: str,
    followed: states.Snapshot | None = None,
    followed_old_status: str | None = None,
) -> Callback | None:
    """The callback for a change from `old_status` to the snapshot's status (`change` names it: the timeline
    event's id), or None where there is nothing to send: no callback URL, or nothing the agent would see change
    (e.g. responders' answers awaiting approval: in_progress before and after, the same details).

    For a duplicate, the change is the followed request's (from `followed_old_status`): its state is the
    duplicate's."""
    if not url:
        return None
    payload = states.status_object(snapshot, followed=followed)
    if followed is not None and followed_old_status is not None:
        before = states.status_object(snapshot, followed=replace(followed, status=followed_old_status))
    else:
        before = states.status_object(replace(snapshot, status=old_status), followed=followed)
    if before == payload:
        return None
    return Callback(url=url, payload=payload, key=f"drp:{snapshot.request_id}:{change}")
