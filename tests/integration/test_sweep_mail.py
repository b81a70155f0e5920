"""A sweep's batch of reminders reaches the SMTP server through one task over one connection, each
email once; one the server refuses for a while is tried again on its own and arrives once."""

from __future__ import annotations

from collections import Counter

import pytest

from dsr.models import Assignment, OutgoingEmail
from dsr.requests import sweeps
from dsr.requests.intake import verify_email
from tests.dsr.test_concurrency import route_some
from tests.factories import RECEIVED, filed
from tests.integration.conftest import Mailbox, body
from tests.integration.test_request_life import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_batch_of_reminders_goes_out_over_one_connection_each_once(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_reminder = route_some(8)
    # the routing's own emails, sent one task each
    wait_until(lambda: not OutgoingEmail.objects.exclude(status="sent").exists(), timeout=30)
    before = len(smtp_server.messages)
    assert sweeps.sweep_deadlines(now=first_reminder) == Assignment.objects.count()
    reminders = OutgoingEmail.objects.filter(kind="reminder")
    assert reminders.count() == Assignment.objects.count() == 8

    wait_until(lambda: len(smtp_server.messages) - before == 8, timeout=30)
    batch = smtp_server.messages[before:]
    assert len(set(smtp_server.peers[before:])) == 1  # one SMTP connection for the whole batch
    assert len({m["Message-ID"] for m in batch}) == 8  # each reminder once
    assert all("/respond/" in body(m) for m in batch)  # rendered by the worker, with the responder's link
    wait_until(lambda: set(reminders.values_list("status", flat=True)) == {"sent"}, timeout=10)


def test_a_reminder_the_server_refuses_is_retried_alone_and_arrives_once(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dsr.outbox.emails.RETRY_SCHEDULE", (1, 1, 1, 1, 1))
    first_reminder = route_some(2)
    wait_until(lambda: not OutgoingEmail.objects.exclude(status="sent").exists(), timeout=30)
    before = len(smtp_server.messages)
    smtp_server.fail_next = 1
    assert sweeps.sweep_deadlines(now=first_reminder) == 2
    reminders = OutgoingEmail.objects.filter(kind="reminder")
    wait_until(lambda: set(reminders.values_list("status", flat=True)) == {"sent"}, timeout=30)
    assert sorted(reminders.values_list("attempts", flat=True)) == [1, 2]
    wait_until(lambda: len(smtp_server.messages) - before == 2, timeout=10)
    subjects = Counter(m["Message-ID"] for m in smtp_server.messages[before:])
    assert all(n == 1 for n in subjects.values())


def test_a_worker_sends_one_email_after_another_over_the_connection_it_keeps(
    postgres: None, policies: None, smtp_server: Mailbox, person_worker: None
) -> None:
    """The person's emails (one task each: the verification link, then the acknowledgement) do not each
    open a connection: the worker keeps its own while it is in use."""
    request = filed(email="kaisa@example.com")
    smtp_server.wait_for(lambda: len(smtp_server.to("kaisa@example.com")) == 1)
    verify_email(request.reference, now=RECEIVED)
    smtp_server.wait_for(lambda: len(smtp_server.to("kaisa@example.com")) == 2)
    assert [m["Message-ID"].split(".")[-1].split("@")[0] for m in smtp_server.messages] == ["verify", "acknowledged"]
    assert len(set(smtp_server.peers)) == 1
