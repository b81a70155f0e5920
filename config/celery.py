"""The Celery app. The broker only carries "look at row N"; the database is the source of truth."""

import os

from celery import Celery, signals

from dsr.ops import logcontext

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dsr")
# All CELERY_* settings live in config/settings.py.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _task_id_in_logs(task_id: str | None = None, **_: object) -> None:
    logcontext.task_id.set(task_id or "")


@signals.task_postrun.connect
def _task_done(**_: object) -> None:
    logcontext.task_id.set("")
