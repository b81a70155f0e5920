"""A Data Rights Protocol exchange over HTTP with a test agent holding its own Ed25519 key (DRP v1.0,
github.com/consumer-reports-innovation-lab/data-rights-protocol): key set-up, a signed exercise, status,
revoke, and every refusal the protocol asks for (section 3.07's checks, 2.02's 403 for another's request)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.utils import timezone

from api.drp.models import AgentRequest, SeenMessage
from dsr.models import OutgoingEmail, Request
from dsr.outbox.emails import render_stored
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from tests.drp.agent import DrpAgent, sign
from tests.factories import STAFF
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")

LEADORO = "LEADORO"
SERAI = "SERAI"


def now() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=1)


@pytest.fixture
def agent() -> DrpAgent:
    agent = DrpAgent("CR_AA_TEST")
    agent.register("leadoro")
    assert agent.set_up(LEADORO, now=now()).status_code == 200
    return agent


def filed(response: Any) -> Request:
    assert response.status_code == 200, response.content
    return AgentRequest.objects.get(public_id=response.json()["request_id"]).request


def test_key_set_up_returns_a_token_stored_only_as_a_digest_and_agent_information_checks_it() -> None:
    agent = DrpAgent("CR_AA_TEST")
    agent.register("leadoro")
    response = agent.set_up(LEADORO, now=now())
    assert response.status_code == 200
    body = response.json()
    assert body["agent-id"] == "CR_AA_TEST" and len(body["token"]) >= 40
    stored = agent.client.get  # the token itself is nowhere in the database
    assert not AgentRequest.objects.exists()
    from api.drp.models import Registration

    (registration,) = Registration.objects.all()
    assert registration.token_digest and body["token"] not in registration.token_digest
    assert stored("/drp/v1/agent/CR_AA_TEST", **agent.auth()).json() == {}
    assert stored("/drp/v1/agent/OTHER_AGENT", **agent.auth()).status_code == 403
    assert stored("/drp/v1/agent/CR_AA_TEST", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_key_set_up_is_refused_with_an_empty_403_for_a_wrong_key_an_unknown_agent_or_an_unregistered_business() -> None:
    """DRP 2.05.1: 'If the validation failed, the PIP SHALL return an HTTP 403 Forbidden with no response body.'"""
    agent = DrpAgent("CR_AA_TEST")
    agent.register("leadoro")
    impostor = DrpAgent("CR_AA_TEST")  # same id, its own key: not the one staff registered
    for response in (
        impostor.set_up(LEADORO, now=now()),
        DrpAgent("NOBODY").set_up(LEADORO, now=now()),
        agent.set_up(SERAI, now=now()),  # not registered for Serai
        agent.client.post(  # signed by the right key, but not the protocol's JSON
            "/drp/v1/agent/CR_AA_TEST", base64.b64encode(agent.key.sign(b"[1, 2]")), content_type="text/plain"
        ),
    ):
        assert response.status_code == 403 and response.content == b""
    assert not agent.token


@pytest.mark.parametrize("agent_id", ["CR_AA%00TEST", "CR_AA_T%C3%89ST"])
def test_key_set_up_for_an_agent_id_holding_nul_or_not_ascii_is_an_empty_403(agent_id: str) -> None:
    """No registered agent has such an id (the database cannot even hold a NUL): refused as any unknown agent."""
    agent = DrpAgent("CR_AA_TEST")
    agent.register("leadoro")
    response = agent.client.post(
        f"/drp/v1/agent/{agent_id}", sign(agent.key, agent.envelope(LEADORO, now=now())), content_type="text/plain"
    )
    assert response.status_code == 403 and response.content == b""


def test_key_set_up_for_a_business_id_not_in_ascii_is_an_empty_403() -> None:
    agent = DrpAgent("CR_AA_TEST")
    agent.register("leadoro")
    response = agent.set_up("LEAD\u00d6RO", now=now())
    assert response.status_code == 403 and response.content == b""
    assert agent.set_up(LEADORO, now=now()).status_code == 200


@pytest.mark.parametrize("odd", ["%00", "%C3%89"])
def test_an_id_in_a_path_holding_nul_or_not_ascii_is_refused_as_another_agents(agent: DrpAgent, odd: str) -> None:
    """Agent information (2.06) and a request's status and revoke (2.02, 2.04): 403, as for any id not the
    agent's own."""
    assert agent.client.get(f"/drp/v1/agent/CR_AA_TEST{odd}", **agent.auth()).json()["code"] == "403"
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    assert agent.status(request_id + odd).json()["code"] == "403"
    assert agent.delete(request_id + odd, agent.revoke_body(request_id, now=now())).json()["code"] == "403"
    assert agent.status(request_id).json()["status"] == "in_progress"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/drp/v1/data-rights-request", "POST"),
        ("get", "/drp/v1/data-rights-request/", "POST"),
        ("post", "/drp/v1/data-rights-request/{request_id}", "GET, DELETE"),
        ("delete", "/drp/v1/agent/CR_AA_TEST", "GET, POST"),
    ],
)
def test_a_method_a_path_does_not_take_is_refused_with_the_protocols_error_object(
    agent: DrpAgent, method: str, path: str, allowed: str
) -> None:
    """DRP 3.06: errors are non-200 answers with an application/json body of `code` and `message`."""
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    response = getattr(agent.client, method)(path.format(request_id=request_id), **agent.auth())
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "405" and response.json()["message"]
    assert response["Allow"] == allowed


