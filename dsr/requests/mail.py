"""Staff's work on the outbox: failed email and callbacks sent again, each retry in the request's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ..outbox import emails, webhooks
from .selectors import staff_role, visible_emails, visible_webhooks
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


def retry_failed_webhooks(user: Any, ids: Iterable[int], *, now: dt.datetime) -> int:
    """Queue the failed callbacks among `ids` that `user` may see again; returns how many were queued.

    As for email: another vendor's rows and rows not `failed` are left alone, and never a callback about a
    request whose personal data was erased. Each retry goes on its request's timeline with who asked.
    """
    visible = visible_webhooks(user).filter(pk__in=list(ids)).select_related("request")
    count = 0
    with transaction.atomic(durable=True):
        for row in visible:
            if not webhooks.retry(row.pk, now=now):
                continue
            count += 1
            if row.request is None:
                continue
            role = staff_role(user, row.request.vendor_id) or "handler"
            record(
                row.request,
                "webhook_retried",
                f"The failed callback to {row.url} was queued again by {user.get_username()} "
                f"(after {row.attempts} attempts: {row.last_error or 'no error kept'}).",
                actor=Actor.staff(user, role),
                now=now,
                data={"webhook": row.pk, "attempts": row.attempts},
            )
    return count
