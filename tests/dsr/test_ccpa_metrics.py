"""The CCPA yearly figures (11 CCR § 7102) of a known year of Leadoro's requests: what is received, complied
with in whole or in part, denied, and the median days to respond, with the edges (partial answers, withdrawn,
December received and January answered, duplicates, unconfirmed, other laws and other vendors)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from dsr.models import Request
from dsr.requests import ccpa, stats, workflow
from dsr.requests.intake import verify_email
from policies import metrics, vocabulary
from policies.models import Vendor
from tests.factories import STAFF, filed, identified, noon, routed, verified
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")


def californian(request_type: str, received: dt.date, *, vendor: str = "leadoro", **overrides: Any) -> Request:
    fields: dict[str, Any] = {"country": "US", "state": "CA", "relationships": ["account_user"], **overrides}
    return routed(now=noon(received), vendor_slug=vendor, request_type=request_type, **fields)


def answer(request: Request, status: str, on: dt.date) -> Request:
    if status != Request.Status.REJECTED:
        request = identified(request, now=noon(on))
    message = "" if status == Request.Status.COMPLETED else "Part of it is kept under a legal obligation."
    return workflow.close_request(request, status=status, message=message, actor=STAFF, now=noon(on))


D = dt.date
C = Request.Status


@pytest.fixture
def leadoro_2026(policies: None) -> None:
    # Requests to delete: complied in whole (10 days), denied (4 days), complied in part (20 days).
    answer(californian("erasure", D(2026, 2, 2), email="a@example.com"), C.COMPLETED, D(2026, 2, 12))
    answer(californian("erasure", D(2026, 3, 2), email="b@example.com"), C.REJECTED, D(2026, 3, 6))
    answer(californian("erasure", D(2026, 4, 1), email="c@example.com"), C.PARTIALLY_COMPLETED, D(2026, 4, 21))
    # Requests to know: one withdrawn; one received in December, answered in January (19 days); the
    # portable copy counts as a request to know (6 days).
    workflow.withdraw_request(californian("access", D(2026, 5, 4), email="d@example.com"), now=noon(D(2026, 5, 6)))
    answer(californian("access", D(2026, 12, 20), email="e@example.com"), C.COMPLETED, D(2027, 1, 8))
    answer(californian("portability", D(2026, 9, 1), email="f@example.com"), C.COMPLETED, D(2026, 9, 7))
    # Received in December 2025, answered in January 2026: the year before's.
    answer(californian("access", D(2025, 12, 28), email="g@example.com"), C.COMPLETED, D(2026, 1, 5))
    # A request to correct, still open (as are the erasures of 3 Aug and 9 Feb below).
    californian("rectification", D(2026, 6, 1), email="h@example.com")
    # An opt-out, complied with in 2 days.
    answer(californian("opt_out", D(2026, 7, 1), email="i@example.com"), C.COMPLETED, D(2026, 7, 3))
    # Not counted: a repeated request joined to the person's open one (a duplicate); a submission never
    # confirmed; a person in Germany (the GDPR, not the CCPA); another vendor's Californian.
    californian("erasure", D(2026, 8, 3), email="j@example.com")
    repeated = filed(
        now=noon(D(2026, 8, 4)),
        vendor_slug="leadoro",
        request_type="erasure",
        relationships=["account_user"],
        country="US",
        state="CA",
        email="j@example.com",
    )
    verify_email(repeated.reference, now=noon(D(2026, 8, 4)))
    assert Request.objects.get(reference=repeated.reference).status == C.DUPLICATE
    filed(now=noon(D(2026, 8, 5)), vendor_slug="leadoro", relationships=["account_user"], country="US", state="CA")
    answer(
        routed(now=noon(D(2026, 2, 2)), vendor_slug="leadoro", relationships=["account_user"], country="DE"),
        C.COMPLETED,
        D(2026, 2, 3),
    )
    answer(californian("erasure", D(2026, 2, 2), vendor="serai", email="k@example.com"), C.COMPLETED, D(2026, 2, 3))
    verified(now=noon(D(2026, 2, 9)), vendor_slug="leadoro", relationships=["account_user"], country="US", state="CA")


def figures(year: int) -> dict[str, tuple[Any, ...]]:
    report = ccpa.yearly_figures(Vendor.objects.get(slug="leadoro"), year)
    return {
        f.category.key: (
            f.received,
            f.complied,
            f.complied_in_part,
            f.denied,
            f.withdrawn,
            f.still_open,
            f.median_text,
            f.mean_text,
        )
        for f in report.figures
        if f.recorded
    }


@pytest.mark.usefixtures("leadoro_2026")
def test_a_known_year_gives_exact_figures_counted_by_the_year_of_receipt() -> None:
    assert figures(2026) == {
        # received, complied (whole or part), of which in part, denied, withdrawn, still open, median, mean
        "delete": (5, 2, 1, 1, 0, 2, "10", "11.3"),
        "correct": (1, 0, 0, 0, 0, 1, "", ""),
        "know": (3, 2, 0, 0, 1, 0, "12.5", "12.5"),
        "opt_out": (1, 1, 0, 0, 0, 0, "2", "2"),
    }
    # December 2025's request answered in January 2026 is 2025's, with its 8 days.
    assert figures(2025)["know"] == (1, 1, 0, 0, 0, 0, "8", "8")
    assert figures(2027)["know"] == (0, 0, 0, 0, 0, 0, "", "")


@pytest.mark.usefixtures("leadoro_2026")
def test_the_figures_are_the_same_where_the_database_has_no_median(monkeypatch: pytest.MonkeyPatch) -> None:
    on_postgresql = figures(2026)
    monkeypatch.setattr(stats, "on_postgresql", lambda queryset: False)
    assert figures(2026) == on_postgresql


def test_the_year_is_the_responders_day_of_receipt() -> None:
    """Serai answers from Hong Kong: 31 Dec 2025 20:00 UTC is 1 Jan 2026 there, so it is 2026's request."""
    request = routed(
        now=dt.datetime(2025, 12, 31, 20, tzinfo=dt.UTC),
        vendor_slug="serai",
        request_type="erasure",
        relationships=["account_user"],
        country="US",
        state="CA",
    )
    answer(request, C.COMPLETED, D(2026, 1, 2))  # noon UTC is 20:00 in Hong Kong: 1 day after 1 Jan
    serai = Vendor.objects.get(slug="serai")
    by_year = {y: ccpa.yearly_figures(serai, y).figures[0] for y in (2025, 2026)}
    assert (by_year[2025].received, by_year[2026].received) == (0, 1)
    assert by_year[2026].median_days == 1