@pytest.mark.parametrize(("body", "length", "status"), [(b"A" * (200 * 1024), None, 413), (b"A", "one", 400)])
def test_a_body_over_the_limit_or_of_no_length_is_refused_with_the_protocols_error_object(
    agent: DrpAgent, body: bytes, length: str | None, status: int
) -> None:
    """DRP 3.06, for what is refused before the body is read (over 128 KB, or a Content-Length not a number)."""
    declared = {"CONTENT_LENGTH": length} if length else {}
    response = agent.post("/data-rights-request", body, **declared)
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert response.json()["code"] == str(status) and response.json()["message"]
    assert not Request.objects.exists()


def test_a_signed_exercise_files_a_request_through_the_intake_with_the_agents_attestation_as_authority(
    agent: DrpAgent,
) -> None:
    response = agent.exercise(
        LEADORO, now=now(), relationships=["marketing", "customer", "mystery"], **{"agent-request-id": "a-1"}
    )
    request = filed(response)
    body = response.json()
    assert body["status"] == "in_progress" and body["agent_request_id"] == "a-1"
    # CCPA: 45 days counted from the day of receipt (11 CCR 7021(b); laws.yaml: receipt + 44), as the engine says.
    assert request.law_codes == ["US_CA_CCPA"]
    assert request.due_at is not None and (request.due_at.date() - request.received_at.date()).days >= 44
    assert body["expected_by"].startswith(request.due_at.astimezone(dt.UTC).date().isoformat())
    assert request.request_type == "erasure" and request.agent_name == "Consumer Rights Agent"
    assert request.subject_name == "Carla Reyes" and request.subject_email == "cr_aa_test@agent.example"
    assert request.relationships == ["account_user", "marketing_contact"]  # the hints in our words
    assert "carla@example.com (verified by the agent)" in request.details
    assert "mystery" in request.details
    # The attestation is the authority, on the timeline, in the agent's name; no permission upload is asked.
    assert request.authority_method == "agent_attestation" and request.authority_recorded_at is not None
    event = request.events.get(kind="authority_recorded")
    assert "CR_AA_TEST" in event.actor and "email" in event.message
    assert not OutgoingEmail.objects.filter(request=request, kind="permission_needed").exists()
    # Identity before disclosure: staff still check it at the level the law asks; the gate holds until then.
    assert workflow.disclosure_missing(request) == ["the identity check"]


