"""Every recipient is told: an erasure, rectification or restriction reaches each recipient of the data (GDPR
Art 19; CCPA 1798.105(c)(1)), named or named only by kind; an opt-out of sale or sharing reaches the third
parties it is sold or shared to (11 CCR 7026(f)); a withdrawal of consent reaches the processor acting on it
(Seerene: Heap links usage to the account only with consent). Each is a task with its own date inside the
request's (laws.yaml `recipient_duty`), in the staff queue and on the request's page, closed by staff saying
whom they told (on the timeline).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dsr.engine.routing import RECIPIENTS_BY_KIND, RecipientDuty, RequestFacts, plan_for
from dsr.models import Assignment, Request
from dsr.requests import queue, workflow
from dsr.requests.errors import DomainError
from dsr.requests.schedule import local_date
from tests.dsr.test_routing import DUE
from tests.dsr.test_routing import policies as documents
from tests.factories import LATER, RECEIVED, STAFF, filed, routed
from tests.staff import client_for

pytestmark = pytest.mark.usefixtures("policies")

TOLD_BY = dt.datetime(2026, 2, 20, 22, 59, 59, tzinfo=dt.UTC)


def preview(capsys: pytest.CaptureFixture[str], vendor: str, request_type: str, **place: str) -> dict[str, Any]:
    call_command(
        "route_preview",
        vendor=vendor,
        relationship="account_user",
        request_type=request_type,
        received="2026-03-02",
        json=True,
        **place,
    )
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def deadline_json(capsys: pytest.CaptureFixture[str], *laws: str, request_type: str) -> dict[str, Any]:
    call_command("deadline", law=list(laws), received="2026-03-02", request_type=request_type, country="DE", json=True)
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


# --- the pure router -----------------------------------------------------------------------------------


def test_recipients_named_only_by_kind_become_one_staff_task_with_every_passage() -> None:
    """GDPR Art 19; CCPA 1798.105(c)(1): the controller tells each recipient of an erasure, including those its
    policy names only by kind ("a small set of sub-processors ... database, hosting, email delivery")."""
    facts = RequestFacts(request_type="erasure", relationships=("account_user",))
    plan = plan_for(documents()["leadsment"], facts, due_at=DUE, recipients=RecipientDuty(TOLD_BY, "GDPR Art 19"))
    (task,) = [a for a in plan.assignments if a.action == "identify_recipients"]
    assert task.responder_name == RECIPIENTS_BY_KIND and task.responder_kind == "staff_queue"
    assert not task.policy_gap  # a task, not a gap: the policy names the kinds
    assert task.due_at == TOLD_BY < DUE
    assert "Database providers, Hosting providers and Email delivery providers" in task.explanation
    assert "(GDPR Art 19)" in task.explanation and "record whom you told" in task.explanation
    assert {c.passage for c in task.citations} == {
        "a small set of sub-processors who help us operate the service (database, hosting, email delivery, "
        "payment processing)"
    }
    # Stripe, which the policy names, stays its own task with the same date.
    (stripe,) = [a for a in plan.assignments if a.action == "propagate"]
    assert stripe.responder_name == "Stripe" and stripe.due_at == TOLD_BY


def test_an_access_request_reaches_no_recipient() -> None:
    """GDPR Art 19 covers rectification, erasure and restriction only: an access request is not passed on."""
    facts = RequestFacts(request_type="access", relationships=("account_user",))
    plan = plan_for(documents()["leadsment"], facts, due_at=DUE, recipients=RecipientDuty(TOLD_BY))
    assert {a.action for a in plan.assignments} == {"fulfil"}


def test_a_withdrawal_of_consent_reaches_only_the_processor_that_acts_on_the_consent() -> None:
    """GDPR Art 7(3), Art 28(3)(a): Seerene links Heap's usage tracking to the account only with consent, so a
    withdrawal must reach Heap; Seerene's other processors do not act on that consent."""
    facts = RequestFacts(request_type="withdraw_consent", relationships=("account_user",))
    plan = plan_for(documents()["seerene"], facts, due_at=DUE, recipients=RecipientDuty(TOLD_BY))
    told = [a for a in plan.assignments if a.action in ("propagate", "identify_recipients")]
    assert [a.responder_name for a in told] == ["Heap Analytics, Inc."]
    assert any("tracked by Heap may be linked to your user account" in c.passage for c in told[0].citations)


