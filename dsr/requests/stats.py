"""The team's figures: the queue's counts today, and how answers went month by month (the staff dashboard).

What the words mean, once for the dashboard, the register and the CCPA figures:

- **Answered** (`ANSWERED`): closed as completed, partially completed or rejected: the person got an
  answer. Withdrawn, duplicate and expired requests got none and are left out of the rates and the days.
- **On time**: answered at or before the due date in force when it was answered (`Request.due_at`, the
  last instant of the due day in the responder's time zone, moved by any extension or stopped clock;
  it is not recomputed after closing).
- **Days to respond**: calendar days from the day of receipt to the day of the answer, both in the
  responder's time zone (answered on the day it came in: 0).
- **A month** is a calendar month in the responder's time zone, by the day of the answer.

Every count is of the requests the staff member may see (dsr.requests.selectors.visible_requests). The
counts use the staff queue's own filters (dsr.requests.queue), so the number on a tile is the number of
rows its link shows. The monthly figures are aggregated in the database (PostgreSQL: one grouped query
with the median as `percentile_cont`), reading only the answers of the last 12 months through the
`dsr_request_vendor_answered` index; the embedded default (SQLite) has no median aggregate and counts its
few rows here instead, with the same functions.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Func, IntegerField, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from policies.models import PolicyVersion, Vendor

from ..engine.deadlines import end_of_day
from ..models import OutgoingEmail, Request
from . import queue
from .selectors import visible_emails, visible_requests

S = Request.Status
# Closed with an answer to the person: what the rates and the days are about.
ANSWERED: tuple[str, ...] = (S.COMPLETED, S.PARTIALLY_COMPLETED, S.REJECTED)
# Closed without an answer: withdrawn by the person, joined to their earlier request, never confirmed.
NOT_ANSWERED: tuple[str, ...] = (S.WITHDRAWN, S.DUPLICATE, S.EXPIRED)
TREND_MONTHS = 12

# --- The words, as plain functions --------------------------------------------------------------------


def days_to_respond(received_at: dt.datetime, closed_at: dt.datetime, zone: str) -> int:
    """Calendar days from the day of receipt to the day of the answer, in the responder's time zone."""
    tz = ZoneInfo(zone)
    return (closed_at.astimezone(tz).date() - received_at.astimezone(tz).date()).days


def on_time(closed_at: dt.datetime, due_at: dt.datetime | None) -> bool:
    """Answered at or before the due date in force (a request with no due date was never on a clock: late)."""
    return due_at is not None and closed_at <= due_at


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def mean(values: Sequence[float]) -> float | None:
    return float(statistics.fmean(values)) if values else None


def received_between(
    queryset: QuerySet[Request], first: dt.date | None, last: dt.date | None, field_name: str = "received_at"
) -> QuerySet[Request]:
    """Requests whose `field_name` falls on a day from `first` to `last` (inclusive) in the responder's zone."""
    if first is None and last is None:
        return queryset
    within = Q()
    for zone in PolicyVersion.objects.order_by().values_list("timezone", flat=True).distinct():
        tz = ZoneInfo(zone)
        bounds = Q(policy_version__timezone=zone)
        if first is not None:
            bounds &= Q(**{f"{field_name}__gt": end_of_day(first - dt.timedelta(days=1), tz)})
        if last is not None:
            bounds &= Q(**{f"{field_name}__lte": end_of_day(last, tz)})
        within |= bounds
    return queryset.filter(within)


