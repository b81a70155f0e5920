"""A request in any status, for tests that walk the statuses: brought there through intake and the workflow."""

from __future__ import annotations

import datetime as dt

from dsr.models import Request
from dsr.privacy import retention
from dsr.requests import workflow
from dsr.requests.intake import verify_email
from tests.factories import LATER, RECEIVED, STAFF, identified, routed, verified
from tests.factories import filed as file

S = Request.Status
CLOSING = (S.COMPLETED, S.PARTIALLY_COMPLETED, S.REJECTED)


def reach(status: str) -> Request:
    """A request of Alice's in `status`, brought there through intake and the workflow."""
    if status == S.SUBMITTED:
        request = file()
    elif status == S.VERIFIED:
        request = verified()
    elif status == S.IN_PROGRESS:
        request = routed()
    elif status == S.AWAITING_SUBJECT:
        request = workflow.pause_request(
            routed(), kind="identity", on=LATER.date(), reason="Which account?", actor=STAFF, now=LATER
        )
    elif status == S.AWAITING_APPROVAL:
        # Every responder has answered; the identity check is not recorded yet (approval waits for it).
        request = routed()
        for assignment in request.assignments.all():
            workflow.complete_assignment(assignment, outcome="Done as asked.", actor=STAFF, now=LATER)
    elif status in CLOSING:
        answered = identified(routed())
        request = workflow.close_request(answered, status=status, message="Done as asked.", actor=STAFF, now=LATER)
    elif status == S.WITHDRAWN:
        request = workflow.withdraw_request(routed(), now=LATER)
    elif status == S.EXPIRED:
        request = file()
        assert retention.expire_unverified(now=RECEIVED + retention.UNVERIFIED_RETENTION + dt.timedelta(days=1)) == 1
    elif status == S.DUPLICATE:
        verified()
        request = file()
        verify_email(request.reference, now=RECEIVED)
    else:
        raise AssertionError(f"no way to reach {status}")
    request.refresh_from_db()
    assert request.status == status
    return request
