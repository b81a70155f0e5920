"""What the workflow announces to the apps built on it (the API, the agents' protocol).

`status_changed` is sent from the one place every status change passes: `timeline.record`, when the
event it appends finds the request's status changed since it was loaded or last announced. It is sent
inside the change's transaction, so a receiver that writes (a webhook into the outbox) commits or rolls
back with the change; receivers must not talk to the network. The requests layer never imports the apps
that listen.

Arguments: `request` (the Request), `old_status`, `new_status` (Request.Status values), `event` (the
timeline Event that records the change: its id makes a per-change key), `now`.
"""

from __future__ import annotations

from django.dispatch import Signal

status_changed = Signal()
