"""Staff's work on the outbox: failed email sent again, each retry in the request's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ..outbox import emails
from .selectors import staff_role, visible_emails
from .timeline import Actor, record


def retry_failed(user: Any, ids: Iterable[int], *, now: dt.datetime) -> int:
    """Queue the failed emails among `ids` that `user` may see again; returns how many were queued.

    Rows of another vendor's requests, and rows not `failed` (sent, queued, already retried), are left
    alone. Each retry is written to its request's timeline with the staff member who asked for it.
    """
    visible = list(visible_emails(user).filter(pk__in=list(ids)).values_list("pk", flat=True))
    with transaction.atomic(durable=True):
        rows = emails.requeue_failed(visible, now=now)
        for row in rows:
            if row.request_id is None:
                continue
            request = row.request
            assert request is not None
            role = staff_role(user, request.vendor_id) or "handler"
            record(
                request,
                "email_retried",
                f"The failed email “{row.subject or row.kind}” to {row.to} was queued again by "
                f"{user.get_username()} (after {row.attempts} attempts).",
                actor=Actor.staff(user, role),
                now=now,
                data={"email": row.pk, "kind": row.kind, "attempts": row.attempts},
            )
    return len(rows)
