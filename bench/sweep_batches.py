"""A few sweep batches timed on the rows the bench left (`BENCH_REUSE=1` keeps them):
`python -m bench.sweep_batches 4` with the bench's environment. Run from a copy of another commit, it
times that commit's sweep on the same rows, for a side-by-side comparison."""

from __future__ import annotations

import os
import statistics
import sys
import time

from . import __main__ as bench  # noqa: F401 (the bench's environment and django.setup())


def main(batches: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dsr.requests.sweeps import BATCH_SIZE, sweep_deadlines

    from .sweep import due_count, reset_due

    now = timezone.now()
    reset_due(now=now)
    print(f"due {due_count(now):,}", flush=True)
    times, cpu = [], []
    for _ in range(batches):
        start, start_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            handled = sweep_deadlines(now=now, batch=BATCH_SIZE)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)  # this process only: less sensitive to others' load
        print(
            f"batch of {handled}: {times[-1]:.0f} ms, of which {cpu[-1]:.0f} ms CPU in this process, "
            f"{len(queries)} SQL statements",
            flush=True,
        )
    load = os.getloadavg()
    print(
        f"batch p50 {statistics.median(times):.0f} ms (CPU in this process p50 {statistics.median(cpu):.0f} ms), "
        f"max {max(times):.0f} ms over {len(times)} batches; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
