"""Each piece of background work goes on the queue of its urgency (dsr.jobs)."""

from __future__ import annotations

from typing import Any

import pytest

from dsr import jobs
from dsr.requests import workflow
from tests.factories import RECEIVED, filed
from tests.factories import verified as confirm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    def send_task(self, name: str, args: list[Any], queue: str | None = None, **options: Any) -> None:
        self.sent.append((name.rsplit(".", 1)[-1], queue))


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(jobs, "current_app", recorder)
    return recorder


def test_emails_to_the_person_go_on_the_person_queue_and_bulk_work_on_the_work_queue(
    broker: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = filed(vendor_slug="seerene", country="DE")
    assert broker.sent == [("send_email_task", "person")]  # the verification link

    broker.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = confirm(vendor_slug="seerene", country="DE", email="b@example.com")
    assert ("send_email_task", "person") in broker.sent  # the acknowledgement
    assert ("route_request_task", None) in broker.sent  # routed by its task route: the work queue

    broker.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.route_request(request.pk, now=RECEIVED)
    queues = [queue for _, queue in broker.sent]
    assert queues.count("person") == 1  # "who answers your request", to the person
    assert queues.count("work") == request.assignments.count() >= 5  # Seerene's responders and recipients


def test_task_routes_send_routing_to_work_and_beat_jobs_to_periodic(settings: Any) -> None:
    routes = settings.CELERY_TASK_ROUTES
    assert routes["dsr.tasks.route_request_task"]["queue"] == jobs.WORK
    for task in ("sweep_deadlines_task", "reconcile_task", "expire_and_purge_task"):
        assert routes[f"dsr.tasks.{task}"]["queue"] == jobs.PERIODIC
    assert settings.CELERY_TASK_DEFAULT_QUEUE == jobs.WORK
