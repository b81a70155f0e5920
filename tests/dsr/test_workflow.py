"""A request's life after intake: verification, stored deadlines recomputed on every event, routing,
answers, withdrawal, reminders, escalation, expiry and purge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dsr.models import Assignment, Event, OutgoingEmail, Request
from dsr.outbox.emails import render_stored
from dsr.privacy import retention
from dsr.requests import schedule, sweeps, workflow
from dsr.requests.errors import DomainError
from dsr.requests.intake import verify_email
from dsr.requests.signals import deadline_extended
from tests.factories import LATER, RECEIVED, STAFF, identified, noon, verified
from tests.factories import filed as file

pytestmark = pytest.mark.usefixtures("policies")


def kinds(request: Request) -> list[str]:
    return list(request.events.values_list("kind", flat=True))


def emails(kind: str) -> list[OutgoingEmail]:
    """The outbox's emails of this kind, as the worker sends them (rendered first where it renders them)."""
    return [render_stored(email) for email in OutgoingEmail.objects.filter(kind=kind)]


def test_nothing_is_routed_or_due_before_the_email_is_verified() -> None:
    request = file()
    assert request.status == "submitted"
    assert request.due_at is None
    assert not request.assignments.exists()
    assert [e.kind for e in OutgoingEmail.objects.all()] == ["verify"]


def test_verification_stores_the_deadlines_and_acknowledges_with_the_due_date() -> None:
    request = verified()
    assert request.status == "verified"
    # 31 January + one month = 28 February 2026 (a Saturday) -> Monday 2 March (Reg 1182/71 Art 3).
    assert schedule.due_date(request) == dt.date(2026, 3, 2)
    assert request.deadlines["strictest"]["due_date"] == "2026-03-02"
    assert "deadlines" in kinds(request)
    (ack,) = emails("acknowledged")
    assert "2026-03-02" in ack.body_text
    assert ack.to == "alice@example.com"


def test_verifying_twice_changes_nothing() -> None:
    request = verified()
    again = verify_email(request.reference, now=RECEIVED + dt.timedelta(hours=1))
    assert again.pk == request.pk
    assert len(emails("acknowledged")) == 1
    assert kinds(request).count("verified") == 1


def test_a_repeated_request_is_joined_to_the_open_one_not_duplicated() -> None:
    first = verified()
    second = file(email="ALICE@example.com")
    followed = verify_email(second.reference, now=RECEIVED)
    assert followed.pk == first.pk
    second.refresh_from_db()
    assert second.status == "duplicate"
    assert "repeated" in kinds(first)
    assert len(emails("acknowledged")) == 1


def test_an_expired_request_cannot_be_verified() -> None:
    request = file()
    retention.expire_unverified(now=RECEIVED + dt.timedelta(days=8))
    with pytest.raises(DomainError, match="expired"):
        verify_email(request.reference, now=RECEIVED + dt.timedelta(days=8))


def test_routing_twice_makes_one_plan() -> None:
    request = verified()
    workflow.route_request(request.pk, now=RECEIVED)
    workflow.route_request(request.pk, now=RECEIVED)
    request.refresh_from_db()
    assert request.status == "in_progress"
    actions = sorted(request.assignments.values_list("action", flat=True))
    # Leadsment fulfils; Stripe, and the sub-processors it names only by kind, are told of the erasure.
    assert actions == ["fulfil", "identify_recipients", "propagate"]
    assert kinds(request).count("routed") == 1
    assert len(emails("assignment")) == 3
    # Stripe has no address in the policy: Leadsment's privacy team gets the instruction to pass on.
    stripe = request.assignments.get(action="propagate")
    assert OutgoingEmail.objects.get(key=f"{request.reference}:assignment:{stripe.pk}").to == "Konsta@leadsment.com"


def test_a_pause_under_uk_gdpr_stops_the_clock_and_resuming_recomputes() -> None:
    # Leadoro names the UK GDPR: stop-the-clock for clarification (DPA 2018 s.54(3C)-(3D)).
    request = verified(vendor_slug="leadoro", country="GB", request_type="access")
    before = schedule.due_date(request)
    assert before == dt.date(2026, 3, 2)
    # (Art 12A, which allows the stop, is in force from 5 February 2026.)
    workflow.pause_request(
        request,
        kind="clarification",
        on=dt.date(2026, 2, 6),
        reason="Which account?",
        actor=STAFF,
        now=noon(dt.date(2026, 2, 6)),
    )
    request = workflow.resume_request(request, on=dt.date(2026, 2, 13), actor=STAFF, now=noon(dt.date(2026, 2, 13)))
    request.refresh_from_db()
    # 28 February (clamped) + 7 paused days = Saturday 7 March -> Monday 9 March.
    assert schedule.due_date(request) == dt.date(2026, 3, 9)
    timeline = kinds(request)
    paused = timeline.index("paused")
    assert timeline[paused : paused + 4] == ["paused", "deadlines", "resumed", "deadlines"]
    assert timeline[-1] == "routed"  # it was paused before routing: routed once the person answered
    assert len(emails("info_needed")) == 1


