"""The pure cores every request goes through: the deadline engine and the router (no database)."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from dsr.engine import deadlines
from dsr.engine.routing import RequestFacts, plan_for
from policies.laws import default_laws_path, load_laws_file
from policies.loader import read_data_dir

# Targets: per call, on this machine size (2 cores). Well below what a web request can afford.
TARGETS_MS = {"deadline engine (GDPR + CCPA + promise)": 5.0, "routing plan": 1.0}


def measure(name: str, fn: Callable[[int], object], rounds: int) -> tuple[str, float, float, float]:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return name, statistics.median(times), sorted(times)[int(rounds * 0.95)], TARGETS_MS[name]


def run(rounds: int = 2000) -> list[tuple[str, float, float, float]]:
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
        return plan_for(
            documents[slug], RequestFacts(request_type=request_type, relationships=(relationship,)), due_at=due
        )

    deadline(0)  # warm the holiday calendars
    return [
        measure("deadline engine (GDPR + CCPA + promise)", deadline, rounds),
        measure("routing plan", route, rounds),
    ]
