"""Retention jobs (Celery beat, daily): unconfirmed requests expire, closed ones lose their personal data.

Each job selects due rows through a partial index, claims them with `skip_locked` so two runs never
touch the same row, and works in bounded batches.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from ..models import Package, Request
from ..requests import workflow
from ..requests.errors import DomainError
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


def packages_due(*, now: dt.datetime) -> QuerySet[Package]:
    """Live answer packages past their days (through the partial index dsr_package_live)."""
    return Package.objects.filter(status__in=Package.LIVE_STATUSES, expires_at__lte=now)


def expire_packages(*, now: dt.datetime, batch: int = BATCH_SIZE) -> int:
    """Answer packages past DSR_PACKAGE_DAYS: their files are deleted from storage and they are marked
    (dsr.requests.workflow.expire_package, one request at a time, each in its own transaction under the
    request's lock, so two runs delete each package once)."""
    due = list(packages_due(now=now).order_by("expires_at").values_list("request_id", flat=True)[:batch])
    expired = 0
    for request_id in due:
        try:
            workflow.expire_package(Request(pk=request_id), now=now)
        except DomainError:
            continue  # another run deleted it meanwhile
        expired += 1
    return expired


def run_daily(*, now: dt.datetime) -> dict[str, int]:
    """The daily job: expiry, purge, and the old rate-limit counters."""
    return {
        "expired": expire_unverified(now=now),
        "purged": purge_closed(now=now),
        "throttles": ratelimit.purge_old(now=now),
    }
