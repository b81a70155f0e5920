"""What the workflow announces to the apps built on it (the API, the agents' protocol).

`status_changed` is sent from the one place every status change passes: `timeline.record`, when the
event it appends finds the request's status changed since it was loaded or last announced. It is sent
inside the change's transaction, so a receiver that writes (a webhook into the outbox) commits or rolls
back with the change; receivers must not talk to the network. A change that also moves the request's
deadlines (a pause, its end) stores them before the event that records it, so a receiver reads the request as
it will be committed (an agent's callback gives the `expected_by` the status endpoint gives). The requests
layer never imports the apps that listen.

Arguments: `request` (the Request), `old_status`, `new_status` (Request.Status values), `event` (the
timeline Event that records the change: its id makes a per-change key), `now`.

`deadline_extended` is sent by `workflow.extend_request` once the extended deadlines are stored, inside its
transaction: the status is the same, but what an agent sees of the request is not (DRP 3.08: its `expected_by`
and the reason). Arguments: `request` (with its new deadlines), `old_due_at` (the date before the extension),
`event` (the "extended" timeline event: its id makes the key of the extension), `now`.

`statuses_changed` announces many changes at once, from `timeline.record_many` (requests routed
together): `changes`, a list of `StatusChange`, and `now`. A receiver handles them as it would each
`status_changed`, reading what it needs for all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

status_changed = Signal()
statuses_changed = Signal()
deadline_extended = Signal()


@dataclass(frozen=True)
class StatusChange:
    request: Any  # dsr.models.Request (this module is imported by the models' users, not the models)
    old_status: str
    new_status: str
    event: Any  # dsr.models.Event
