"""Figure 1: intake through gunicorn beside a bare Django view writing the same rows, in the same run.

Both are driven by the same load generator (a second process on loopback) against the same gunicorn;
rounds alternate bare / intake so that the shared machine's noise falls on both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

from .procs import ROOT


def drive(
    port: int, *, targets: list[dict[str, Any]], seconds: float, limit: int, concurrency: int, first: int
) -> dict[str, Any]:
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "csrf_path": "/request/leadsment/",
        "targets": targets,
        "seconds": seconds,
        "max": limit,
        "concurrency": concurrency,
        "first": first,
    }
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.load", json.dumps(spec)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def compare(
    port: int, forms: list[dict[str, Any]], *, rounds: int, seconds: float, concurrency: int, limit: int
) -> dict[str, Any]:
    bare_targets = [{"path": "/bench/bare/", "form": {**f["form"], "vendor": f["slug"]}} for f in forms]
    intake_targets = [{"path": f["path"], "form": f["form"]} for f in forms]
    totals: dict[str, dict[str, Any]] = {
        kind: {"requests": 0, "seconds": 0.0, "statuses": Counter(), "p50": [], "p95": []}
        for kind in ("bare", "intake")
    }
    first = 1
    drive(port, targets=intake_targets, seconds=2, limit=200, concurrency=concurrency, first=10_000_000)  # warm-up
    for _ in range(rounds):
        for kind, targets in (("bare", bare_targets), ("intake", intake_targets)):
            result = drive(port, targets=targets, seconds=seconds, limit=limit, concurrency=concurrency, first=first)
            first += limit + 1
            total = totals[kind]
            total["requests"] += result["requests"]
            total["seconds"] += result["seconds"]
            total["statuses"].update(result["statuses"])
            total["p50"].append(result["p50_ms"])
            total["p95"].append(result["p95_ms"])
    for total in totals.values():
        ok = total["statuses"].get("302", 0)
        total["rate"] = ok / total["seconds"] if total["seconds"] else 0.0
    return totals
