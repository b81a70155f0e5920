"""The API listens to the workflow: each status change of a request a client filed is queued as its callback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from dsr.models import Event, Request
from dsr.requests.signals import StatusChange, status_changed, statuses_changed

from . import services


@receiver(status_changed, dispatch_uid="api.status_callback")
def status_callback(
    sender: Any, *, request: Request, old_status: str, new_status: str, event: Event, now: dt.datetime, **_: Any
) -> None:
    services.queue_status_callback(request, old_status=old_status, new_status=new_status, event=event, now=now)


@receiver(statuses_changed, dispatch_uid="api.status_callbacks")
def status_callbacks(sender: Any, *, changes: list[StatusChange], now: dt.datetime, **_: Any) -> None:
    services.queue_status_callbacks(changes, now=now)
