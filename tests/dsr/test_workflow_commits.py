"""Each state change owns its transaction (`transaction.atomic(durable=True)`): it refuses to run inside a
caller's open transaction, so when it returns its writes, its timeline events and the emails it queued are
committed, and no caller can roll them back afterwards (or send an email for a change that never was)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from dsr.models import Request, StaffMembership
from dsr.requests import workflow
from tests.factories import LATER, STAFF, identified, routed, verified

pytestmark = pytest.mark.usefixtures("policies")


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", content_type="application/pdf")


def member_of(request: Request) -> Any:
    user = get_user_model().objects.create_user("lea", "lea@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor_id=request.vendor_id, role="lead")
    return user


def paused() -> Request:
    return workflow.pause_request(routed(), kind="identity", on=LATER.date(), reason="ID?", actor=STAFF, now=LATER)


# Each state change, called with what it needs to go through: (name, a request to act on, the call).
CHANGES: dict[str, tuple[Callable[[], Request], Callable[[Request], object]]] = {
    "route": (verified, lambda r: workflow.route_request(r.pk, now=LATER)),
    "pause": (
        routed,
        lambda r: workflow.pause_request(r, kind="identity", on=LATER.date(), reason="ID?", actor=STAFF, now=LATER),
    ),
    "resume": (paused, lambda r: workflow.resume_request(r, on=LATER.date(), actor=STAFF, now=LATER)),
    "extend": (
        routed,
        lambda r: workflow.extend_request(r, reason="Many records.", actor=STAFF, now=LATER),
    ),
    "complete_assignment": (
        lambda: identified(routed()),
        lambda r: workflow.complete_assignment(r.assignments.first(), outcome="Deleted.", actor=STAFF, now=LATER),
    ),
    "record_identity": (
        routed,
        lambda r: workflow.record_identity(r, method="email_matches_record", note="Login.", actor=STAFF, now=LATER),
    ),
    "record_authority": (
        lambda: routed(agent_name="Rights Agency Oy", request_type="access"),
        lambda r: workflow.record_authority(r, method="signed_permission", note="Seen.", actor=STAFF, now=LATER),
    ),
    "approve_contact": (
        lambda: routed(
            vendor_slug="leadoro",
            relationships=["customer_data_subject"],
            customer_name="Acme Oy",
            customer_email="dpo@acme.test",
        ),
        lambda r: workflow.approve_contact(r.assignments.get(responder_kind="customer"), actor=STAFF, now=LATER),
    ),
    "close": (
        lambda: identified(routed()),
        lambda r: workflow.close_request(r, status="completed", message="", actor=STAFF, now=LATER),
    ),
    "note": (routed, lambda r: workflow.add_note(r, text="Called the person.", actor=STAFF, now=LATER)),
    "record_reply": (
        routed,
        lambda r: workflow.record_reply(r, text="Here it is.", files=[pdf()], actor=STAFF, now=LATER),
    ),
    "receive_permission": (
        lambda: verified(agent_name="Rights Agency Oy", request_type="access"),
        lambda r: workflow.receive_permission(r, files=[pdf()], now=LATER),
    ),
    "withdraw": (routed, lambda r: workflow.withdraw_request(r, now=LATER)),
    "assign_owner": (routed, lambda r: workflow.assign_owner(r, owner=member_of(r), actor=STAFF, now=LATER)),
    "mark_spam": (routed, lambda r: workflow.mark_spam(r, reason="Advertising.", actor=STAFF, now=LATER)),
    "mark_duplicate": (
        lambda: routed(email="twice@example.com", request_type="access") and routed(email="twice@example.com"),
        lambda r: workflow.mark_duplicate(r, of="DSR-ANY", reason="Same ask.", actor=STAFF, now=LATER),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_state_change_commits_on_its_own_and_never_inside_a_callers_transaction(
    change: str, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    make, call = CHANGES[change]
    request = make()
    before = (request.status, request.events.count())
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable atomic block cannot be nested"):
        call(request)
    request.refresh_from_db()
    assert (request.status, request.events.count()) == before
