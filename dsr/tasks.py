"""Celery tasks: thin wrappers that take ids and call the services.

The broker only carries "look at row N". Every task is idempotent (the service claims its work in the
database first), so a redelivered or duplicated message changes nothing. Services queue these by name
through dsr.jobs, so nothing below this module imports it.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.app.task import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import jobs
from .ops import health
from .outbox import emails, webhooks
from .privacy import retention
from .requests import sweeps, workflow

log = logging.getLogger(__name__)

# A deadlock, a serialization failure, "database is locked" or a dropped connection: the work is
# tried again with backoff (its service is idempotent); reconcile picks up whatever still fails.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
RETRY_ON_TRANSIENT: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}


@shared_task(bind=True, max_retries=None, **RETRY_ON_TRANSIENT)
def send_email_task(self: Task[[int], None], email_id: int) -> None:
    delay = emails.deliver_email(email_id, now=timezone.now(), connection=emails.worker_connection())
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(max_retries=None, **RETRY_ON_TRANSIENT)
def send_emails_task(email_ids: list[int]) -> None:
    """A batch (e.g. one sweep's reminders) over one SMTP connection; those that failed are tried again
    together, on the bulk queue, one task per retry delay.

    Each batch also counts as the bulk worker's heartbeat: beat's own heartbeat waits at the back of the
    queue behind a flood's mail, and a worker busy sending it is alive (/health/ must not fail then)."""
    again: dict[int, list[int]] = {}
    for retry in emails.deliver_many(email_ids, now=timezone.now()):
        again.setdefault(retry.delay, []).append(retry.email_id)
    for delay, ids in again.items():
        jobs.enqueue("send_emails_task", ids, queue=jobs.BULK, countdown=delay)
    health.record_heartbeat(f"worker:{jobs.BULK}", now=timezone.now())


@shared_task(bind=True, max_retries=None, **RETRY_ON_TRANSIENT)
def send_webhook_task(self: Task[[int], None], webhook_id: int) -> None:
    delay = webhooks.deliver_webhook(webhook_id, now=timezone.now())
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(max_retries=10, **RETRY_ON_TRANSIENT)
def route_request_task(request_id: int) -> None:
    workflow.route_request(request_id, now=timezone.now())


@shared_task
def route_requests_task(request_ids: list[int]) -> None:
    """Requests filed together, routed together in one transaction (workflow.route_many); if that fails,
    each is routed on its own (its own transaction), and one that fails then is queued on its own, with
    route_request_task's retries."""
    try:
        workflow.route_many(request_ids, now=timezone.now())
        return
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        log.exception("routing %s requests together failed; routing them one by one", len(request_ids))
    for request_id in request_ids:
        try:
            workflow.route_request(request_id, now=timezone.now())
        except SoftTimeLimitExceeded:
            raise  # the worker is stopping this task: the rest is picked up by reconciliation
        except Exception:
            log.exception("routing of request %s failed in a batch; queued on its own", request_id)
            try:
                jobs.enqueue("route_request_task", request_id, queue=jobs.WORK)
            except Exception:  # the broker is down: reconciliation queues it again from the database
                log.exception("could not queue request %s on its own; reconciliation will", request_id)


@shared_task
def sweep_deadlines_task() -> None:
    batch = sweeps.BATCH_SIZE
    if sweeps.sweep_deadlines(now=timezone.now(), batch=batch) == batch:
        sweep_deadlines_task.delay()  # more is due: carry on in a fresh task


@shared_task
def expire_and_purge_task() -> None:
    retention.run_daily(now=timezone.now())


@shared_task
def expire_packages_task() -> None:
    batch = retention.BATCH_SIZE
    if retention.expire_packages(now=timezone.now(), batch=batch) == batch:
        expire_packages_task.delay()  # more are due: carry on in a fresh task


@shared_task
def reconcile_task() -> None:
    now = timezone.now()
    emails.reconcile_unsent(now=now)
    webhooks.reconcile_unsent(now=now)
    sweeps.reconcile_routing(now=now)


@shared_task
def heartbeat_task(queue: str) -> None:
    health.record_heartbeat(f"worker:{queue}", now=timezone.now())
