"""The API's periodic work, thin: idempotency keys and the call log deleted once past their time."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def purge_api_records_task() -> None:
    services.purge_records(now=timezone.now())
