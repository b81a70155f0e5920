"""Our statuses in the protocol's states (DRP v1.0 section 3.02), in one table, and the Exercise Status object
(3.03) built from a request: pure, no database.

Meanings are kept, not bent: where our status says more than a protocol state, the protocol's
`processing_details` says it in words; where a protocol state means something we never do, we never send it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# The protocol's states and reasons (3.02).
DRP_STATES = ("open", "in_progress", "fulfilled", "revoked", "denied", "expired")
DRP_REASONS = {
    "in_progress": ("need_user_verification",),
    "denied": (
        "suspected_fraud",
        "insuf_verification",
        "no_match",
        "claim_not_covered",
        "outside_jurisdiction",
        "too_many_requests",
        "other",
    ),
}
FINAL_STATES = frozenset({"fulfilled", "revoked", "denied", "expired"})

# The state's meaning follows the request a duplicate was joined to (the same person's, by the same agent).
FOLLOWS = "follows"


@dataclass(frozen=True)
class State:
    status: str  # the protocol's state, or FOLLOWS
    reason: str  # "" where the protocol gives none
    details: str  # processing_details: what our status adds, in plain words ("" where nothing)
    why: str  # why this is the meaning of ours (for review; never sent)


# Every status of dsr.models.Request.Status, and nothing else (tests/drp/test_states.py checks both ways).
TABLE: dict[str, State] = {
    "submitted": State(
        "open",
        "",
        "",
        "Received, not yet acknowledged. 'need_user_verification' would need a user_verification_url (3.02.1); "
        "an agent's request is confirmed at once, so this is only seen for an instant.",
    ),
    "verified": State(
        "in_progress", "", "", "Acknowledged: deadlines set, the acknowledgement sent ('CB has acknowledged receipt')."
    ),
    "in_progress": State("in_progress", "", "", "With the people who must answer it."),
    "awaiting_subject": State(
        "in_progress",
        "",
        "We have asked for more information and are waiting for it.",
        "A pause for information is still work in progress; need_user_verification would need a URL we do not give.",
    ),
    "awaiting_approval": State(
        "in_progress", "", "The answer is being reviewed before it is sent.", "Answered by responders, not yet sent."
    ),
    "completed": State("fulfilled", "", "", "Answered in full: the process is finished."),
    "partially_completed": State(
        "fulfilled",
        "",
        "Completed in part: some records are kept where a law requires it; the answer says which and why.",
        "The process is finished; what a law makes the vendor keep is told in the answer, not a denial.",
    ),
    "rejected": State(
        "denied",
        "other",
        "The request was refused; the answer gives the reasons.",
        "Our refusals carry their reasons in words, not in the protocol's reason codes: 'other' claims none of them.",
    ),
    "withdrawn": State("revoked", "", "", "Withdrawn by the person or their agent: 'user has explicitly actioned'."),
    "expired": State(
        "denied",
        "insuf_verification",
        "The request's address was never confirmed in time.",
        "Our 'expired' is verification that timed out (3.02: insuf_verification), not the protocol's 'expired', "
        "which is about the request's own expires_at.",
    ),
    "duplicate": State(
        FOLLOWS,
        "",
        "The same request of the same person was already open: it is answered there.",
        "Joined to the same person's open request (same agent): its state is this request's state.",
    ),
}

# Protocol states we never send, and why (checked by the tests: every state is either sent or listed here).
NEVER_SENT: dict[str, str] = {
    "expired": "We keep every request's record; none expires in the protocol's sense.",
    "need_user_verification": "We give no user_verification_url: staff ask the person through the agent.",
    "suspected_fraud": "Refusal reasons are in words (`other`).",
    "no_match": "Refusal reasons are in words (`other`).",
    "claim_not_covered": "Refusal reasons are in words (`other`).",
    "outside_jurisdiction": "Refusal reasons are in words (`other`).",
    "too_many_requests": "Refusal reasons are in words (`other`).",
}

EXTENDED = "The deadline was extended, as the law allows; the person has been told why."


def state_of(status: str) -> State:
    try:
        return TABLE[status]
    except KeyError:
        raise ValueError(f"No protocol state for our status {status!r}.") from None


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


@dataclass(frozen=True)
class Snapshot:
    """What the status object is built from: the request (or, for a duplicate, the one it follows)."""

    request_id: str
    agent_request_id: str
    status: str  # ours
    received_at: dt.datetime
    due_at: dt.datetime | None
    extended: bool


def status_object(snapshot: Snapshot, *, followed: Snapshot | None = None) -> dict[str, Any]:
    """The Exercise Status object (3.03) for an agent: no personal data, only where the request stands.

    `followed` is the request a duplicate was joined to; its state is reported, with this request's id.
    """
    own = state_of(snapshot.status)
    source = snapshot
    details = [own.details] if own.details else []
    if own.status == FOLLOWS:
        if followed is None:
            raise ValueError("A duplicate's status follows the request it was joined to.")
        source = followed
        own = state_of(followed.status)
        if own.details:
            details.append(own.details)
    body: dict[str, Any] = {
        "request_id": snapshot.request_id,
        "status": own.status,
        "received_at": iso(snapshot.received_at),
    }
    if snapshot.agent_request_id:
        body["agent_request_id"] = snapshot.agent_request_id
    if own.reason:
        body["reason"] = own.reason
    if own.status == "in_progress" and source.due_at is not None:
        body["expected_by"] = iso(source.due_at)  # 3.03: MUST be given once in progress
    if source.extended and own.status == "in_progress":
        details.append(EXTENDED)
    if details:
        body["processing_details"] = " ".join(details)
    return body
