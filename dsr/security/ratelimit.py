"""Rate limits for the public pages, per IP address and per email address.

Counters live in the database (shared by every web process) under a keyed hash, so neither the IP
address nor the email address is stored. Windows are fixed: simple, and the worst case (twice the
limit across a window boundary) is still small.

One hit is one statement (an upsert returning the new count, on PostgreSQL and SQLite alike), taken
inside the caller's transaction: a submission counts its hits in the same transaction as the request
it writes, so a submission that fails leaves no count behind, and a refused one (rolled back) never
pushes the counter past the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import connection

from ..models import Throttle

# (maximum count, window) per kind of key.
LIMITS: dict[str, tuple[int, dt.timedelta]] = {
    "submit-ip": (20, dt.timedelta(hours=1)),
    "submit-email": (5, dt.timedelta(hours=1)),
    "link-ip": (60, dt.timedelta(hours=1)),
    # One-time codes for an answer package, per request: each goes to the person's mailbox.
    "package-code": (5, dt.timedelta(hours=1)),
}


def digest(kind: str, value: str) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def allow(kind: str, value: str, *, now: dt.datetime) -> bool:
    """Count one hit; False once the limit for this window is used up."""
    limit, window = LIMITS[kind]
    seconds = int(window.total_seconds())
    start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=dt.UTC)
    return hit(digest(kind, value), start) <= limit


def hit(key: str, window_start: dt.datetime) -> int:
    """Add one to the counter of (key, window) and return its new value, in one statement."""
    quote = connection.ops.quote_name
    table, key_col, start_col, count_col = (
        quote(name) for name in (Throttle._meta.db_table, "key", "window_start", "count")
    )
    start = Throttle._meta.get_field("window_start").get_db_prep_value(window_start, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({key_col}, {start_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 "
            f"RETURNING {count_col}",
            [key, start],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def purge_old(*, now: dt.datetime) -> int:
    longest = max(window for _, window in LIMITS.values())
    deleted, _ = Throttle.objects.filter(window_start__lt=now - longest).delete()
    return deleted
