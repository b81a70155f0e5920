"""Figure 3: the deadline sweep at growing numbers of open requests, 1% of their assignments due.

The rows are made fast with SQL: one request per vendor goes through the real intake, verification and
routing; then INSERT ... SELECT generate_series copies those requests and their assignments.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from django.db import connection, models, transaction

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.intake import Submission, submit_request, verify_email
from dsr.requests.sweeps import BATCH_SIZE, sweep_deadlines

PREFIX = "BEN-"


def templates(forms: list[dict[str, Any]], *, now: dt.datetime) -> list[int]:
    """One routed request per vendor, through the real services (received ten days ago)."""
    ids = []
    received = now - dt.timedelta(days=10)
    for n, spec in enumerate(forms):
        form = spec["form"]
        submission = Submission(
            vendor_slug=spec["slug"],
            request_type=form["request_type"],
            relationships=[form["relationship"]],
            country=form["country"],
            state=form["state"],
            subject_name=form["subject_name"],
            email=f"template{n}.{now:%Y%m%d%H%M%S}@example.com",  # never a duplicate of an earlier run's
            details=form["details"],
        )
        request = submit_request(submission, now=received)
        verify_email(request.reference, now=received)
        ids.append(workflow.route_request(request.pk, now=received).pk)
    return ids


def _columns(model: Any, *skip: str) -> list[str]:
    """The columns to copy: not the id, not the given ones, not generated ones (the database computes them)."""
    return [
        f.column
        for f in model._meta.concrete_fields
        if f.column not in ("id", *skip) and not isinstance(f, models.GeneratedField)
    ]


def grow(template_ids: list[int], *, start: int, stop: int, now: dt.datetime) -> None:
    """Copies number start..stop-1: requests (vendors in turn) and their assignments; 1% of them due
    (a third of those already overdue: escalations; the rest two days from due: reminders)."""
    values = ", ".join(f"({i}, {pk})" for i, pk in enumerate(template_ids))
    k = len(template_ids)
    req_cols = _columns(Request, "reference", "received_at")
    asg_cols = _columns(Assignment, "request_id", "next_action_at", "due_at", "reminders_sent", "escalated_at")
    ref = f"'{PREFIX}' || lpad(g::text, 9, '0')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH t(idx, id) AS (VALUES {values})
            INSERT INTO dsr_request ({", ".join(req_cols)}, reference, received_at)
            SELECT {", ".join("r." + c for c in req_cols)}, {ref}, r.received_at - g * interval '1 minute'
            FROM generate_series(%s, %s) g JOIN t ON t.idx = g %% {k} JOIN dsr_request r ON r.id = t.id""",  # noqa: S608 (model columns and numbers only)
            [start, stop - 1],
        )
        cursor.execute(
            f"""WITH t(idx, id) AS (VALUES {values})
            INSERT INTO dsr_assignment
                ({", ".join(asg_cols)}, request_id, next_action_at, due_at, reminders_sent, escalated_at)
            SELECT {", ".join("a." + c for c in asg_cols)}, nr.id,
                CASE WHEN g %% 100 = 0 THEN %s::timestamptz - interval '1 minute'
                     ELSE %s::timestamptz + interval '30 days' END,
                CASE WHEN g %% 300 = 0 THEN %s::timestamptz - interval '1 day'
                     WHEN g %% 100 = 0 THEN %s::timestamptz + interval '1 day'
                     ELSE %s::timestamptz + interval '40 days' END,
                '[]'::jsonb, NULL
            FROM generate_series(%s, %s) g JOIN t ON t.idx = g %% {k}
            JOIN dsr_request nr ON nr.reference = {ref}
            JOIN dsr_assignment a ON a.request_id = t.id""",  # noqa: S608 (model columns and numbers only)
            [now, now, now, now, now, start, stop - 1],
        )
        cursor.execute("ANALYZE dsr_request")
        cursor.execute("ANALYZE dsr_assignment")


def copies() -> int:
    """How many copies `grow` made in this database (a reused one keeps them)."""
    return Request.objects.filter(reference__startswith=PREFIX).count()


def reset_due(*, now: dt.datetime) -> None:
    """What an earlier sweep handled is due again, with its emails and events gone (so it costs the same)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE dsr_assignment SET next_action_at = %s::timestamptz - interval '1 minute',
                   reminders_sent = '[]'::jsonb, escalated_at = NULL
               WHERE escalated_at IS NOT NULL OR reminders_sent <> '[]'::jsonb""",
            [now],
        )
    OutgoingEmail.objects.filter(kind__in=["reminder", "escalation"]).delete()
    with transaction.atomic(), connection.cursor() as cursor:
        # The bench's own database: its sweep's events are removed around the audit trail's append-only
        # trigger (which refuses any DELETE), in one transaction, so the trigger is never left off. The
        # deferred foreign-key checks the DELETE queues run at once, else the table cannot be altered back.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE dsr_event DISABLE TRIGGER dsr_event_append_only")
        cursor.execute("DELETE FROM dsr_event WHERE kind IN ('reminder', 'escalated')")
        cursor.execute("ALTER TABLE dsr_event ENABLE TRIGGER dsr_event_append_only")


def counts() -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM dsr_request "
            "WHERE status IN ('verified', 'in_progress', 'awaiting_subject', 'awaiting_approval')"
        )
        open_requests = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM dsr_assignment WHERE status = 'open'")
        open_assignments = cursor.fetchone()[0]
    return open_requests, open_assignments, due_count(time_now())


def time_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def due_count(now: dt.datetime) -> int:
    return Assignment.objects.filter(status=Assignment.Status.OPEN, next_action_at__lte=now).count()


def drain(*, now: dt.datetime) -> dict[str, Any]:
    """Sweep until nothing is due: each call's time, the total, and what is left due."""
    times, handled = [], 0
    began = time.perf_counter()
    while True:
        start = time.perf_counter()
        count = sweep_deadlines(now=now, batch=BATCH_SIZE)
        times.append((time.perf_counter() - start) * 1000)
        handled += count
        if count < BATCH_SIZE:
            break
    total = time.perf_counter() - began
    full = times[:-1] or times
    return {
        "batches": len(times),
        "handled": handled,
        "batch_p50_ms": statistics.median(full),
        "batch_max_ms": max(full),
        "drain_s": total,
        "left_due": due_count(now),
    }
