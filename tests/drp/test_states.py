"""Our statuses in the protocol's states (DRP v1.0 section 3.02), one table, checked against every status of
dsr.models.Request.Status (the statuses of dsr/requests/transitions.py) and every state of the protocol."""

from __future__ import annotations

import datetime as dt

import pytest

from api.drp import states
from dsr.models import Request

RECEIVED = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 4, 15, 23, 59, tzinfo=dt.UTC)


def snapshot(status: str, **changes: object) -> states.Snapshot:
    fields: dict[str, object] = {
        "request_id": "c789ff35-7644-4ceb-9981-4b35c264aac3",
        "agent_request_id": "",
        "status": status,
        "received_at": RECEIVED,
        "due_at": DUE,
        "extended": False,
        **changes,
    }
    return states.Snapshot(**fields)  # type: ignore[arg-type]


def test_every_status_of_ours_has_exactly_one_meaning_in_the_protocol() -> None:
    assert set(states.TABLE) == set(Request.Status.values)


def test_every_meaning_is_a_state_and_reason_of_the_protocol() -> None:
    for status, state in states.TABLE.items():
        assert state.status in (*states.DRP_STATES, states.FOLLOWS), status
        assert not state.reason or state.reason in states.DRP_REASONS[state.status], status
        assert state.why, status


def test_every_state_and_reason_of_the_protocol_is_either_sent_or_said_why_not() -> None:
    sent = {s.status for s in states.TABLE.values()} | {s.reason for s in states.TABLE.values() if s.reason}
    protocol = set(states.DRP_STATES) | {r for reasons in states.DRP_REASONS.values() for r in reasons}
    assert protocol - sent == set(states.NEVER_SENT)
    assert not sent & set(states.NEVER_SENT)


@pytest.mark.parametrize(
    ("ours", "theirs", "reason"),
    [
        ("submitted", "open", None),
        ("verified", "in_progress", None),
        ("in_progress", "in_progress", None),
        ("awaiting_subject", "in_progress", None),
        ("awaiting_approval", "in_progress", None),
        ("completed", "fulfilled", None),
        ("partially_completed", "fulfilled", None),
        ("rejected", "denied", "other"),
        ("withdrawn", "revoked", None),
        # Our "expired" is a verification that timed out (3.02: denied/insuf_verification), not the protocol's
        # "expired" (past the request's own expires_at): the same word, another meaning.
        ("expired", "denied", "insuf_verification"),
    ],
)
def test_the_status_object_says_the_mapped_state(ours: str, theirs: str, reason: str | None) -> None:
    body = states.status_object(snapshot(ours))
    assert body["status"] == theirs and body.get("reason") == reason
    assert body["request_id"] == "c789ff35-7644-4ceb-9981-4b35c264aac3"
    assert body["received_at"] == "2026-03-02T09:00:00Z"
    # 3.03: "For requests which have been acknowledged and entered 'in progress' state, expected_by MUST be provided."
    assert ("expected_by" in body) == (theirs == "in_progress")


def test_a_partial_answer_is_fulfilled_with_the_records_kept_said_in_words() -> None:
    body = states.status_object(snapshot("partially_completed"))
    assert body["status"] == "fulfilled" and "kept where a law requires" in body["processing_details"]
    assert "processing_details" not in states.status_object(snapshot("completed"))


def test_an_extension_moves_expected_by_and_says_so() -> None:
    """DRP 3.08: an extended request's expected_by moves and processing_details gives the reason."""
    later = DUE + dt.timedelta(days=45)
    body = states.status_object(snapshot("in_progress", due_at=later, extended=True))
    assert body["expected_by"] == "2026-05-30T23:59:00Z"
    assert body["processing_details"] == states.EXTENDED


def test_a_duplicate_reports_the_state_of_the_request_it_was_joined_to_under_its_own_id() -> None:
    own = snapshot("duplicate", agent_request_id="second")
    followed = snapshot("completed", request_id="other-id")
    body = states.status_object(own, followed=followed)
    assert body["status"] == "fulfilled" and body["request_id"] == own.request_id
    assert body["agent_request_id"] == "second" and "already open" in body["processing_details"]
    with pytest.raises(ValueError, match="follows"):
        states.status_object(own)


def test_an_unknown_status_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="No protocol state"):
        states.state_of("archived")
