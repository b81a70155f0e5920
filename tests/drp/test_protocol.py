"""The protocol's message checks and vocabulary, as pure functions (DRP v1.0 sections 2.01, 3.01, 3.07)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from nacl.signing import SigningKey

from api.drp import protocol, vocabulary
from api.drp.protocol import ProtocolError

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
KEY = SigningKey(b"k" * 32)
VERIFY = base64.b64encode(bytes(KEY.verify_key)).decode()


def claims(**changes: Any) -> dict[str, Any]:
    return {
        "agent-id": "AA",
        "business-id": "LEADORO",
        "issued-at": "2026-03-02T08:59:00Z",
        "expires-at": "2026-03-02T09:09:00Z",
        "drp.version": "1.0",
        "exercise": "access",
        "regime": "ccpa",
        "name": "Carla Reyes",
        "email": "carla@example.com",
        **changes,
    }


def test_a_signed_message_opens_with_the_agents_key_only() -> None:
    document = json.dumps(claims()).encode()
    body = base64.b64encode(KEY.sign(document))
    assert protocol.open_signed(body, VERIFY) == document
    other = base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()
    with pytest.raises(ProtocolError) as refused:
        protocol.open_signed(body, other)
    assert refused.value.status == 403
    with pytest.raises(ProtocolError):
        protocol.open_signed(base64.b64encode(document), VERIFY)  # unsigned


@pytest.mark.parametrize(
    ("changes", "business", "why"),
    [
        ({"agent-id": "BB"}, "LEADORO", "agent-id"),
        ({}, "SERAI", "business-id"),
        ({"issued-at": "2026-03-02T09:00:01Z", "expires-at": "2026-03-02T09:05:00Z"}, "LEADORO", "future"),
        ({"expires-at": "2026-03-02T09:00:00Z"}, "LEADORO", "expired"),
        ({"expires-at": "2026-03-03T09:00:00Z"}, "LEADORO", "too long"),
        ({"issued-at": "2026-03-02T08:59:00"}, "LEADORO", "time zone"),
    ],
)
def test_the_envelope_checks_of_section_3_07(changes: dict[str, Any], business: str, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        protocol.check_envelope(claims(**changes), agent_id="AA", business=business, now=NOW)


def test_a_valid_envelope_passes() -> None:
    envelope = protocol.check_envelope(claims(), agent_id="AA", business="LEADORO", now=NOW)
    assert envelope.expires_at == dt.datetime(2026, 3, 2, 9, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("action", "ours", "scope"),
    [
        ("access", "access", ""),
        ("access:categories", "access", "categories"),
        ("access:specific", "access", "specific pieces"),
        ("deletion", "erasure", ""),
        ("sale:opt-out", "opt_out", ""),
        ("sale:opt_out", "opt_out", ""),
    ],
)
def test_each_rights_action_is_our_request_type(action: str, ours: str, scope: str) -> None:
    """DRP 3.01's CCPA rights (Civ. Code 1798.105, .110, .120) as our request types."""
    exercise = protocol.read_exercise(claims(exercise=action))
    assert exercise.request_type == ours and scope in exercise.scope
    assert (exercise.country, exercise.state) == ("US", "CA")


def test_opting_in_is_refused_and_not_offered() -> None:
    """11 CCR 7028(a): the opt-in is the person's own two-step choice; 7026(j) gives agents the opt-out only."""
    for spelling in ("sale:opt-in", "sale:opt_in"):
        with pytest.raises(ProtocolError, match="7028") as refused:
            protocol.read_exercise(claims(exercise=spelling))
        assert refused.value.status == 400 and refused.value.fatal
    assert "sale:opt-in" not in vocabulary.supported_actions()
    with pytest.raises(ProtocolError, match="Unsupported rights actions"):
        protocol.read_exercise(claims(exercise="rectification"))


def test_relationship_hints_become_ours_in_order_and_unknown_ones_are_kept_aside() -> None:
    exercise = protocol.read_exercise(
        claims(relationships=["marketing", "Customer", "marketing", "??", "job_applicant"])
    )
    assert exercise.relationships == ("marketing_contact", "account_user", "job_applicant")
    assert exercise.hints == ("marketing", "Customer", "marketing", "??", "job_applicant")


def test_without_a_regime_the_address_says_where_the_person_lives() -> None:
    voluntary = claims(regime=None, address={"country": "us", "region": "or"})
    exercise = protocol.read_exercise(voluntary)
    assert (exercise.country, exercise.state) == ("US", "OR")
    quebec = protocol.read_exercise(claims(regime=None, address={"country": "CA", "region": "QC"}))
    assert (quebec.country, quebec.state, quebec.province) == ("CA", "", "QC")
    with pytest.raises(ProtocolError, match="address"):
        protocol.read_exercise(claims(regime=None))
    with pytest.raises(ProtocolError, match="regime"):
        protocol.read_exercise(claims(regime="gdpr"))


def test_the_email_is_required_and_the_name_taken_if_known() -> None:
    """3.04: our directory entry lists the email as the verification we support, so the request carries it;
    the name is sent "if known"."""
    assert protocol.read_exercise(claims(name=None)).person == protocol.read_exercise(claims(name="")).person
    assert protocol.read_exercise(claims(name=None)).person.name == ""
    assert protocol.read_exercise(claims(name=" Carla Reyes ")).person.name == "Carla Reyes"
    for email in (None, "", "  "):
        with pytest.raises(ProtocolError, match="`email` is required") as refused:
            protocol.read_exercise(claims(email=email))
        assert refused.value.status == 400
    with pytest.raises(ProtocolError, match="`email` must be a string"):
        protocol.read_exercise(claims(email=["carla@example.com"]))


def test_the_address_may_hold_lines_where_openid_connect_says_so_and_no_other_control_character() -> None:
    """OpenID Connect Core 5.1.1: `formatted` and `street_address` "MAY contain multiple lines, separated by
    newlines" (\n or \r\n); every other control character, and a line break in any other claim, is refused."""
    lines = {"formatted": "1 Main St\r\nApt 2\nSacramento, CA 95814", "street_address": "1 Main St\nApt 2"}
    person = protocol.read_exercise(claims(address={**lines, "region": "CA", "country": "US"})).person
    assert person.address["formatted"] == "1 Main St\nApt 2\nSacramento, CA 95814"
    assert person.address["street_address"] == "1 Main St\nApt 2"
    for address in (
        {"formatted": "1 Main St\tApt 2"},
        {"formatted": "1 Main St\rApt 2"},
        {"street_address": "1 Main St\x0bApt 2"},
        {"locality": "Sacramento\nCA"},
    ):
        with pytest.raises(ProtocolError, match="control characters"):
            protocol.read_exercise(claims(address=address))
    with pytest.raises(ProtocolError, match="control characters"):
        protocol.read_exercise(claims(name="Carla\nReyes"))


def test_a_status_callback_must_be_https_unless_allowed_for_tests() -> None:
    with pytest.raises(ProtocolError, match="https"):
        protocol.read_exercise(claims(status_callback="http://127.0.0.1:9/cb"))
    with pytest.raises(ProtocolError, match="https"):
        protocol.read_exercise(claims(status_callback="https://user:pw@agent.example/cb"))
    assert protocol.read_exercise(claims(status_callback="http://127.0.0.1:9/cb"), allow_http_callbacks=True)


def test_business_ids_follow_the_directory_pattern() -> None:
    assert protocol.business_id("sera-leads") == "SERA_LEADS"
    assert protocol.business_id("leadoro") == "LEADORO"