def test_an_opt_out_does_not_reach_the_hosting_providers_but_reaches_the_ad_tech_vendors() -> None:
    """11 CCR 7026(f)(2): the opt-out goes to the third parties the data is sold or shared to (Leadoro: "sharing
    with ad tech vendors may be a sale"), not to every service provider."""
    facts = RequestFacts(request_type="opt_out", relationships=("account_user",))
    plan = plan_for(documents()["leadoro"], facts, due_at=DUE, recipients=RecipientDuty(TOLD_BY, "7026(f)(2)"))
    (task,) = [a for a in plan.assignments if a.action == "identify_recipients"]
    assert "only by kind: Ad tech vendors." in task.explanation
    assert "Cloud/Hosting" not in task.explanation


def test_a_vendor_that_does_not_sell_tells_staff_there_is_no_buyer_to_tell() -> None:
    """CCPA 1798.120: Leadsment's policy says "We do not sell personal data to third parties"; the opt-out is
    recorded and confirmed with nothing to pass on."""
    facts = RequestFacts(request_type="opt_out", relationships=("account_user",))
    plan = plan_for(documents()["leadsment"], facts, due_at=DUE)
    assert {a.action for a in plan.assignments} == {"fulfil"}
    (fulfil,) = plan.assignments
    assert "does not sell personal data “We do not sell personal data to third parties.”" in fulfil.explanation


# --- the commands ----------------------------------------------------------------------------------------


def test_route_preview_shows_the_recipient_tasks_with_their_date_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    """GDPR Art 19 and Art 12(3): Seerene's erasure reaches its five processors by a date inside the request's
    month (5 business days from Monday 2 March: Monday 9 March; the month ends on 2 April)."""
    out = preview(capsys, "seerene", "erasure", country="DE")
    told = [a for a in out["assignments"] if a["action"] == "propagate"]
    assert [a["responder"] for a in told] == [
        "Microsoft Corporation (Microsoft Azure Germany)",
        "Heap Analytics, Inc.",
        "Intercom, Inc.",
        "Sendgrid, Inc.",
        "Zendesk Inc.",
    ]
    assert {a["due_date"] for a in told} == {"2026-03-09"} and out["due_date"] == "2026-04-02"
    assert out["recipients"]["due_date"] == "2026-03-09"
    assert "GDPR Art 19" in out["recipients"]["explanation"]