def test_the_definition_maps_every_type_once_and_cites_the_regulation() -> None:
    spec = ccpa.definition()
    assert [c.key for c in spec.categories] == ["delete", "correct", "know", "opt_out", "limit"]
    assert spec.category_of("portability") == "know"
    assert spec.category_of("restriction") is None
    assert spec.average == "median" and spec.cite.startswith("11 CCR § 7102")
    statuses = set(Request.Status.values)
    assert spec.complied | spec.denied <= statuses
    assert set(spec.counted_types) <= set(vocabulary.REQUEST_TYPES)


def test_a_type_counted_twice_is_refused_naming_the_field() -> None:
    import yaml
    from django.conf import settings

    data = yaml.safe_load((settings.POLICY_DATA_DIR / metrics.FILE).read_text())
    data["categories"][0]["request_types"].append("access")
    with pytest.raises(metrics.MetricsDataError, match=r"categories\[2\]\.request_types: 'access' is counted twice"):
        metrics.parse(data)


@pytest.mark.usefixtures("leadoro_2026")
def test_the_command_prints_the_figures_and_the_csv() -> None:
    out = io.StringIO()
    call_command("ccpa_metrics", "--year", "2026", "--vendor", "leadoro", stdout=out)
    text = out.getvalue()
    assert "Requests to delete" in text and "Not final: 3 of these requests are still open." in text
    out = io.StringIO()
    call_command("ccpa_metrics", "--year", "2026", "--vendor", "leadoro", "--csv", stdout=out)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0][:4] == ["vendor", "year", "category", "received"]
    assert lines[1][:10] == ["leadoro", "2026", "Requests to delete", "5", "2", "1", "1", "0", "2", "10"]


@pytest.mark.usefixtures("leadoro_2026")
def test_staff_see_their_vendors_figures_and_never_anothers() -> None:
    page = client_for(member("lia", "leadoro")).get("/admin/dsr/request/ccpa/?vendor=leadoro&year=2026")
    assert page.status_code == 200
    row = page.content.decode().split('id="ccpa-delete"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('class="number">')[1:]] == [
        "5",
        "2",
        "1",
        "1",
        "0",
        "2",
        "10",
        "11.3",
    ]
    downloaded = client_for(member("lee", "leadoro")).get(
        "/admin/dsr/request/ccpa/?vendor=leadoro&year=2026&format=csv"
    )
    assert (
        b"".join(downloaded.streaming_content).decode().splitlines()[1].startswith("leadoro,2026,Requests to delete,5")
    )
    other: Client = client_for(member("sam", "sera-leads"))
    assert other.get("/admin/dsr/request/ccpa/?vendor=leadoro&year=2026").status_code == 404
    assert other.get("/admin/dsr/request/ccpa/?vendor=leadoro&year=2026&format=csv").status_code == 404
