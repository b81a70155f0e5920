"""Where the time goes: `python -m bench.profile` after `make bench` (same environment variables), on the
rows the bench left in its database. For a form POST beside the bare view (SQL statements, the app's
own time) and for one sweep batch (SQL statements per row, the claim query's plan, cProfile's top)."""

from __future__ import annotations

import cProfile
import os
import pstats
import time

from . import __main__ as bench  # noqa: F401 (the bench's environment and django.setup())

ROUNDS = int(os.environ.get("BENCH_PROFILE_ROUNDS", "50"))


def intake() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from .people import forms_for_all_vendors

    forms = forms_for_all_vendors()
    client = Client(HTTP_X_FORWARDED_FOR="10.9.9.9")
    for label, path_and_form in (
        ("bare view", lambda n, f: ("/bench/bare/", {**f["form"], "vendor": f["slug"]})),
        ("intake", lambda n, f: (f["path"], f["form"])),
    ):
        profile = cProfile.Profile()
        statements = 0
        began = time.perf_counter()
        for n in range(ROUNDS):
            spec = forms[n % len(forms)]
            path, form = path_and_form(n, spec)
            with CaptureQueriesContext(connection) as queries:
                profile.enable()
                response = client.post(
                    path,
                    {**form, "email": f"prof{n}-{label[0]}@example.com"},
                    HTTP_X_FORWARDED_FOR=f"10.8.{n // 250}.{n % 250}",
                )
                profile.disable()
            assert response.status_code == 302, (path, response.status_code)
            statements += len(queries)
        took = (time.perf_counter() - began) / ROUNDS * 1000
        print(f"\n{label}: {took:.1f} ms per POST in-process, {statements / ROUNDS:.1f} SQL statements per POST")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


def sweep() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dsr.requests.sweeps import BATCH_SIZE, sweep_deadlines

    from .sweep import reset_due

    now = timezone.now()
    reset_due(now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM dsr_assignment WHERE status = 'open' AND next_action_at <= %s "
            "ORDER BY next_action_at LIMIT %s FOR UPDATE SKIP LOCKED",
            [now, BATCH_SIZE],
        )
        print("\n".join(row[0] for row in cursor.fetchall()))
    with CaptureQueriesContext(connection) as queries:
        profile = cProfile.Profile()
        profile.enable()
        handled = sweep_deadlines(now=now, batch=BATCH_SIZE)
        profile.disable()
    print(f"\nsweep: {handled} rows, {len(queries)} SQL statements ({len(queries) / max(handled, 1):.1f} per row)")
    pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(35)


if __name__ == "__main__":
    for part in os.environ.get("BENCH_PROFILE", "intake,sweep").split(","):
        {"intake": intake, "sweep": sweep}[part]()
