"""What one submission of the public form costs: statements, transactions, and what each row carries.

Intake is the page everyone outside uses; under load its cost decides how many people a web worker
can serve (issue #8: near the framework floor, one transaction, nothing loaded twice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dsr.models import Event, OutgoingEmail, Request, Throttle
from dsr.outbox import emails
from dsr.requests import intake
from policies import services
from policies.models import LawRulesVersion

pytestmark = pytest.mark.django_db

FORM_URL = "/request/sera-leads/"


def form(**changes: Any) -> dict[str, Any]:
    return {
        "request_type": "access",
        "relationship": "account_user",
        "country": "EE",
        "state": "",
        "subject_name": "Alice Example",
        "email": "alice@example.com",
        "details": "",
        "website": "",
        **changes,
    }


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the savepoints the test's own transaction turns atomic blocks into."""
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_form_post_stays_within_its_query_budget(client: Client, policies: None) -> None:
    """A valid POST, after the process has seen the vendor's policy once, makes at most these statements:

    1. the vendor's policy versions (ids and dates only; the version and its document are cached);
    2. the laws' sha256 and load times, for the form's offered request types (the laws are cached);
    3. the same, for choosing the request's laws at submission;
    4. the rate-limit hit for the connection (an upsert returning the count);
    5. the rate-limit hits for the email address, from this network and from anywhere (one upsert of two rows);
    6. the shared law-rules version (written once, an insert that ignores a conflict);
    7. the request row;
    8. the head of its timeline's hash chain (dsr.models.Event), moved to the first event's hash;
    9. its "submitted" event;
    10. the outbox's check that the verification email is not queued already;
    11. the outbox row, with the template's context (the worker renders it before sending).
    """
    assert client.post(FORM_URL, form(email="warm@example.com")).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = client.post(FORM_URL, form())
    assert response.status_code == 302
    sent = statements(queries)
    assert len(sent) <= 11, "\n".join(sent)
    assert not any('"document"' in sql for sql in sent)  # the policy document is not read again
    assert not any('"policies_law"."data"' in sql for sql in sent)  # nor the laws' entries


def test_the_submission_is_one_transaction(client: Client, policies: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the request row is written leaves nothing: no request, event, email or count."""

    def broken(**kwargs: Any) -> None:
        assert Request.objects.filter(subject_email="alice@example.com").exists()  # the row was written
        raise RuntimeError("the database refused the write")

    monkeypatch.setattr(intake, "queue_email", broken)
    with pytest.raises(RuntimeError):
        client.post(FORM_URL, form())
    assert not Request.objects.exists()
    assert not Event.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert not Throttle.objects.exists()


def test_a_refused_submission_leaves_the_counter_at_the_limit(
    client: Client, policies: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the connection's limit the person gets 429, nothing is stored, and the count stops at the limit."""
    monkeypatch.setitem(intake.ratelimit.LIMITS, "submit-ip", (2, dt.timedelta(hours=1)))
    codes = [client.post(FORM_URL, form(email=f"p{n}@example.com")).status_code for n in range(4)]
    assert codes == [302, 302, 429, 429]
    assert Request.objects.count() == 2
    ip_key = intake.ratelimit.digest("submit-ip", "127.0.0.1")
    assert Throttle.objects.get(key=ip_key).count == 2


def test_requests_received_under_the_same_laws_share_one_stored_copy(client: Client, policies: None) -> None:
    for n in range(3):
        assert client.post(FORM_URL, form(email=f"person{n}@example.com")).status_code == 302
    requests = list(Request.objects.all())
    assert len({r.law_rules_id for r in requests}) == 1
    stored = LawRulesVersion.objects.get(pk=requests[0].law_rules_id)
    assert list(stored.entries) == requests[0].law_codes == ["EU_GDPR"]
    assert stored.sha256 == services.rules_digest(stored.entries)


def test_the_policy_document_is_read_once_per_process_per_version(policies: None) -> None:
    services._VERSIONS.clear()
    with CaptureQueriesContext(connection) as first:
        version = services.policy_in_force("sera-leads", dt.date(2026, 1, 31))
    with CaptureQueriesContext(connection) as again:
        assert services.policy_in_force("sera-leads", dt.date(2026, 1, 31)) is version
    assert any('"document"' in q["sql"] for q in first.captured_queries)
    assert len(again.captured_queries) == 1
    assert '"document"' not in again.captured_queries[0]["sql"]


def test_the_verification_email_is_rendered_by_the_worker_and_kept_on_the_row(
    client: Client, policies: None, settings: Any
) -> None:
    """The form stores the email's context, not its text; the worker renders it, stores it and sends it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert client.post(FORM_URL, form(), HTTP_ACCEPT_LANGUAGE="de").status_code == 302
    queued = OutgoingEmail.objects.get(kind="verify")
    assert (queued.subject, queued.body_text, queued.body_html) == ("", "", "")
    assert queued.context is not None and queued.context["link"].startswith("/verify/")

    assert emails.deliver_email(queued.pk, now=timezone.now()) is None
    sent = OutgoingEmail.objects.get(pk=queued.pk)
    assert sent.status == "sent" and sent.context is None
    reference = sent.key.split(":")[0]
    assert sent.subject == f"Bitte bestätigen Sie Ihre Anfrage {reference}"  # in the person's language
    assert queued.context["link"] in sent.body_text and queued.context["link"] in sent.body_html
    assert len(mail.outbox) == 1
    assert (mail.outbox[0].subject, mail.outbox[0].body) == (sent.subject, sent.body_text)
