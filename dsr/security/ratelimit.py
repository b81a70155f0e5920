"""Rate limits for the public pages, per IP address and per email address.

Counters live in the database (shared by every web process) under a keyed hash, so neither the IP
address nor the email address is stored. Windows are fixed: simple, and the worst case (twice the
limit across a window boundary) is still small.

One hit is one statement (an upsert returning the new count, on PostgreSQL and SQLite alike), taken
inside the caller's transaction: a submission counts its hits in the same transaction as the request
it writes, so a submission that fails leaves no count behind, and one refused with a 429 (rolled back)
never pushes the counter past the limit; one dropped for its address keeps its counts.

Who is counted: a client by its network (dsr.security.identities.network: an IPv6 /64, an IPv4-mapped
address as IPv4), an email address by the mailbox it reaches (canonical_email). What is counted:
submissions per network; submissions for an address per network (a stranger's burst from elsewhere
never uses up the person's own); submissions for an address from anywhere (a bound on the mail anyone
can send to it); and wrong or expired links per network. A valid link is never counted, so guesses
cannot lock out the links people received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import connection

from ..models import Throttle
from .identities import canonical_email, network

# (maximum count, window) per kind of key.
LIMITS: dict[str, tuple[int, dt.timedelta]] = {
    # Submissions from one network (the form's 429 page).
    "submit-ip": (20, dt.timedelta(hours=1)),
    # Submissions for one address from one network, and from anywhere: past either, the submission is
    # dropped without a word (the page is the same), so the limit tells no one that an address filed.
    "submit-email": (5, dt.timedelta(hours=1)),
    "submit-email-any": (20, dt.timedelta(hours=1)),
    # Wrong or expired links from one network (valid links are not counted).
    "bad-link-ip": (60, dt.timedelta(hours=1)),
    # One-time codes for an answer package, per request: each goes to the person's mailbox.
    "package-code": (5, dt.timedelta(hours=1)),
    # Data Rights Protocol (api.drp): refused messages (bad token, signature, replay) from one network, and
    # the requests one agent files, whatever the network (an agent files for many people, but not without end).
    "drp-refused-ip": (60, dt.timedelta(hours=1)),
    "drp-agent": (5000, dt.timedelta(hours=1)),
    # Calls of one API client (api/): a batch of up to 1,000 requests is one call.
    "api-client": (600, dt.timedelta(minutes=1)),
}


def digest(kind: str, value: str) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def email_digest(email: str) -> str:
    """The keyed hash of the mailbox an address reaches: repeated requests and staff search match on it."""
    return digest("email", canonical_email(email))


def window_start(kind: str, now: dt.datetime) -> dt.datetime:
    seconds = int(LIMITS[kind][1].total_seconds())
    return dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=dt.UTC)


def retry_after(kind: str, now: dt.datetime) -> int:
    """Seconds until the current window of `kind` ends (the 429 page's Retry-After)."""
    return max(1, int((window_start(kind, now) + LIMITS[kind][1] - now).total_seconds()))


def allow(kind: str, value: str, *, now: dt.datetime) -> bool:
    """Count one hit on the key (kind, value); False once the limit for this window is used up."""
    return hit(digest(kind, value), window_start(kind, now)) <= LIMITS[kind][0]


def allow_client(kind: str, address: str, *, now: dt.datetime) -> bool:
    """Count one hit for the network of a client address (kinds ending in -ip)."""
    return allow(kind, network(address), now=now)


def exceeded_client(kind: str, address: str, *, now: dt.datetime) -> bool:
    """Whether the client's network has used up `kind` in this window, without counting a hit (a caller that
    counts only refusals asks first, then counts a refusal with allow_client)."""
    key = digest(kind, network(address))
    count = Throttle.objects.filter(key=key, window_start=window_start(kind, now)).values_list("count", flat=True)
    return next(iter(count), 0) >= LIMITS[kind][0]


def allow_email(email: str, address: str, *, now: dt.datetime) -> bool:
    """Count one submission for `email` from the client at `address`; False past either address limit."""
    mailbox = canonical_email(email)
    keys = {"submit-email": f"{mailbox} from {network(address)}", "submit-email-any": mailbox}
    counts = hit_many([(digest(kind, value), window_start(kind, now)) for kind, value in keys.items()])
    return all(count <= LIMITS[kind][0] for kind, count in zip(keys, counts, strict=True))


def hit(key: str, window_start: dt.datetime) -> int:
    """Add one to the counter of (key, window) and return its new value, in one statement."""
    return hit_many([(key, window_start)])[0]


def hit_many(counters: list[tuple[str, dt.datetime]]) -> list[int]:
    """Add one to each counter of distinct (key, window) pairs; their new values in order, in one statement."""
    quote = connection.ops.quote_name
    table, key_col, start_col, count_col = (
        quote(name) for name in (Throttle._meta.db_table, "key", "window_start", "count")
    )
    field = Throttle._meta.get_field("window_start")
    values = ", ".join(["(%s, %s, 1)"] * len(counters))
    params: list[Any] = []
    for key, start in counters:
        params += [key, field.get_db_prep_value(start, connection)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({key_col}, {start_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 "
            f"RETURNING {key_col}, {count_col}",
            params,
        )
        counts = dict(cursor.fetchall())
    return [int(counts.get(key, 0)) for key, _ in counters]


def purge_old(*, now: dt.datetime) -> int:
    longest = max(window for _, window in LIMITS.values())
    deleted, _ = Throttle.objects.filter(window_start__lt=now - longest).delete()
    return deleted
