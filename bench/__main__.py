"""Benchmarks: `make bench` prints figures against targets. Nothing here is a pass/fail test.

Measures the pure cores that every request goes through: the deadline engine and the router.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402

from dsr.engine import deadlines  # noqa: E402
from dsr.engine.routing import RequestFacts, plan_for  # noqa: E402
from policies.laws import default_laws_path, load_laws_file  # noqa: E402
from policies.loader import read_data_dir  # noqa: E402

# Targets: per call, on this machine size (2 cores). Well below what a web request can afford.
TARGETS_MS = {"deadline engine (GDPR + CCPA + promise)": 5.0, "routing plan": 1.0}


def measure(name: str, fn: Callable[[int], object], rounds: int = 2000) -> None:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    p50, p95 = statistics.median(times), sorted(times)[int(rounds * 0.95)]
    target = TARGETS_MS[name]
    verdict = "meets" if p95 <= target else "MISSES"
    print(f"{name:42s} p50 {p50:7.3f} ms  p95 {p95:7.3f} ms  target p95 <= {target} ms: {verdict}")


def main() -> None:
    laws = load_laws_file(default_laws_path()).by_code()
    rules = [laws["EU_GDPR"], laws["US_CA_CCPA"]]
    promise = deadlines.Promise(amount=30, unit="days", applies_to=("all",), cite="We respond within 30 days")
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)

    def deadline(i: int) -> object:
        return deadlines.compute_deadlines(
            rules,
            request_type="erasure",
            received_at=start + dt.timedelta(hours=7 * i),
            timezone="Europe/Helsinki",
            country="FI",
            promises=[promise],
        )

    documents = {v.slug: v.policy for v in read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors}
    due = start + dt.timedelta(days=30)
    cases = [
        ("seerene", "account_user", "erasure"),
        ("sera-leads", "customer_data_subject", "access"),
        ("leadsment", "account_user", "erasure"),
        ("leadoro", "customer_data_subject", "erasure"),
    ]

    def route(i: int) -> object:
        slug, relationship, request_type = cases[i % len(cases)]
        return plan_for(documents[slug], RequestFacts(request_type=request_type, relationship=relationship), due_at=due)

    print(f"Benchmarks ({os.cpu_count()} cores)")
    deadline(0)  # warm the holiday calendars
    measure("deadline engine (GDPR + CCPA + promise)", deadline)
    measure("routing plan", route)


if __name__ == "__main__":
    main()
