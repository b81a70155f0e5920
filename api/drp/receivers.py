"""Status callbacks (DRP 2.03) queued as the workflow changes a request: receivers of the workflow's
`status_changed` and `deadline_extended` signals (an extension changes `expected_by`, 3.08) write each due
callback into the webhook outbox (dsr.outbox.webhooks) inside the change's transaction; the outbox sends it after
commit, claimed before sending, retried with backoff, at most once per change (the key names the change's
timeline event). Nothing here talks to the network."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dsr.models import Event, Request
from dsr.outbox.webhooks import queue_webhook
from dsr.requests.signals import StatusChange, deadline_extended, status_changed, statuses_changed

from . import services


def queue_status_callbacks(
    sender: Any, *, request: Request, old_status: str, event: Event, now: dt.datetime, **_: Any
) -> None:
    for due in services.callbacks_for(request, old_status=old_status, change=str(event.pk)):
        # Unsigned: the protocol defines no signature for callbacks, and they carry no personal data.
        queue_webhook(url=due.url, payload=due.payload, key=due.key, request=request, now=now)


def queue_extension_callbacks(
    sender: Any, *, request: Request, old_due_at: dt.datetime | None, event: Event, now: dt.datetime, **_: Any
) -> None:
    for due in services.extension_callbacks_for(request, old_due_at=old_due_at, change=str(event.pk)):
        queue_webhook(url=due.url, payload=due.payload, key=due.key, request=request, now=now)


def queue_many_status_callbacks(sender: Any, *, changes: list[StatusChange], now: dt.datetime, **_: Any) -> None:
    """As `queue_status_callbacks` for each change, asking only of the requests an agent follows."""
    followed = services.followed_by_agents([change.request.pk for change in changes])
    for change in changes:
        if change.request.pk in followed:
            queue_status_callbacks(
                sender, request=change.request, old_status=change.old_status, event=change.event, now=now
            )


def connect() -> None:
    status_changed.connect(queue_status_callbacks, sender=Request, dispatch_uid="drp-status-callbacks")
    statuses_changed.connect(queue_many_status_callbacks, sender=Request, dispatch_uid="drp-statuses-callbacks")
    deadline_extended.connect(queue_extension_callbacks, sender=Request, dispatch_uid="drp-extension-callbacks")