def test_route_preview_passes_a_californians_opt_out_on_within_its_15_business_days(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """11 CCR 7026(f)(2): the third parties are told after the request and before the business complies, which
    it must within 15 business days (20 March); the office's target is 5 business days (9 March)."""
    out = preview(capsys, "leadoro", "opt_out", country="US", state="CA")
    assert out["laws"] == ["US_CA_CCPA"] and out["due_date"] == "2026-03-20"
    (task,) = [a for a in out["assignments"] if a["action"] == "identify_recipients"]
    assert task["due_date"] == "2026-03-09"
    assert "7026(f)(2)" in task["explanation"]
    assert any("ad tech vendors" in c["passage"] for c in task["citations"])


def test_a_brazilians_erasure_reaches_the_recipients_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """LGPD Art 18 par 6: the controller *immediately* tells those it shared the data with of a deletion, so
    they repeat it. Seerene's processors are told by the next business day (Tuesday 3 March), not on GDPR's
    office target of 5 business days and not on the request's own date."""
    out = preview(capsys, "seerene", "erasure", country="BR")
    assert "BR_LGPD" in out["laws"]
    assert out["recipients"]["due_date"] == "2026-03-03"
    assert "LGPD Art 18 par 6" in out["recipients"]["explanation"]
    told = [a for a in out["assignments"] if a["action"] == "propagate"]
    assert len(told) == 5 and {a["due_date"] for a in told} == {"2026-03-03"}


def test_deadline_json_gives_the_recipients_target_where_the_law_has_the_duty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GDPR Art 19 (erasure) and 11 CCR 7026(f) (opt-out) make a recipients' target; GDPR access has none."""
    erasure = deadline_json(capsys, "EU_GDPR", request_type="erasure")
    assert erasure["recipients"]["due_date"] == "2026-03-09"
    (step,) = erasure["recipients"]["steps"]
    assert step["code"] == "recipient_target" and "GDPR Art 19" in step["source"]["cite"]
    assert deadline_json(capsys, "EU_GDPR", request_type="access")["recipients"] is None
    opt_out = deadline_json(capsys, "US_CA_CCPA", request_type="opt_out")
    assert "7026(f)(2)" in opt_out["recipients"]["steps"][0]["source"]["cite"]


# --- end to end, on the real services -------------------------------------------------------------------


def seerene_erasure() -> Request:
    return routed(vendor_slug="seerene", relationships=["account_user"], country="DE", request_type="erasure")


def test_a_seerene_erasure_makes_recipient_tasks_dated_inside_the_request() -> None:
    """GDPR Art 19: received Saturday 31 January, the processors are told by Friday 6 February (5 business days),
    well before the answer's date (Monday 2 March)."""
    request = seerene_erasure()
    tasks = request.assignments.filter(action=Assignment.Action.PROPAGATE)
    assert tasks.count() == 5
    assert {local_date(request, t.due_at) for t in tasks} == {dt.date(2026, 2, 6)}
    assert local_date(request, request.due_at) == dt.date(2026, 3, 2)
    assert all("Tell the recipients of the data by Friday 6 February 2026" in t.explanation for t in tasks)


def test_the_queue_shows_the_recipients_task_with_its_own_days() -> None:
    """GDPR Art 19; CCPA 1798.105(c)(1): a Leadsment erasure (Stripe, and sub-processors named by kind): the
    queue shows "Recipients to tell" with the days to 6 February, not to the answer's 2 March."""
    request = routed()
    assert request.assignments.filter(action=Assignment.Action.IDENTIFY_RECIPIENTS).count() == 1
    state = queue.request_state(request, LATER)
    assert (state.label, state.days_words) == ("Recipients to tell", "3 days left")


def test_staff_close_a_recipient_task_saying_whom_they_told_and_it_is_on_the_timeline() -> None:
    """GDPR Art 19, last sentence: the person may ask which recipients were told, so staff record it."""
    request = seerene_erasure()
    heap = request.assignments.get(responder_name="Heap Analytics, Inc.")
    with pytest.raises(DomainError, match="Say whom you told"):
        workflow.record_recipients_told(heap, told="  ", actor=STAFF, now=LATER)
    fulfil = request.assignments.get(action=Assignment.Action.FULFIL)
    with pytest.raises(DomainError, match="Only a task to tell the recipients"):
        workflow.record_recipients_told(fulfil, told="Heap", actor=STAFF, now=LATER)
    workflow.record_recipients_told(
        heap, told="Heap Analytics: erasure instruction sent to its privacy desk on 3 Feb", actor=STAFF, now=LATER
    )
    heap.refresh_from_db()
    assert heap.status == Assignment.Status.DONE
    event = request.events.filter(kind="assignment_done").latest("id")
    assert "Recipients told: Heap Analytics: erasure instruction sent to its privacy desk on 3 Feb" in event.message


def test_the_queue_shows_recipients_to_tell_until_every_task_is_closed() -> None:
    """GDPR Art 19: every recipient, not the first one."""
    request = routed()
    tasks = list(request.assignments.filter(action__in=["propagate", "identify_recipients"]))
    assert len(tasks) == 2
    workflow.record_recipients_told(tasks[0], told="Stripe: told on 3 Feb", actor=STAFF, now=LATER)
    assert queue.request_state(request, LATER).key == "recipients"
    workflow.record_recipients_told(tasks[1], told="Hosting: AWS told on 3 Feb", actor=STAFF, now=LATER)
    assert queue.request_state(request, LATER).key != "recipients"


def test_the_request_page_shows_each_recipient_task_and_staff_close_it_there() -> None:
    """GDPR Art 19: the tasks and their dates on the request's page; closed through the page's action."""
    lead = client_for(get_user_model().objects.create_superuser("lea", "lea@example.org", "pw"))
    request = seerene_erasure()
    page = lead.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "Zendesk Inc." in page and "due 6 Feb 2026" in page
    assert "Record which recipients were told" in page
    zendesk = request.assignments.get(responder_name="Zendesk Inc.")
    response = lead.post(
        f"/admin/dsr/request/{request.pk}/act/complete_assignment/",
        {"assignment": zendesk.pk, "told": "Zendesk: ticket data deletion requested on 2 Feb"},
    )
    assert response.status_code == 302
    zendesk.refresh_from_db()
    assert zendesk.status == Assignment.Status.DONE
    assert "Zendesk: ticket data deletion requested on 2 Feb" in zendesk.outcome


def test_a_californians_opt_out_is_passed_on_to_the_ad_tech_vendors_end_to_end() -> None:
    """11 CCR 7026(f)(2): acted on without the email link (7026), and passed on to the third parties by a date
    inside the opt-out's 15 business days."""
    request = filed(
        request_type="opt_out", vendor_slug="leadoro", relationships=["account_user"], country="US", state="CA"
    )
    assert request.status == Request.Status.VERIFIED and request.verified_at is None
    workflow.route_request(request.pk, now=RECEIVED)
    request.refresh_from_db()
    task = request.assignments.get(action=Assignment.Action.IDENTIFY_RECIPIENTS)
    assert "Ad tech vendors" in task.explanation and "7026(f)(2)" in task.explanation
    assert request.due_at is not None and task.due_at < request.due_at
    assert local_date(request, task.due_at) == dt.date(2026, 2, 6)
