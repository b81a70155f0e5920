"""The rights the policies grant are fileable, each with its law's deadline (issue #11, item 9), and the
person reads their deadline in plain words in their own language (item 11)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from dsr.models import OutgoingEmail, Request
from dsr.outbox.emails import render_stored
from dsr.requests import schedule, workflow
from dsr.security.tokens import make_token
from policies import vocabulary
from tests.factories import LATER, STAFF, identified, noon, routed, verified
from tests.staff import client_for, member

STAFF_MARKS = ("Status V", "Status S", "Status U", "Art 12", "gdprhub", "7021", "(earlier reading)", "GDPR")


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def deadline_json(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("deadline", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def route_json(**options: Any) -> dict[str, Any]:
    out = StringIO()
    call_command("route_preview", json=True, stdout=out, **options)
    return json.loads(out.getvalue())


# --- India: grievance and nomination ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_grievance_is_answered_within_90_days_counting_the_day_of_receipt() -> None:
    """DPDP Act 2023 s.13(2); DPDP Rules 2025 Rule 14(3): the published period must not exceed 90 days.

    Whether the day of receipt counts is not said: it is day 1 (the earlier date). 1 June 2027 + 89 days
    is Sunday 29 August 2027, not moved to the Monday."""
    result = deadline_json("--law", "IN_DPDP", "--received", "2027-06-01", "--type", "grievance")
    assert result["strictest"]["kind"] == "grievance"
    assert result["strictest"]["due_date"] == "2027-08-29"
    assert "Rule 14(3)" in result["strictest"]["explanation"]


@pytest.mark.django_db
def test_a_grievance_before_rule_14_applies_is_dated_as_a_guide() -> None:
    """DPDP Rules 2025 commencement: Rule 14 from 13 May 2027 (SCC Online; some say 14 May: the earlier)."""
    before = deadline_json("--law", "IN_DPDP", "--received", "2027-05-12", "--type", "grievance")
    on_the_day = deadline_json("--law", "IN_DPDP", "--received", "2027-05-13", "--type", "grievance")
    assert any("applies from 13 May 2027" in n for n in before["notes"])
    assert not any("applies from" in n for n in on_the_day["notes"])
    assert before["strictest"]["due_date"] == "2027-08-09"


@pytest.mark.django_db
def test_a_nomination_has_no_statutory_period_and_gets_the_office_target() -> None:
    """DPDP Act 2023 s.14 (nomination) sets no period: no date is invented (the office's target applies)."""
    result = deadline_json("--law", "IN_DPDP", "--received", "2027-06-01", "--type", "nomination")
    assert result["strictest"] is None
    assert result["deadlines"][0]["steps"][0]["code"] == "no_fixed_period"


def test_grievance_and_nomination_are_routed_to_leadoro_staff_while_its_officer_is_a_placeholder(
    policies: None,
) -> None:
    """DPDP Act s.13 via Leadoro's policy 7.3 ('Contact our Grievance Officer'); its details are a template
    placeholder, so the work goes to the staff queue rather than an invented address."""
    for request_type in ("grievance", "nomination"):
        plan = route_json(
            vendor="leadoro",
            relationship=["account_user"],
            request_type=request_type,
            country="IN",
            received="2027-06-01",
        )
        assert [a["responder_kind"] for a in plan["assignments"]] == ["staff_queue"]
        assert plan["assignments"][0]["policy_gap"] is True


# --- Appeals ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_california_review_is_not_given_the_ccpa_response_period() -> None:
    """CCPA has no statutory consumer appeal (reference 3.x: 'California: no appeal'); 11 CCR 7021(b) is the
    period for the request itself, so a review carries no statutory date and cannot be 'extended'."""
    result = deadline_json("--law", "US_CA_CCPA", "--received", "2026-03-05", "--type", "appeal")
    assert result["strictest"] is None
    [appeal] = result["deadlines"]
    assert appeal["kind"] == "appeal" and appeal["due_date"] is None
    assert "7021" not in appeal["explanation"]
    assert "no appeal to the organisation" in appeal["explanation"]


@pytest.mark.django_db
def test_a_virginia_appeal_still_has_its_60_days_beside_california() -> None:
    """Va. Code 59.1-577(C): within 60 days of receipt of an appeal."""
    result = deadline_json(
        "--law", "US_CA_CCPA", "--law", "US_VA_VCDPA", "--received", "2026-03-05", "--type", "appeal"
    )
    assert result["strictest"]["rule"] == "US_VA_VCDPA"
    assert result["strictest"]["due_date"] == "2026-05-04"


def test_a_denied_appeal_names_the_attorney_general_of_the_persons_state(policies: None) -> None:
    """Va. Code 59.1-577(C): if the appeal is denied, a method to contact the Attorney General."""
    request = identified(
        routed(vendor_slug="leadoro", request_type="appeal", relationships=["account_user"], country="US", state="VA")
    )
    workflow.close_request(
        request, status=Request.Status.REJECTED, message="Nothing to change.", actor=STAFF, now=LATER
    )
    body = render_stored(OutgoingEmail.objects.get(request=request, kind="rejected")).body_text
    assert "the Attorney General of Virginia" in body
    assert 'choose "Appeal an earlier answer' not in body


def test_a_denial_of_another_request_offers_the_appeal_instead(policies: None) -> None:
    """Va. Code 59.1-577(B)(2): a decline gives instructions for how to appeal."""
    request = identified(
        routed(vendor_slug="leadoro", request_type="access", relationships=["account_user"], country="US", state="VA")
    )
    workflow.close_request(request, status=Request.Status.REJECTED, message="Not found.", actor=STAFF, now=LATER)
    body = render_stored(OutgoingEmail.objects.get(request=request, kind="rejected")).body_text
    assert "Attorney General" not in body
    assert 'choose "Appeal an earlier answer' in body


def test_a_refusal_under_a_law_with_no_appeal_does_not_offer_one(policies: None) -> None:
    """The GDPR family and the PDPO have no statutory appeal (a complaint to the authority instead): a UK
    person refused by Serai is not told to file an appeal its form does not offer."""
    request = identified(
        routed(vendor_slug="serai", request_type="access", relationships=["account_user"], country="GB")
    )
    workflow.close_request(request, status=Request.Status.REJECTED, message="Not found.", actor=STAFF, now=LATER)
    body = render_stored(OutgoingEmail.objects.get(request=request, kind="rejected")).body_text
    assert "right to appeal" not in body and "Appeal an earlier answer" not in body
    assert "Information Commissioner" in body


# --- The form offers them only where granted --------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "offered"),
    [("leadoro", True), ("sera-leads", False), ("seerene", False)],
)
def test_the_new_rights_are_on_the_form_only_for_the_vendor_that_grants_them(
    client: Client, policies: None, vendor: str, offered: bool
) -> None:
    """Leadoro's policy 7 ('Opt Out of data use for model training') and 7.3 (DPDP nomination, grievance)."""
    page = client.get(f"/request/{vendor}/").content.decode()
    for key in ("training_opt_out", "nomination", "grievance"):
        assert (f'value="{key}"' in page) is offered, key


