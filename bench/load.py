"""A small load generator, run as its own process (`python -m bench.load '<json>'`) on loopback.

Closed loop: `concurrency` threads each POST a form, wait for the answer, and POST again, until
`seconds` have passed or `max` requests were sent. Every request carries its own email address and
its own client address (X-Forwarded-For, one trusted hop in bench.settings), as distinct people would.
Prints one JSON object: requests, answers by status, elapsed seconds, latency p50/p95 in ms.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf(host: str, port: int, path: str) -> tuple[str, str]:
    """A CSRF cookie and form token from a real form page (reused for every POST, as a browser would)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    page = response.read().decode()
    cookie = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("csrftoken="))
    match = TOKEN.search(page)
    assert match, f"no CSRF token on {path} ({response.status})"
    conn.close()
    return cookie, match.group(1)


def address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def run(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], int(spec["port"])
    cookie, token = csrf(host, port, spec["csrf_path"])
    counter = itertools.count(int(spec.get("first", 1)))
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + float(spec["seconds"])
    limit = int(spec["max"])
    targets = spec["targets"]

    def worker() -> None:
        while time.monotonic() < stop_at:
            n = next(counter)
            if n - int(spec.get("first", 1)) >= limit:
                return
            target = targets[n % len(targets)]
            form = {**target["form"], "email": f"p{n}@example.com", "csrfmiddlewaretoken": token}
            body = urllib.parse.urlencode(form)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": address(n),
                "Connection": "close",
            }
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request("POST", target["path"], body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0  # connection refused or reset
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                statuses[status] += 1
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(int(spec["concurrency"]))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "seconds": took,
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1 if len(ordered) > 1 else 0],
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