def test_a_pause_under_the_gdpr_does_not_move_the_deadline_and_says_why() -> None:
    request = verified()
    before = request.due_at
    workflow.pause_request(
        request,
        kind="identity",
        on=dt.date(2026, 2, 3),
        reason="Please confirm.",
        actor=STAFF,
        now=noon(dt.date(2026, 2, 3)),
    )
    request = workflow.resume_request(request, on=dt.date(2026, 2, 20), actor=STAFF, now=noon(dt.date(2026, 2, 20)))
    request.refresh_from_db()
    assert request.due_at == before
    gdpr = next(d for d in request.deadlines["deadlines"] if d["law_code"] == "EU_GDPR" and d["kind"] == "response")
    assert gdpr["pauses"] and not gdpr["pauses"][0]["applied"]


def test_an_extension_recomputes_from_receipt_but_leadsments_promise_still_binds() -> None:
    request = verified()
    workflow.route_request(request.pk, now=RECEIVED)
    request = workflow.extend_request(
        request,
        reason="Many systems to search.",
        actor=STAFF,
        now=noon(dt.date(2026, 2, 20)),
    )
    request.refresh_from_db()
    assert request.extended
    # GDPR: 3 months from 31 January = 30 April; but Leadsment promised "within 30 days" (2 March).
    assert schedule.due_date(request) == dt.date(2026, 3, 2)
    extended = [d for d in request.deadlines["deadlines"] if d["law_code"] == "EU_GDPR" and d["kind"] == "response"]
    assert extended[0]["due_date"] == "2026-04-30"
    assert "extended" in kinds(request)
    (mail,) = emails("extended")
    assert "Many systems to search." in mail.body_text


def test_an_extension_moves_the_deadline_where_no_promise_binds() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    request = workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 2, 20)))
    request.refresh_from_db()
    assert schedule.due_date(request) == dt.date(2026, 4, 30)


def test_an_extension_is_announced_once_with_the_date_before_and_the_one_stored() -> None:
    """deadline_extended: what the agents' protocol calls back (DRP 3.08), heard inside the extension's transaction
    with the new deadlines already stored, once; a refused extension announces nothing."""
    heard: list[tuple[dt.datetime | None, dt.datetime | None, str]] = []

    def listen(sender: object, *, request: Request, old_due_at: dt.datetime | None, event: Event, **_: Any) -> None:
        heard.append((old_due_at, request.due_at, event.kind))

    request = verified(vendor_slug="sera-leads", country="EE")
    before = request.due_at
    deadline_extended.connect(listen, sender=Request, dispatch_uid="test-extension-announced")
    try:
        workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 2, 20)))
        with pytest.raises(DomainError, match="already extended once"):
            workflow.extend_request(request, reason="Still complex.", actor=STAFF, now=noon(dt.date(2026, 2, 21)))
    finally:
        deadline_extended.disconnect(listen, sender=Request, dispatch_uid="test-extension-announced")
    request.refresh_from_db()
    assert heard == [(before, request.due_at, "extended")] and request.due_at != before


def test_a_deadline_is_extended_once_only() -> None:
    """GDPR Art 12(3) allows one further period: a second extension is refused and moves nothing."""
    request = verified(vendor_slug="sera-leads", country="EE")
    request = workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 2, 20)))
    request.refresh_from_db()
    due = request.due_at
    with pytest.raises(DomainError, match="already extended once"):
        workflow.extend_request(request, reason="Still complex.", actor=STAFF, now=noon(dt.date(2026, 2, 21)))
    request.refresh_from_db()
    assert request.due_at == due
    assert kinds(request).count("extended") == 1
    assert len(emails("extended")) == 1


def test_an_extension_announced_too_late_or_without_reasons_is_refused() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    with pytest.raises(DomainError, match="announced"):
        workflow.extend_request(request, reason="Late.", actor=STAFF, now=noon(dt.date(2026, 3, 3)))
    with pytest.raises(DomainError, match="reasons"):
        workflow.extend_request(request, reason=" ", actor=STAFF, now=noon(dt.date(2026, 2, 1)))
    request.refresh_from_db()
    assert not request.extended


