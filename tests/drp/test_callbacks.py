"""What a status callback carries (DRP 2.03: the Exercise Status object) and when one is due."""

from __future__ import annotations

from api.drp.callbacks import callback
from tests.drp.test_states import snapshot

URL = "https://agent.example/drp/status"


def test_a_change_of_state_is_sent_with_the_status_object_under_a_key_per_change() -> None:
    sent = callback(URL, snapshot("completed"), change="41", old_status="in_progress")
    assert sent is not None and sent.url == URL
    assert sent.payload["status"] == "fulfilled" and sent.payload["request_id"] == snapshot("completed").request_id
    assert sent.key == f"drp:{snapshot('completed').request_id}:41"
    revoked = callback(URL, snapshot("withdrawn"), change="42", old_status="verified")
    assert revoked is not None and revoked.payload["status"] == "revoked"


def test_a_change_the_agent_cannot_see_sends_nothing_and_one_it_can_does() -> None:
    # Routed: in_progress before and after, nothing new to say.
    assert callback(URL, snapshot("in_progress"), change="1", old_status="verified") is None
    # Waiting for the person: still in_progress, but processing_details now says so.
    paused = callback(URL, snapshot("awaiting_subject"), change="2", old_status="in_progress")
    assert paused is not None and "waiting" in paused.payload["processing_details"]


def test_no_callback_url_no_callback() -> None:
    assert callback("", snapshot("completed"), change="3", old_status="in_progress") is None