def test_the_email_our_directory_entry_asks_for_is_required_and_the_name_is_taken_if_known(agent: DrpAgent) -> None:
    """Our entry lists `supported_verifications: ["email"]`: 3.04 asks an agent to send the fields it lists and
    to omit the others, and `name` only 'if known'. The email is what identifies the person (staff verify it and
    match records by it); a request without a usable one is refused, one without a name is filed."""
    claims = {"exercise": "deletion", "regime": "ccpa", "email": "carla@example.com", "email_verified": True}
    request = filed(agent.post("/data-rights-request", sign(agent.key, agent.envelope(LEADORO, now=now(), **claims))))
    assert request.subject_name == "" and "carla@example.com (verified by the agent)" in request.details
    assert request.status == "verified" and request.law_codes == ["US_CA_CCPA"]
    (acknowledged,) = [render_stored(e) for e in OutgoingEmail.objects.filter(request=request, kind="acknowledged")]
    assert "proof that the person it is about allowed" in " ".join(acknowledged.body_text.split())
    staff = client_for(member("lead", vendor="leadoro", role="lead"))
    assert (
        "<dt>Person</dt><dd><em>no name given</em></dd>"
        in staff.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    )
    for email, why in ((None, "`email` is required"), ("", "`email` is required"), ("carla", "complete email")):
        document = agent.envelope(LEADORO, now=now(), **{**claims, "email": email, "name": "Carla Reyes"})
        refused = agent.post("/data-rights-request", sign(agent.key, document))
        assert refused.status_code == 400 and why in refused.json()["message"], refused.json()
    assert Request.objects.count() == 1


def test_a_multi_line_address_is_filed_and_an_invisible_character_in_it_refused(agent: DrpAgent) -> None:
    """OpenID Connect Core 5.1.1's `formatted` and `street_address` may hold lines; each line is then checked
    as the public form checks a one-line field (no control or invisible formatting character)."""
    address = {"formatted": "1 Main St\r\nApt 2\nSacramento, CA 95814", "region": "CA", "country": "US"}
    request = filed(agent.exercise(LEADORO, now=now(), address=address))
    assert "Address: 1 Main St, Apt 2, Sacramento, CA 95814, CA, US (not verified by the agent)" in request.details
    for hidden in ({"street_address": "1 Main St\nApt \u202e2"}, {"locality": "Sacra\u200bmento"}):
        refused = agent.exercise(LEADORO, now=now(), name="Dana Reyes", address={**address, **hidden})
        assert refused.status_code == 400 and "invisible formatting" in refused.json()["message"], refused.json()
    assert Request.objects.count() == 1


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"regime": None, "address": {"country": "ZZ"}}, "`address.country` must be an ISO 3166-1 country code"),
        ({"regime": None, "address": {"country": "US", "region": "ZZ"}}, "`address.region` must be a US state"),
        ({"regime": None, "address": {"country": "CA"}}, "`address.region`: Choose your province or territory"),
        ({"regime": None, "address": {"country": "CA", "region": "XX"}}, "a Canadian province or territory"),
        ({"name": "Carla \u202eReyes"}, "`name`: Remove the invisible formatting characters"),
        ({"name": "Carla\u200bReyes"}, "`name`: Remove the invisible formatting characters"),
        ({"name": "Carla\u2028Reyes"}, "`name`: Use one line only"),
        ({"phone_number": "+1 555 \u202e0100"}, "`phone_number`: Remove the invisible formatting characters"),
        # A hint we do not map is copied into the details staff read: no forged line, no NUL, no bidi override.
        ({"relationships": ["x\nEmail: other@example.com (verified by the agent)"]}, "`relationships`: Use one line"),
        ({"relationships": ["x\u0000y"]}, "`relationships`:"),
        ({"relationships": ["\u202ex"]}, "`relationships`: Remove the invisible formatting characters"),
    ],
)
def test_an_agents_request_is_checked_as_the_public_form_checks_where_the_person_lives_and_their_name(
    agent: DrpAgent, claims: dict[str, Any], why: str
) -> None:
    """The form's own rules (dsr.public.forms), as for the form and the REST API: a country of the list, a US
    state or Canadian province where the laws differ by it, a name without hidden characters. Refused with the
    protocol's 400 and nothing filed (a request filed for "ZZ" would have had no law at all)."""
    refused = agent.exercise(LEADORO, now=now(), **claims)
    assert refused.status_code == 400 and why in refused.json()["message"], refused.json()
    assert not Request.objects.exists()


def test_a_person_living_where_the_form_takes_them_is_filed_under_those_laws(agent: DrpAgent) -> None:
    quebec = filed(agent.exercise(LEADORO, now=now(), regime=None, address={"country": "CA", "region": "qc"}))
    assert (quebec.country, quebec.province) == ("CA", "QC") and quebec.law_codes
    oregon = filed(
        agent.exercise(LEADORO, now=now(), regime=None, name="Dana Reyes", address={"country": "US", "region": "OR"})
    )
    assert (oregon.country, oregon.state) == ("US", "OR") and oregon.law_codes


