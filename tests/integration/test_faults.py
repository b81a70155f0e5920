"""Faults on the real parts: Redis stopped, a worker killed, SMTP down, the database refusing a write.

Each test breaks only parts of its own (a throwaway Redis, a worker process, an SMTP server, a trigger in
the test database) and asserts what a person or an operator would notice: pages still answer, nothing
is lost or done twice once the part is back, and nothing half-made is left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.utils import timezone

from dsr import jobs
from dsr.models import Event, OutgoingEmail, Request
from dsr.outbox import emails
from dsr.requests import sweeps
from dsr.requests.intake import submit_request, verify_email
from dsr.requests.workflow import make_plan
from tests.factories import submission
from tests.integration.conftest import Mailbox, body, worker_on
from tests.integration.faultkit import WorkerProcess, broker, free_port, throwaway_redis, wait_until
from tests.integration.test_request_life import FORM, link_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Reconciliation looks for work left behind longer than this (beat runs it every 10 minutes).
LATER = dt.timedelta(minutes=6)


def reference_in(response: Any) -> str:
    match = re.search(r"DSR-[A-Z0-9]{8}", response["Location"])
    assert match, response
    return match.group(0)


def reconcile(*, after: dt.timedelta = LATER) -> dict[str, int]:
    """What beat's reconcile job does, as it will run a while from now. Returns what it queued again."""
    now = timezone.now() + after
    return {**emails.reconcile_unsent(now=now), "routings": sweeps.reconcile_routing(now=now)}


def keys_received(mailbox: Mailbox) -> Counter[str]:
    """How many times the SMTP server got each outbox row (the Message-ID carries its key, ":" as ".")."""
    with mailbox.lock:
        ids = ["".join(str(m["Message-ID"]).split()) for m in mailbox.messages]
    return Counter(re.sub(r"^<\d+\.\d+\.\d+\.(.+)@.*>$", r"\1", i) for i in ids)


def test_redis_stopped_while_people_submit_then_everything_is_delivered_and_routed_once(
    postgres: None, policies: None, smtp_server: Mailbox
) -> None:
    client = Client()
    with throwaway_redis() as redis_server, broker(redis_server.url):
        # Before the outage: Aino files a request and gets her link.
        with worker_on(list(jobs.QUEUES)):
            aino = reference_in(client.post("/request/leadsment/", FORM))
            smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1, timeout=20)
        link = link_in(body(smtp_server.to("aino@example.com")[0]))

        redis_server.stop()
        # During the outage: two people file, Aino confirms. Every page answers as usual.
        others = []
        for name, address in [("Bo Berg", "bo@example.com"), ("Cai Chen", "cai@example.com")]:
            response = client.post("/request/seerene/", {**FORM, "subject_name": name, "email": address})
            assert response.status_code == 302, response.content[:500]
            others.append(reference_in(response))
        response = client.post(link)
        assert response.status_code == 302 and "/status/" in response["Location"]
        # Stored, with their emails in the outbox, waiting for the broker.
        for reference in others:
            assert Request.objects.get(reference=reference).status == "submitted"
            assert OutgoingEmail.objects.get(key=f"{reference}:verify").status == "queued"
        assert Request.objects.get(reference=aino).status == "verified"
        assert OutgoingEmail.objects.get(key=f"{aino}:acknowledged").status == "queued"

        # Redis comes back empty (nothing was saved); reconciliation queues what it never got.
        redis_server.start()
        with worker_on(list(jobs.QUEUES)):
            assert reconcile() == {"emails": 3, "stuck_sending": 0, "routings": 1}
            wait_until(
                lambda: (
                    Request.objects.get(reference=aino).status == "in_progress"
                    and not OutgoingEmail.objects.exclude(status="sent").exists()
                ),
                timeout=30,
                what="routing and every email",
            )
        # The next pass (beat runs every 10 minutes) finds nothing left to do: nothing is sent twice.
        assert reconcile() == {"emails": 0, "stuck_sending": 0, "routings": 0}

    assert len(smtp_server.to("bo@example.com")) == 1
    assert len(smtp_server.to("cai@example.com")) == 1
    assert Event.objects.filter(request__reference=aino, kind="routed").count() == 1
    received = keys_received(smtp_server)
    outbox = {key.replace(":", ".") for key in OutgoingEmail.objects.values_list("key", flat=True)}
    assert set(received) == outbox and set(received.values()) == {1}, received


