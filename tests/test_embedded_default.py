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


def test_concurrent_filing_on_the_embedded_default_never_fails_with_database_is_locked(tmp_path: Path) -> None:
    env = {"DSR_VAR_DIR": str(tmp_path)}
    for command in (("migrate", "--no-input"), ("load_policies",)):
        result = run(env, *command)
        assert result.returncode == 0, result.stderr
    result = run(env, "shell", "-c", SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "ERRORS 0" in result.stdout, result.stdout
    assert "ROUTED 32" in result.stdout, result.stdout