def test_a_training_opt_out_is_filed_confirmed_routed_and_dated(client: Client, policies: None) -> None:
    """GDPR Art 21(1) objection (Leadoro trains on legitimate interests), answered under Art 12(3): one month."""
    response = client.post(
        "/request/leadoro/",
        {
            "request_type": "training_opt_out",
            "relationship": "account_user",
            "country": "DE",
            "subject_name": "Alice Example",
            "email": "alice@example.com",
            "website": "",
        },
    )
    assert response.status_code == 302
    request = Request.objects.get(request_type="training_opt_out")
    request = workflow.route_request(verified_from(request).pk, now=timezone.now())
    assert request.status == Request.Status.IN_PROGRESS
    assert request.deadlines["strictest"]["law_code"] == "EU_GDPR"
    assert request.assignments.exists()


@pytest.mark.parametrize("request_type", ["grievance", "nomination"])
def test_an_indian_resident_files_a_grievance_or_a_nomination_on_leadoros_form(
    client: Client, policies: None, request_type: str
) -> None:
    """DPDP Act 2023 s.13 (grievance) and s.14 (nomination), granted by Leadoro's policy: offered on its form,
    filed, confirmed and routed to staff (its grievance officer's details are a placeholder), under the DPDP."""
    form = client.get("/request/leadoro/").content.decode()
    assert f'value="{request_type}"' in form
    response = client.post(
        "/request/leadoro/",
        {
            "request_type": request_type,
            "relationship": "account_user",
            "country": "IN",
            "subject_name": "Asha Rao",
            "email": "asha@example.com",
            "website": "",
        },
    )
    assert response.status_code == 302
    request = Request.objects.get(request_type=request_type)
    request = workflow.route_request(verified_from(request).pk, now=timezone.now())
    assert request.law_codes == ["IN_DPDP"]
    assert [a.responder_kind for a in request.assignments.all()] == ["staff_queue"]
    if request_type == "grievance":
        assert request.deadlines["strictest"]["kind"] == "grievance"
    else:  # no statutory period: the office's own target, never an invented legal date
        assert request.deadlines["strictest"] is None and request.due_at is not None


