"""The Celery app. The broker only carries "look at row N"; the database is the source of truth."""

import gc
import os

from celery import Celery, signals

from dsr.ops import logcontext

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Celery runs Django's system checks when a worker starts; the URL checks import every view, form and the
# REST framework, which a worker never serves (24 MiB of each worker's memory, measured for issue #8). The
# checks run where they belong: `manage.py check` in `make migrations-check` (CI), and `migrate` before every start.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("dsr")
# All CELERY_* settings live in config/settings.py.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _freeze_before_fork(**_: object) -> None:
    """The worker's loaded code and settings move to the garbage collector's permanent generation before
    the pool forks its processes: their collections then never write to (and so copy) the pages they
    share with the main process (as config/gunicorn.py does for the web workers)."""
    gc.freeze()


@signals.task_prerun.connect
def _task_id_in_logs(task_id: str | None = None, **_: object) -> None:
    logcontext.task_id.set(task_id or "")


@signals.task_postrun.connect
def _task_done(**_: object) -> None:
    logcontext.task_id.set("")
