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
# verification link, the acknowledgement of a form they sent) is never stuck behind bulk work, and mail
# sent in batches never slows intake or routing down.
PERSON = "person"  # emails to the data subject, one at a time
WORK = "work"  # routing, callbacks, responders' and staff emails one at a time (the default queue)
# Mail sent in batches: a batch call's acknowledgements, routing's notices when many requests are routed
# together, a sweep's reminders. Its worker runs at a lower CPU priority (bin/serve: nice), so that under a
# flood the cores go to the web and to routing first and the batches drain as they free up.
BULK = "bulk"
PERIODIC = "periodic"  # sweeps, reconciliation, expiry and purge
QUEUES = (PERSON, WORK, BULK, PERIODIC)


def enqueue(task: str, *args: object, queue: str | None = None, countdown: float | None = None) -> None:
    """Queue `dsr.tasks.<task>(*args)` now, on `queue` (default: the task's route in settings), to run
    at once or `countdown` seconds from now."""
    current_app.send_task(f"dsr.tasks.{task}", args=list(args), queue=queue, countdown=countdown)


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
