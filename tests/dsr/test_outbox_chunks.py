"""Emails sent in chunks (`deliver_many`, the task that sends a batch's or a sweep's mail): each chunk is
claimed in one statement and recorded in one, through a real SMTP server (aiosmtpd) on loopback; each
email still leaves at most once, is rendered into its row, and is retried or failed on its own."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dsr import tasks
from dsr.models import OutgoingEmail
from dsr.outbox import emails
from tests.dsr.test_concurrency import at_once
from tests.integration.conftest import Mailbox, smtp_server  # noqa: F401  (fixture)

NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)


def waiting(count: int, *, prefix: str = "DSR-BATCH", urgent: bool = False) -> list[int]:
    """`count` rows as queue_many leaves them: a template's context, to be rendered by the worker."""
    rows = [
        OutgoingEmail.objects.create(
            key=f"{prefix}{n}:verify",
            kind="verify",
            to=f"person{n}@example.com",
            language="de" if n % 2 else "en",
            subject="",
            body_text="",
            context={"reference": f"{prefix}{n}", "link": f"/verify/{n}/", "valid_days": 7},
            urgent=urgent,
            created_at=NOW,
            next_attempt_at=NOW,
        )
        for n in range(count)
    ]
    return [row.pk for row in rows]


@pytest.mark.django_db
def test_a_batch_is_sent_rendered_in_each_persons_language_and_recorded_sent(smtp_server: Mailbox) -> None:  # noqa: F811
    ids = waiting(emails.SEND_CHUNK + 3)  # more than one chunk
    assert emails.deliver_many(ids, now=NOW) == []
    assert sorted(m["X-Envelope-To"] for m in smtp_server.messages) == sorted(
        f"person{n}@example.com" for n in range(len(ids))
    )
    english, german = (
        OutgoingEmail.objects.get(key="DSR-BATCH0:verify"),
        OutgoingEmail.objects.get(key="DSR-BATCH1:verify"),
    )
    for row in (english, german):
        assert (row.status, row.attempts, row.context) == ("sent", 1, None)
        assert row.sent_at is not None
    assert "DSR-BATCH0" in english.body_text and "/verify/0/" in english.body_text
    assert english.subject != german.subject  # the person's language, not the worker's
    sent = {m["X-Envelope-To"]: str(make_header(decode_header(m["Subject"]))) for m in smtp_server.messages}
    assert sent["person1@example.com"] == german.subject


@pytest.mark.django_db
def test_a_chunk_costs_the_same_statements_whatever_its_size(smtp_server: Mailbox) -> None:  # noqa: F811
    def statements(count: int, prefix: str) -> int:
        ids = waiting(count, prefix=prefix)
        with CaptureQueriesContext(connection) as queries:
            emails.deliver_many(ids, now=NOW)
        assert OutgoingEmail.objects.filter(pk__in=ids, status="sent").count() == count
        return len(queries.captured_queries)

    assert statements(4, "S") == statements(emails.SEND_CHUNK, "L")


@pytest.mark.django_db
def test_a_row_already_claimed_or_sent_is_not_sent_again(smtp_server: Mailbox) -> None:  # noqa: F811
    ids = waiting(3)
    OutgoingEmail.objects.filter(pk=ids[0]).update(status="sending")  # another worker holds it
    OutgoingEmail.objects.filter(pk=ids[1]).update(status="sent")
    assert emails.deliver_many(ids, now=NOW) == []
    assert [m["X-Envelope-To"] for m in smtp_server.messages] == ["person2@example.com"]
    assert emails.deliver_many(ids, now=NOW) == []  # a redelivered task: nothing left to send
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_failed_send_is_retried_alone_and_the_others_are_sent(smtp_server: Mailbox) -> None:  # noqa: F811
    ids = waiting(3, urgent=True)
    smtp_server.fail_next = 1  # the first message is refused for now
    retries = emails.deliver_many(ids, now=NOW)
    assert retries == [emails.Retry(ids[0], emails.RETRY_SCHEDULE[0])]
    first = OutgoingEmail.objects.get(pk=ids[0])
    assert (first.status, first.attempts) == ("awaiting_retry", 1)
    assert first.next_attempt_at == NOW + dt.timedelta(seconds=emails.RETRY_SCHEDULE[0])
    assert "451" in first.last_error and first.context is None  # rendered once, kept rendered
    assert OutgoingEmail.objects.filter(pk__in=ids[1:], status="sent").count() == 2
    assert emails.deliver_many(ids, now=NOW) == []  # not due yet
    later = NOW + dt.timedelta(seconds=emails.RETRY_SCHEDULE[0])
    assert emails.deliver_many(ids, now=later) == []
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db
def test_an_email_whose_template_fails_fails_alone_and_keeps_its_context(smtp_server: Mailbox) -> None:  # noqa: F811
    ids = waiting(3)
    OutgoingEmail.objects.filter(pk=ids[1]).update(kind="no-such-template")
    assert emails.deliver_many(ids, now=NOW) == []
    broken = OutgoingEmail.objects.get(pk=ids[1])
    assert broken.status == "failed" and "template" in broken.last_error
    assert broken.context == {"reference": "DSR-BATCH1", "link": "/verify/1/", "valid_days": 7}
    assert OutgoingEmail.objects.filter(pk__in=[ids[0], ids[2]], status="sent").count() == 2


@pytest.mark.django_db
def test_what_was_sent_before_a_chunk_broke_off_is_recorded_sent(
    smtp_server: Mailbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = waiting(3)
    real = emails._attempt
    calls: list[int] = []

    def breaks_on_the_second(email: OutgoingEmail, **kwargs: Any) -> Any:
        calls.append(email.pk)
        if len(calls) == 2:
            raise RuntimeError("the worker is stopping")
        return real(email, **kwargs)

    monkeypatch.setattr(emails, "_attempt", breaks_on_the_second)
    with pytest.raises(RuntimeError):
        emails.deliver_many(ids, now=NOW)
    statuses = dict(OutgoingEmail.objects.filter(pk__in=ids).values_list("pk", "status"))
    # The first left and is recorded so; the other two stay claimed, for staff to check, never resent blindly.
    assert statuses == {ids[0]: "sent", ids[1]: "sending", ids[2]: "sending"}
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_the_failures_of_a_batch_are_tried_again_in_one_task_on_the_bulk_queue(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    queued: list[tuple[str, tuple[Any, ...], str | None, float | None]] = []
    monkeypatch.setattr(
        "dsr.jobs.enqueue",
        lambda task, *args, queue=None, countdown=None: queued.append((task, args, queue, countdown)),
    )
    ids = waiting(4, urgent=True)
    tasks.send_emails_task.apply(args=[ids])
    assert queued == [("send_emails_task", (ids,), "bulk", emails.RETRY_SCHEDULE[0])]
    assert OutgoingEmail.objects.filter(pk__in=ids, status="awaiting_retry", attempts=1).count() == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres")
def test_two_workers_sending_one_batch_at_once_send_each_email_once(smtp_server: Mailbox) -> None:  # noqa: F811
    ids = waiting(2 * emails.SEND_CHUNK)
    assert at_once(lambda: emails.deliver_many(ids, now=NOW)) == []
    received = sorted(m["X-Envelope-To"] for m in smtp_server.messages)
    assert received == sorted(f"person{n}@example.com" for n in range(len(ids)))
    assert OutgoingEmail.objects.filter(pk__in=ids, status="sent", attempts=1).count() == len(ids)
