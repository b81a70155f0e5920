"""Celery tasks: thin wrappers that take ids and call the domain functions.

The broker only carries "look at row N". Every task is idempotent (the domain function claims its
work in the database first), so a redelivered or duplicated message changes nothing.
"""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task
from django.utils import timezone

from . import notifications, ratelimit, sweeps, workflow


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email_task(self: Task[[int], None], email_id: int) -> None:
    delay = notifications.deliver_email(email_id)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(acks_late=True)
def route_request_task(request_id: int) -> None:
    workflow.route_request(request_id)


@shared_task
def sweep_deadlines_task() -> None:
    if sweeps.sweep_deadlines() == sweeps.BATCH_SIZE:
        sweep_deadlines_task.delay()  # more is due: carry on in a fresh task


@shared_task
def expire_and_purge_task() -> None:
    now = timezone.now()
    sweeps.expire_unverified(now=now)
    sweeps.purge_closed(now=now)
    ratelimit.purge_old(now=now)


@shared_task
def reconcile_task() -> None:
    sweeps.reconcile()