def test_once_approved_a_request_with_legal_holds_is_answered_as_partially_completed() -> None:
    request = verified()
    workflow.route_request(request.pk, now=RECEIVED)
    identified(request)
    for assignment in Assignment.objects.filter(request=request):
        workflow.complete_assignment(assignment, outcome="Done; invoices kept 6 years by law.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == "awaiting_approval"
    assert emails("completed") == []
    workflow.approve_answer(request, actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == "partially_completed"
    (mail,) = emails("completed")
    assert "invoices kept 6 years by law" in mail.body_text


def test_a_rejection_names_the_supervisory_authority() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    workflow.close_request(request, status="rejected", message="We hold no data about you.", actor=STAFF, now=LATER)
    (mail,) = emails("rejected")
    assert "Estonian Data Protection Inspectorate" in mail.body_text
    assert "We hold no data about you." in mail.body_text
    with pytest.raises(DomainError, match="reasons"):
        workflow.close_request(verified(email="bob@example.com"), status="rejected", message="", actor=STAFF, now=LATER)


def test_withdrawal_closes_the_request_and_its_assignments() -> None:
    request = verified()
    workflow.route_request(request.pk, now=RECEIVED)
    workflow.withdraw_request(request, now=LATER)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert set(request.assignments.values_list("status", flat=True)) == {"not_applicable"}
    with pytest.raises(DomainError, match="already"):
        workflow.withdraw_request(request, now=LATER)


def test_reminders_go_out_7_and_2_days_before_and_escalation_once_overdue() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    workflow.route_request(request.pk, now=RECEIVED)
    assignment = request.assignments.get(action="fulfil")
    due = assignment.due_at
    # (Sera's assist-the-controller task for Customer Data has its own, earlier forwarding target.)
    sweeps.sweep_deadlines(now=due - dt.timedelta(days=10))
    assert not [e for e in emails("reminder") if f":reminder:{assignment.pk}:" in e.key]
    sweeps.sweep_deadlines(now=due - dt.timedelta(days=7))
    sweeps.sweep_deadlines(now=due - dt.timedelta(days=6))  # nothing new
    sweeps.sweep_deadlines(now=due - dt.timedelta(days=2))
    mine = [e for e in emails("reminder") if e.key.startswith(f"{request.reference}:reminder:{assignment.pk}:")]
    assert sorted(e.key.rsplit(":", 1)[1] for e in mine) == ["2", "7"]
    assert all(e.to == "support@seraleads.com" and "/respond/" in e.body_text for e in mine)
    assert not [e for e in emails("escalation") if f":escalation:{assignment.pk}:" in e.key]
    sweeps.sweep_deadlines(now=due + dt.timedelta(minutes=1))
    sweeps.sweep_deadlines(now=due + dt.timedelta(days=1))
    assert len([e for e in emails("escalation") if f":escalation:{assignment.pk}:" in e.key]) == 1
    assignment.refresh_from_db()
    assert assignment.escalated_at is not None
    assert assignment.next_action_at is None
    assert "escalated" in kinds(request)


def test_a_late_routed_request_gets_only_the_nearest_reminder() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    workflow.route_request(request.pk, now=RECEIVED)
    assignment = request.assignments.get(action="fulfil")
    sweeps.sweep_deadlines(now=assignment.due_at - dt.timedelta(days=1))
    mine = [e for e in emails("reminder") if e.key.startswith(f"{request.reference}:reminder:{assignment.pk}:")]
    assert [e.key.rsplit(":", 1)[1] for e in mine] == ["2"]


def test_the_sweep_only_reads_what_is_due() -> None:
    for i in range(5):  # access requests: one assignment each (an erasure's recipients have an earlier date)
        workflow.route_request(verified(email=f"p{i}@example.com", request_type="access").pk, now=RECEIVED)
    assert sweeps.sweep_deadlines(now=RECEIVED + dt.timedelta(days=1)) == 0
    assert sweeps.sweep_deadlines(now=RECEIVED + dt.timedelta(days=24), batch=3) == 3


def test_unverified_requests_expire_with_their_personal_data() -> None:
    request = file(details="My account number is 12345")
    assert retention.expire_unverified(now=RECEIVED + dt.timedelta(days=6)) == 0
    assert retention.expire_unverified(now=RECEIVED + dt.timedelta(days=7, minutes=1)) == 1
    request.refresh_from_db()
    assert request.status == "expired"
    assert (request.subject_name, request.subject_email, request.details) == ("", "", "")
    assert not OutgoingEmail.objects.filter(body_text__contains="Alice").exists()
    assert request.events.filter(kind="purged").exists()


def test_closed_requests_keep_their_audit_trail_but_lose_personal_data_after_retention() -> None:
    request = identified(verified())
    workflow.close_request(request, status="completed", message="Erased.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert retention.purge_closed(now=request.closed_at + dt.timedelta(days=364)) == 0
    assert retention.purge_closed(now=request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)) == 1
    request.refresh_from_db()
    assert request.subject_email == "" and request.purged_at is not None
    assert request.status == "completed" and request.due_at is not None
    events = Event.objects.filter(request=request)
    assert events.filter(kind="completed").exists()
    assert not events.filter(message__contains="Alice").exists()


def test_reconcile_picks_up_a_verified_request_whose_routing_message_was_lost(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = verified()
    sent: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None: sent.append((task, args)))
    assert sweeps.reconcile_routing(now=RECEIVED + dt.timedelta(minutes=10)) == 1
    assert sent == [("route_request_task", (request.pk,))]


def test_the_person_is_told_who_answers_in_their_own_language() -> None:
    request = verified(vendor_slug="sera-leads", relationships=["customer_data_subject"], country="DE", language="de")
    workflow.route_request(request.pk, now=RECEIVED)
    (routed,) = emails("routed")
    assert "handelt Sera nur im Auftrag von" in routed.body_text
    # Staff-facing explanations stay in English.
    assert "is only a processor" in request.assignments.get(action="assist_controller").explanation


def test_the_daily_purge_also_drops_old_rate_limit_counters() -> None:
    from dsr.models import Throttle
    from dsr.security import ratelimit
    from dsr.tasks import expire_and_purge_task

    ratelimit.allow("submit-ip", "192.0.2.1", now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert Throttle.objects.count() == 1
    expire_and_purge_task()
    assert Throttle.objects.count() == 0


def test_after_an_extension_the_reminders_count_from_the_new_due_date() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    workflow.route_request(request.pk, now=RECEIVED)
    assignment = request.assignments.get(action="fulfil")
    sweeps.sweep_deadlines(now=assignment.due_at - dt.timedelta(days=7))  # 7-day reminder for 2 March
    workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 2, 24)))
    assignment.refresh_from_db()
    assert schedule.due_date(Request.objects.get(pk=request.pk)) == dt.date(2026, 4, 30)
    assert assignment.reminders_sent == []
    sweeps.sweep_deadlines(now=assignment.due_at - dt.timedelta(days=7))
    mine = [e for e in emails("reminder") if e.key.startswith(f"{request.reference}:reminder:{assignment.pk}:")]
    assert len(mine) == 2  # one before the first due date, one before the extended one


