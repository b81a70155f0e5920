"""At most once, with two workers at once: a confirmation, an outbox row, a sent message (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from dsr.models import Event, OutgoingEmail
from dsr.outbox import emails
from dsr.requests import intake
from tests.dsr.test_concurrency import at_once
from tests.factories import RECEIVED, filed

NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    """Tasks queued by the services are recorded, not sent to Redis."""
    calls: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None: calls.append((task, args)))
    return calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres", "policies")
def test_two_confirmations_at_once_verify_acknowledge_and_route_once(
    queued: list[tuple[str, tuple[object, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = filed()
    real = intake.apply_deadlines

    def slow(*args: Any, **kwargs: Any) -> Any:  # keeps the first confirmation's transaction open a while
        result = real(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(intake, "apply_deadlines", slow)
    assert at_once(lambda: intake.verify_email(request.reference, now=RECEIVED)) == []
    assert Event.objects.filter(request=request, kind="verified").count() == 1
    assert OutgoingEmail.objects.filter(request=request, kind="acknowledged").count() == 1
    assert [args for task, args in queued if task == "route_request_task"] == [(request.pk,)]


def queue(key: str, to: str = "alice@example.com") -> OutgoingEmail:
    return emails.queue_email(
        key=key, to=to, template="verify", context={"reference": "DSR-TEST", "link": "/verify/x/", "valid_days": 7}
    )


@pytest.mark.django_db
def test_queueing_the_same_key_twice_keeps_one_email(
    queued: list[tuple[str, tuple[object, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = queue("DSR-TEST:verify")
        second = queue("DSR-TEST:verify", to="someone.else@example.com")
    assert second.pk == first.pk
    assert OutgoingEmail.objects.filter(key="DSR-TEST:verify").count() == 1
    assert [task for task, _ in queued] == ["send_email_task"]


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_a_key() -> None:
    OutgoingEmail.objects.create(key="DSR-TEST:verify", kind="verify", to="a@example.com", subject="s", body_text="b")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingEmail.objects.create(
            key="DSR-TEST:verify", kind="verify", to="b@example.com", subject="s", body_text="b"
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres")
def test_two_deliveries_of_one_email_at_once_send_one_message(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    email = OutgoingEmail.objects.create(
        key="DSR-TEST:verify", kind="verify", to="alice@example.com", subject="Confirm", body_text="Please confirm."
    )
    assert at_once(lambda: emails.deliver_email(email.pk, now=email.next_attempt_at + dt.timedelta(seconds=1))) == []
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