def test_nothing_is_disclosed_before_staff_record_the_identity_check(agent: DrpAgent) -> None:
    request = filed(agent.exercise(LEADORO, now=now(), exercise="access:specific"))
    assert request.request_type == "access" and "specific pieces" in request.details
    with pytest.raises(DomainError, match="identity check"):
        workflow.close_request(request, status="completed", message="Your data.", actor=STAFF, now=timezone.now())
    assert not OutgoingEmail.objects.filter(request=request, kind="completed").exists()
    workflow.record_identity(
        request, method="additional_information", note="Three data points match.", actor=STAFF, now=timezone.now()
    )
    workflow.close_request(request, status="completed", message="Your data.", actor=STAFF, now=timezone.now())
    assert OutgoingEmail.objects.filter(request=request, kind="completed").exists()


def test_a_signed_message_nested_deeper_than_the_reader_goes_is_a_400(agent: DrpAgent) -> None:
    body = base64.b64encode(agent.key.sign(b"[" * 20_000))
    refused = agent.post("/data-rights-request", body)
    assert refused.status_code == 400 and refused.json()["message"] == "The signed message is not JSON."
    assert not Request.objects.exists()


def test_a_replayed_message_is_refused_and_files_nothing(agent: DrpAgent) -> None:
    body = agent.exercise_body(LEADORO, now=now())
    assert agent.post("/data-rights-request", body).status_code == 200
    replay = agent.post("/data-rights-request", body)
    assert replay.status_code == 403 and "replay" in replay.json()["message"]
    assert Request.objects.count() == 1


def test_an_expired_message_is_refused_as_fatal(agent: DrpAgent) -> None:
    response = agent.exercise(LEADORO, now=now() - dt.timedelta(minutes=11))
    assert response.status_code == 403 and response.json() == {
        "code": "403",
        "message": "The request expired (`expires-at`).",
        "fatal": True,
    }
    assert not Request.objects.exists()


def test_a_message_issued_in_the_future_or_valid_for_too_long_is_refused(agent: DrpAgent) -> None:
    assert agent.exercise(LEADORO, now=now() + dt.timedelta(minutes=5)).status_code == 403
    long = sign(agent.key, agent.envelope(LEADORO, now=now(), minutes=24 * 60, exercise="access", name="C"))
    assert agent.post("/data-rights-request", long).status_code == 403
    assert not Request.objects.exists()


def test_a_badly_signed_message_is_refused(agent: DrpAgent) -> None:
    seen = SeenMessage.objects.count()  # the key set-up's message
    other = DrpAgent("CR_AA_TEST")  # signs with a key staff never registered
    forged = other.exercise_body(LEADORO, now=now())
    assert agent.post("/data-rights-request", forged).status_code == 403
    body = bytearray(agent.exercise_body(LEADORO, now=now()))
    body[-8] = ord("A") if body[-8] != ord("A") else ord("B")  # one character of the signed JSON changed
    assert agent.post("/data-rights-request", bytes(body)).status_code == 403
    assert agent.post("/data-rights-request", b"not base64 at all!").status_code == 403
    assert not Request.objects.exists() and SeenMessage.objects.count() == seen


def test_a_message_for_another_agent_or_business_is_refused(agent: DrpAgent) -> None:
    """DRP 3.07: agent-id must be the token's agent; business-id the token's business."""
    wrong_agent = sign(agent.key, {**agent.envelope(LEADORO, now=now(), exercise="access", name="C"), "agent-id": "X"})
    assert agent.post("/data-rights-request", wrong_agent).status_code == 403
    assert agent.exercise(SERAI, now=now()).status_code == 403
    assert not Request.objects.exists()