def on_postgresql(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


# --- The same words in PostgreSQL ----------------------------------------------------------------------


class ResponderDays(Func):
    """`days_to_respond` in SQL: (the answer's local day) - (the receipt's local day), in the request's zone."""

    output_field = IntegerField()

    def __init__(self, zone: Any, start: Any, end: Any) -> None:
        super().__init__(zone, start, end)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (zone, zone_params), (start, start_params), (end, end_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = f"((timezone({zone}, {end}))::date - (timezone({zone}, {start}))::date)"
        return sql, [*zone_params, *end_params, *zone_params, *start_params]


class ResponderMonth(Func):
    """The first day of the month `moment` falls in, in the request's zone."""

    def __init__(self, zone: Any, moment: Any) -> None:
        from django.db.models import DateField

        super().__init__(zone, moment, output_field=DateField())

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (zone, zone_params), (moment, moment_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"(date_trunc('month', timezone({zone}, {moment})))::date", [*zone_params, *moment_params]


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


ZONE = F("policy_version__timezone")


def responder_days() -> ResponderDays:
    return ResponderDays(ZONE, F("received_at"), F("closed_at"))


# --- Today's counts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    count: int
    query: str  # the staff queue's filter that lists these rows
    target: str = "request"  # the admin list it links to: request | outgoingemail

    @property
    def alert(self) -> bool:
        """Work that is late or stuck: shown in red when there is any."""
        return self.count > 0 and self.key in ("overdue", "policy_gap", "failed_emails")


OPEN_QUERY = "status__in=" + ",".join(Request.OPEN_STATUSES)


def open_requests(queryset: QuerySet[Request]) -> QuerySet[Request]:
    return queryset.filter(status__in=Request.OPEN_STATUSES)


def queue_tiles(user: Any, now: dt.datetime) -> list[Tile]:
    """Today's counts of the staff member's vendors, each with the queue filter that lists the same rows."""
    mine = visible_requests(user)
    unrouted = mine.filter(status=S.VERIFIED)
    failed = visible_emails(user).filter(status=OutgoingEmail.Status.FAILED)
    return [
        Tile("open", "Open", open_requests(mine).count(), OPEN_QUERY),
        Tile("overdue", "Overdue", queue.due_window(mine, "overdue", now).count(), "due=overdue"),
        Tile("due_soon", queue.DUE_WINDOWS["soon"], queue.due_window(mine, "soon", now).count(), "due=soon"),
        Tile("identity", "Waiting for identity", queue.identity_state(mine, "waiting").count(), "identity=waiting"),
        Tile("policy_gap", "Policy gap to resolve", queue.policy_gap(mine, True).count(), "gap=yes"),
        Tile("unrouted", "Unrouted", unrouted.count(), f"status__exact={S.VERIFIED}"),
        Tile("failed_emails", "Failed emails", failed.count(), "status__exact=failed", "outgoingemail"),
    ]


# --- Month by month ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    month: dt.date  # its first day
    answered: int = 0
    on_time: int = 0
    median_days: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        """The share answered on time, 0 to 1 (None in a month with no answer)."""
        return self.on_time / self.answered if self.answered else None


@dataclass(frozen=True)
class Series:
    """One line of the dashboard's charts: a vendor (or all the staff member's vendors), month by month."""

    name: str
    months: list[Month] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(m.answered for m in self.months)

    @property
    def on_time(self) -> int:
        return sum(m.on_time for m in self.months)


def trend_months(now: dt.datetime, count: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of this month and the `count - 1` before it, oldest first (by UTC's today)."""
    year, month = now.year, now.month
    firsts = []
    for _ in range(count):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def answered_since(queryset: QuerySet[Request], first: dt.date) -> QuerySet[Request]:
    """Answers from the day before `first` on (UTC): a month's first day begins earlier in some zones."""
    start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return queryset.filter(status__in=ANSWERED, closed_at__gte=start)


def _grouped(queryset: QuerySet[Request], by_vendor: bool) -> Iterator[tuple[int | None, dt.date, int, int, float]]:
    """(vendor id or None, month, answered, on time, median days) per group, aggregated by PostgreSQL."""
    keys = ["vendor_id", "month"] if by_vendor else ["month"]
    rows = (
        queryset.annotate(month=ResponderMonth(ZONE, F("closed_at")), days=responder_days())
        .order_by()
        .values(*keys)
        .annotate(
            answered=Count("pk"),
            in_time=Count("pk", filter=Q(due_at__isnull=False, closed_at__lte=F("due_at"))),
            median_days=Median("days"),
        )
    )
    for row in rows:
        yield row.get("vendor_id"), row["month"], row["answered"], row["in_time"], row["median_days"]


def _grouped_here(
    queryset: QuerySet[Request], by_vendor: bool
) -> Iterator[tuple[int | None, dt.date, int, int, float | None]]:
    """The same groups, counted in Python from the rows (databases without a median aggregate)."""
    groups: dict[tuple[int | None, dt.date], list[tuple[int, bool]]] = defaultdict(list)
    rows = queryset.values_list("vendor_id", "received_at", "closed_at", "due_at", "policy_version__timezone")
    for vendor, received_at, closed_at, due_at, zone in rows.iterator():
        assert closed_at is not None  # answered
        vendor_id: int | None = vendor
        month = closed_at.astimezone(ZoneInfo(zone)).date().replace(day=1)
        key = (vendor_id if by_vendor else None, month)
        groups[key].append((days_to_respond(received_at, closed_at, zone), on_time(closed_at, due_at)))
    for (vendor_id, month), values in groups.items():
        days = [d for d, _ in values]
        yield vendor_id, month, len(values), sum(1 for _, t in values if t), median(days)


def monthly(user: Any, now: dt.datetime, months: int = TREND_MONTHS) -> list[Series]:
    """The on-time rate and the median days to respond per month: all the staff member's vendors, then each."""
    firsts = trend_months(now, months)
    mine = visible_requests(user)
    if user.is_superuser:  # the vendors as values here too, so the (vendor, closed) index is read vendor by vendor
        mine = mine.filter(vendor_id__in=list(Vendor.objects.values_list("pk", flat=True)))
    answered = answered_since(mine, firsts[0])
    grouped = _grouped if on_postgresql(answered) else _grouped_here
    names = dict(Vendor.objects.values_list("pk", "name"))
    figures: dict[int | None, dict[dt.date, Month]] = defaultdict(dict)
    for by_vendor in (False, True):
        for vendor_id, month, count, in_time, days in grouped(answered, by_vendor):
            if month in firsts:
                figures[vendor_id][month] = Month(month, count, in_time, days)
    series = [Series("All your vendors", [figures[None].get(m, Month(m)) for m in firsts])]
    for vendor_id in sorted((v for v in figures if v is not None), key=lambda v: names.get(v, "")):
        series.append(Series(names.get(vendor_id, "?"), [figures[vendor_id].get(m, Month(m)) for m in firsts]))
    return series


def averages(values: Iterable[int]) -> tuple[float | None, float | None]:
    """(median, mean) of a list of days."""
    listed = list(values)
    return median(listed), mean(listed)
