"""Opt-outs without friction: a request no law asks to verify is acted on at once, and never extended.

11 CCR 7026 and 7027(e): a request to opt out of sale or sharing (or to limit the use of sensitive
personal information) is not a verifiable consumer request; the business acts on it within 15 business
days (7026(f)) and may not ask for more than it needs to act. laws.yaml's `identity_check` says so per
law and type; where any applicable law asks for a check, the email link is still required.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dsr.models import OutgoingEmail, Request
from dsr.privacy import retention
from dsr.requests import sweeps, workflow
from dsr.requests.errors import DomainError
from dsr.requests.intake import needs_confirmation
from tests.factories import LATER, RECEIVED, STAFF, filed, verified

pytestmark = pytest.mark.django_db

CALIFORNIAN = {"vendor_slug": "leadoro", "relationships": ["account_user"], "country": "US", "state": "CA"}


def emails(request: Request) -> list[str]:
    return sorted(OutgoingEmail.objects.filter(request=request).values_list("kind", flat=True))


def test_a_ccpa_opt_out_is_in_work_without_the_email_link() -> None:
    """11 CCR 7026: an opt-out is not a verifiable request; no confirmation step may stand in its way."""
    request = filed(request_type="opt_out", email="cal@example.com", **CALIFORNIAN)
    assert request.law_codes == ["US_CA_CCPA"]
    assert request.status == Request.Status.VERIFIED
    assert request.verified_at is None  # the address is not proven, and nothing says it is
    assert emails(request) == ["acknowledged"]  # no verification email: the acknowledgement with the status link
    assert request.events.filter(kind="accepted").exists()
    assert request.due_at is not None
    # Its clock is the 15 business days of 7026(f) from receipt.
    assert request.deadlines["strictest"]["kind"] == "opt_out"


def test_an_accepted_opt_out_never_expires_unconfirmed_and_is_routed() -> None:
    request = filed(request_type="opt_out", email="cal@example.com", **CALIFORNIAN)
    later = RECEIVED + dt.timedelta(days=30)
    retention.expire_unverified(now=later)
    request.refresh_from_db()
    assert request.status == Request.Status.VERIFIED
    # A lost routing message is picked up by reconcile, though the request has no verified_at.
    assert request.pk in set(sweeps.unrouted_due(now=later).values_list("pk", flat=True))
    workflow.route_request(request.pk, now=later)
    request.refresh_from_db()
    assert request.status == Request.Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("request_type", "overrides"),
    [
        ("access", CALIFORNIAN),  # a request to know is verifiable (7062)
        ("erasure", CALIFORNIAN),
        ("opt_out", {"vendor_slug": "leadsment", "relationships": ["account_user"], "country": "FI", "state": ""}),
    ],
)
def test_requests_a_law_asks_to_verify_still_wait_for_the_link(request_type: str, overrides: dict[str, str]) -> None:
    request = filed(request_type=request_type, email="someone@example.com", **overrides)
    assert needs_confirmation(request)
    assert request.status == Request.Status.SUBMITTED
    assert emails(request) == ["verify"]


def test_the_form_says_the_opt_out_is_in_work_not_check_your_email() -> None:
    response = Client().post(
        "/request/leadoro/",
        {
            "request_type": "opt_out",
            "relationship": "account_user",
            "country": "US",
            "state": "CA",
            "subject_name": "Casey Doe",
            "email": "casey@example.com",
            "details": "",
            "website": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "We are acting on your request now" in response.content.decode()
    assert "Check your email" not in response.content.decode()


def test_a_ccpa_opt_out_cannot_be_extended() -> None:
    """11 CCR 7026(f): 15 business days, with no extension (the 45+45 days of 7021 are for other requests)."""
    request = filed(request_type="opt_out", email="cal@example.com", **CALIFORNIAN)
    request = workflow.route_request(request.pk, now=RECEIVED)
    with pytest.raises(DomainError, match="answer it in time"):
        workflow.extend_request(request, reason="Busy.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert not request.extended
    assert "extended" not in emails(request)


def test_a_ccpa_request_to_know_can_still_be_extended() -> None:
    request = workflow.route_request(
        verified(request_type="access", email="know@example.com", **CALIFORNIAN).pk, now=RECEIVED
    )
    workflow.extend_request(request, reason="Many systems.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.extended


def test_staff_are_not_offered_an_extension_no_law_allows() -> None:
    from dsr.admin.requests import staff_actions

    opt_out = workflow.route_request(
        filed(request_type="opt_out", email="o@example.com", **CALIFORNIAN).pk, now=RECEIVED
    )
    know = workflow.route_request(
        verified(request_type="access", email="k@example.com", **CALIFORNIAN).pk, now=RECEIVED
    )
    assert "extend" not in [action for action, _ in staff_actions(opt_out, "lead")]
    assert "extend" in [action for action, _ in staff_actions(know, "lead")]
