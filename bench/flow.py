"""Figure 2: verification -> acknowledgement, through the real form, the real link, Celery workers on
Redis and an SMTP server on loopback.

Submissions are paced at `rate` per second for `seconds` across every vendor's form. When a
verification email reaches the SMTP server, a simulated person opens its link (GET) and clicks the
button (POST): the clock starts at that click and stops when the acknowledgement reaches the SMTP server.
"""

from __future__ import annotations

import email
import http.client
import queue
import re
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

from .load import address, csrf

MESSAGE_ID = re.compile(r"^<\d+\.\d+\.\d+\.(.+)@[^@]+>$")
LINK = re.compile(r"https?://[^/\s]+(/verify/[^\s]+/)")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Mailbox:
    """Every message the SMTP server received: its outbox key (from the Message-ID) and when it arrived."""

    arrivals: list[tuple[str, float]] = field(default_factory=list)
    links: queue.Queue[tuple[str, str]] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        now = time.monotonic()
        message = email.message_from_bytes(envelope.content)
        match = MESSAGE_ID.match("".join(str(message["Message-ID"] or "").split()))  # unfolded
        key = match.group(1) if match else f"?{message['Message-ID']}"
        with self.lock:
            self.arrivals.append((key, now))
        if key.endswith(".verify"):
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    found = LINK.search(payload.decode() if isinstance(payload, bytes) else "")
                    if found:
                        self.links.put((key.removesuffix(".verify"), found.group(1)))
        return "250 OK"

    def first_arrival(self, suffix: str) -> dict[str, float]:
        with self.lock:
            found: dict[str, float] = {}
            for key, at in self.arrivals:
                if key.endswith(suffix):
                    found.setdefault(key.removesuffix(suffix), at)
            return found


class SmtpServer:
    """aiosmtpd on loopback, handing each message to `mailbox` (by default a Mailbox)."""

    def __init__(self, port: int, mailbox: Any = None) -> None:
        self.mailbox = Mailbox() if mailbox is None else mailbox
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> Any:
        self.controller.start()
        return self.mailbox

    def __exit__(self, *_: object) -> None:
        self.controller.stop()


def _request(
    port: int, method: str, path: str, *, body: str = "", headers: dict[str, str]
) -> tuple[int, str, list[str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers={"Connection": "close", **headers})
        response = conn.getresponse()
        page = response.read().decode(errors="replace")
        return response.status, page, response.headers.get_all("Set-Cookie") or []
    except OSError:
        return 0, "", []
    finally:
        conn.close()


def run(
    port: int, mailbox: Mailbox, forms: list[dict[str, Any]], *, rate: float, seconds: float, settle: float
) -> dict[str, Any]:
    tokens = {f["slug"]: csrf("127.0.0.1", port, f["path"]) for f in forms}
    submits: Counter[int] = Counter()
    clicks: Counter[int] = Counter()
    clicked_at: dict[str, float] = {}
    lock = threading.Lock()
    total = int(rate * seconds)
    done_submitting = threading.Event()

    def submit(n: int) -> None:
        spec = forms[n % len(forms)]
        cookie, token = tokens[spec["slug"]]
        form = {**spec["form"], "email": f"flow{n}@example.com", "csrfmiddlewaretoken": token}
        status, _, _ = _request(
            port,
            "POST",
            spec["path"],
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": address(20_000 + n),
            },
        )
        with lock:
            submits[status] += 1

    def click(n: int, reference: str, link: str) -> None:
        ip = address(200_000 + n)
        status, page, cookies = _request(port, "GET", link, headers={"X-Forwarded-For": ip})
        token = TOKEN.search(page)
        cookie = next((c.split(";")[0] for c in cookies if c.startswith("csrftoken=")), "")
        if status != 200 or token is None:
            with lock:
                clicks[status or -1] += 1
            return
        started = time.monotonic()
        status, _, _ = _request(
            port,
            "POST",
            link,
            body=urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1)}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "X-Forwarded-For": ip},
        )
        with lock:
            clicks[status] += 1
            if status == 302:
                clicked_at[reference] = started

    people = ThreadPoolExecutor(max_workers=32)

    def clicker() -> None:
        n = 0
        while True:
            try:
                reference, link = mailbox.links.get(timeout=0.2)
            except queue.Empty:
                if done_submitting.is_set():
                    return
                continue
            people.submit(click, n, reference, link)
            n += 1

    clicking = threading.Thread(target=clicker, daemon=True)
    began = time.monotonic()
    clicking.start()
    for n in range(total):
        pause = began + n / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        people.submit(submit, n)
    submitted_in = time.monotonic() - began
    # Settle: until every clicked request's acknowledgement arrived, or `settle` seconds without news.
    last_change, seen = time.monotonic(), -1
    while time.monotonic() - last_change < settle:
        acks = mailbox.first_arrival(".acknowledged")
        with lock:
            waiting = sum(submits.values()) < total or any(r not in acks for r in clicked_at)
            progress = len(mailbox.arrivals) + sum(clicks.values())
        if progress != seen:
            seen, last_change = progress, time.monotonic()
        verifies = len(mailbox.first_arrival(".verify"))
        if not waiting and sum(clicks.values()) >= verifies and verifies >= submits.get(302, 0):
            break
        time.sleep(0.5)
    done_submitting.set()
    clicking.join(timeout=settle)
    people.shutdown(wait=True)
    time.sleep(2.0)  # late duplicates would arrive by now
    acks = mailbox.first_arrival(".acknowledged")
    latencies = sorted(acks[r] - t for r, t in clicked_at.items() if r in acks)
    return {
        "submitted": total,
        "submitted_in": submitted_in,
        "submit_statuses": dict(submits),
        "click_statuses": dict(clicks),
        "clicked": len(clicked_at),
        "acknowledged": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "arrivals": list(mailbox.arrivals),
    }
