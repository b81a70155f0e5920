"""Retention jobs (Celery beat, daily): unconfirmed requests expire, closed ones lose their personal data.

Each job selects due rows through a partial index, claims them with `skip_locked` so two runs never
touch the same row, and works in bounded batches.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from ..models import Request
from ..requests import workflow
from ..security import ratelimit
from ..security.tokens import LIFETIMES
from .shredder import erase_personal_data

BATCH_SIZE = 200
# How long the record of a closed request is kept before its personal data is erased: the vendor may
# need to show how it answered (complaints and claims), so the request, its timeline and its deadlines
# stay; the name, email, details and email bodies are blanked. The audit rows are never deleted.
CLOSED_RETENTION = dt.timedelta(days=3 * 365)
# An unverified request expires (and loses its personal data) when its verification link does.
UNVERIFIED_RETENTION = LIFETIMES["verify"]


def unverified_due(*, now: dt.datetime) -> QuerySet[Request]:
    """Requests never confirmed within the link's life (through the partial index dsr_request_unverified)."""
    return Request.objects.filter(status=Request.Status.SUBMITTED, received_at__lt=now - UNVERIFIED_RETENTION)


def closed_due(*, now: dt.datetime) -> QuerySet[Request]:
    """Closed requests whose retention has ended, not yet purged (partial index dsr_request_to_purge)."""
    return Request.objects.filter(
        status__in=Request.CLOSED_STATUSES, purged_at__isnull=True, closed_at__lt=now - CLOSED_RETENTION
    )


def expire_unverified(*, now: dt.datetime, batch: int = BATCH_SIZE) -> int:
    """Requests whose email was never confirmed expire, and their personal data is deleted."""
    with transaction.atomic():
        rows = list(unverified_due(now=now).select_for_update(skip_locked=True)[:batch])
        for request in rows:
            workflow.expire(request, now=now)
            erase_personal_data(request, now=now)
    return len(rows)


def purge_closed(*, now: dt.datetime, batch: int = BATCH_SIZE) -> int:
    """Closed requests lose their personal data after CLOSED_RETENTION; the audit trail stays."""
    with transaction.atomic():
        rows = list(closed_due(now=now).select_for_update(skip_locked=True)[:batch])
        purged = sum(erase_personal_data(request, now=now) for request in rows)
    return purged


def run_daily(*, now: dt.datetime) -> dict[str, int]:
    """The daily job: expiry, purge, and the old rate-limit counters."""
    return {
        "expired": expire_unverified(now=now),
        "purged": purge_closed(now=now),
        "throttles": ratelimit.purge_old(now=now),
    }
