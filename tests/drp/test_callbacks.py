"""What a status callback carries (DRP 2.03: the Exercise Status object) and when one is due."""

from __future__ import annotations

import datetime as dt

from api.drp import states
from api.drp.callbacks import Earlier, callback
from tests.drp.test_states import DUE, snapshot

URL = "https://agent.example/drp/status"


def was(status: str) -> Earlier:
    """A change of status only: the deadline as it stands."""
    return Earlier(status, due_at=DUE, extended=False)


def test_a_change_of_state_is_sent_with_the_status_object_under_a_key_per_change() -> None:
    sent = callback(URL, snapshot("completed"), change="41", earlier=was("in_progress"))
    assert sent is not None and sent.url == URL
    assert sent.payload["status"] == "fulfilled" and sent.payload["request_id"] == snapshot("completed").request_id
    assert sent.key == f"drp:{snapshot('completed').request_id}:41"
    revoked = callback(URL, snapshot("withdrawn"), change="42", earlier=was("verified"))
    assert revoked is not None and revoked.payload["status"] == "revoked"


def test_a_change_the_agent_cannot_see_sends_nothing_and_one_it_can_does() -> None:
    # Routed: in_progress before and after, nothing new to say.
    assert callback(URL, snapshot("in_progress"), change="1", earlier=was("verified")) is None
    # Waiting for the person: still in_progress, but processing_details now says so.
    paused = callback(URL, snapshot("awaiting_subject"), change="2", earlier=was("in_progress"))
    assert paused is not None and "waiting" in paused.payload["processing_details"]


def test_an_extension_is_sent_with_its_new_expected_by_and_reason() -> None:
    """DRP 3.08: an extension amends `expected_by` and says why in `processing_details`, and the agent is
    notified by its status callback, though the state stays in_progress."""
    later = DUE + dt.timedelta(days=45)
    extended = snapshot("in_progress", due_at=later, extended=True)
    sent = callback(URL, extended, change="43", earlier=Earlier("in_progress", due_at=DUE, extended=False))
    assert sent is not None and sent.key == f"drp:{extended.request_id}:43"
    assert sent.payload == states.status_object(extended)
    assert sent.payload["expected_by"] == "2026-05-30T23:59:00Z"
    assert sent.payload["processing_details"] == states.EXTENDED
    # Not yet acknowledged ("open"): no expected_by to amend, nothing the agent would see.
    unseen = snapshot("submitted", due_at=later, extended=True)
    assert callback(URL, unseen, change="44", earlier=Earlier("submitted", due_at=DUE, extended=False)) is None


def test_a_duplicate_is_sent_the_extension_of_the_request_it_follows() -> None:
    later = DUE + dt.timedelta(days=45)
    own = snapshot("duplicate", request_id="joined-id")
    followed = snapshot("in_progress", due_at=later, extended=True)
    sent = callback(
        URL, own, change="45", earlier=Earlier("in_progress", due_at=DUE, extended=False), followed=followed
    )
    assert sent is not None and sent.key == "drp:joined-id:45"
    assert sent.payload["request_id"] == "joined-id" and sent.payload["expected_by"] == "2026-05-30T23:59:00Z"


def test_no_callback_url_no_callback() -> None:
    assert callback("", snapshot("completed"), change="3", earlier=was("in_progress")) is None
