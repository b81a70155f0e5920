"""`/health/`: 200 when the database and broker answer and every queue's worker ran recently; 503 naming
what failed, so a load balancer or the on-call sees a stopped worker or a stopped beat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dsr import jobs
from dsr.ops import health
from dsr.ops.logcontext import ContextFilter, request_id

pytestmark = pytest.mark.django_db


def beat_ran(*, ago: dt.timedelta, queues: tuple[str, ...] = jobs.QUEUES) -> None:
    for queue in queues:
        health.record_heartbeat(f"worker:{queue}", now=timezone.now() - ago)


def test_healthy_when_every_queue_has_a_recent_heartbeat() -> None:
    beat_ran(ago=dt.timedelta(seconds=30))
    response = Client().get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert {"database", "broker", "worker:person", "worker:work", "worker:periodic"} <= set(body["checks"])
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_stopped_queue_worker_makes_it_unhealthy_and_is_named() -> None:
    beat_ran(ago=dt.timedelta(seconds=30), queues=(jobs.PERSON, jobs.PERIODIC))
    health.record_heartbeat("worker:work", now=timezone.now() - dt.timedelta(minutes=10))
    response = Client().get("/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker:work"]["ok"] is False and checks["worker:work"]["age_seconds"] >= 600
    assert checks["worker:person"]["ok"] is True


def test_with_no_heartbeat_at_all_beat_is_reported_down() -> None:
    body = Client().get("/health/").json()
    assert body["ok"] is False
    assert body["checks"]["worker:person"] == {"ok": False, "last": None, "age_seconds": None}


def test_the_heartbeat_task_records_its_queue() -> None:
    from dsr.tasks import heartbeat_task

    heartbeat_task("person")
    assert health.report(now=timezone.now())["checks"]["worker:person"]["ok"] is True


def test_every_response_carries_a_request_id_and_log_lines_carry_it() -> None:
    response = Client().get("/health/", headers={"X-Request-ID": "abc12345-proxy"})
    assert response["X-Request-ID"] == "abc12345-proxy"
    forged = Client().get("/health/", headers={"X-Request-ID": "bad id\nwith newline"})
    assert forged["X-Request-ID"] != "bad id\nwith newline" and len(forged["X-Request-ID"]) == 32
    token = request_id.set("req-1234567890")
    try:
        import logging

        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        ContextFilter().filter(record)
        assert record.request_id == "req-1234567890"  # type: ignore[attr-defined]
    finally:
        request_id.reset(token)
