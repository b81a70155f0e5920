"""The REST API over HTTP: filing (one and many), idempotency, reading, listing, withdrawing, the vendor
scope of each client, authentication, the rate limit and the call log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from api import services as api_services
from api.models import ApiCall, ClientRequest
from dsr.models import Event, Request
from dsr.public.forms import offered_relationships, offered_request_types
from dsr.public.limits import BATCH_MAX_BYTES, FORM_MAX_BYTES
from dsr.requests import workflow
from dsr.requests.timeline import SYSTEM
from dsr.security import ratelimit
from policies.services import policy_in_force
from tests.api.conftest import Caller, new_caller, payload

pytestmark = pytest.mark.usefixtures("policies")


def test_a_filed_request_is_stored_on_the_agents_attested_authority_and_put_into_work(agent_a: Caller) -> None:
    answer = agent_a.call("POST", "/api/v1/requests/", payload())
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    request = Request.objects.get(reference=body["subject_request_id"])
    assert body["request_status"] == "in_progress" and request.status == Request.Status.VERIFIED
    assert body["expected_completion_time"] is not None and request.due_at is not None
    assert request.agent_name == "Rights Agent A" and request.authority_method == "client_attestation"
    kinds = list(request.events.order_by("pk").values_list("kind", flat=True))
    assert kinds.index("authority_recorded") < kinds.index("verified")
    assert ClientRequest.objects.filter(request=request, client=agent_a.client).exists()
    assert "withdraw" in body["next_actions"]


def test_nothing_is_disclosed_on_the_clients_word_before_staff_check_identity(agent_a: Caller) -> None:
    """GDPR Art. 12(6), 11 CCR 7060-7063: the agent's authority is recorded, the person's identity is not."""
    request = Request.objects.get(
        reference=agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    )
    assert workflow.disclosure_missing(request) == ["the identity check"]
    assert not request.emails.filter(kind__in=["completed", "package"]).exists()


def test_two_people_of_one_name_filed_by_one_agent_are_two_requests(agent_a: Caller) -> None:
    """The agent's address is on both: it tells no person apart, so neither is joined to the other as a
    repeat (each person's request is worked); the same account of the person again is still one."""
    first = agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    second = agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    statuses = dict(Request.objects.filter(reference__in=[first, second]).values_list("reference", "status"))
    assert statuses == {first: Request.Status.VERIFIED, second: Request.Status.VERIFIED}
    told = payload(details="Customer number 4711, alice.virtanen@example.fi")
    third = agent_a.call("POST", "/api/v1/requests/", told).json()["subject_request_id"]
    again = agent_a.call("POST", "/api/v1/requests/", told).json()["subject_request_id"]
    assert Request.objects.get(reference=third).status == Request.Status.VERIFIED
    assert Request.objects.get(reference=again).status == Request.Status.DUPLICATE


def test_the_forms_validation_refuses_what_the_form_refuses(agent_a: Caller) -> None:
    answer = agent_a.call("POST", "/api/v1/requests/", payload(country="US", relationships=["job_applicant"]))
    assert answer.status_code == 400
    errors = answer.json()
    assert "state" in errors  # the form's rule: a US resident names the state
    assert not Request.objects.exists()


def test_a_request_covers_every_relationship_given_and_a_quebec_resident_gets_quebecs_law(agent_a: Caller) -> None:
    """GDPR Art 15/17, CCPA 1798.105/110: the request covers the whole person, every relationship the client
    gives (as the form's boxes); Quebec's Law 25 reaches a resident of Quebec, named by the province field."""
    relationships = offered_relationships(policy_in_force("leadsment", timezone.now().date()))[:2]
    answer = agent_a.call(
        "POST", "/api/v1/requests/", payload(relationships=relationships, country="CA", province="QC")
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    request = Request.objects.get(reference=body["subject_request_id"])
    assert sorted(body["relationships"]) == sorted(request.relationships) == sorted(relationships)
    assert "CA_QC_LAW25" in body["laws"]
    missing = agent_a.call("POST", "/api/v1/requests/", payload(country="CA", email="b@rights.example"))
    assert missing.status_code == 400 and "province" in missing.json()


def test_a_client_of_one_vendor_can_neither_file_nor_read_for_another(agent_a: Caller, agent_b: Caller) -> None:
    refused = agent_b.call("POST", "/api/v1/requests/", payload())
    assert refused.status_code == 400 and "vendor" in refused.json()
    reference = agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    assert agent_b.call("GET", f"/api/v1/requests/{reference}/").status_code == 404
    assert agent_b.call("GET", "/api/v1/requests/DSR-NOTHERE1/").status_code == 404  # the same answer
    assert agent_b.call("POST", f"/api/v1/requests/{reference}/withdraw/").status_code == 404
    assert agent_b.call("GET", "/api/v1/requests/").json()["count"] == 0
    assert Request.objects.get(reference=reference).status != Request.Status.WITHDRAWN


def test_the_same_idempotency_key_twice_files_one_request(agent_a: Caller, agent_b: Caller) -> None:
    first = agent_a.call("POST", "/api/v1/requests/", payload(), idempotency_key="k-1")
    again = agent_a.call("POST", "/api/v1/requests/", payload(), idempotency_key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Request.objects.count() == 1
    other = agent_a.call("POST", "/api/v1/requests/", payload(subject_name="Bob Virtanen"), idempotency_key="k-1")
    assert other.status_code == 422 and Request.objects.count() == 1
    # Keys are each client's own: another client's "k-1" is another call.
    assert agent_b.call("POST", "/api/v1/requests/", payload(vendor="seerene"), idempotency_key="k-1").status_code in (
        201,
        400,
    )
    assert ClientRequest.objects.filter(client=agent_a.client).count() == 1


def test_a_batch_files_each_good_item_and_reports_each_bad_one(agent_a: Caller) -> None:
    items = [payload(subject_name="Ann One"), payload(country="XX"), payload(subject_name="Cid Three")]
    answer = agent_a.call("POST", "/api/v1/requests/batch/", {"requests": items})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["created"], body["failed"]) == (2, 1)
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    assert "country" in body["results"][1]["errors"]
    assert set(Request.objects.values_list("subject_name", flat=True)) == {"Ann One", "Cid Three"}


def test_each_item_of_a_batch_is_judged_alone_and_answered_in_its_own_language(agent_a: Caller) -> None:
    """The batch validates its items through one form per policy: what one item got wrong never sticks to
    the next, and each refusal is in the item's language."""
    items = [
        payload(country="US"),  # no state: refused
        payload(subject_name="Ann One"),
        payload(country="US", language="de"),
        payload(subject_name="Bo Two", language="de"),
        payload(country="US", province="ON"),  # two mistakes
        payload(country="US", state="CA", subject_name="Cid Three", relationships=["account_user"]),
    ]
    body = agent_a.call("POST", "/api/v1/requests/batch/", {"requests": items}).json()
    results = body["results"]
    assert [r["ok"] for r in results] == [False, True, False, True, False, True]
    assert set(results[0]["errors"]) == {"state"}
    assert results[0]["errors"]["state"] == ["Choose your state: US privacy laws differ from state to state."]
    assert set(results[2]["errors"]) == {"state"} and results[2]["errors"]["state"] != results[0]["errors"]["state"]
    assert set(results[4]["errors"]) == {"state", "province"}
    assert results[4]["errors"]["state"] == results[0]["errors"]["state"]
    stored = Request.objects.filter(reference__in=[r["request"]["subject_request_id"] for r in results if r["ok"]])
    assert sorted(stored.values_list("subject_name", "language")) == [
        ("Ann One", "en"),
        ("Bo Two", "de"),
        ("Cid Three", "en"),
    ]


def test_a_batch_over_1000_is_refused_whole(agent_a: Caller) -> None:
    answer = agent_a.call("POST", "/api/v1/requests/batch/", {"requests": [payload()] * 1001})
    assert answer.status_code == 400 and not Request.objects.exists()


def test_the_list_is_paginated_and_filtered(agent_a: Caller) -> None:
    for name in ("Ann One", "Bea Two", "Cid Three"):
        agent_a.call("POST", "/api/v1/requests/", payload(subject_name=name))
    first = agent_a.call("GET", "/api/v1/requests/?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = agent_a.call("GET", "/api/v1/requests/?page_size=2&page=2").json()
    assert len(second["results"]) == 1 and second["next"] is None
    seen = {r["subject_request_id"] for r in first["results"] + second["results"]}
    assert len(seen) == 3
    withdrawn = first["results"][0]["subject_request_id"]
    agent_a.call("POST", f"/api/v1/requests/{withdrawn}/withdraw/")
    cancelled = agent_a.call("GET", "/api/v1/requests/?status=cancelled").json()
    assert [r["subject_request_id"] for r in cancelled["results"]] == [withdrawn]
    assert agent_a.call("GET", "/api/v1/requests/?vendor=seerene").json()["count"] == 0
    assert agent_a.call("GET", "/api/v1/requests/?status=nonsense").status_code == 400


def test_withdrawing_through_the_api_closes_the_request_once(agent_a: Caller) -> None:
    reference = agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    answer = agent_a.call("POST", f"/api/v1/requests/{reference}/withdraw/")
    assert answer.status_code == 200 and answer.json()["request_status"] == "cancelled"
    assert answer.json()["next_actions"] == []
    assert agent_a.call("POST", f"/api/v1/requests/{reference}/withdraw/").status_code == 409
    assert Event.objects.filter(request__reference=reference, kind="withdrawn").count() == 1


def test_a_wrong_or_missing_secret_is_refused(agent_a: Caller) -> None:
    agent_a.token = agent_a.token[:-2] + "xx"
    assert agent_a.call("GET", "/api/v1/requests/").status_code == 401
    assert agent_a.http.get("/api/v1/requests/").status_code == 401


def test_each_client_is_rate_limited(agent_a: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ratelimit.LIMITS, "api-client", (2, ratelimit.LIMITS["api-client"][1]))
    assert [agent_a.call("GET", "/api/v1/requests/").status_code for _ in range(3)] == [200, 200, 429]


def test_every_call_is_logged_without_the_bodys_personal_data(agent_a: Caller) -> None:
    agent_a.call("POST", "/api/v1/requests/", payload(subject_name="Zelda Secretname"))
    agent_a.call("GET", "/api/v1/requests/")
    calls = list(ApiCall.objects.order_by("at").values("client", "method", "path", "status_code"))
    assert calls == [
        {"client": agent_a.client.pk, "method": "POST", "path": "/api/v1/requests/", "status_code": 201},
        {"client": agent_a.client.pk, "method": "GET", "path": "/api/v1/requests/", "status_code": 200},
    ]
    assert "Secretname" not in str(list(ApiCall.objects.values()))


def test_a_request_whose_routing_meets_a_policy_gap_says_so() -> None:
    """Leadoro's policy names no privacy contact (a template placeholder): its work waits on staff."""
    leadoro = new_caller("leadoro", name="Rights Agent L")
    version = policy_in_force("leadoro", timezone.now().date())
    body = payload(
        vendor="leadoro",
        subject_request_type=offered_request_types(version)[0],
        relationships=[offered_relationships(version)[0]],
    )
    reference = leadoro.call("POST", "/api/v1/requests/", body).json()["subject_request_id"]
    assert leadoro.call("GET", f"/api/v1/requests/{reference}/").json()["policy_gap"] is False  # not routed yet
    workflow.route_request(Request.objects.get(reference=reference).pk, now=timezone.now(), actor=SYSTEM)
    assert leadoro.call("GET", f"/api/v1/requests/{reference}/").json()["policy_gap"] is True


def test_a_request_is_never_stored_without_its_clients_link(agent_a: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's link to the request commits with the request: were it to fail, nothing is filed (the
    client could otherwise never read or withdraw a request it filed)."""
    from api import services
    from tests.factories import submission as typed

    submission = typed(email="agent@rights.example", agent_name="Rights Agent A")

    def refuse(**kwargs: object) -> None:
        raise RuntimeError("the link could not be written")

    monkeypatch.setattr(services.ClientRequest.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        services.file_request(agent_a.client, submission, now=timezone.now())
    assert not Request.objects.exists()


def test_the_list_refuses_a_filter_it_does_not_know(agent_a: Caller) -> None:
    """A misspelt filter (`statuss=`) must not silently list every request."""
    answer = agent_a.call("GET", "/api/v1/requests/?statuss=completed")
    assert answer.status_code == 400 and "statuss" in answer.json()["detail"]
    assert agent_a.call("GET", "/api/v1/requests/?status=completed&page=1").status_code == 200


@pytest.mark.parametrize("page", ["", "0", "-1", "two", "1.5"])
def test_the_list_refuses_a_page_that_is_not_a_whole_number_from_1(agent_a: Caller, page: str) -> None:
    """An empty `page=` must not quietly answer page 1 (found by the schema fuzzing)."""
    answer = agent_a.call("GET", f"/api/v1/requests/?page={page}")
    assert answer.status_code == 400 and "page" in answer.json()


@pytest.mark.parametrize("parameter", ["page", "page_size"])
@pytest.mark.parametrize("number", ["²", "①", "٣", "1" * 5000])
def test_the_list_refuses_a_page_in_other_digits_than_0_to_9_or_too_long_to_read(
    agent_a: Caller, parameter: str, number: str
) -> None:
    """Python counts "²" and "①" as digits but cannot read them as a number; "٣" (Arabic-Indic 3) it can, and
    it is refused as well: a page is written in 0-9. Nor does it read 5,000 digits (its limit is 4,300)."""
    answer = agent_a.call("GET", f"/api/v1/requests/?{parameter}={number}")
    assert answer.status_code == 400 and parameter in answer.json()


@pytest.mark.parametrize("name", ["vendor", "subject_request_type"])
def test_the_list_refuses_a_filter_holding_nul(agent_a: Caller, name: str) -> None:
    """The database cannot compare with NUL (U+0000): such a filter is refused, as any bad filter is."""
    agent_a.call("POST", "/api/v1/requests/", payload())
    answer = agent_a.call("GET", f"/api/v1/requests/?{name}=leadsment%00")
    assert answer.status_code == 400 and name in answer.json()["detail"]
    assert agent_a.call("GET", "/api/v1/requests/").json()["count"] == 1


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/requests/{}%00/"), ("POST", "/api/v1/requests/{}%00/withdraw/")]
)
def test_a_reference_holding_nul_is_not_found(agent_a: Caller, method: str, path: str) -> None:
    reference = agent_a.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    answer = agent_a.call(method, path.format(reference))
    assert answer.status_code == 404 and answer.json() == {"detail": "No such request."}
    assert ApiCall.objects.filter(path=path.format(reference), status_code=404).exists()  # logged as it came
    assert agent_a.call("GET", f"/api/v1/requests/{reference}/").json()["request_status"] == "in_progress"


def test_a_method_longer_than_the_log_keeps_is_answered_and_logged(agent_a: Caller) -> None:
    """A server in front may pass methods of up to 20 letters (PROPPATCH, MKCALENDAR): the API refuses them
    with 405, and the call log keeps the method cut to its column, not a server error."""
    answer = agent_a.http.generic("PROPPATCH", "/api/v1/requests/", HTTP_AUTHORIZATION=f"Bearer {agent_a.token}")
    assert answer.status_code == 405
    assert ApiCall.objects.filter(method="PROPPATC", path="/api/v1/requests/", status_code=405).exists()


def test_a_secret_or_an_idempotency_key_holding_nul_is_refused(agent_a: Caller) -> None:
    """HTTP allows no NUL in a header (RFC 9110 5.5; gunicorn refuses it), but a server in front may let it by."""
    answer = agent_a.call("POST", "/api/v1/requests/", payload(), idempotency_key="k\x001")
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"]
    assert not Request.objects.exists()
    agent_a.token = agent_a.token.replace("dsr_", "dsr_\x00")  # in the prefix, which is looked up
    assert agent_a.call("GET", "/api/v1/requests/").status_code == 401


def test_a_path_that_is_not_there_and_a_server_error_are_answered_in_json(
    agent_a: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's clients read every error as JSON ({"detail"}), the protocol's as its error object (3.06);
    the public pages keep their HTML pages."""
    for path in ("/api/v1/nope/", "/api/v1/requests/A/B/C/"):
        missing = agent_a.call("GET", path)
        assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    drp = Client().get("/drp/v1/nope")
    assert drp.status_code == 404 and drp.json() == {"code": "404", "message": "Not found."}
    page = Client().get("/nope/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault in the code")

    monkeypatch.setattr(api_services, "find", broken)
    agent_a.http.raise_request_exception = False
    crashed = agent_a.call("GET", "/api/v1/requests/DSR-ABCDEFGH/")
    assert crashed.status_code == 500 and "server error" in crashed.json()["detail"]
    assert "a fault in the code" not in crashed.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/requests/", "/api/v1/requests/batch/"])
def test_json_nested_deeper_than_the_reader_goes_is_a_400(agent_a: Caller, path: str) -> None:
    """A 100 kB body of "[" is under every limit, but deeper than Python's JSON reader goes (RecursionError)."""
    answer = agent_a.http.post(
        path, b"[" * 100_000, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {agent_a.token}"
    )
    assert answer.status_code == 400 and "nested too deeply" in answer.json()["detail"]
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("path", "length"),
    [
        ("/api/v1/requests/", str(FORM_MAX_BYTES + 1)),
        ("/api/v1/requests/batch/", str(BATCH_MAX_BYTES + 1)),
        ("/api/v1/requests/", "many"),
    ],
)
def test_a_body_over_the_limit_or_of_no_length_is_refused_unread_in_json(
    agent_a: Caller, path: str, length: str
) -> None:
    """Refused before anything reads it (the body sent is 2 bytes; the length declared is what counts)."""
    answer = agent_a.http.post(
        path,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=length,
        HTTP_AUTHORIZATION=f"Bearer {agent_a.token}",
    )
    assert answer.status_code == (400 if length == "many" else 413)
    assert answer["Content-Type"] == "application/json" and answer.json()["detail"]
    assert not Request.objects.exists()


def test_a_batch_over_2_5_mb_is_filed_with_or_without_an_idempotency_key_and_replayed(agent_a: Caller) -> None:
    """A batch may be up to 8 MB (dsr.public.limits.BATCH_MAX_BYTES), beyond Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    (2.5 MB), which still holds for other pages. Here 3 MB: one request and the JSON's own white space."""
    padding = b" " * (3 * 1024 * 1024)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(padding) < BATCH_MAX_BYTES

    def batch(name: str, **key: str) -> Any:
        body = b'{"requests": [' + json.dumps(payload(subject_name=name)).encode() + b"]" + padding + b"}"
        return agent_a.call("POST", "/api/v1/requests/batch/", body, **key)

    unkeyed = batch("Ann One")
    assert unkeyed.status_code == 200 and unkeyed.json()["created"] == 1
    first = batch("Bob Two", idempotency_key="big-1")
    assert first.status_code == 200 and first.json()["created"] == 1
    again = batch("Bob Two", idempotency_key="big-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = batch("Cid Three", idempotency_key="big-1")
    assert other.status_code == 422 and other["Content-Type"] == "application/json"
    assert Request.objects.count() == 2
