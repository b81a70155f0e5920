"""The register: one line per request, for an auditor: its dates, type, laws, outcome and timeliness.

No request contents and no personal data: the query selects only the columns below (never the name,
email, details, notes or the agent's or customer's details), so nothing personal is even read. Dates
are the responder's calendar days (ISO 8601); "on time" and the days to respond are the words of
dsr.requests.stats. Scoped to the staff member's vendors (dsr.requests.selectors.visible_requests) and
read in chunks, so a register of a million requests streams in constant memory.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from policies import vocabulary

from ..models import Request
from . import stats
from .selectors import visible_requests

HEADER = (
    "reference",
    "vendor",
    "request_type",
    "relationships",
    "laws",
    "received_on",
    "verified_on",
    "due_on",
    "closed_on",
    "outcome",
    "timeliness",
    "days_to_respond",
)

# The only columns read: nothing personal is among them (a test holds this list to it).
COLUMNS = (
    "reference",
    "vendor__slug",
    "request_type",
    "relationships",
    "law_codes",
    "status",
    "received_at",
    "verified_at",
    "due_at",
    "closed_at",
    "policy_version__timezone",
)

CHUNK = 2000
log = logging.getLogger(__name__)
STATUS_LABELS = dict(Request.Status.choices)


@dataclass(frozen=True)
class Filters:
    """What the auditor narrowed the register to (every field optional)."""

    vendor_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    request_type: str = ""
    law: str = ""
    status: str = ""

    def as_record(self) -> dict[str, str]:
        """The filters as plain text, for the record of who exported what."""
        return {key: str(value) for key, value in asdict(self).items() if value not in (None, "")}


def matching(user: Any, filters: Filters) -> QuerySet[Request]:
    """The requests of the staff member's vendors that the filters keep, oldest received first."""
    requests = visible_requests(user)
    if filters.vendor_id is not None:
        requests = requests.filter(vendor_id=filters.vendor_id)
    if filters.request_type:
        requests = requests.filter(request_type=filters.request_type)
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.law:
        # The codes are a JSON list: match the quoted code, which no other code contains.
        requests = requests.filter(law_codes__icontains=f'"{filters.law}"')
    requests = stats.received_between(requests, filters.received_from, filters.received_to)
    return requests.order_by("received_at", "id")


def _day(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat() if moment is not None else ""


def line(row: dict[str, Any]) -> tuple[str, ...]:
    """One request's line, from the columns in COLUMNS."""
    zone = row["policy_version__timezone"]
    tz = ZoneInfo(zone)
    status, closed_at = row["status"], row["closed_at"]
    answered = status in stats.ANSWERED and closed_at is not None
    timeliness = ""
    if answered:
        timeliness = "on time" if stats.on_time(closed_at, row["due_at"]) else "late"
    days = str(stats.days_to_respond(row["received_at"], closed_at, zone)) if answered else ""
    return (
        row["reference"],
        row["vendor__slug"],
        row["request_type"],
        " ".join(row["relationships"]) or vocabulary.NOT_SURE,
        " ".join(row["law_codes"] or []),
        _day(row["received_at"], tz),
        _day(row["verified_at"], tz),
        _day(row["due_at"], tz),
        _day(closed_at, tz),
        STATUS_LABELS.get(status, status),
        timeliness,
        days,
    )


def lines(user: Any, filters: Filters) -> Iterator[tuple[str, ...]]:
    """The header, then one line per request (read from the database in chunks)."""
    yield HEADER
    for row in matching(user, filters).values(*COLUMNS).iterator(chunk_size=CHUNK):
        yield line(row)


def request_types() -> list[tuple[str, str]]:
    return list(vocabulary.REQUEST_TYPES.items())


def record_export(user: Any, filters: Filters, *, now: dt.datetime) -> None:
    """Who exported the register, when, with which filters: in the application log.

    The timeline (dsr.models.Event) belongs to one request and an export spans many, so the record is a
    log line (JSON in production, with the web request's id), not an event.
    """
    record = filters.as_record()
    words = ", ".join(f"{key}={value}" for key, value in record.items()) or "none"
    log.info(
        "Register exported by user %s at %s (filters: %s)",
        user.pk,
        now.isoformat(),
        words,
        extra={"event": "register_exported", "user_id": user.pk, "at": now.isoformat(), "filters": record},
    )
