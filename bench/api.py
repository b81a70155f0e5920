"""The API's figure: a batch of BENCH_API_REQUESTS requests through POST /api/v1/requests/batch/ (1,000 per
call, BENCH_API_CONCURRENCY calls at once) against gunicorn, each stored, accepted on the agent client's
attested authority and queued for routing; then the Celery workers route them."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from api import services
from dsr.models import OutgoingEmail, Request
from policies.models import Vendor

BATCH = services.BATCH_MAX


@dataclass
class Sink:
    """An SMTP server's handler that only counts what it accepts (the mail relay a deployment sends to)."""

    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        with self.lock:
            self.received += 1
        return "250 OK"


def items(forms: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` valid requests across the vendors' forms, each about another person (no duplicates joined)."""
    return [
        {
            "vendor": form["slug"],
            "subject_request_type": form["form"]["request_type"],
            "relationships": [form["form"]["relationship"]],
            "country": form["form"]["country"],
            "subject_name": f"Person {n}",
            "email": f"person{n}@agent.example",
        }
        for n in range(count)
        for form in [forms[n % len(forms)]]
    ]


def post(port: int, token: str, body: bytes) -> dict[str, Any]:
    call = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/requests/batch/",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(call, timeout=600) as answer:  # noqa: S310 (loopback)
        result: dict[str, Any] = json.loads(answer.read())
    return result


def run(port: int, forms: list[dict[str, Any]], *, count: int, concurrency: int) -> dict[str, Any]:
    new = services.create_client(
        name="Bench agent",
        kind="agent",
        vendors=list(Vendor.objects.all()),
        callback_url="",
        created_by="bench",
        now=timezone.now(),
    )
    payloads = [
        json.dumps({"requests": chunk}).encode()
        for chunk in (items(forms, count)[i : i + BATCH] for i in range(0, count, BATCH))
    ]
    since = timezone.now()
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda body: post(port, new.token, body), payloads))
    accepted_in = time.monotonic() - started
    created = sum(a["created"] for a in answers)
    failed = sum(a["failed"] for a in answers)
    mine = Request.objects.filter(received_at__gte=since, agent_name="Bench agent")
    return {
        "created": created,
        "failed": failed,
        "accepted_seconds": accepted_in,
        "started": started,
        "stored": mine.count(),
        "authority": mine.filter(authority_method="client_attestation").count(),
        "mine": mine,
    }


def wait_routed(result: dict[str, Any], *, most: float) -> tuple[int, float]:
    """Wait until every filed request is routed, or `most` seconds after the calls ended; returns how many were
    routed and the seconds from the first call."""
    unrouted = result["mine"].filter(status="verified")
    ends = time.monotonic() + most
    while unrouted.exists() and time.monotonic() < ends:
        time.sleep(1)
    routed = result["mine"].exclude(status="verified").count()
    return routed, time.monotonic() - result["started"]


def emails_by_status(result: dict[str, Any]) -> dict[str, int]:
    """The outbox rows of the filed requests, by status."""
    counts: dict[str, int] = {}
    for status in OutgoingEmail.objects.filter(request__in=result["mine"]).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def wait_mailed(result: dict[str, Any], sink: Sink, *, most: float) -> tuple[int, int, float]:
    """Wait until the SMTP server has received every email of the filed requests, or `most` seconds; returns
    how many are recorded sent, how many there are, and the seconds from the first call. It watches the
    server's count, not the outbox: a query over 38,000 rows a second would take a core of its own."""
    emails = OutgoingEmail.objects.filter(request__in=result["mine"])
    total = emails.count()
    ends = time.monotonic() + most
    while sink.received < total and time.monotonic() < ends:
        time.sleep(0.5)
    mailed = time.monotonic() - result["started"]
    return emails.filter(status=OutgoingEmail.Status.SENT).count(), total, mailed