def test_policy_gap_work_and_escalations_go_to_the_vendors_staff_team(settings: Any) -> None:
    from django.contrib.auth import get_user_model

    from dsr.models import StaffMembership
    from policies.models import Vendor

    seerene = Vendor.objects.get(slug="seerene")
    for name in ("anna", "ben"):
        user = get_user_model().objects.create_user(name, f"{name}@seerene.test", "pw", is_staff=True)
        StaffMembership.objects.create(user=user, vendor=seerene)
    request = verified(vendor_slug="seerene", country="DE", request_type="access")
    workflow.route_request(request.pk, now=RECEIVED)
    gap = request.assignments.get(action="fulfil")  # Seerene gives no privacy address: staff queue
    assert gap.policy_gap
    to = set(OutgoingEmail.objects.filter(kind="assignment").values_list("to", flat=True))
    assert to == {"anna@seerene.test", "ben@seerene.test"}
    sweeps.sweep_deadlines(now=gap.due_at + dt.timedelta(hours=1))
    assert set(OutgoingEmail.objects.filter(kind="escalation").values_list("to", flat=True)) == to


def test_without_a_team_staff_work_goes_to_the_shared_staff_address(settings: Any) -> None:
    settings.DSR_STAFF_EMAIL = "privacy-office@example.org"
    request = verified(vendor_slug="seerene", country="DE", request_type="access")
    workflow.route_request(request.pk, now=RECEIVED)
    assert set(OutgoingEmail.objects.filter(kind="assignment").values_list("to", flat=True)) == {
        "privacy-office@example.org"
    }


def test_a_change_to_a_law_after_receipt_does_not_move_a_running_requests_deadline() -> None:
    from policies.models import Law

    request = verified(vendor_slug="sera-leads", country="EE")
    assert schedule.due_date(request) == dt.date(2026, 3, 2)
    gdpr = Law.objects.get(code="EU_GDPR")
    gdpr.data = {**gdpr.data, "response": {**gdpr.data["response"], "amount": 2}}  # say it became two months
    gdpr.save()
    workflow.pause_request(
        request,
        kind="identity",
        on=dt.date(2026, 2, 2),
        reason="Which account?",
        actor=STAFF,
        now=noon(dt.date(2026, 2, 2)),
    )
    request.refresh_from_db()
    assert schedule.due_date(request) == dt.date(2026, 3, 2)
    # A request received after the change is judged by the new entry.
    later = verified(vendor_slug="sera-leads", country="EE", email="bob@example.com")
    assert schedule.due_date(later) == dt.date(2026, 3, 31)
