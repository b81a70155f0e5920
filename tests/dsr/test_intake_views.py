"""The public pages: filing a request, confirming the email, following and withdrawing it, responding.

Each bad input must come back with a clear message next to its field and store nothing; no page may
tell whether an address has filed before; a GET on a link never changes anything.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.outbox.emails import render_stored
from dsr.public import forms as dsr_forms
from dsr.requests import schedule, workflow
from dsr.requests.intake import verify_email
from dsr.security import ratelimit
from dsr.security.tokens import make_token, read_token
from policies import vocabulary

VENDOR = "sera-leads"
FORM_URL = f"/request/{VENDOR}/"
REFERENCE = re.compile(r"DSR-[A-HJ-NP-Z2-9]{8}")
pytestmark = pytest.mark.django_db


def valid(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "request_type": "access",
        "relationship": "account_user",
        "country": "EE",
        "state": "",
        "subject_name": "Alice Example",
        "email": "alice@example.com",
        "details": "My account name is alice.\r\nI joined in 2023.\tThanks.",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def field_error(response: Any, field: str) -> str:
    """The error shown next to a field (its own list, referenced by the input's aria-describedby)."""
    page = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error next to {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def file_request(client: Client, **changes: Any) -> Request:
    response = client.post(FORM_URL, valid(**changes))
    assert response.status_code == 302, text(response)[:2000]
    reference = REFERENCE.search(response["Location"]).group(0)  # type: ignore[union-attr]
    return Request.objects.get(reference=reference)


def verify_link(request: Request) -> str:
    body = render_stored(OutgoingEmail.objects.get(request=request, kind="verify")).body_text  # as the worker does
    return re.search(r"/verify/[^/\s]+/", body).group(0)  # type: ignore[union-attr]


def status_reference(response: Any) -> str:
    """The request a redirect to a status page leads to (its signed link, read as the status page reads it)."""
    match = re.fullmatch(r"/status/([^/]+)/", response["Location"])
    assert match, response["Location"]
    return read_token("status", match.group(1)).reference


def nothing_stored() -> bool:
    return not Request.objects.exists() and not OutgoingEmail.objects.exists()


# --- the form ------------------------------------------------------------------------------------


def test_landing_page_lists_every_vendor_with_a_link_to_its_form(client: Client, policies: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "<title>" in response.content.decode()
    for slug in ("leadoro", "leadsment", "seerene", "sera-leads", "serai"):
        assert f'href="/request/{slug}/"' in response.content.decode()


def test_form_offers_only_what_the_vendor_and_its_laws_allow(client: Client, policies: None) -> None:
    page = text(client.get(FORM_URL))
    assert vocabulary.REQUEST_TYPES["erasure"] in page
    assert vocabulary.REQUEST_TYPES["automated_decision"] in page  # from the GDPR, not the policy
    assert 'value="appeal"' not in page  # neither the policy nor the GDPR gives it
    assert 'value="customer_data_subject"' in page
    assert 'value="job_applicant"' not in page
    assert 'value="EE"' in page and 'value="US"' in page and 'value="001"' not in page
    assert 'name="website"' in page and "Leave this empty" in page


def test_a_valid_submission_stores_one_request_and_queues_one_verification_email(
    client: Client, policies: None
) -> None:
    response = client.post(FORM_URL, valid(), follow=True)
    request = Request.objects.get()
    assert response.redirect_chain == [(f"/request/sent/{request.reference}/", 302)]
    assert request.reference in text(response)
    assert "Check your email" in text(response)
    assert "7 days" in text(response)
    assert (request.subject_email, request.status, request.language) == ("alice@example.com", "submitted", "en")
    assert request.details == "My account name is alice.\r\nI joined in 2023.\tThanks."
    email = render_stored(OutgoingEmail.objects.get())  # as the worker does before sending
    assert (email.kind, email.to, email.request) == ("verify", "alice@example.com", request)
    assert "/verify/" in email.body_text and "/verify/" in email.body_html
    assert "nothing happens" in email.body_text


def test_an_agent_files_for_someone_else(client: Client, policies: None) -> None:
    request = file_request(client, acting_as_agent="on", agent_name="Agent Smith", email="agent@example.com")
    assert (request.agent_name, request.subject_name, request.subject_email) == (
        "Agent Smith",
        "Alice Example",
        "agent@example.com",
    )


def test_customer_fields_are_kept_only_where_a_customer_uploaded_the_data(client: Client, policies: None) -> None:
    kept = file_request(
        client, relationship="customer_data_subject", customer_name="Acme", customer_email="dpo@acme.example"
    )
    assert (kept.customer_name, kept.customer_email) == ("Acme", "dpo@acme.example")
    dropped = file_request(client, email="bob@example.com", customer_name="Acme", customer_email="dpo@acme.example")
    assert (dropped.customer_name, dropped.customer_email) == ("", "")


BAD_INPUTS = [
    pytest.param({"subject_name": ""}, "subject_name", dsr_forms.REQUIRED_NAME, id="missing-name"),
    pytest.param({"email": ""}, "email", dsr_forms.REQUIRED_EMAIL, id="missing-email"),
    pytest.param({"request_type": None}, "request_type", dsr_forms.REQUIRED_REQUEST_TYPE, id="missing-type"),
    pytest.param({"relationship": None}, "relationship", dsr_forms.REQUIRED_RELATIONSHIP, id="missing-relationship"),
    pytest.param({"country": ""}, "country", dsr_forms.REQUIRED_COUNTRY, id="missing-country"),
    pytest.param({"email": "alice.example.com"}, "email", dsr_forms.INVALID_EMAIL, id="invalid-email"),
    pytest.param({"details": "x" * 100_000}, "details", "at most 5000 characters (it has 100000)", id="100kb-details"),
    pytest.param({"details": "ring \x07 bell"}, "details", dsr_forms.CONTROL_CHARACTER, id="control-in-details"),
    pytest.param({"details": "nul \x00"}, "details", dsr_forms.CONTROL_CHARACTER, id="nul-in-details"),
    pytest.param({"subject_name": "Alice \x1b[31m"}, "subject_name", dsr_forms.CONTROL_CHARACTER, id="control-in-name"),
    pytest.param({"subject_name": "Alice\tExample"}, "subject_name", dsr_forms.CONTROL_CHARACTER, id="tab-in-name"),
    pytest.param(
        {"subject_name": "Alice\r\nBcc: eve@example.com"}, "subject_name", dsr_forms.LINE_BREAK, id="newline-in-name"
    ),
    pytest.param({"subject_name": "Alice\n"}, "subject_name", dsr_forms.LINE_BREAK, id="trailing-newline-in-name"),
    pytest.param(
        {"email": "alice@example.com\nBcc: eve@example.com"}, "email", dsr_forms.LINE_BREAK, id="newline-in-email"
    ),
    pytest.param(
        {"acting_as_agent": "on", "agent_name": "Agent\u2028Smith"},
        "agent_name",
        dsr_forms.LINE_BREAK,
        id="line-separator-in-agent",
    ),
    pytest.param({"country": "EE", "state": "CA"}, "state", dsr_forms.STATE_NOT_US, id="state-outside-us"),
    pytest.param({"country": "US", "state": ""}, "state", dsr_forms.STATE_REQUIRED, id="us-without-state"),
    pytest.param({"country": "XX"}, "country", dsr_forms.NOT_OFFERED, id="unknown-country"),
    pytest.param({"request_type": "appeal"}, "request_type", dsr_forms.NOT_OFFERED, id="type-not-offered"),
    pytest.param(
        {"relationship": "job_applicant"}, "relationship", dsr_forms.NOT_OFFERED, id="relationship-not-offered"
    ),
    pytest.param({"acting_as_agent": "on"}, "agent_name", dsr_forms.AGENT_NAME_REQUIRED, id="agent-without-name"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUTS)
def test_a_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(
    client: Client, policies: None, changes: dict[str, Any], field: str, message: str
) -> None:
    response = client.post(FORM_URL, valid(**changes))
    assert response.status_code == 200
    assert str(message) in field_error(response, field)
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', page), "the error is not tied to the field"
    assert "Please check the fields marked below." in page
    assert nothing_stored()


def test_the_form_keeps_what_was_typed_after_an_error(client: Client, policies: None) -> None:
    page = text(client.post(FORM_URL, valid(email="nope")))
    assert 'value="Alice Example"' in page
    assert "My account name is alice." in page


def test_an_unknown_vendor_is_a_404_page(client: Client, policies: None) -> None:
    response = client.get("/request/no-such-vendor/")
    assert response.status_code == 404
    assert "Page not found" in text(response)


# --- abuse ---------------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_sent_but_stores_nothing(client: Client, policies: None) -> None:
    response = client.post(FORM_URL, valid(website="http://spam.example"), follow=True)
    assert response.status_code == 200
    assert REFERENCE.search(response.redirect_chain[0][0])
    assert "Check your email" in text(response)
    assert nothing_stored()


def test_over_the_ip_limit_the_form_answers_429_and_stores_nothing(client: Client, policies: None) -> None:
    limit, _ = ratelimit.LIMITS["submit-ip"]
    for _ in range(limit):
        assert ratelimit.allow("submit-ip", "127.0.0.1", now=timezone.now())
    response = client.post(FORM_URL, valid())
    assert response.status_code == 429
    assert "try again later" in text(response)
    assert nothing_stored()


def test_over_the_email_limit_the_form_looks_sent_but_stores_and_sends_nothing(client: Client, policies: None) -> None:
    limit, _ = ratelimit.LIMITS["submit-email"]
    for _ in range(limit):
        ratelimit.allow_email("Alice@Example.com", "127.0.0.1", now=timezone.now())
    response = client.post(FORM_URL, valid(), follow=True)
    assert response.status_code == 200  # no 429: that would tell a stranger the address filed recently
    assert REFERENCE.search(response.redirect_chain[0][0])
    assert "Check your email" in text(response)
    assert nothing_stored()


def test_csrf_is_enforced(policies: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(FORM_URL, valid()).status_code == 403
    assert nothing_stored()


def test_the_sent_page_is_the_same_for_a_new_address_and_one_that_filed_before(client: Client, policies: None) -> None:
    def page(response: Any, reference: str) -> str:
        body = response.content.decode().replace(reference, "REF")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    first = file_request(client)
    verify_email(first.reference, now=timezone.now())
    again = file_request(client)
    fresh = file_request(client, email="someone.new@example.com")
    assert page(client.get(f"/request/sent/{again.reference}/"), again.reference) == page(
        client.get(f"/request/sent/{fresh.reference}/"), fresh.reference
    )
    assert OutgoingEmail.objects.filter(kind="verify").count() == 3


# --- verification links --------------------------------------------------------------------------


def test_get_on_the_verify_link_does_not_verify_and_post_does(client: Client, policies: None) -> None:
    request = file_request(client)
    link = verify_link(request)
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm my request" in text(response)
    assert 'method="post"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == Request.Status.SUBMITTED

    response = client.post(link)
    request.refresh_from_db()
    assert request.status == Request.Status.VERIFIED
    assert response.status_code == 302
    assert status_reference(response) == request.reference
    assert OutgoingEmail.objects.filter(request=request, kind="acknowledged").count() == 1


def test_the_verify_post_needs_the_csrf_token(policies: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    request = file_request(Client())
    assert strict.post(verify_link(request)).status_code == 403
    request.refresh_from_db()
    assert request.status == Request.Status.SUBMITTED


def test_a_repeated_request_leads_to_the_earlier_one(client: Client, policies: None) -> None:
    first = file_request(client)
    client.post(verify_link(first))
    second = file_request(client)
    response = client.post(verify_link(second))
    assert status_reference(response) == first.reference


def test_a_tampered_link_is_a_400_page(client: Client, policies: None) -> None:
    request = file_request(client)
    link = verify_link(request)
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    for method in (client.get, client.post):
        response = method(tampered)
        assert response.status_code == 400
        assert "This link is not valid" in text(response)
    assert client.get(f"/status/{link.split('/')[2]}/").status_code == 400  # a verify token is no status token
    request.refresh_from_db()
    assert request.status == Request.Status.SUBMITTED


def test_an_expired_link_is_a_410_page(client: Client, policies: None) -> None:
    request = file_request(client)
    link = verify_link(request)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        for method in (client.get, client.post):
            response = method(link)
            assert response.status_code == 410
            assert "This link has expired" in text(response)
            assert "file the request again" in text(response)
    request.refresh_from_db()
    assert request.status == Request.Status.SUBMITTED


def test_wrong_links_are_rate_limited(client: Client, policies: None) -> None:
    limit, _ = ratelimit.LIMITS["bad-link-ip"]
    for _ in range(limit):
        ratelimit.allow_client("bad-link-ip", "127.0.0.1", now=timezone.now())
    response = client.get(f"/status/{make_token('status', 'DSR-AAAAAAAA')}x/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600


# --- status page ---------------------------------------------------------------------------------


def verified(client: Client, **changes: Any) -> Request:
    request = file_request(client, **changes)
    verify_email(request.reference, now=timezone.now())
    request.refresh_from_db()
    return request


def test_the_status_page_shows_the_due_date_and_what_was_done(client: Client, policies: None) -> None:
    request = verified(client)
    due = schedule.due_date(request)
    assert due is not None
    response = client.get(f"/status/{make_token('status', request.reference)}/")
    page = text(response)
    assert response.status_code == 200
    assert request.reference in page and "Sera" in page
    assert vocabulary.REQUEST_TYPES["access"] in page
    assert "Email confirmed" in page
    assert date_format(due, "DATE_FORMAT") in page
    assert f"The legal deadline is {date_format(due, 'DATE_FORMAT')}." in page
    assert "Art 12" not in page  # the citations stay in the staff explanation
    assert page.index("Request received") < page.index("Email address confirmed")
    assert "alice@example.com" not in page
    assert "Withdraw my request" in page


def test_withdrawing_needs_the_confirmation_box_and_then_closes_the_request(client: Client, policies: None) -> None:
    request = verified(client)
    url = f"/status/{make_token('status', request.reference)}/"
    response = client.post(url, {})
    assert response.status_code == 200
    assert str(dsr_forms.CONFIRM_WITHDRAW) in field_error(response, "confirm")
    request.refresh_from_db()
    assert request.status == Request.Status.VERIFIED

    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == url
    request.refresh_from_db()
    assert request.status == Request.Status.WITHDRAWN
    assert OutgoingEmail.objects.filter(request=request, kind="withdrawn").count() == 1
    page = text(client.get(url))
    assert "Withdrawn" in page and "You withdrew the request" in page
    assert "Withdraw my request" not in page


# --- responder page ------------------------------------------------------------------------------


def test_the_responder_page_shows_the_task_and_records_the_outcome(client: Client, policies: None) -> None:
    request = verified(client, details="Account alice, joined 2023.")
    workflow.route_request(request.pk, now=timezone.now())
    assignment = Assignment.objects.filter(request=request).first()
    assert assignment is not None
    url = f"/respond/{make_token('responder', request.reference, assignment_id=assignment.pk)}/"
    page = text(client.get(url, HTTP_ACCEPT_LANGUAGE="de"))
    assert assignment.explanation in page
    assert assignment.get_action_display() in page
    assert "Alice Example" in page and "Account alice, joined 2023." in page
    # The responder matches the person by the email they proved, told how sure they must be.
    assert "alice@example.com" in page and "proven" in page
    assert "Before you disclose or change anything, match the person." in page
    assert "Tell us what you did" in page  # English, whatever the browser asks for

    response = client.post(url, {"outcome": ""})
    assert "Say what was done" in field_error(response, "outcome")
    response = client.post(url, {"outcome": "Sent a copy of the account data."}, follow=True)
    assert "Thank you" in text(response)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.outcome) == ("done", "Sent a copy of the account data.")


def test_a_responder_link_for_another_request_is_not_valid(client: Client, policies: None) -> None:
    request = verified(client)
    workflow.route_request(request.pk, now=timezone.now())
    assignment = Assignment.objects.filter(request=request).first()
    assert assignment is not None
    forged = make_token("responder", "DSR-AAAAAAAA", assignment_id=assignment.pk)
    assert client.get(f"/respond/{forged}/").status_code == 400


# --- languages -----------------------------------------------------------------------------------


def test_a_german_submission_is_stored_as_german_and_gets_a_german_email(client: Client, policies: None) -> None:
    form = client.get(FORM_URL, HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="de">' in form.content.decode()
    assert "Land, in dem Sie wohnen" in text(form)
    response = client.post(FORM_URL, valid(), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    request = Request.objects.get()
    assert request.language == "de"
    email = render_stored(OutgoingEmail.objects.get())
    assert email.language == "de"
    assert email.subject == f"Bitte bestätigen Sie Ihre Anfrage {request.reference}"
    assert "Hallo Alice Example" in email.body_text


def test_the_language_cookie_chooses_the_language(client: Client, policies: None) -> None:
    client.post("/i18n/setlang/", {"language": "fi", "next": FORM_URL})
    page = text(client.get(FORM_URL))
    assert '<html lang="fi">' in page
    file_request(client)
    assert Request.objects.get().language == "fi"


@pytest.mark.parametrize("language", ["de", "et", "fi"])
def test_every_label_a_person_reads_is_translated(language: str) -> None:
    labels = [*vocabulary.REQUEST_TYPES.values(), *vocabulary.RELATIONSHIPS.values(), *Request.Status.labels]
    with translation.override(language):
        untranslated = [label for label in labels if translation.gettext(label) == label]
    assert untranslated == []


@pytest.mark.django_db
def test_a_confirmation_link_for_no_request_of_ours_is_not_valid(client: Client) -> None:
    """Signed, so only we could have made it, but for no request (none with that reference, or an empty
    one): the page says the link is not valid instead of asking to confirm nothing (found by fuzzing)."""
    for reference in ("", "DSR-NOSUCH00"):
        answer = client.get(f"/verify/{make_token('verify', reference)}/")
        assert answer.status_code == 400 and "not valid" in answer.content.decode()