def test_an_agent_registered_for_one_vendor_cannot_file_for_another_until_registered_there() -> None:
    agent = DrpAgent("CR_AA_TEST")
    registered = agent.register("leadoro")
    assert agent.set_up(LEADORO, now=now()).status_code == 200
    assert agent.exercise(SERAI, now=now()).status_code == 403  # Leadoro's token, a message for Serai
    assert agent.set_up(SERAI, now=now()).status_code == 403
    from api.drp.models import Registration
    from policies.models import Vendor

    Registration.objects.create(agent=registered, vendor=Vendor.objects.get(slug="serai"))
    assert agent.set_up(SERAI, now=now()).status_code == 200
    request = filed(agent.exercise(SERAI, now=now()))
    assert request.vendor.slug == "serai"


def test_status_is_the_agents_own_and_403_for_another_agents_or_an_unknown_request(agent: DrpAgent) -> None:
    """DRP 2.02.1: 'If the requesting agent is not responsible for managing the requested resource, PIPs SHALL
    respond with a 403 Forbidden.' An unknown id gets the very same answer (no enumeration)."""
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    mine = agent.status(request_id)
    assert mine.status_code == 200 and mine.json()["request_id"] == request_id
    other = DrpAgent("OTHER_AA")
    other.register("leadoro")
    assert other.set_up(LEADORO, now=now()).status_code == 200
    theirs = other.status(request_id)
    unknown = other.status(str(uuid.uuid4()))
    assert theirs.status_code == unknown.status_code == 403
    assert theirs.content == unknown.content
    assert agent.client.get(f"/drp/v1/data-rights-request/{request_id}").status_code == 401


def test_the_status_follows_the_workflow(agent: DrpAgent) -> None:
    response = agent.exercise(LEADORO, now=now())
    request = filed(response)
    request_id = response.json()["request_id"]
    workflow.record_identity(
        request, method="email_matches_record", note="Email matches.", actor=STAFF, now=timezone.now()
    )
    workflow.close_request(request, status="completed", message="Erased.", actor=STAFF, now=timezone.now())
    assert agent.status(request_id).json()["status"] == "fulfilled"


def test_revoke_withdraws_the_request_through_the_workflow(agent: DrpAgent) -> None:
    response = agent.exercise(LEADORO, now=now())
    request = filed(response)
    request_id = response.json()["request_id"]
    revoked = agent.revoke(request_id)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    request.refresh_from_db()
    assert request.status == "withdrawn"
    withdrawn = request.events.get(kind="withdrawn")
    assert "CR_AA_TEST" in withdrawn.actor and withdrawn.message.endswith("Their reason: I changed my mind")
    again = agent.revoke(request_id)
    assert again.status_code == 400


def test_a_revoke_must_be_signed_by_the_agent_and_be_for_its_own_request(agent: DrpAgent) -> None:
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    forger = DrpAgent("CR_AA_TEST", token=agent.token)  # the token, but not the key
    assert forger.revoke(request_id).status_code == 403
    other = DrpAgent("OTHER_AA")
    other.register("leadoro")
    other.set_up(LEADORO, now=now())
    assert other.revoke(request_id).status_code == 403
    assert Request.objects.get().status != "withdrawn"


def test_a_revoke_without_the_envelope_is_refused(agent: DrpAgent) -> None:
    """Only `reason` (2.04's text) would let anyone holding the token and one earlier revoke withdraw any request."""
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    for document in ({"reason": "I changed my mind"}, {"request_id": request_id, "reason": "I changed my mind"}):
        response = agent.delete(request_id, sign(agent.key, document))
        assert response.status_code in (400, 403), response.content
    assert Request.objects.get().status != "withdrawn"


def test_a_replayed_revoke_is_refused(agent: DrpAgent) -> None:
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    body = agent.revoke_body(request_id, now=now())
    assert agent.delete(request_id, body).status_code == 200
    seen = SeenMessage.objects.count()  # the key set-up, the exercise and the revoke
    assert seen == 3
    replay = agent.delete(request_id, body)
    assert replay.status_code == 403 and "replay" in replay.json()["message"]
    assert SeenMessage.objects.count() == seen


