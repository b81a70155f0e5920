"""The outbox: each email is sent at most once, retried with backoff when SMTP fails, through a real
SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from dsr.models import OutgoingEmail
from dsr.outbox.emails import RETRY_SCHEDULE, claim, deliver_email, reconcile_unsent
from tests.integration.conftest import Mailbox, smtp_server  # noqa: F401  (fixture)

NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)


def outbox_row(**fields: Any) -> OutgoingEmail:
    defaults: dict[str, Any] = {
        "key": "DSR-TEST:verify",
        "kind": "verify",
        "to": "alice@example.com",
        "subject": "Confirm your request",
        "body_text": "Please confirm.",
        "body_html": "<p>Please confirm.</p>",
        "created_at": NOW,
        "next_attempt_at": NOW,
    }
    return OutgoingEmail.objects.create(**{**defaults, **fields})


@pytest.mark.django_db
def test_an_email_is_sent_once_even_if_the_task_runs_twice(smtp_server: Mailbox) -> None:  # noqa: F811
    email = outbox_row()
    assert deliver_email(email.pk, now=NOW) is None
    assert deliver_email(email.pk, now=NOW) is None  # a redelivered task finds it sent
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "Confirm your request"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


@pytest.mark.django_db
def test_an_smtp_failure_is_retried_with_backoff_then_sent(smtp_server: Mailbox) -> None:  # noqa: F811
    email = outbox_row()
    smtp_server.fail_next = 1
    assert deliver_email(email.pk, now=NOW) == RETRY_SCHEDULE[0]
    email.refresh_from_db()
    assert email.status == "awaiting_retry"
    assert email.next_attempt_at == NOW + dt.timedelta(seconds=RETRY_SCHEDULE[0])
    assert "451" in email.last_error
    assert deliver_email(email.pk, now=NOW) is None  # not due yet: nothing happens
    assert smtp_server.messages == []
    later = NOW + dt.timedelta(seconds=RETRY_SCHEDULE[0])
    assert deliver_email(email.pk, now=later) is None
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_an_email_that_keeps_failing_ends_as_failed_for_staff(smtp_server: Mailbox) -> None:  # noqa: F811
    email = outbox_row()
    smtp_server.fail_next = len(RETRY_SCHEDULE) + 1
    when = NOW
    for delay in RETRY_SCHEDULE:
        assert deliver_email(email.pk, now=when) == delay
        when += dt.timedelta(seconds=delay)
    assert deliver_email(email.pk, now=when) is None
    email.refresh_from_db()
    assert email.status == "failed"
    assert email.attempts == len(RETRY_SCHEDULE) + 1
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_reconcile_marks_a_send_interrupted_midway_as_failed_not_resent() -> None:
    email = outbox_row(status="sending", next_attempt_at=NOW)
    counts = reconcile_unsent(now=NOW + dt.timedelta(minutes=30))
    email.refresh_from_db()
    assert counts["stuck_sending"] == 1
    assert email.status == "failed"
    assert "unknown" in email.last_error


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_email_one_wins(postgres: None) -> None:
    email = outbox_row()
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(claim(email.pk, now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
