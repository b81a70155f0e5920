"""The protocol's periodic work, thin: the replay store forgets messages once they have expired."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def purge_seen_messages_task() -> None:
    services.purge_seen(now=timezone.now())
