"""The embedded default (SQLite, no environment) survives a handful of people clicking at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.test_settings import run

# Eight people file and confirm requests at the same moment, each in their own thread and connection,
# as web, worker and beat processes share the one SQLite file.
SCRIPT = textwrap.dedent(
    """
    import datetime as dt, threading, traceback
    from django.db import connection
    from django.utils import timezone
    from dsr.requests.intake import Submission, submit_request, verify_email
    from dsr.requests import workflow
    errors = []
    barrier = threading.Barrier(8)
    def person(i):
        try:
            barrier.wait()
            for j in range(4):
                now = timezone.now()
                filed = submit_request(Submission(vendor_slug="leadsment", request_type="access",
                    relationships=["account_user"], country="FI", state="", subject_name=f"P {i}",
                    email=f"p{i}.{j}@example.com"), now=now)
                verified = verify_email(filed.reference, now=now)
                workflow.route_request(verified.pk, now=now)
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            connection.close()
    threads = [threading.Thread(target=person, args=(i,)) for i in range(8)]
    [t.start() for t in threads]; [t.join() for t in threads]
    from dsr.models import Request
    print("ERRORS", len(errors)); print(errors[:1])
    print("ROUTED", Request.objects.filter(status="in_progress").count())
    """
)


def migrated_default(tmp_path: Path) -> dict[str, str]:
    """The embedded default's environment, in `tmp_path`: its database migrated and the policies loaded."""
    env = {"DSR_VAR_DIR": str(tmp_path)}
    for command in (("migrate", "--no-input"), ("load_policies",)):
        result = run(env, *command)
        assert result.returncode == 0, result.stderr
    return env


def test_concurrent_filing_on_the_embedded_default_never_fails_with_database_is_locked(tmp_path: Path) -> None:
    env = migrated_default(tmp_path)
    result = run(env, "shell", "-c", SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "ERRORS 0" in result.stdout, result.stdout
    assert "ROUTED 32" in result.stdout, result.stdout


# Routed requests, then the deadline sweep when their first reminders are due and again once they are
# overdue: the batch's bulk writes (events, emails, the assignments' next look) run on SQLite too.
SWEEP = textwrap.dedent(
    """
    import datetime as dt
    from django.utils import timezone
    from dsr.models import Assignment, Event
    from dsr.requests import workflow
    from dsr.requests.intake import Submission, submit_request, verify_email
    from dsr.requests.sweeps import sweep_deadlines
    now = timezone.now()
    for i in range(3):
        filed = submit_request(Submission(vendor_slug="sera-leads", request_type="access",
            relationships=["website_visitor"], country="EE", state="", subject_name=f"P {i}",
            email=f"s{i}@example.com"), now=now)
        workflow.route_request(verify_email(filed.reference, now=now).pk, now=now)
    due = min(Assignment.objects.values_list("due_at", flat=True))
    print("REMINDED", sweep_deadlines(now=due - dt.timedelta(days=7)))
    print("SENT", sorted({tuple(r) for r in Assignment.objects.values_list("reminders_sent", flat=True)}))
    print("NEXT", {a.next_action_at == a.due_at - dt.timedelta(days=2) for a in Assignment.objects.all()})
    print("ESCALATED", sweep_deadlines(now=due + dt.timedelta(days=1)))
    print("LEFT", Assignment.objects.filter(next_action_at__isnull=False).count())
    print("EVENTS", sorted(Event.objects.filter(kind__in=["reminder", "escalated"]).values_list("kind", flat=True)))
    """
)


def test_the_deadline_sweep_reminds_and_escalates_on_the_embedded_default(tmp_path: Path) -> None:
    env = migrated_default(tmp_path)
    result = run(env, "shell", "-c", SWEEP)
    assert result.returncode == 0, result.stderr
    assert "REMINDED 3" in result.stdout, result.stdout
    assert "SENT [(7,)]" in result.stdout and "NEXT {True}" in result.stdout, result.stdout  # the 2-day reminder
    assert "ESCALATED 3" in result.stdout and "LEFT 0" in result.stdout, result.stdout
    assert "EVENTS " + str(["escalated"] * 3 + ["reminder"] * 3) in result.stdout, result.stdout
