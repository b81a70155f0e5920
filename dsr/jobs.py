"""Queueing background work by task name, so domain code never imports the Celery tasks module.

`dsr.tasks` (the top layer) imports the services; the services reach the workers through this module
by name only, which keeps the import graph one-way. The broker carries ids, never data.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

# Queues by urgency, each served by its own workers (bin/serve): what a person is waiting for (the
# verification link, the acknowledgement, every email to them) is never stuck behind bulk work.
PERSON = "person"  # emails to the data subject
WORK = "work"  # routing, responders' and staff emails (the default queue)
PERIODIC = "periodic"  # sweeps, reconciliation, expiry and purge
QUEUES = (PERSON, WORK, PERIODIC)

# Within a queue, on the Redis broker, a lower number is served first (kombu's steps 0, 3, 6 and 9; a
# broker without priorities ignores them). Mail sent in batches (a batch call's acknowledgements and
# notices, a sweep's reminders) waits behind the rest of its queue: a person's verification link is not
# stuck behind ten thousand acknowledgements, and routing, which starts the responders' clocks and puts
# the work in their queues, is not stuck behind the emails about earlier routing.
FIRST = 0
BULK = 6
PRIORITY = {"send_emails_task": BULK}


def enqueue(task: str, *args: object, queue: str | None = None, countdown: float | None = None) -> None:
    """Queue `dsr.tasks.<task>(*args)` now, on `queue` (default: the task's route in settings), to run
    at once or `countdown` seconds from now, at the task's priority (PRIORITY)."""
    current_app.send_task(
        f"dsr.tasks.{task}", args=list(args), queue=queue, countdown=countdown, priority=PRIORITY.get(task, FIRST)
    )


def enqueue_after_commit(task: str, *args: object, queue: str | None = None) -> None:
    """Queue `dsr.tasks.<task>(*args)` once the current transaction commits (never for a rolled-back change).

    The change is stored by then, so a broker that cannot take the message (Redis down) must not turn it
    into an error page: the failure is logged and reconciliation (beat, dsr.tasks.reconcile_task) queues
    the work again from the database, where it is waiting (an unsent email, an unrouted request).
    """

    def send() -> None:
        try:
            enqueue(task, *args, queue=queue)
        except Exception:
            log.exception("could not queue %s%r after commit; reconciliation will queue it again", task, tuple(args))

    transaction.on_commit(send)
