"""Different people are never merged: one mailbox is not one person (issue #12, item 5).

An agent files for two clients from one address, two people share a family mailbox: each request is
its own, routed and answered, never silently joined to the other's.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.intake import verify_email
from tests.factories import LATER, RECEIVED, STAFF, verified
from tests.factories import filed as file

pytestmark = pytest.mark.usefixtures("policies")

AGENT = {"email": "office@agents.example", "agent_name": "Privacy Agents Ltd"}


def test_an_agent_filing_for_two_clients_gets_two_requests_each_routed() -> None:
    first = verified(subject_name="Alice Virtanen", **AGENT)
    second = file(subject_name="Bob Korhonen", **AGENT)
    followed = verify_email(second.reference, now=RECEIVED)
    second.refresh_from_db()
    assert followed.pk == second.pk
    assert second.status == "verified"
    assert not first.events.filter(kind="repeated").exists()
    assert OutgoingEmail.objects.filter(kind="acknowledged").count() == 2


def test_two_people_sharing_a_mailbox_are_not_joined() -> None:
    verified(subject_name="Maija Mäkinen", email="family@example.com")
    second = file(subject_name="Matti Mäkinen", email="family@example.com")
    assert verify_email(second.reference, now=RECEIVED).pk == second.pk


def test_the_person_and_their_agent_are_not_joined() -> None:
    verified(subject_name="Alice Virtanen", email="alice@example.com")
    through_agent = file(subject_name="Alice Virtanen", email="alice@example.com", agent_name="Helper Oy")
    assert verify_email(through_agent.reference, now=RECEIVED).pk == through_agent.pk


def test_the_same_person_again_with_other_spacing_and_case_is_still_joined() -> None:
    first = verified(subject_name="Alice  Virtanen")
    again = file(subject_name="alice virtanen ")
    assert verify_email(again.reference, now=RECEIVED).pk == first.pk


def test_staff_cannot_close_another_persons_request_as_a_duplicate() -> None:
    first = verified(subject_name="Alice Virtanen", **AGENT)
    second = verified(subject_name="Bob Korhonen", **AGENT)
    with pytest.raises(DomainError, match="another person"):
        workflow.mark_duplicate(second, of=first.reference, reason="Same ask.", actor=STAFF, now=LATER)
    second.refresh_from_db()
    assert second.status == Request.Status.VERIFIED
    assert not first.events.filter(kind="repeated").exists()


def test_staff_still_close_the_same_persons_repeat_as_a_duplicate() -> None:
    first = verified()
    again = verified(now=RECEIVED + dt.timedelta(hours=1), request_type="access")
    workflow.mark_duplicate(again, of=first.reference, reason="Same ask.", actor=STAFF, now=LATER)
    again.refresh_from_db()
    assert again.status == Request.Status.DUPLICATE