def test_a_revoke_signed_for_one_request_is_refused_for_another(agent: DrpAgent) -> None:
    first = agent.exercise(LEADORO, now=now()).json()["request_id"]
    second = agent.exercise(LEADORO, now=now(), name="Dana Reyes").json()["request_id"]
    for_first = agent.revoke_body(first, now=now())
    refused = agent.delete(second, for_first)
    assert refused.status_code == 403 and "another request" in refused.json()["message"]
    assert AgentRequest.objects.get(public_id=second).request.status != "withdrawn"
    assert AgentRequest.objects.get(public_id=first).request.status != "withdrawn"
    assert agent.delete(first, for_first).status_code == 200  # the refusal did not use the message up
    assert AgentRequest.objects.get(public_id=first).request.status == "withdrawn"
    assert AgentRequest.objects.get(public_id=second).request.status != "withdrawn"


def test_an_expired_or_other_business_revoke_is_refused(agent: DrpAgent) -> None:
    request_id = agent.exercise(LEADORO, now=now()).json()["request_id"]
    expired = agent.revoke(request_id, now=now() - dt.timedelta(minutes=11))
    assert expired.status_code == 403 and expired.json()["fatal"] is True
    other = agent.delete(request_id, agent.revoke_body(request_id, now=now(), business=SERAI))
    assert other.status_code == 403
    assert Request.objects.get().status != "withdrawn"
    assert agent.revoke(request_id).status_code == 200


def test_an_opt_out_is_accepted_at_once_and_an_opt_in_is_refused(agent: DrpAgent) -> None:
    """CCPA opt-outs are not verifiable requests (11 CCR 7026, 7027(e)): acted on at once. Opting in is the
    person's own two-step choice (11 CCR 7028(a)): refused, listed nowhere as supported."""
    request = filed(agent.exercise(LEADORO, now=now(), exercise="sale:opt-out"))
    assert request.request_type == "opt_out" and request.status == "verified"
    legacy = filed(agent.exercise(LEADORO, now=now(), exercise="sale:opt_out", name="Dana Reyes"))
    assert legacy.request_type == "opt_out"
    refused = agent.exercise(LEADORO, now=now(), exercise="sale:opt-in")
    assert refused.status_code == 400 and "7028" in refused.json()["message"] and refused.json()["fatal"]
    assert agent.exercise(LEADORO, now=now(), exercise="sale:opt_in").status_code == 400
    assert Request.objects.count() == 2


def test_an_agent_request_id_is_used_once(agent: DrpAgent) -> None:
    assert agent.exercise(LEADORO, now=now(), **{"agent-request-id": "x"}).status_code == 200
    again = agent.exercise(LEADORO, now=now(), name="Other Person", **{"agent-request-id": "x"})
    assert again.status_code == 409
    assert Request.objects.count() == 1


