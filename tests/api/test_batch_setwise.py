"""The batch call files set-wise (intake.file_many_by_client): what it stores for each request must be what
filing the same request on its own stores (its status, authority, laws, deadlines, timeline and the
person's acknowledgement), with fewer round trips. Varied requests over all five vendors are filed both
ways at the same instant and compared field by field."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import services
from api.models import ApiClient, ClientRequest
from api.serializers import RequestCreate, submission_of
from dsr import tasks
from dsr.models import Event, OutgoingEmail, OutgoingWebhook, Request
from dsr.outbox.emails import render_email
from dsr.public.forms import offered_relationships
from dsr.requests import audit, intake
from dsr.requests.errors import DomainError
from policies.models import Vendor
from policies.services import policy_in_force

pytestmark = pytest.mark.usefixtures("policies")

PLACES: list[dict[str, str]] = [
    {"country": "FI"},
    {"country": "US", "state": "CA"},
    {"country": "CH"},
    {"country": "GB"},
    {"country": "EE"},
]
TYPES = ["access", "erasure", "opt_out", "rectification", "objection"]


def agent(name: str = "Rights Agent S") -> ApiClient:
    return services.create_client(
        name=name, kind="agent", vendors=list(Vendor.objects.all()), callback_url="", created_by="t", now=timezone.now()
    ).client


def varied(
    client: ApiClient, count: int, people: str = "A", email: str = "agent@rights.example"
) -> list[intake.Submission]:
    """Valid submissions over every vendor, request type and place the forms accept, each a different person
    (`people` tells one set of people from another), a Californian's opt-out among them."""
    found: list[intake.Submission] = []
    for n, (vendor, kind, place) in enumerate(itertools.product(Vendor.objects.order_by("slug"), TYPES, PLACES)):
        relationships = offered_relationships(policy_in_force(vendor.slug, timezone.now().date()))[:2]
        item = {
            "vendor": vendor.slug,
            "subject_request_type": kind,
            "relationships": relationships[n % 2 : n % 2 + 1] or ["not_sure"],
            "subject_name": f"Person {people}{n}",
            "email": email,
            "details": f"Customer number {people}{n}",
            "agent_name": "Rights Agent S",
            **place,
        }
        incoming = RequestCreate(data=item, context={"client": client})
        if incoming.is_valid():
            found.append(submission_of(incoming.validated_data))
    assert len(found) >= count, f"only {len(found)} valid combinations"
    chosen = found[:: len(found) // count][:count]
    californian = next(s for s in found if s.request_type == "opt_out" and s.state == "CA")
    return chosen if californian in chosen else [californian, *chosen[1:]]


def masked(text: str, request: Request) -> str:
    text = text.replace(request.reference, "REF").replace(request.subject_name, "NAME")
    text = text.replace(request.subject_email, "EMAIL")
    return re.sub(r"/status/[^/\s\"]+/", "/status/…/", text)


def picture(request: Request) -> dict[str, Any]:
    """Everything a person, staff or the client would see of a just-filed request, its reference masked."""
    request.refresh_from_db()
    email = OutgoingEmail.objects.get(request=request)
    if email.context is not None:  # queued set-wise: rendered by the worker; render it as the worker will
        email.subject, email.body_text, _ = render_email(email.kind, email.context, language=email.language)
    return {
        "fields": {
            name: getattr(request, name)
            for name in (
                "vendor_id",
                "request_type",
                "relationships",
                "country",
                "state",
                "law_codes",
                "law_rules_id",
                "status",
                "verified_at",
                "authority_recorded_at",
                "authority_method",
                "authority_note",
                "due_at",
                "ack_due_at",
                "extension_notice_due_at",
                "next_action_at",
                "deadlines",
                "received_at",
            )
        },
        "events": [
            (e.kind, e.actor, e.message, e.data, e.policy_version_id, e.at)
            for e in Event.objects.filter(request=request).order_by("id")
        ],
        "email": (email.kind, masked(email.to, request), email.language, email.urgent, masked(email.subject, request)),
        "email_body": masked(email.body_text, request),
        "chain_intact": audit.verify_request(request.reference).intact,
    }


def test_a_batch_stores_for_each_request_what_filing_it_alone_stores() -> None:
    one_by_one, set_wise = agent(), agent()
    submissions = varied(one_by_one, 24)
    # The same requests of other people, through another agent's address: none repeats another.
    others = varied(set_wise, 24, people="B", email="other-agent@rights.example")
    assert len({s.vendor_slug for s in submissions}) == 5
    assert {"opt_out", "erasure"} <= {s.request_type for s in submissions}
    now = timezone.now().replace(microsecond=0)
    alone = [services.file_request(one_by_one, s, now=now) for s in submissions]
    with mock.patch.object(intake, "file_by_client", side_effect=AssertionError("filed one by one")):
        together = services.file_requests(set_wise, others, now=now)  # every one set-wise
    assert all(isinstance(r, Request) for r in together)
    statuses = set()
    for single, batched in zip(alone, together, strict=True):
        assert isinstance(batched, Request)
        expected, got = picture(single), picture(batched)
        assert got == expected, f"{single.request_type} to {single.vendor_id} in {single.country}"
        statuses.add(got["fields"]["status"])
        assert ClientRequest.objects.filter(client=set_wise, request=batched).exists()
    assert statuses == {Request.Status.VERIFIED}
    accepted = [r for r in together if isinstance(r, Request) and r.verified_at is None]
    assert accepted, "an opt-out no law asks to verify is accepted without confirmation"


def test_a_batch_costs_queries_per_distinct_case_not_per_request() -> None:
    """The deadline engine's inputs are read once per case (policy, laws, type); everything else is set-wise:
    three times the requests of the same five cases cost no more queries."""
    client = agent()
    with CaptureQueriesContext(connection) as few:
        services.file_requests(client, varied(client, 5, people="A"), now=timezone.now())
    many_people = [s for people in "BCD" for s in varied(client, 5, people=people)]
    with CaptureQueriesContext(connection) as many:
        services.file_requests(client, many_people, now=timezone.now())
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_repeats_in_the_batch_and_of_open_requests_are_joined_as_filing_alone_would() -> None:
    client = agent()
    # Not an opt-out no law asks to verify: it is accepted at once, never joined (filed alone or not).
    first, second = [s for s in varied(client, 6) if s.request_type != "opt_out"][:2]
    earlier = services.file_request(client, first, now=timezone.now())
    results = services.file_requests(client, [first, second, second], now=timezone.now())
    assert [r.status for r in results if isinstance(r, Request)] == [
        Request.Status.DUPLICATE,  # the same person's open request, stored before
        Request.Status.VERIFIED,
        Request.Status.DUPLICATE,  # repeats the one before it in the list
    ]
    joined = Event.objects.get(request=results[0], kind="duplicate").data["of"]
    assert joined == earlier.pk
    assert Event.objects.get(request=results[2], kind="duplicate").data["of"] == results[1].pk  # type: ignore[union-attr]


def test_one_refused_item_does_not_sink_the_others_and_the_order_is_kept() -> None:
    client = agent()
    only_one = services.create_client(
        name="Leadsment only",
        kind="agent",
        vendors=[Vendor.objects.get(slug="leadsment")],
        callback_url="",
        created_by="t",
        now=timezone.now(),
    ).client
    mixed = varied(client, 25)
    leadsment = [s for s in mixed if s.vendor_slug == "leadsment"]
    seerene = [s for s in mixed if s.vendor_slug == "seerene"]
    submissions = [seerene[0], leadsment[0], seerene[1], leadsment[1]]
    assert {s.vendor_slug for s in submissions} == {"leadsment", "seerene"}
    results = services.file_requests(only_one, submissions, now=timezone.now())
    for submission, result in zip(submissions, results, strict=True):
        if submission.vendor_slug == "leadsment":
            assert isinstance(result, Request) and result.vendor.slug == "leadsment"
        else:
            assert isinstance(result, DomainError) and "Not one of this client's vendors" in str(result)


def test_requests_filed_together_are_routed_together(django_capture_on_commit_callbacks: Any) -> None:
    client = agent()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        results = services.file_requests(client, varied(client, 6), now=timezone.now())
    assert queued  # routing (and the acknowledgements) go once the batch commits
    ids = [r.pk for r in results if isinstance(r, Request)]
    tasks.route_requests_task(ids)
    for request in Request.objects.filter(pk__in=ids):
        assert request.status != Request.Status.VERIFIED  # routed: in progress, or waiting on staff
        assert request.events.filter(kind="routed").exists() or request.assignments.exists()


def test_a_batch_larger_than_a_routing_chunk_is_routed_in_several_tasks_leaving_none_out(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(intake, "ROUTE_CHUNK", 2)
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None, **_: queued.append((task, args)))
    client = agent()
    with django_capture_on_commit_callbacks(execute=True):
        results = services.file_requests(client, varied(client, 5), now=timezone.now())
    ids = [r.pk for r in results if isinstance(r, Request)]
    chunks = [args[0] for task, args in queued if task == "route_requests_task"]
    assert chunks == [ids[0:2], ids[2:4], ids[4:5]]
    for chunk in chunks:
        tasks.route_requests_task(chunk)
    assert not Request.objects.filter(pk__in=ids, status=Request.Status.VERIFIED).exists()


def test_the_batch_call_answers_each_item_in_order() -> None:
    from tests.api.conftest import Caller

    new = services.create_client(
        name="HTTP agent",
        kind="agent",
        vendors=list(Vendor.objects.all()),
        callback_url="",
        created_by="t",
        now=timezone.now(),
    )
    caller = Caller(new)
    items = [
        {
            "vendor": "leadsment",
            "subject_request_type": "erasure",
            "relationships": ["account_user"],
            "country": "FI",
            "subject_name": "Ann One",
            "email": "agent@rights.example",
            "agent_name": "HTTP agent",
        },
        {
            "vendor": "leadsment",
            "subject_request_type": "erasure",
            "relationships": ["account_user"],
            "country": "XX",
            "subject_name": "Bea Two",
            "email": "agent@rights.example",
            "agent_name": "HTTP agent",
        },
        {
            "vendor": "seerene",
            "subject_request_type": "access",
            "relationships": ["not_sure"],
            "country": "DE",
            "subject_name": "Cid Three",
            "email": "agent@rights.example",
            "agent_name": "HTTP agent",
        },
    ]
    body = caller.call("POST", "/api/v1/requests/batch/", {"requests": items}).json()
    assert (body["created"], body["failed"]) == (2, 1)
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    assert body["results"][2]["request"]["vendor"] == "seerene"
    assert body["results"][0]["request"]["policy_gap"] is False
    assert dt.datetime.fromisoformat(body["results"][0]["request"]["expected_completion_time"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_batch_copies_its_requests_events_and_emails_without_an_insert_statement() -> None:
    """dsr.bulk.insert: an INSERT of a batch's rows costs the web process a placeholder compiled, found again
    and quoted for each of about 130 values a request, about half of its CPU (issue #13)."""
    client = agent()
    with CaptureQueriesContext(connection) as queries:
        services.file_requests(client, varied(client, 3), now=timezone.now())
    written = [q["sql"].split(" (")[0] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    assert {'COPY "dsr_request"', 'COPY "dsr_event"', 'COPY "dsr_outgoingemail"'} <= set(written)
    assert not [sql for sql in written if sql.startswith(('INSERT INTO "dsr_request"', 'INSERT INTO "dsr_event"'))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ids come from PostgreSQL's sequence")
def test_the_batch_writes_each_request_row_once_with_its_chains_head() -> None:
    """A request row rewritten after its insert (to move its chain's head) costs PostgreSQL an entry in each
    of the table's twenty indexes: the ids are drawn first and the rows inserted with their heads."""
    client = agent()
    with CaptureQueriesContext(connection) as queries:
        filed = services.file_requests(client, varied(client, 4), now=timezone.now())
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "dsr_request"')]
    for request in filed:
        assert isinstance(request, Request) and audit.verify_request(request.reference).intact
        assert request.last_event_hash == Request.objects.get(pk=request.pk).last_event_hash != ""
    # The ids were the sequence's own: a request filed after gets the next one, never one of theirs.
    later = services.file_request(client, varied(client, 1, people="B")[0], now=timezone.now())
    assert later.pk > max(r.pk for r in filed if isinstance(r, Request))


def test_a_case_whose_deadlines_cannot_be_computed_is_refused_without_sinking_the_batch() -> None:
    from dsr.engine.deadlines import DeadlineError

    client = agent()
    submissions = varied(client, 10)
    real = intake.set_deadlines

    def failing(request: Request, **kwargs: Any) -> Any:
        if request.request_type == "erasure":
            raise DeadlineError("no calendar")
        return real(request, **kwargs)

    with mock.patch.object(intake, "set_deadlines", side_effect=failing):
        results = services.file_requests(client, submissions, now=timezone.now())
    for submission, result in zip(submissions, results, strict=True):
        if submission.request_type == "erasure":
            assert isinstance(result, DomainError) and "cannot be computed" in str(result)
        else:
            assert isinstance(result, Request) and audit.verify_request(result.reference).intact
    assert Request.objects.filter(request_type="erasure").count() == 0
    assert any(isinstance(r, DomainError) for r in results) and any(isinstance(r, Request) for r in results)


def routed_picture(request: Request) -> dict[str, Any]:
    """What routing made of a request: its tasks, timeline, emails and callbacks, references masked."""
    request.refresh_from_db()
    skip = {"id", "request_id", "_state"}
    return {
        "status": request.status,
        "assignments": [
            {k: v for k, v in vars(a).items() if k not in skip} for a in request.assignments.order_by("id")
        ],
        "events": [(e.kind, e.actor, e.message, e.data) for e in Event.objects.filter(request=request).order_by("id")],
        "emails": sorted(
            (e.kind, masked(e.to, request), masked(e.key.split(":", 1)[1].split(":")[0], request))
            for e in OutgoingEmail.objects.filter(request=request)
        ),
        "callbacks": sorted(json.loads(w.body)["status"] for w in OutgoingWebhook.objects.filter(request=request)),
        "chain_intact": audit.verify_request(request.reference).intact,
    }


def test_requests_routed_together_get_what_routing_each_alone_gives(receiver: Any) -> None:
    """workflow.route_many (an API batch's routing) against route_request one by one, on the same requests
    of other people: the same tasks with their reminders, events, emails to responders and person, and the
    clients' status callbacks."""
    from dsr.requests import workflow

    one, other = agent("Agent R"), agent("Agent R")
    for client in (one, other):
        services.update_client(client.pk, callback_url=receiver.url, active=True)
    now = timezone.now().replace(microsecond=0)
    alone = services.file_requests(one, varied(one, 16, people="A"), now=now)
    together = services.file_requests(other, varied(other, 16, people="B", email="b@rights.example"), now=now)
    for request in alone:
        assert isinstance(request, Request)
        workflow.route_request(request.pk, now=now)
    routed = workflow.route_many([r.pk for r in together if isinstance(r, Request)], now=now)
    assert len(routed) == 16
    assert workflow.route_many([r.pk for r in routed], now=now) == []  # routed already: nothing again
    for single, batched in zip(alone, together, strict=True):
        assert isinstance(single, Request) and isinstance(batched, Request)
        expected, got = routed_picture(single), routed_picture(batched)
        for assignment in expected["assignments"] + got["assignments"]:
            assignment["explanation"] = masked(assignment["explanation"], single)
        assert got == expected, f"{single.request_type} to {single.vendor_id} in {single.country}"
        assert got["callbacks"] == ["in_progress"] and got["assignments"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the column read is PostgreSQL's statement text")
def test_routing_a_batch_reads_each_policy_file_once_not_once_per_request() -> None:
    """A policy's file is tens of kB of JSON, parsed once a process (PolicyVersion.policy): a routing task
    of 200 requests read and decoded it with each request's row."""
    from dsr.requests import workflow
    from policies import models as policy_models

    client = agent()
    filed = [r.pk for r in services.file_requests(client, varied(client, 10), now=timezone.now())]
    policy_models._PARSED.clear()  # a worker that has not parsed them yet
    with CaptureQueriesContext(connection) as queries:
        routed = workflow.route_many(filed, now=timezone.now())
    assert len(routed) == 10 and all(r.status == Request.Status.IN_PROGRESS for r in routed)
    read = [q["sql"] for q in queries.captured_queries if '"policies_policyversion"."document"' in q["sql"]]
    versions = {r.policy_version_id for r in routed}
    assert len(read) == len(versions)  # one read of each file, for the parse
    assert not [sql for sql in read if 'FROM "dsr_request"' in sql]