@contextlib.contextmanager
def refusing_inserts(table: str) -> Iterator[None]:
    """PostgreSQL refuses every new row in `table` (as a full disk would: SQLSTATE 53100)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION dsr_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$"
        )
        cursor.execute(
            f'CREATE TRIGGER dsr_test_refuse BEFORE INSERT ON "{table}" FOR EACH ROW EXECUTE FUNCTION dsr_test_refuse()'
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER IF EXISTS dsr_test_refuse ON "{table}"')
            cursor.execute("DROP FUNCTION IF EXISTS dsr_test_refuse()")


def test_the_database_refusing_a_write_mid_submission_shows_a_plain_page_and_leaves_nothing_half_made(
    postgres: None, policies: None, settings: Any
) -> None:
    settings.DEBUG = False  # as in production: the page a person sees, not Django's debug page
    client = Client(raise_request_exception=False)
    # The outbox row is the submission's last write: the request and its event are written before it.
    with refusing_inserts(OutgoingEmail._meta.db_table):
        response = client.post("/request/leadsment/", FORM)

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "try again" in page
    assert "Privacy requests" in page  # the site's own layout
    for leak in ("Traceback", "OperationalError", "No space left", "dsr_outgoingemail", "INSERT", "Django"):
        assert leak not in page, leak
    # Nothing half-made: no request without its event and its verification email.
    assert not Request.objects.exists()
    assert not Event.objects.exists()
    assert not OutgoingEmail.objects.exists()

    # Once the database takes writes again, the same person filing again gets through.
    response = client.post("/request/leadsment/", FORM)
    assert response.status_code == 302
    reference = reference_in(response)
    assert Event.objects.filter(request__reference=reference, kind="submitted").count() == 1
    assert OutgoingEmail.objects.filter(key=f"{reference}:verify").count() == 1


class SmtpServer:
    """An aiosmtpd server on a fixed loopback port that the test can stop and start again."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_smtp_down_for_a_while_then_every_email_is_delivered_once_and_the_deadlines_stand(
    postgres: None, policies: None, smtp: SmtpServer, celery_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emails, "RETRY_SCHEDULE", (1, 2, 2, 3, 3, 3, 3, 3, 3, 3))  # seconds, not hours
    mailbox = smtp.mailbox
    client = Client()
    reference = reference_in(client.post("/request/leadsment/", FORM))
    mailbox.wait_for(lambda: len(mailbox.to("aino@example.com")) == 1, timeout=20)
    link = link_in(body(mailbox.to("aino@example.com")[0]))

    smtp.stop()
    # The person confirms while the mail server is down: the request is routed all the same.
    assert client.post(link).status_code == 302
    wait_until(lambda: Request.objects.get(reference=reference).status == "in_progress", timeout=20, what="routing")
    request = Request.objects.get(reference=reference)
    due_at, assignment_due = request.due_at, dict(request.assignments.values_list("pk", "due_at"))
    assert due_at is not None and assignment_due
    unsent = OutgoingEmail.objects.exclude(status="sent").all  # a fresh query each time
    # Each email is tried, fails and waits its turn: tried again at least once, never given up on.
    wait_until(
        lambda: len(unsent()) >= 3 and all(e.attempts >= 2 for e in unsent()),
        timeout=20,
        what="every email to be retried",
    )
    assert set(unsent().values_list("status", flat=True)) <= {"awaiting_retry", "sending"}
    assert all(e.last_error for e in unsent().filter(status="awaiting_retry"))
    assert len(mailbox.messages) == 1
    waiting = set(unsent().values_list("key", flat=True))

    smtp.start()
    wait_until(lambda: not unsent().exists(), timeout=20, what="every email to be delivered")
    received = keys_received(mailbox)
    outbox = {key.replace(":", ".") for key in OutgoingEmail.objects.values_list("key", flat=True)}
    assert set(received) == outbox and set(received.values()) == {1}, received
    assert {key.replace(":", ".") for key in waiting} <= set(received)
    # The legal clock ran from receipt, whatever the mail server did.
    request = Request.objects.get(reference=reference)
    assert request.due_at == due_at
    assert dict(request.assignments.values_list("pk", "due_at")) == assignment_due


