"""Requests as a person files them, for tests: through the real intake and workflow functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dsr.models import Request
from dsr.requests import workflow
from dsr.requests.intake import Submission, submit_request, verify_email
from dsr.requests.timeline import Actor

# A fixed, aware receipt time: Saturday 31 January 2026, 10:00 UTC (a month-end case).
RECEIVED = dt.datetime(2026, 1, 31, 10, tzinfo=dt.UTC)
# When staff act in a test that does not care: a few days after receipt, well before any due date.
LATER = RECEIVED + dt.timedelta(days=3)
# A staff member acting (no user row: the event keeps the label).
STAFF = Actor("lead", "staff")


def noon(day: dt.date) -> dt.datetime:
    """Midday UTC on `day`: when a test's staff member acts on that day."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def submission(**overrides: Any) -> Submission:
    """What a person typed on the form, validated. Defaults: a Leadsment account user in Finland, erasure."""
    fields: dict[str, Any] = {
        "vendor_slug": "leadsment",
        "request_type": "erasure",
        "relationships": ["account_user"],
        "country": "FI",
        "state": "",
        "subject_name": "Alice Virtanen",
        "email": "alice@example.com",
        **overrides,
    }
    return Submission(**fields)


def filed(*, now: dt.datetime = RECEIVED, **overrides: Any) -> Request:
    """A submitted request (email not yet confirmed). Defaults: as `submission`."""
    return submit_request(submission(**overrides), now=now)


def verified(*, now: dt.datetime = RECEIVED, **overrides: Any) -> Request:
    request = filed(now=now, **overrides)
    return verify_email(request.reference, now=now)


def routed(*, now: dt.datetime = RECEIVED, **overrides: Any) -> Request:
    return workflow.route_request(verified(now=now, **overrides).pk, now=now)


def identified(request: Request, *, now: dt.datetime = LATER) -> Request:
    """Staff record the identity check (and, for an agent, the authority): the answer may then go out."""
    request = workflow.record_identity(
        request, method="email_matches_record", note="The proven email is the account login.", actor=STAFF, now=now
    )
    if request.agent_name:
        request = workflow.record_authority(
            request, method="signed_permission", note="Signed permission seen.", actor=STAFF, now=now
        )
    return request
