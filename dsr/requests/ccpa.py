"""The CCPA yearly figures (11 CCR § 7102) of one vendor for one calendar year.

What counts is data (policies/data/ccpa_7102.yaml, read by policies.metrics): the request types of each
of the regulation's categories, which outcome is "complied with in whole or in part" and which "denied",
and the average reported (the median; the mean is shown beside it). Here, the reading of the rest:

- **Which requests**: those the CCPA applies to (`US_CA_CCPA` among the request's laws), of a type the
  regulation asks about, whose email was confirmed: a submission never confirmed (expired, or still
  waiting) was never a request anyone could act on, and a duplicate was joined to the same person's
  earlier request, which is counted. Withdrawn requests were received: they count as received, and as
  neither complied with nor denied.
- **Which year**: the year the request was received (the responder's calendar day of receipt). A request
  received in December and answered in January counts in December's year, as received and as
  complied with or denied, and its days to respond run into January. So every request counts once, the
  year's "complied with" and "denied" are a part of its "received", and the days belong to the same
  requests; the cost is that a year's figures are final only once its last request is answered (the
  report shows how many are still open). Counting each outcome in the year of the answer instead would
  make a year's numbers describe different requests.
- **Complied with in whole or in part**: completed or partially completed (a partial answer gave the
  person part of what they asked for: it is complied with in part, not denied; the column "of which in
  part" shows how many). **Denied**: rejected, whatever the reason (unverifiable, spam, exempt).
- **Days to respond**: calendar days from the day of receipt to the day of the answer in the responder's
  time zone (dsr.requests.stats), over the requests complied with or denied: those "substantively
  responded to". Withdrawn requests got no substantive response and have no days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, QuerySet

from policies import metrics
from policies.models import Vendor

from ..models import Request
from . import stats

S = Request.Status
# Not requests anyone could act on, or counted through the request they were joined to.
NOT_COUNTED = (S.SUBMITTED, S.EXPIRED, S.DUPLICATE)


def definition() -> metrics.Definition:
    return metrics.load(settings.POLICY_DATA_DIR)


@dataclass(frozen=True)
class Figures:
    """One category's figures for the year."""

    category: metrics.Category
    received: int = 0
    complied: int = 0
    complied_in_part: int = 0
    denied: int = 0
    withdrawn: int = 0
    still_open: int = 0
    median_days: float | None = None
    mean_days: float | None = None

    @property
    def median_text(self) -> str:
        return days_text(self.median_days)

    @property
    def mean_text(self) -> str:
        return days_text(self.mean_days)

    @property
    def recorded(self) -> bool:
        """False for a category the product has no request type of its own for (its note says why)."""
        return bool(self.category.request_types)


@dataclass(frozen=True)
class Report:
    vendor: Vendor
    year: int
    definition: metrics.Definition
    figures: list[Figures]

    @property
    def still_open(self) -> int:
        return sum(f.still_open for f in self.figures)


def counted(vendor: Vendor, year: int, spec: metrics.Definition) -> QuerySet[Request]:
    """The requests the report counts: the vendor's CCPA requests of the asked-about types, received in `year`."""
    requests = (
        Request.objects.filter(vendor=vendor, request_type__in=spec.counted_types)
        .filter(law_codes__icontains=f'"{spec.law}"')
        .exclude(status__in=NOT_COUNTED)
    )
    return stats.received_between(requests, dt.date(year, 1, 1), dt.date(year, 12, 31))


def yearly_figures(vendor: Vendor, year: int, spec: metrics.Definition | None = None) -> Report:
    """The vendor's § 7102 figures for the calendar year `year`."""
    spec = spec or definition()
    requests = counted(vendor, year, spec)
    by_status: dict[str, dict[str, int]] = defaultdict(dict)
    for request_type, status, count in (
        requests.order_by()
        .values_list("request_type", "status")
        .annotate(n=Count("pk"))
        .values_list("request_type", "status", "n")
    ):
        by_status[request_type][status] = count
    responded = requests.filter(status__in=sorted(spec.complied | spec.denied), closed_at__isnull=False)
    averages: dict[str, tuple[float | None, float | None]] = {}
    for category in spec.categories:
        if not category.request_types:
            continue
        in_category = responded.filter(request_type__in=category.request_types)
        if stats.on_postgresql(in_category):
            row = in_category.aggregate(median=stats.Median(stats.responder_days()), mean=Avg(stats.responder_days()))
            averages[category.key] = (row["median"], float(row["mean"]) if row["mean"] is not None else None)
        else:
            rows = in_category.values_list("received_at", "closed_at", "policy_version__timezone")
            days = [stats.days_to_respond(start, end, zone) for start, end, zone in rows.iterator() if end is not None]
            averages[category.key] = stats.averages(days)
    figures = []
    for category in spec.categories:
        counts: dict[str, int] = defaultdict(int)
        for request_type in category.request_types:
            for status, count in by_status[request_type].items():
                counts[status] += count
        middle, average = averages.get(category.key, (None, None))
        figures.append(
            Figures(
                category=category,
                received=sum(counts.values()),
                complied=sum(counts[s] for s in spec.complied),
                complied_in_part=sum(counts[s] for s in spec.complied_in_part),
                denied=sum(counts[s] for s in spec.denied),
                withdrawn=counts[S.WITHDRAWN],
                still_open=sum(counts[s] for s in Request.OPEN_STATUSES),
                median_days=middle,
                mean_days=average,
            )
        )
    return Report(vendor=vendor, year=year, definition=spec, figures=figures)


CSV_HEADER = (
    "vendor",
    "year",
    "category",
    "received",
    "complied_in_whole_or_in_part",
    "of_which_in_part",
    "denied",
    "withdrawn",
    "still_open",
    "median_days_to_respond",
    "mean_days_to_respond",
    "note",
)


def days_text(days: float | None) -> str:
    """'12', '12.5' or '' (nothing answered)."""
    if days is None:
        return ""
    return f"{days:.1f}".removesuffix(".0")


def csv_lines(report: Report) -> Iterator[tuple[str, ...]]:
    yield CSV_HEADER
    for f in report.figures:
        numbers = (
            (f.received, f.complied, f.complied_in_part, f.denied, f.withdrawn, f.still_open)
            if f.recorded
            else ("",) * 6
        )
        yield (
            report.vendor.slug,
            str(report.year),
            f.category.label,
            *(str(n) for n in numbers),
            days_text(f.median_days),
            days_text(f.mean_days),
            f.category.note if not f.recorded else "",
        )
