"""The person's status page shows where the request stands, never the office's working notes."""

from __future__ import annotations

import pytest
from django.test import Client

from dsr.requests import workflow
from dsr.security.tokens import make_token
from tests.factories import LATER, STAFF, routed


@pytest.mark.usefixtures("policies")
def test_a_responders_outcome_note_is_not_shown_to_the_person() -> None:
    request = routed(email="aino@example.com")
    stripe = request.assignments.get(action="propagate")
    workflow.complete_assignment(
        stripe, outcome="Ticket #4411 with Stripe, contact j.doe@stripe.test", actor=STAFF, now=LATER
    )
    page = Client().get(f"/status/{make_token('status', request.reference)}/").content.decode()
    assert "Part of the request answered" in page
    assert "Ticket #4411" not in page
    assert "j.doe@stripe.test" not in page
    assert "2026-03-02" in page or "2 March 2026" in page or "March 2, 2026" in page


@pytest.mark.usefixtures("policies")
def test_the_status_page_speaks_the_persons_language_and_says_who_answers() -> None:
    request = routed(
        vendor_slug="sera-leads",
        relationships=["customer_data_subject"],
        country="DE",
        customer_name="Acme GmbH",
        language="de",
    )
    url = f"/status/{make_token('status', request.reference)}/"
    page = Client().get(url).content.decode()  # a browser that asks for nothing in particular
    assert "Wer antwortet" in page
    assert "handelt Sera nur im Auftrag von Acme GmbH" in page
    # A language the person picked on the site wins.
    client = Client()
    client.cookies["django_language"] = "fi"
    assert "Kuka vastaa" in client.get(url).content.decode()


@pytest.mark.usefixtures("policies")
def test_the_verification_page_speaks_the_language_the_person_filed_in() -> None:
    from tests.factories import filed

    request = filed(vendor_slug="sera-leads", country="EE", language="et")
    page = Client().get(f"/verify/{make_token('verify', request.reference)}/").content.decode()
    assert 'lang="et"' in page


@pytest.mark.usefixtures("policies")
def test_once_refused_the_status_page_no_longer_says_who_will_answer() -> None:
    request = routed(vendor_slug="serai", relationships=["account_user"], country="GB", language="en")
    url = f"/status/{make_token('status', request.reference)}/"
    assert "will answer you" in Client().get(url).content.decode()
    workflow.close_request(
        request, status="rejected", message="We could not confirm who you are.", actor=STAFF, now=LATER
    )
    page = Client().get(url).content.decode()
    assert "will answer you" not in page and "Who answers" not in page
    assert "Rejected" in page or "rejected" in page
