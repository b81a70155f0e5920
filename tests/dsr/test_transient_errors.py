"""Routing and email survive a deadlock or a locked database: the task is tried again, nothing is lost;
and locking one request never waits on another request of the same vendor."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from dsr import tasks
from dsr.models import Request
from dsr.requests import workflow
from tests.factories import verified

pytestmark = pytest.mark.usefixtures("policies")


@pytest.mark.django_db
def test_routing_is_retried_after_a_deadlock_and_the_request_is_routed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    request = verified()
    real = workflow.route_request
    calls: list[int] = []

    def flaky(request_id: int, **kwargs: Any) -> Request:
        calls.append(request_id)
        if len(calls) <= 2:
            raise OperationalError("deadlock detected")
        return real(request_id, **kwargs)

    monkeypatch.setattr(workflow, "route_request", flaky)
    result = tasks.route_request_task.apply(args=[request.pk])
    assert result.successful(), result.traceback
    assert len(calls) == 3
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert request.events.filter(kind="routed").count() == 1


@pytest.mark.django_db
def test_sending_is_retried_when_the_database_is_briefly_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def flaky(email_id: int, **kwargs: Any) -> None:
        calls.append(email_id)
        if len(calls) == 1:
            raise OperationalError("database is locked")

    monkeypatch.setattr(tasks.emails, "deliver_email", flaky)
    assert tasks.send_email_task.apply(args=[7]).successful()
    assert calls == [7, 7]


@pytest.mark.django_db(transaction=True)
def test_locking_one_request_does_not_wait_on_another_of_the_same_vendor(postgres: None) -> None:
    """FOR UPDATE takes the request row only, not the vendor and policy rows all its requests share."""
    first = verified(email="first@example.com")
    second = verified(email="second@example.com")
    assert first.vendor_id == second.vendor_id and first.policy_version_id == second.policy_version_id
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_first() -> None:
        try:
            with transaction.atomic():
                workflow.lock(pk=first.pk)
                holding.set()
                done.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            locked = workflow.lock(pk=second.pk)  # would time out if the vendor row were locked too
        assert locked.pk == second.pk
    finally:
        done.set()
        holder.join()
    assert errors == []
