"""Emails sent in chunks (`deliver_many`, the task that sends a batch's or a sweep's mail): each chunk is
claimed in one statement and recorded in one, through a real SMTP server (aiosmtpd) on loopback; each
email still leaves at most once, is rendered into its row, and is retried or failed on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.header import decode_header, make_header
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dsr import tasks
from dsr.models import Heartbeat, OutgoingEmail
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


def raising_on_call(n: int, real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """`real`, except that its `n`th call raises `error`."""
    calls: list[int] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == n:
            raise error
        return real(*args, **kwargs)

    return wrapper


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

    one_chunk = statements(emails.SEND_CHUNK, "L")
    assert statements(4, "S") == one_chunk
    assert statements(2 * emails.SEND_CHUNK, "T") == 2 * one_chunk


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
    assert broken.status == "failed" and "template 'no-such-template'" in broken.last_error
    assert broken.context == {"reference": "DSR-BATCH1", "link": "/verify/1/", "valid_days": 7}
    assert OutgoingEmail.objects.filter(pk__in=[ids[0], ids[2]], status="sent").count() == 2


@pytest.mark.django_db
def test_what_was_sent_before_a_chunk_broke_off_is_recorded_sent(
    smtp_server: Mailbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = waiting(3)
    monkeypatch.setattr(emails, "_attempt", raising_on_call(2, emails._attempt, RuntimeError("the worker stops")))
    with pytest.raises(RuntimeError):
        emails.deliver_many(ids, now=NOW)
    statuses = dict(OutgoingEmail.objects.filter(pk__in=ids).values_list("pk", "status"))
    # The first left and is recorded so; the one being handed over stays claimed, for staff to check, never
    # resent blindly; the third, never tried, is back in the queue.
    assert statuses == {ids[0]: "sent", ids[1]: "sending", ids[2]: "queued"}
    assert len(smtp_server.messages) == 1
    assert emails.deliver_many(ids, now=NOW) == []  # the task tried again: the third goes, the second never
    assert [m["X-Envelope-To"] for m in smtp_server.messages] == ["person0@example.com", "person2@example.com"]


@pytest.mark.django_db
def test_the_tasks_time_limit_while_rendering_stops_the_batch_and_puts_its_rows_back(
    smtp_server: Mailbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = waiting(3)
    monkeypatch.setattr(emails, "render_email", raising_on_call(2, emails.render_email, SoftTimeLimitExceeded()))
    with pytest.raises(SoftTimeLimitExceeded):
        emails.deliver_many(ids, now=NOW)
    assert smtp_server.messages == []
    # Not one of them is called broken, nor left claimed: all three wait for the next try.
    assert list(OutgoingEmail.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["queued"] * 3


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["render_email", "_attempt"], ids=["while-rendered", "while-sent"])
def test_a_row_erased_while_its_chunk_is_sent_stays_erased(
    when: str,
    smtp_server: Mailbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = waiting(2)
    real = getattr(emails, when)
    calls: list[int] = []

    def erase_meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the shredder runs on the second's request meanwhile
            OutgoingEmail.objects.filter(pk=ids[1]).update(
                to="redacted@invalid", subject="(redacted)", body_text="", body_html="", context=None
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(emails, when, erase_meanwhile)
    emails.deliver_many(ids, now=NOW)
    erased = OutgoingEmail.objects.get(pk=ids[1])
    assert (erased.to, erased.subject, erased.body_text, erased.context) == ("redacted@invalid", "(redacted)", "", None)
    assert OutgoingEmail.objects.get(pk=ids[0]).body_text  # the other keeps what it was sent


@pytest.mark.django_db
def test_when_the_relay_cannot_be_reached_a_batch_does_not_wait_for_it_email_by_email(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    opened: list[int] = []

    def unreachable(self: Any) -> None:
        opened.append(1)
        raise TimeoutError("timed out")

    monkeypatch.setattr("django.core.mail.backends.smtp.EmailBackend.open", unreachable)
    ids = waiting(emails.SEND_CHUNK + 5)
    retries = emails.deliver_many(ids, now=NOW)
    assert opened == [1]  # one wait for the relay, not one an email
    assert sorted(r.email_id for r in retries) == sorted(ids)
    rows = OutgoingEmail.objects.filter(pk__in=ids)
    assert {(r.status, r.attempts) for r in rows} == {("awaiting_retry", 1)}
    assert all("could not be reached" in r.last_error for r in rows)


@pytest.mark.django_db
def test_a_bulk_worker_busy_sending_counts_as_alive(smtp_server: Mailbox) -> None:  # noqa: F811
    """Beat's heartbeat waits behind a flood's mail on the bulk queue: each batch sent records it instead."""
    tasks.send_emails_task.apply(args=[waiting(2)])
    assert Heartbeat.objects.filter(name="worker:bulk").exists()


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


@pytest.mark.django_db
def test_a_large_batch_is_queued_as_several_tasks_on_the_bulk_queue(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Each task stays well inside the worker's time limit, even through a slow relay."""
    monkeypatch.setattr(emails, "SEND_TASK_MAX", 2)
    queued: list[tuple[str, tuple[Any, ...], str | None]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None, **_: queued.append((task, args, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        ids = emails.queue_many(
            [emails.Pending(key=f"DSR-M{n}:reminder", to="a@example.com", template="verify") for n in range(5)]
        )
    assert queued == [
        ("send_emails_task", (ids[0:2],), "bulk"),
        ("send_emails_task", (ids[2:4],), "bulk"),
        ("send_emails_task", (ids[4:5],), "bulk"),
    ]


@pytest.mark.django_db
def test_an_email_rendered_for_a_single_send_after_it_was_erased_stays_erased() -> None:
    row = OutgoingEmail.objects.get(pk=waiting(1)[0])  # read by the worker, its context still there
    OutgoingEmail.objects.filter(pk=row.pk).update(subject="(redacted)", context=None)  # then the shredder
    emails.render_stored(row)
    assert OutgoingEmail.objects.values_list("subject", "body_text").get(pk=row.pk) == ("(redacted)", "")
