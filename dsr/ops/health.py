"""Is the product working? The database answers, the broker answers, and beat and each queue's workers
ran recently (beat sends a heartbeat task to every queue each minute; the worker that runs it records
it). `/health/` answers 200 when all hold, 503 naming what does not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection

from .. import jobs
from ..models import Heartbeat

# A heartbeat older than this means beat or that queue's workers stopped.
STALE_AFTER = dt.timedelta(minutes=3)


def record_heartbeat(name: str, *, now: dt.datetime) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure is a failed check
        return {"ok": False, "error": type(exc).__name__}


def _broker() -> dict[str, Any]:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure is a failed check
        return {"ok": False, "error": type(exc).__name__}


def report(*, now: dt.datetime) -> dict[str, Any]:
    """Every check with its result, and `ok` overall."""
    checks: dict[str, dict[str, Any]] = {"database": _database(), "broker": _broker()}
    if checks["database"]["ok"]:
        seen = dict(Heartbeat.objects.values_list("name", "at"))
        stale_after = dt.timedelta(seconds=int(getattr(settings, "DSR_HEARTBEAT_STALE_SECONDS", 0))) or STALE_AFTER
        for queue in jobs.QUEUES:
            at = seen.get(f"worker:{queue}")
            age = (now - at).total_seconds() if at else None
            checks[f"worker:{queue}"] = {
                "ok": age is not None and age <= stale_after.total_seconds(),
                "last": at.isoformat() if at else None,
                "age_seconds": round(age) if age is not None else None,
            }
    return {"ok": all(check["ok"] for check in checks.values()), "checks": checks}
