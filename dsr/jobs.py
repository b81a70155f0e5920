"""Queueing background work by task name, so domain code never imports the Celery tasks module.

`dsr.tasks` (the top layer) imports the services; the services reach the workers through this module
by name only, which keeps the import graph one-way. The broker carries ids, never data.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def enqueue(task: str, *args: object) -> None:
    """Queue `dsr.tasks.<task>(*args)` now."""
    current_app.send_task(f"dsr.tasks.{task}", args=list(args))


def enqueue_after_commit(task: str, *args: object) -> None:
    """Queue `dsr.tasks.<task>(*args)` once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: enqueue(task, *args))
