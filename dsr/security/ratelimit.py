"""Rate limits for the public pages, per IP address and per email address.

Counters live in the database (shared by every web process) under a keyed hash, so neither the IP
address nor the email address is stored. Windows are fixed: simple, and the worst case (twice the
limit across a window boundary) is still small.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ..models import Throttle

# (maximum count, window) per kind of key.
LIMITS: dict[str, tuple[int, dt.timedelta]] = {
    "submit-ip": (20, dt.timedelta(hours=1)),
    "submit-email": (5, dt.timedelta(hours=1)),
    "link-ip": (60, dt.timedelta(hours=1)),
}


def digest(kind: str, value: str) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def allow(kind: str, value: str, *, now: dt.datetime) -> bool:
    """Count one hit; False once the limit for this window is used up."""
    limit, window = LIMITS[kind]
    seconds = int(window.total_seconds())
    start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=dt.UTC)
    key = digest(kind, value)
    with transaction.atomic():
        updated = Throttle.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Throttle.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:  # another process created it first
                Throttle.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        count = Throttle.objects.filter(key=key, window_start=start).values_list("count", flat=True).first() or 0
    return count <= limit


def purge_old(*, now: dt.datetime) -> int:
    longest = max(window for _, window in LIMITS.values())
    deleted, _ = Throttle.objects.filter(window_start__lt=now - longest).delete()
    return deleted
