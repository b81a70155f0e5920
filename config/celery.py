"""The Celery app. The broker only carries "look at row N"; the database is the source of truth."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dsr")
# All CELERY_* settings live in config/settings.py.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