def verified_from(request: Request) -> Request:
    from dsr.requests.intake import verify_email

    return verify_email(request.reference, now=timezone.now())


# --- Item 11: the person's words ------------------------------------------------------------------------

PERSON_WORDS = {
    "de": ("Die gesetzliche Frist endet am", "Wie die Frist berechnet wird"),
    "et": ("Seadusjärgne tähtaeg on", None),
    "fi": ("Lakisääteinen määräaika on", None),
}


@pytest.mark.parametrize("language", ["de", "et", "fi"])
def test_the_status_page_explains_the_deadline_in_the_persons_language(
    client: Client, policies: None, language: str
) -> None:
    """GDPR Art 12(1): in clear and plain language. The steps are rendered for the person, not for staff."""
    request = verified(vendor_slug="sera-leads", request_type="access", country="EE", language=language)
    page = client.get(f"/status/{make_token('status', request.reference)}/").content.decode()
    with translation.override(language):
        due_words = date_format(schedule.due_date(request), "DATE_FORMAT")
    assert PERSON_WORDS[language][0] in page
    assert due_words in page
    for mark in STAFF_MARKS:
        assert mark not in page, mark
    assert "Deadlines computed" not in page and "Routed" not in page


@pytest.mark.parametrize("language", ["de", "et", "fi"])
def test_the_acknowledgement_explains_the_deadline_in_the_persons_language(policies: None, language: str) -> None:
    """GDPR Art 12(1) and (3): told in plain words how long the answer may take."""
    request = verified(vendor_slug="sera-leads", request_type="access", country="EE", language=language)
    email = render_stored(OutgoingEmail.objects.get(request=request, kind="acknowledged"))
    for body in (email.body_text, email.body_html):
        assert PERSON_WORDS[language][0] in body
        for mark in STAFF_MARKS:
            assert mark not in body, mark


def test_a_vendor_promise_earlier_than_the_law_shows_both_dates_with_the_reason(client: Client, policies: None) -> None:
    """GDPR Art 12(3): one month from 2 March 2026 is Thursday 2 April; Leadsment promises 'We respond within
    30 days' (1 April). The person sees the law's date and the earlier target, with the promise as reason."""
    request = verified(vendor_slug="leadsment", request_type="access", country="FI", now=noon(dt.date(2026, 3, 2)))
    assert request.deadlines["strictest"]["kind"] == "promise"
    page = text(client.get(f"/status/{make_token('status', request.reference)}/"))
    legal, target = date_format(dt.date(2026, 4, 2), "DATE_FORMAT"), date_format(dt.date(2026, 4, 1), "DATE_FORMAT")
    assert f"The legal deadline is {legal}." in page
    assert f"Leadsment promises to answer within 30 days, so we aim to answer by {target}." in page


def test_staff_see_both_dates_and_the_words_the_person_reads(policies: None) -> None:
    """GDPR Art 12(3) and Leadsment's 30-day promise: the staff page gives the statutory date beside the
    office's target, and the words the person reads on their status page, so staff answer with the same."""
    request = verified(vendor_slug="leadsment", request_type="access", country="FI", now=noon(dt.date(2026, 3, 2)))
    lead = client_for(member("lead-both-dates", "leadsment", role="lead"))
    page = html.unescape(lead.get(f"/admin/dsr/request/{request.pk}/change/").content.decode())
    told = page.split("What the person is told:")[1].split("</div>")[0]
    assert "The legal deadline is April 2, 2026." in told
    assert "Leadsment promises to answer within 30 days, so we aim to answer by April 1, 2026." in told
    workflow.withdraw_request(request, now=LATER)
    page = lead.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "What the person is told:" not in page


def test_a_withdrawn_request_shows_no_due_date(client: Client, policies: None) -> None:
    """Nothing is due once the person withdrew the request: no date on the status page."""
    request = verified(vendor_slug="sera-leads", request_type="access", country="EE")
    due_words = date_format(schedule.due_date(request), "DATE_FORMAT")
    workflow.withdraw_request(request, now=LATER)
    page = client.get(f"/status/{make_token('status', request.reference)}/").content.decode()
    assert "Answer due by" not in page
    assert due_words not in page.split("What has happened")[0]
    assert "The legal deadline is" not in page


def test_the_request_types_are_labelled_in_every_language(policies: None) -> None:
    for language in ("de", "et", "fi"):
        with translation.override(language):
            for key in ("training_opt_out", "nomination", "grievance"):
                label = vocabulary.REQUEST_TYPES[key]
                assert translation.gettext(label) != label
                assert re.search(r"\w", translation.gettext(label))
