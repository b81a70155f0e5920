"""Two workers at once: each reminder and each route happen once (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.requests import sweeps, workflow
from tests.factories import RECEIVED as NOW
from tests.factories import verified

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres", "policies")]


def at_once(fn: Callable[[], object], n: int = 2) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait()
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_routers_make_one_plan() -> None:
    request = verified(vendor_slug="sera-leads", country="EE", request_type="access", email="mari@example.com")
    assert at_once(lambda: workflow.route_request(request.pk, now=NOW)) == []
    assert request.events.filter(kind="routed").count() == 1
    planned = Assignment.objects.filter(request=request).count()
    assert planned == len(workflow.make_plan(Request.objects.get(pk=request.pk)).assignments)


def route_some(n: int, prefix: str = "p") -> dt.datetime:
    """n routed requests of different people (emails prefix0@..), one assignment each; returns when their
    first (7-days-before) reminders are due."""
    for i in range(n):
        workflow.route_request(
            verified(
                vendor_slug="sera-leads",
                relationships=["website_visitor"],  # one assignment each: one due date
                country="EE",
                request_type="access",
                email=f"{prefix}{i}@example.com",
            ).pk,
            now=NOW,
        )
    due = Assignment.objects.order_by("due_at").values_list("due_at", flat=True)[0]
    return due - dt.timedelta(days=7)


def test_two_sweeps_send_each_reminder_once() -> None:
    first_reminder = route_some(10)
    assert at_once(lambda: sweeps.sweep_deadlines(now=first_reminder), n=3) == []
    reminders = OutgoingEmail.objects.filter(kind="reminder")
    assert reminders.count() == Assignment.objects.count()
    assert all(sent == [7] for sent in Assignment.objects.values_list("reminders_sent", flat=True))
