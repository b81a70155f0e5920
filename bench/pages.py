"""Figure 4: the staff request list and a request's page, through gunicorn, as a superuser and as one
vendor's team member: median of several runs after a warm-up that reaches every web worker."""

from __future__ import annotations

import http.client
import statistics
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from dsr.models import StaffMembership
from policies.models import Vendor


def session_cookie(user: Any) -> str:
    """A logged-in session for `user`, as the login page would make it, with its second factor verified
    (staff need one with DEBUG off, as the bench runs)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = SessionStore()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def users(team_vendor: str) -> dict[str, str]:
    """A superuser and a member of `team_vendor`'s team, logged in. A reused database keeps them (their page
    views are on the timelines, which keep who viewed)."""
    model = get_user_model()
    admin, _ = model.objects.get_or_create(
        username="bench-admin", defaults={"email": "admin@example.org", "is_staff": True, "is_superuser": True}
    )
    member, _ = model.objects.get_or_create(
        username="bench-team", defaults={"email": "team@example.org", "is_staff": True}
    )
    StaffMembership.objects.get_or_create(user=member, vendor=Vendor.objects.get(slug=team_vendor))
    return {"superuser": session_cookie(admin), f"{team_vendor} team": session_cookie(member)}


def fetch(port: int, path: str, cookie: str) -> tuple[int, float, int]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Cookie": cookie, "Connection": "close"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, (time.perf_counter() - start) * 1000, len(body)


def measure(port: int, path: str, cookie: str, *, warmup: int, runs: int) -> dict[str, Any]:
    for _ in range(warmup):
        status, _, _ = fetch(port, path, cookie)
        assert status == 200, (path, status)
    times = []
    size = 0
    for _ in range(runs):
        status, ms, size = fetch(port, path, cookie)
        assert status == 200, (path, status)
        times.append(ms)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "bytes": size}
