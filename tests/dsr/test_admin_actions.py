"""The staff admin offers a request's actions exactly as the transition table allows them, refuses the others
without touching the request, and records which staff member acted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.admin.requests import ACTIONS as ADMIN_ACTIONS
from dsr.admin.requests import ADMIN_LABELS
from dsr.models import Event, OutgoingEmail, Package, Request, StaffMembership
from dsr.requests import transitions
from policies.models import Vendor
from tests.statuses import reach

pytestmark = pytest.mark.usefixtures("policies")

S = Request.Status


@pytest.fixture
def staff_user(db: None) -> Any:
    """A handler on Leadsment's team (the vendor of every request tests.statuses makes)."""
    user = get_user_model().objects.create_user("konsta", "konsta@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="leadsment"))
    return user


@pytest.fixture
def staff(staff_user: Any) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def lead(db: None) -> Client:
    """A team lead on Leadsment's team."""
    user = get_user_model().objects.create_user("lea", "lea@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(
        user=user, vendor=Vendor.objects.get(slug="leadsment"), role=StaffMembership.Role.LEAD
    )
    client = Client()
    client.force_login(user)
    return client


def still_to_do(request: Request, action: str) -> bool:
    """A check already recorded, or with nothing to check, is not offered again."""
    if action == "record_identity":
        return request.identity_checked_at is None
    if action == "record_authority":
        return bool(request.agent_name) and request.authority_recorded_at is None
    if action == "approve_contact":
        return request.assignments.filter(contact_approved=False).exists()
    if action == "add_to_package":  # only an access or portability answer has a package
        return request.request_type in ("access", "portability")
    if action == "resend_package_link":  # only a package sent and not yet expired
        return Package.objects.filter(request=request, status__in=Package.LIVE_STATUSES).exists()
    if action == "edit_answer":  # only once there is an answer to edit
        return request.status == S.AWAITING_APPROVAL
    if action == "revoke_link":  # a link that works now: an open task whose link was sent
        return request.assignments.filter(status="open", contact_approved=True).exists()
    if action == "complete_assignment":  # staff close only a task to tell the recipients (GDPR Art 19)
        return request.assignments.filter(status="open", action__in=["propagate", "identify_recipients"]).exists()
    return True


def buttons(client: Client, request: Request) -> list[tuple[str, str]]:
    """(action, label) of the action buttons on the request's change page, in page order."""
    page = client.get(f"/admin/dsr/request/{request.pk}/change/")
    assert page.status_code == 200
    link = re.compile(rf'<a href="/admin/dsr/request/{request.pk}/act/(\w+)/">([^<]*)</a>')
    return [(action, label.replace("&#x27;", "'")) for action, label in link.findall(page.content.decode())]


def state(request: Request) -> tuple[Any, ...]:
    request.refresh_from_db()
    return (
        request.status,
        request.due_at,
        request.extended,
        request.pauses.count(),
        Event.objects.filter(request=request).exclude(kind="viewed").count(),  # opening the page is logged
        OutgoingEmail.objects.filter(request=request).count(),
    )


@pytest.mark.parametrize("role", ["handler", "lead"])
@pytest.mark.parametrize("status", S.values)
def test_the_change_page_offers_exactly_the_actions_the_table_allows_the_role(
    staff: Client, lead: Client, status: str, role: str
) -> None:
    client = lead if role == "lead" else staff
    request = reach(status)
    expected = [
        (t.action, ADMIN_LABELS.get(t.action, t.label))
        for t in transitions.TABLE.values()
        if t.action in ADMIN_ACTIONS and t.allows(status) and role in t.roles and still_to_do(request, t.action)
    ]
    assert buttons(client, request) == expected


def test_a_handler_works_a_request_and_only_a_lead_extends_and_answers(staff: Client, lead: Client) -> None:
    routed = reach(S.IN_PROGRESS)
    assert [label for _, label in buttons(staff, routed)] == [
        "Record the identity check",
        "Ask the person for information",
        # Leadsment's erasure reaches Stripe and the sub-processors it names only by kind (GDPR Art 19).
        "Record which recipients were told",
        "Add an internal note",
        "Record the person's reply",
        "Revoke a responder's link",
    ]
    assert [label for _, label in buttons(lead, routed)] == [
        "Record the identity check",
        "Ask the person for information",
        "Extend the deadline",
        "Record which recipients were told",
        "Answer and close",
        "Add an internal note",
        "Record the person's reply",
        "Revoke a responder's link",
    ]
    waiting = reach(S.AWAITING_SUBJECT)
    assert "Record the person's answer" in [label for _, label in buttons(staff, waiting)]
    assert buttons(lead, reach(S.COMPLETED)) == [("note", "Add an internal note")]


def test_a_handler_cannot_take_a_leads_action_even_by_its_address(staff: Client) -> None:
    request = reach(S.IN_PROGRESS)
    before = state(request)
    for action, form in (
        ("extend", {"announced_on": "2026-02-05", "reason": "Complex."}),
        ("close", {"status": "rejected", "message": "No data."}),
    ):
        response = staff.post(f"/admin/dsr/request/{request.pk}/act/{action}/", form, follow=True)
        assert "a team lead's action" in response.content.decode().replace("&#x27;", "'")
    assert state(request) == before


@pytest.mark.parametrize(
    ("status", "action", "refusal"),
    [
        (S.IN_PROGRESS, "resume", "The request is not waiting for the person (it is in progress)."),
        (S.COMPLETED, "close", "The request is already completed."),
        (S.COMPLETED, "extend", "A request that is completed cannot be extended."),
        (S.WITHDRAWN, "pause", "A request that is withdrawn cannot be paused."),
    ],
)
def test_a_disallowed_action_in_the_admin_changes_nothing_and_says_why(
    staff: Client, status: str, action: str, refusal: str
) -> None:
    request = reach(status)
    before = state(request)
    url = f"/admin/dsr/request/{request.pk}/act/{action}/"
    form = {
        "kind": "identity",
        "on": "2026-02-05",
        "announced_on": "2026-02-05",
        "reason": "Why.",
        "status": "rejected",
    }
    for response in (staff.get(url, follow=True), staff.post(url, {**form, "message": "No data."}, follow=True)):
        assert response.redirect_chain[-1][0] == f"/admin/dsr/request/{request.pk}/change/"
        assert refusal in response.content.decode().replace("&#x27;", "'")
    assert state(request) == before


def test_staff_cannot_withdraw_on_the_persons_behalf(staff: Client) -> None:
    request = reach(S.IN_PROGRESS)
    before = state(request)
    url = f"/admin/dsr/request/{request.pk}/act/withdraw/"
    assert staff.get(url).status_code == 404
    assert staff.post(url).status_code == 404
    assert state(request) == before


def test_a_staff_action_in_the_admin_is_recorded_with_the_user(staff: Client, staff_user: Any) -> None:
    request = reach(S.IN_PROGRESS)
    response = staff.post(
        f"/admin/dsr/request/{request.pk}/act/pause/",
        {"kind": "identity", "on": "2026-02-05", "reason": "Which account?"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == S.AWAITING_SUBJECT
    paused = request.events.get(kind="paused")
    assert paused.actor_user == staff_user
    assert paused.actor == "konsta"
    # The deadlines the pause recomputed are the same staff member's doing.
    assert request.events.filter(kind="deadlines").latest("pk").actor_user == staff_user