def test_refused_calls_from_one_network_are_limited(agent: DrpAgent, settings: Any) -> None:
    from dsr.security import ratelimit

    settings_limit = ratelimit.LIMITS["drp-refused-ip"]
    ratelimit.LIMITS["drp-refused-ip"] = (3, settings_limit[1])
    try:
        stranger = DrpAgent("NOBODY", token="guess")
        codes = [stranger.status(str(uuid.uuid4())).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        assert agent.status(str(uuid.uuid4())).status_code == 429  # same network: held back too
    finally:
        ratelimit.LIMITS["drp-refused-ip"] = settings_limit


def test_a_change_of_an_agents_request_makes_the_callback_it_asked_for(agent: DrpAgent) -> None:
    from api.drp.services import callbacks_for

    url = "https://agent.example/drp/status"
    response = agent.exercise(LEADORO, now=now(), status_callback=url)
    request = filed(response)
    workflow.withdraw_request(request, now=timezone.now(), actor=Actor("subject", "agent"))
    request.refresh_from_db()
    (sent,) = callbacks_for(request, old_status="verified", change="9")
    assert sent.url == url and sent.key == f"drp:{response.json()['request_id']}:9"
    expected = {k: v for k, v in response.json().items() if k != "expected_by"}
    assert sent.payload == {**expected, "status": "revoked"}
    quiet = filed(agent.exercise(LEADORO, now=now(), name="Dana Reyes"))  # no status_callback
    assert callbacks_for(quiet, old_status="verified", change="10") == []


def test_the_replay_store_forgets_only_expired_messages(agent: DrpAgent) -> None:
    from api.drp.tasks import purge_seen_messages_task

    agent.exercise(LEADORO, now=now())
    assert SeenMessage.objects.count() == 2  # the key set-up and the exercise, both still valid
    purge_seen_messages_task()
    assert SeenMessage.objects.count() == 2
    SeenMessage.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    purge_seen_messages_task()
    assert not SeenMessage.objects.exists()


def test_the_same_request_again_is_joined_to_the_open_one_and_reports_its_state(agent: DrpAgent) -> None:
    first = agent.exercise(LEADORO, now=now())
    again = agent.exercise(LEADORO, now=now(), **{"agent-request-id": "again"})
    assert filed(again).status == "duplicate"
    body = again.json()
    assert body["status"] == first.json()["status"] == "in_progress"
    assert body["expected_by"] == first.json()["expected_by"] and "already open" in body["processing_details"]
    assert body["request_id"] != first.json()["request_id"]


def test_the_agent_of_a_joined_request_is_called_back_when_the_open_one_changes(agent: DrpAgent) -> None:
    from api.drp.services import callbacks_for

    first = filed(agent.exercise(LEADORO, now=now(), status_callback="https://agent.example/a"))
    again = agent.exercise(LEADORO, now=now(), status_callback="https://agent.example/b")
    workflow.withdraw_request(first, now=timezone.now(), actor=Actor("subject", "agent"))
    first.refresh_from_db()
    sent = {c.url: c.payload for c in callbacks_for(first, old_status="verified", change="7")}
    assert set(sent) == {"https://agent.example/a", "https://agent.example/b"}
    assert sent["https://agent.example/b"]["request_id"] == again.json()["request_id"]
    assert sent["https://agent.example/b"]["status"] == "revoked"


def test_an_extension_calls_back_the_agent_of_the_request_and_of_each_joined_to_it(agent: DrpAgent) -> None:
    """DRP 3.08: the extension is called back as a change of state is, to every agent that sees it, once."""
    from dsr.models import OutgoingWebhook

    first = agent.exercise(LEADORO, now=now(), status_callback="https://agent.example/a")
    again = agent.exercise(LEADORO, now=now(), status_callback="https://agent.example/b")
    quiet = filed(agent.exercise(LEADORO, now=now(), name="Dana Reyes"))  # no status_callback
    request = filed(first)
    workflow.extend_request(request, reason="Many records to search.", actor=STAFF, now=timezone.now())
    workflow.extend_request(quiet, reason="Many records to search.", actor=STAFF, now=timezone.now())
    event = request.events.get(kind="extended")
    sent = {w.url: (w.key, json.loads(w.body)) for w in OutgoingWebhook.objects.all()}
    assert set(sent) == {"https://agent.example/a", "https://agent.example/b"}
    assert sent["https://agent.example/a"] == (
        f"drp:{first.json()['request_id']}:{event.pk}",
        agent.status(first.json()["request_id"]).json(),
    )
    assert sent["https://agent.example/b"] == (
        f"drp:{again.json()['request_id']}:{event.pk}",
        agent.status(again.json()["request_id"]).json(),
    )
    assert "extended" in sent["https://agent.example/b"][1]["processing_details"]


def test_changes_announced_together_call_the_agents_back_as_one_by_one(agent: DrpAgent) -> None:
    """timeline.record_many(announce=True) (requests routed together) announces its changes at once
    (statuses_changed): a change an agent can see is called back as it is when announced alone."""
    from django.db import transaction

    from dsr.models import OutgoingWebhook
    from dsr.requests.timeline import SYSTEM, Step, record_many

    url = "https://agent.example/drp/status"
    followed = filed(agent.exercise(LEADORO, now=now(), status_callback=url))
    quiet = filed(agent.exercise(LEADORO, now=now(), name="Dana Reyes"))  # no status_callback
    with transaction.atomic():
        rows = list(Request.objects.select_for_update().filter(pk__in=[followed.pk, quiet.pk]).order_by("pk"))
        for row in rows:
            row.status = Request.Status.WITHDRAWN
            row.save(update_fields=["status"])
        record_many(
            [Step(row, "withdrawn", "Withdrawn.") for row in rows], actor=SYSTEM, now=timezone.now(), announce=True
        )
    (sent,) = OutgoingWebhook.objects.filter(url=url)
    assert sent.request_id == followed.pk and json.loads(sent.body)["status"] == "revoked"
    assert not OutgoingWebhook.objects.filter(request=quiet).exists()
