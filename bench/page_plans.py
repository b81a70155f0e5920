"""The plans of the queries the staff pages make: `python -m bench.page_plans` with the bench's environment,
on the rows the bench left (`BENCH_REUSE=1`, e.g. the 1M requests). For the request list and a request's
page, as a superuser and as one team's member, it captures each SQL statement the page runs (through
Django's test client) and prints its time and EXPLAIN (ANALYZE, BUFFERS)."""

from __future__ import annotations

import os
import re
import sys

from . import __main__ as bench  # noqa: F401 (the bench's environment and django.setup())

SLOW_MS = float(os.environ.get("BENCH_PLAN_MS", "0"))  # only statements at least this slow


def main(team_vendor: str = "leadsment") -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dsr.models import Request

    from . import pages, sweep

    mine = Request.objects.filter(vendor__slug=team_vendor).order_by("-id")
    sample = mine.filter(reference__startswith=sweep.PREFIX).values_list("pk", flat=True).first()
    for who, cookie in pages.users(team_vendor).items():
        client = Client()
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
        for label, path in (
            ("request list", "/admin/dsr/request/"),
            ("request page", f"/admin/dsr/request/{sample}/change/"),
        ):
            client.get(path)  # warm: caches, the plans' buffers
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            total = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            print(f"\n## {label}, {who}: {len(queries)} statements, {total:.0f} ms in the database\n", flush=True)
            for q in queries.captured_queries:
                sql = q["sql"]
                if float(q["time"]) * 1000 < SLOW_MS or not re.match(r"\s*SELECT", sql, re.I):
                    continue
                print(f"-- {float(q['time']) * 1000:.1f} ms: {sql[:300]}{'...' if len(sql) > 300 else ''}")
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print("\n".join("   " + row[0] for row in cursor.fetchall()), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
