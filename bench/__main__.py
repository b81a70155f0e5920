"""Benchmarks: `make bench` prints each figure with its setup, against the targets of issue #8.
Nothing here is a pass/fail test, and none of it runs in `make test`.

Runs on PostgreSQL and Redis: its own database (recreated, migrated and loaded with the policies by the
bench; the name must contain "bench") and its own Redis db number. Sizes are environment variables:

    BENCH_SCALE=quick|full      quick (default): the sweep at 10k and 100k, the pages at 100k;
                                full: also 1M (the sweep and the pages at 1M; ~15 minutes more)
    BENCH_SWEEP_SIZES=10000,... the sweep's sizes in open requests (overrides BENCH_SCALE)
    BENCH_INTAKE_ROUNDS=3       alternating rounds of bare view / intake
    BENCH_INTAKE_SECONDS=5      seconds per round and kind (at most BENCH_INTAKE_MAX requests)
    BENCH_INTAKE_MAX=5000
    BENCH_INTAKE_CONCURRENCY=8  load generator threads (a second process on loopback)
    BENCH_FLOW_RATE=20          submissions per second, across every vendor's form
    BENCH_FLOW_SECONDS=20       how long (60 for the issue's minute)
    BENCH_FLOW_SETTLE=60        seconds without progress before the flow's counts are taken
    BENCH_PAGE_RUNS=7           timed runs per page (median), after a warm-up of 2 per web worker
    BENCH_API_REQUESTS=10000    requests filed through the API's batch call (1,000 per call)
    BENCH_API_CONCURRENCY=2     batch calls at once
    BENCH_API_ROUTE_WAIT=300    at most this many seconds after the calls for the workers to route them
    BENCH_ONLY=cores,intake,api,flow,sweep,pages   a subset of the figures
    BENCH_REUSE=1               keep the database if it exists (migrated, policies loaded again) and the
                                sweep's rows already made: build the 1M rows once, measure them many times
                                (sizes below what the database holds are skipped)
    WEB_CONCURRENCY=4           gunicorn workers (config/gunicorn.py)
    DSR_WORKER_CONCURRENCY_PERSON/_WORK/_BULK/_PERIODIC=2/2/1/1   Celery processes per queue (as bin/serve;
                                                        the bulk worker at nice 10, DSR_WORKER_NICE_BULK)
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from .procs import (
    ROOT,
    celery_workers,
    children,
    database_exists,
    flush_redis,
    free_port,
    gunicorn,
    peak_rss_mib,
    recreate_database,
    shared_and_private_mib,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dsr_bench")
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
SCALE = os.environ.get("BENCH_SCALE", "quick")
SIZES = [
    int(s)
    for s in os.environ.get("BENCH_SWEEP_SIZES", "10000,100000,1000000" if SCALE == "full" else "10000,100000").split(
        ","
    )
]
INTAKE_ROUNDS = int(os.environ.get("BENCH_INTAKE_ROUNDS", "3"))
INTAKE_SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "5"))
INTAKE_MAX = int(os.environ.get("BENCH_INTAKE_MAX", "5000"))
INTAKE_CONCURRENCY = int(os.environ.get("BENCH_INTAKE_CONCURRENCY", "8"))
FLOW_RATE = float(os.environ.get("BENCH_FLOW_RATE", "20"))
FLOW_SECONDS = float(os.environ.get("BENCH_FLOW_SECONDS", "20"))
FLOW_SETTLE = float(os.environ.get("BENCH_FLOW_SETTLE", "60"))
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "7"))
REUSE = os.environ.get("BENCH_REUSE") == "1"
ONLY = set(os.environ.get("BENCH_ONLY", "cores,intake,api,flow,sweep,pages").split(","))
API_REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "10000"))
API_CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "2"))
API_ROUTE_WAIT = float(os.environ.get("BENCH_API_ROUTE_WAIT", "300"))
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", "4"))
CONCURRENCY = {
    "person": int(os.environ.get("DSR_WORKER_CONCURRENCY_PERSON", "2")),
    "work": int(os.environ.get("DSR_WORKER_CONCURRENCY_WORK", "2")),
    "bulk": int(os.environ.get("DSR_WORKER_CONCURRENCY_BULK", "1")),
    "periodic": int(os.environ.get("DSR_WORKER_CONCURRENCY_PERIODIC", "1")),
}
VAR = ROOT / "var" / "bench"
WEB_PORT, SMTP_PORT = free_port(), free_port()

# One environment for this process, gunicorn and the workers: production mode (DEBUG off, JSON logs).
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DSR_", "EMAIL_"))},
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": REDIS_URL,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
    "DSR_VAR_DIR": str(VAR),
    "DSR_SITE_URL": f"http://127.0.0.1:{WEB_PORT}",
    "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "WEB_CONCURRENCY": str(WEB_WORKERS),
    # A batch call of 1,000 requests outlasts gunicorn's default 30 s on this machine (docs/benchmarks.md).
    "GUNICORN_TIMEOUT": os.environ.get("GUNICORN_TIMEOUT", "600"),
    "GUNICORN_ACCESS_LOG": str(VAR / "access.log"),
    **{f"DSR_WORKER_CONCURRENCY_{q.upper()}": str(n) for q, n in CONCURRENCY.items()},
}
os.environ.update(ENV)
VAR.mkdir(parents=True, exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from dsr.models import OutgoingEmail, Request  # noqa: E402

from . import api, cores, cpu, flow, intake, pages, people, sweep  # noqa: E402

RESULTS: list[tuple[str, str, str, bool]] = []  # figure, value, target, met


def verdict(figure: str, value: str, target: str, met: bool) -> None:
    RESULTS.append((figure, value, target, met))
    print(f"  -> {figure}: {value}; target {target}: {'meets' if met else 'MISSES'}", flush=True)


def machine() -> str:
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    redis_version = str(redis.Redis.from_url(REDIS_URL).info("server")["redis_version"])
    load = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} cores (nproc) {cpu}, RAM {int(mem.split()[1]) // 1024} MiB; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start (shared machine)\n"
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}; PostgreSQL {pg}; "
        f"Redis {redis_version}\n"
        f"database: {DATABASE_URL} ({'reused' if REUSE else 'recreated'}); broker: {REDIS_URL} (flushed)\n"
        f"web: gunicorn config/gunicorn.py, {WEB_WORKERS} sync workers; Celery workers per queue: {CONCURRENCY}"
    )


def memory_words(figures: list[tuple[float, float]]) -> str:
    return ", ".join(f"PSS {pss:.1f} / USS {uss:.1f} MiB" for pss, uss in figures)


def run_cores() -> None:
    print("\n[engine] pure cores, 2000 calls each, in this process", flush=True)
    for name, p50, p95, target in cores.run():
        verdict(name, f"p50 {p50:.3f} ms, p95 {p95:.3f} ms", f"p95 <= {target} ms", p95 <= target)


def run_intake(forms: list[dict[str, Any]]) -> None:
    print(
        f"\n[intake] POST through gunicorn ({WEB_WORKERS} sync workers) on 127.0.0.1, load generator a second "
        f"process with {INTAKE_CONCURRENCY} threads; {INTAKE_ROUNDS} alternating rounds of {INTAKE_SECONDS:g} s "
        f"per kind (at most {INTAKE_MAX} requests each); all five vendors' forms; no Celery worker running",
        flush=True,
    )
    totals = intake.compare(
        WEB_PORT,
        forms,
        rounds=INTAKE_ROUNDS,
        seconds=INTAKE_SECONDS,
        concurrency=INTAKE_CONCURRENCY,
        limit=INTAKE_MAX,
    )
    for kind, label in (("bare", "bare view (3 rows, 1 transaction)"), ("intake", "intake (the real form)")):
        t = totals[kind]
        print(
            f"  {label:36s} {t['rate']:7.1f} requests/s  ({t['requests']} in {t['seconds']:.1f} s; "
            f"answers {dict(t['statuses'])}; latency p50 {min(t['p50']):.0f}-{max(t['p50']):.0f} ms)",
            flush=True,
        )
    ratio = totals["intake"]["rate"] / totals["bare"]["rate"] if totals["bare"]["rate"] else 0.0
    verdict(
        "intake / bare view",
        f"{totals['intake']['rate']:.1f} / {totals['bare']['rate']:.1f} requests/s = {ratio:.2f}",
        ">= 0.5",
        ratio >= 0.5,
    )
    errors = sum(v for k, v in totals["intake"]["statuses"].items() if k != "302")
    verdict("intake answers other than 302", str(errors), "0", errors == 0)


def run_api(forms: list[dict[str, Any]], web: Any) -> None:
    print(
        f"\n[api] {API_REQUESTS} requests through POST /api/v1/requests/batch/ (1,000 per call, {API_CONCURRENCY} "
        f"calls at once) to gunicorn ({WEB_WORKERS} sync workers); each stored, accepted on the agent client's "
        f"attested authority, deadlines set, acknowledgement queued and routing queued; Celery workers {CONCURRENCY} "
        "route them and send the emails to an SMTP server on loopback (aiosmtpd, counting only)",
        flush=True,
    )
    flush_redis(REDIS_URL)
    with (
        flow.SmtpServer(SMTP_PORT, api.Sink()) as sink,
        celery_workers(ENV, CONCURRENCY, VAR / "celery.log") as workers,
    ):
        time.sleep(3)  # the workers connect
        roots = {"web": web.pid, **{f"worker {q}": pid for q, pid in workers.items()}, "bench": os.getpid()}
        with cpu.metered(roots, {"postgres": "database", "redis-server": "redis"}) as meter:
            result = api.run(WEB_PORT, forms, count=API_REQUESTS, concurrency=API_CONCURRENCY)
            filing_cpu = meter.totals()
            rate = result["created"] / result["accepted_seconds"]
            print(
                f"  filed {result['created']} ({result['failed']} refused) in {result['accepted_seconds']:.1f} s; "
                f"stored {result['stored']}, authority recorded on {result['authority']}; load average "
                f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
                flush=True,
            )
            print(f"  {cpu.describe(filing_cpu, requests=result['created'], seconds=result['accepted_seconds'])}")
            verdict("API batch: requests stored and accepted per second", f"{rate:.0f}/s", ">= 500/s", rate >= 500)
            routed, seconds = api.wait_routed(result, most=API_ROUTE_WAIT)
            routed_cpu = meter.totals()
            routed_rate = routed / seconds
            print(f"  {cpu.describe(routed_cpu, requests=result['created'], seconds=seconds)}")
            print(
                f"  emails of these requests when the last was routed: {api.emails_by_status(result)}; "
                f"{sink.received} received by the SMTP server",
                flush=True,
            )
            sent, emails, mailed = api.wait_mailed(result, sink, most=API_ROUTE_WAIT)
            mail_cpu = cpu.describe(meter.totals(), requests=result["created"], seconds=mailed)
            print(
                f"  then the mail: {sent} of {emails} emails sent {mailed:.1f} s after the first call "
                f"({sink.received} received by the SMTP server); {mail_cpu}",
                flush=True,
            )
        verdict(
            "API batch: stored, accepted and routed, per second (first call to last routed)",
            f"{routed_rate:.0f}/s ({routed} of {result['created']} routed in {seconds:.1f} s)",
            ">= 500/s",
            routed_rate >= 500 and routed == result["created"],
        )


def run_flow(forms: list[dict[str, Any]]) -> None:
    print(
        f"\n[flow] verification -> acknowledgement: {FLOW_RATE:g} submissions/s for {FLOW_SECONDS:g} s across "
        f"{len(forms)} vendors, real form and link through gunicorn ({WEB_WORKERS} workers), Celery workers "
        f"{CONCURRENCY} on Redis, aiosmtpd on 127.0.0.1",
        flush=True,
    )
    flush_redis(REDIS_URL)
    since = timezone.now()
    mine = OutgoingEmail.objects.filter(created_at__gte=since)
    backlog = mine.filter(status__in=["queued", "sending", "awaiting_retry"])
    unrouted = Request.objects.filter(received_at__gte=since, status="verified")
    with flow.SmtpServer(SMTP_PORT) as mailbox:
        with celery_workers(ENV, CONCURRENCY, VAR / "celery.log") as workers:
            time.sleep(3)  # the workers connect
            result = flow.run(WEB_PORT, mailbox, forms, rate=FLOW_RATE, seconds=FLOW_SECONDS, settle=FLOW_SETTLE)
            # Settle: the workers drain what is queued (routing, responders' mail) for as long as they make
            # progress; the run stops after BENCH_FLOW_SETTLE seconds without any.
            settling = time.monotonic()
            last, last_change = -1, time.monotonic()
            while (backlog.exists() or unrouted.exists()) and time.monotonic() - last_change < FLOW_SETTLE:
                sent = mine.filter(status="sent").count()
                if sent != last:
                    last, last_change = sent, time.monotonic()
                time.sleep(1)
            settled_in = time.monotonic() - settling
            peaks = {q: max(peak_rss_mib(p) for p in [pid, *children(pid)]) for q, pid in workers.items()}
            shares = {q: [shared_and_private_mib(p) for p in [pid, *children(pid)]] for q, pid in workers.items()}
        time.sleep(1)  # the workers have stopped: what they sent has arrived
        arrivals = Counter(key for key, _ in mailbox.arrivals)
        keys = {k.replace(":", "."): s for k, s in mine.values_list("key", "status")}
        unrouted_count = unrouted.count()
    print(
        f"  submitted {result['submitted']} in {result['submitted_in']:.1f} s; "
        f"form answers {result['submit_statuses']}; confirmation clicks {result['click_statuses']}",
        flush=True,
    )
    verdict(
        "confirmation click -> acknowledgement at SMTP",
        f"p50 {result['p50']:.2f} s, p95 {result['p95']:.2f} s, max {result['max']:.2f} s "
        f"({result['acknowledged']} of {result['clicked']} clicks)",
        "p95 < 2 s",
        result["p95"] < 2.0,
    )
    errors = result["submit_statuses"].get(500, 0) + result["click_statuses"].get(500, 0)
    verdict("HTTP 500s (form and link)", str(errors), "0", errors == 0)
    print(f"  after the last click the workers needed {settled_in:.0f} s more to drain the queues", flush=True)
    verdict("verified requests left unrouted after settling", str(unrouted_count), "0", unrouted_count == 0)
    # Lost: the outbox says sent (or failed for good) but the SMTP server never saw it; still queued
    # when the run stopped is counted apart (late, not lost); doubled: one outbox key received twice.
    lost = [k for k, status in keys.items() if status in ("sent", "failed") and k not in arrivals]
    waiting = [k for k, status in keys.items() if status not in ("sent", "failed")]
    doubled = [k for k, n in arrivals.items() if n > 1]
    print(
        f"  outbox rows {len(keys)} by status {dict(Counter(keys.values()))}; "
        f"messages received {sum(arrivals.values())}; still unsent when the run stopped {len(waiting)}"
    )
    verdict("emails lost / doubled", f"{len(lost)} / {len(doubled)}", "0 / 0", not lost and not doubled)
    verdict("emails still unsent after settling", str(len(waiting)), "0", not waiting)
    for queue, peak in peaks.items():
        verdict(f"peak RSS, Celery worker ({queue} queue, largest process)", f"{peak:.1f} MiB", "<= 70 MiB", peak <= 70)
        print(f"     {queue} queue now, main then pool processes: {memory_words(shares[queue])}", flush=True)
    flush_redis(REDIS_URL)


def run_sweep(forms: list[dict[str, Any]]) -> None:
    print(
        f"\n[sweep] dsr.requests.sweeps.sweep_deadlines in this process, batches of {sweep.BATCH_SIZE}, at "
        f"{', '.join(f'{s:,}' for s in SIZES)} open requests (vendors in turn, copied with SQL from routed ones); "
        "1% due (a third overdue: escalations; the rest reminders); emails queued to Redis, no worker",
        flush=True,
    )
    now = timezone.now()
    ids: list[int] = []
    made = sweep.copies() if REUSE else 0
    first: tuple[int, dict[str, Any]] | None = None
    for size in SIZES:
        began = time.perf_counter()
        if size < made:
            print(f"  {size:>9,}: skipped: the reused database holds {made:,} copies", flush=True)
            continue
        if size > made:
            ids = ids or sweep.templates(forms, now=now)
            sweep.grow(ids, start=made + 1, stop=size + 1, now=now)
            made = size
        sweep.reset_due(now=now)
        open_requests, open_assignments, due = sweep.counts()
        print(
            f"  {size:>9,}: built in {time.perf_counter() - began:.0f} s: {open_requests:,} open requests, "
            f"{open_assignments:,} open assignments, {due:,} due",
            flush=True,
        )
        result = sweep.drain(now=now)
        print(
            f"  {size:>9,}: {result['handled']:,} handled in {result['batches']} batches: batch p50 "
            f"{result['batch_p50_ms']:.0f} ms, max {result['batch_max_ms']:.0f} ms; drained in "
            f"{result['drain_s']:.1f} s; left due {result['left_due']}",
            flush=True,
        )
        first = first or (size, result)
        if size == SIZES[-1]:
            verdict(
                f"sweep per batch at {size:,}",
                f"p50 {result['batch_p50_ms']:.0f} ms",
                "< 100 ms",
                result["batch_p50_ms"] < 100,
            )
            small, smallest = first
            if small != size:  # the cost per due row (the larger size has as many more due rows)
                ratio = result["drain_s"] / (smallest["drain_s"] * size / small)
                per_row = [r["drain_s"] / r["handled"] * 1000 for r in (smallest, result)]
                verdict(
                    f"sweep cost per due row, {size:,} vs {small:,}",
                    f"{per_row[1]:.2f} ms vs {per_row[0]:.2f} ms ({ratio:.2f}x)",
                    "<= 2x",
                    ratio <= 2,
                )
            verdict("due rows left after draining", str(result["left_due"]), "0", result["left_due"] == 0)
    flush_redis(REDIS_URL)


def run_pages(web: Any) -> None:
    total = Request.objects.count()
    # A request the team may see: the newest copy of that vendor's routed request (else any of its requests).
    mine = Request.objects.filter(vendor__slug="leadsment").order_by("-id")
    sample = mine.filter(reference__startswith=sweep.PREFIX).values_list("pk", flat=True).first()
    sample = sample or mine.values_list("pk", flat=True).first()
    print(
        f"\n[pages] through gunicorn ({WEB_WORKERS} workers), one client, {total:,} requests in the database; "
        f"median of {PAGE_RUNS} runs after {2 * WEB_WORKERS} warm-up requests",
        flush=True,
    )
    cookies = pages.users("leadsment")
    for who, cookie in cookies.items():
        for label, path in (
            ("request list", "/admin/dsr/request/"),
            ("request page", f"/admin/dsr/request/{sample}/change/"),
        ):
            m = pages.measure(WEB_PORT, path, cookie, warmup=2 * WEB_WORKERS, runs=PAGE_RUNS)
            verdict(
                f"{label}, {who}, {total:,} requests",
                f"median {m['median_ms']:.0f} ms (min {m['min_ms']:.0f}, max {m['max_ms']:.0f}; {m['bytes']:,} bytes)",
                "< 300 ms",
                m["median_ms"] < 300,
            )


def main() -> None:
    print(f"Benchmarks (make bench; BENCH_SCALE={SCALE})", flush=True)
    if not (REUSE and database_exists(DATABASE_URL)):
        recreate_database(DATABASE_URL)
    flush_redis(REDIS_URL)
    call_command("migrate", verbosity=0)
    call_command("load_policies", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(machine(), flush=True)
    if "cores" in ONLY:
        run_cores()
    forms = people.forms_for_all_vendors()
    with gunicorn(ENV, WEB_PORT, VAR / "gunicorn.log") as web:
        if "intake" in ONLY:
            run_intake(forms)
            flush_redis(REDIS_URL)
        if "api" in ONLY:
            run_api(forms, web)
        if "flow" in ONLY:
            run_flow(forms)
        if "sweep" in ONLY:
            run_sweep(forms)
        if "pages" in ONLY:
            run_pages(web)
        workers = children(web.pid)
        if workers:
            peak = max(peak_rss_mib(pid) for pid in workers)
            verdict("peak RSS, gunicorn web worker (largest of them)", f"{peak:.1f} MiB", "<= 70 MiB", peak <= 70)
            print(
                f"     gunicorn now, master then workers: {memory_words([shared_and_private_mib(web.pid)])}; "
                f"{memory_words([shared_and_private_mib(pid) for pid in workers])}",
                flush=True,
            )
    missed = [r for r in RESULTS if not r[3]]
    print(f"\nSummary: {len(RESULTS) - len(missed)} of {len(RESULTS)} figures meet their targets.")
    for figure, value, target, _ in missed:
        print(f"  MISSES {figure}: {value} (target {target})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