def file_and_confirm(count: int) -> list[str]:
    """`count` people file a Leadsment erasure and confirm their address, as the pages do."""
    references = []
    for n in range(count):
        now = timezone.now()
        request = submit_request(submission(subject_name=f"Person {n}", email=f"person{n}@example.com"), now=now)
        verify_email(request.reference, now=now)
        references.append(request.reference)
    return references


def test_a_worker_killed_mid_routing_leaves_every_request_routed_exactly_once_after_restart(
    postgres: None, policies: None, smtp_server: Mailbox, settings: Any, tmp_path: Path
) -> None:
    count = 16
    with throwaway_redis() as redis_server, broker(redis_server.url):
        references = file_and_confirm(count)  # their routing waits in Redis, on the work queue
        routed = Event.objects.filter(kind="routed")
        log = tmp_path / "worker.log"
        first = WorkerProcess(
            broker_url=redis_server.url, smtp_port=settings.EMAIL_PORT, queues=[jobs.WORK], log=log, var_dir=tmp_path
        )
        second = WorkerProcess(
            broker_url=redis_server.url,
            smtp_port=settings.EMAIL_PORT,
            queues=list(jobs.QUEUES),
            log=log,
            var_dir=tmp_path,
        )
        try:
            first.start()
            try:
                wait_until(lambda: routed.count() >= 3, timeout=60, what="the worker to start routing")
            except AssertionError:
                raise AssertionError(log.read_text()[-3000:]) from None
            first.kill()  # SIGKILL, worker and pool at once, while it is routing the rest
            at_kill = routed.count()
            assert 0 < at_kill < count, f"the kill should land mid-routing, {at_kill} of {count} were routed"

            # Beat's reconcile runs before anything restarts: rows the dead worker left mid-send are marked
            # for staff (never resent blindly), unrouted requests and unsent mail are queued again.
            reconcile(after=emails.STUCK_SENDING_AFTER + dt.timedelta(minutes=1))
            second.start()
            wait_until(
                lambda: (
                    not Request.objects.exclude(status="in_progress").exists()
                    and not OutgoingEmail.objects.filter(status__in=["queued", "awaiting_retry", "sending"]).exists()
                ),
                timeout=60,
                what="every request routed and every email settled",
            )
            time.sleep(1)  # any duplicate message still in Redis has had its chance to act twice
        finally:
            first.kill()
            second.stop()

    for reference in references:
        request = Request.objects.get(reference=reference)
        assert request.events.filter(kind="routed").count() == 1, reference
        planned = sorted((a.responder_name, a.action) for a in make_plan(request).assignments)
        assert sorted(request.assignments.values_list("responder_name", "action")) == planned, reference
    received = keys_received(smtp_server)
    assert set(received.values()) == {1}, [key for key, times in received.items() if times > 1]
    sent = {key.replace(":", ".") for key in OutgoingEmail.objects.filter(status="sent").values_list("key", flat=True)}
    assert sent == set(received)
    # Only a send the kill cut off mid-way may be left for staff to check; nothing else is lost.
    lost = OutgoingEmail.objects.exclude(status="sent")
    assert all("worker stopped while sending" in e.last_error for e in lost), list(lost.values("key", "status"))
    assert lost.count() <= 2
    assignment_emails = OutgoingEmail.objects.filter(kind="assignment")
    assert assignment_emails.count() == sum(
        len(make_plan(Request.objects.get(reference=r)).assignments) for r in references
    )
