"""Webhooks: signed POSTs written into the outbox with the change that causes them, sent after commit.

The same design as the email outbox (dsr.outbox.emails): `queue_webhook` writes the row inside the
change's transaction (once per key), the send task is queued after commit on the bulk queue (`work`),
and `deliver_webhook` claims the row (queued/awaiting_retry -> sending) in its own short statement before
it talks to the network, so a task delivered twice posts once. A failure (a network error or any answer
but 2xx) is retried on RETRY_SCHEDULE (exponential backoff), then left `failed`. A row left `sending`
past STUCK_SENDING_AFTER belongs to a worker that died mid-post: whether the receiver got it is unknown,
so it is marked failed, never posted again blindly (at most once).

Signing (documented for receivers in api/README.md): with a secret, each POST carries
`X-DSR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, `t` being the time of this
attempt; a receiver recomputes it with its secret and refuses a `t` older than SIGNATURE_TOLERANCE (a
replay). Secrets are never stored: a row keeps a reference, and `signing_secret(reference)` derives the
secret from the server's SECRET_KEY (rotating SECRET_KEY rotates every webhook secret).

Addresses (no requests to the inside): a callback URL is registered only with https and a host that is
not `localhost` or a literal local/private IP (`registration_problem`). At send time the host is resolved
and the POST refused (the row `failed`, never posted) when any address it resolves to is not a global
one (loopback, private, link-local such as the cloud metadata 169.254.169.254, IPv4-mapped, ...); the
connection then goes to the address checked, not to a second lookup, so DNS rebinding gains nothing.
Redirects are never followed: a 3xx answer is a failed attempt, retried like any other.
`DSR_WEBHOOK_ALLOW_PRIVATE` lets loopback and private receivers (and plain http to them) through, for
tests and local development only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from .. import jobs
from ..models import OutgoingWebhook, Request

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-DSR-Signature"
KEY_HEADER = "X-DSR-Delivery"  # the row's key: a receiver drops a delivery it has seen (retries reuse it)
# How old a signature's timestamp may be when the receiver checks it (documented, and used by `verify`).
SIGNATURE_TOLERANCE = dt.timedelta(minutes=5)
# Seconds before each retry; after the last the row is `failed` (shown to staff in the admin).
RETRY_SCHEDULE: tuple[int, ...] = (30, 2 * 60, 10 * 60, 60 * 60, 6 * 3600)
TIMEOUT_SECONDS = 10
STUCK_AFTER = dt.timedelta(minutes=5)
STUCK_SENDING_AFTER = dt.timedelta(minutes=15)
BATCH_SIZE = 200


class Refused(Exception):
    """A callback address that is never posted to (a local or private address)."""


def _local_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a global address: loopback, private, link-local (cloud metadata), shared, reserved, multicast,
    or an IPv6 form of an IPv4 address (mapped, 6to4, NAT64 and the like)."""
    if not address.is_global or address.is_multicast:
        return True
    return isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None
    )


def registration_problem(url: str, *, allow_http: bool = False, allow_private: bool = False) -> str | None:
    """Why `url` cannot be a callback address (None when it can): https (http only if `allow_http`, or to a
    local host when `allow_private`), a host, no credentials, and not `localhost` or a literal local IP."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        return "The callback address is not a valid URL."
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return "The callback address must be an https URL with a host (and no user name or password)."
    local = _local_host(host)
    if local and not allow_private:
        return "The callback address must not be localhost or a local or private IP address."
    if parts.scheme == "http" and not allow_http and not (allow_private and local):
        return "The callback address must be an https URL."
    return None


def _local_host(host: str) -> bool:
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return _local_address(ipaddress.ip_address(name))
    except ValueError:
        return False


def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to, all of them global (else Refused). OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not allow_private and _local_address(ipaddress.ip_address(address.split("%", 1)[0])):
            raise Refused(
                f"Not sent: the callback host {host} resolves to {address}, a local or private address "
                "(callbacks go only to public addresses)."
            )
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address already checked; the Host header stays the URL's host."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to an address already checked; the certificate is checked for the URL's host."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        self.context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.context)
        self.addresses = addresses

    def connect(self) -> None:
        raw = _connect(self.addresses, self.port, self.timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=self.host)


def _connect(addresses: list[str], port: int, timeout: Any) -> socket.socket:
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            error = exc
    raise error


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> int:
    """POST `body` to `url` at a checked address, no redirects followed; the answer's status code.
    Refused for a local or private address; OSError/HTTPException when it could not be posted."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("Not sent: the callback address is not an http(s) URL with a host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve_checked(parts.hostname, port, allow_private=allow_private)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(parts.hostname, port, addresses=addresses, timeout=TIMEOUT_SECONDS)
    try:
        path = parts.path or "/"
        connection.request("POST", f"{path}?{parts.query}" if parts.query else path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(1024)
        return answer.status
    finally:
        connection.close()


def signing_secret(reference: str) -> str:
    """The HMAC secret named `reference` (e.g. "api-client:7:1"), derived from SECRET_KEY: shown to its
    owner once, recomputed when signing, never stored."""
    key = settings.SECRET_KEY.encode()
    return "whsec_" + hmac.new(key, f"dsr-webhook:{reference}".encode(), hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes, *, at: int) -> str:
    """The X-DSR-Signature value for `body` posted at unix time `at`."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, now: dt.datetime) -> bool:
    """What a receiver does: the signature matches and its time is within SIGNATURE_TOLERANCE of `now`."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - at) > SIGNATURE_TOLERANCE.total_seconds():
        return False
    return hmac.compare_digest(signature(secret, body, at=at), f"t={at},v1={parts.get('v1', '')}")


@dataclass(frozen=True)
class Receiver:
    """Where a sender's callbacks go now, and which secret signs them."""

    url: str
    secret_ref: str


# Who owns callbacks by the start of their secret reference (e.g. "api-client:"): asked just before each
# post where the receiver is now (None: revoked, or it gave up its address). Registered by the owning app.
_RESOLVERS: dict[str, Callable[[str], Receiver | None]] = {}


def register_receiver_resolver(prefix: str, resolve: Callable[[str], Receiver | None]) -> None:
    """Let the app that owns the callbacks signed by `prefix…` say, at send time, where they go now."""
    _RESOLVERS[prefix] = resolve


def current_receiver(webhook: OutgoingWebhook) -> Receiver | None:
    """The row's receiver as it stands now: its owner's answer, else the row's own address and secret."""
    for prefix, resolve in _RESOLVERS.items():
        if webhook.secret_ref.startswith(prefix):
            return resolve(webhook.secret_ref)
    return Receiver(webhook.url, webhook.secret_ref)


def queue_webhook(
    *,
    url: str,
    payload: dict[str, Any],
    key: str,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
    now: dt.datetime,
) -> OutgoingWebhook:
    """Write a POST of `payload` (JSON) to `url` into the outbox, once per `key`, and send it after commit.

    `secret` is the reference of the signing secret (`signing_secret`), None for an unsigned POST. Call
    inside the change's transaction: the row commits or rolls back with it.
    """
    existing = OutgoingWebhook.objects.filter(key=key).first()
    if existing is not None:
        return existing
    body = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    webhook = OutgoingWebhook.objects.create(
        key=key,
        request=request,
        url=url,
        body=body,
        headers=dict(headers or {}),
        secret_ref=secret or "",
        next_attempt_at=now,
        created_at=now,
    )
    jobs.enqueue_after_commit("send_webhook_task", webhook.pk, queue=jobs.WORK)
    return webhook


def claim(webhook_id: int, *, now: dt.datetime) -> bool:
    """queued/awaiting_retry -> sending, if it is due. True only for the one caller that wins."""
    return (
        OutgoingWebhook.objects.filter(
            pk=webhook_id,
            status__in=[OutgoingWebhook.Status.QUEUED, OutgoingWebhook.Status.AWAITING_RETRY],
            next_attempt_at__lte=now,
        ).update(status=OutgoingWebhook.Status.SENDING, claimed_at=now)
        == 1
    )


def deliver_webhook(webhook_id: int, *, now: dt.datetime) -> int | None:
    """POST one outbox row. Returns the seconds until a retry is due, or None when there is nothing to retry."""
    if not claim(webhook_id, now=now):
        return None
    webhook = OutgoingWebhook.objects.get(pk=webhook_id)
    receiver = current_receiver(webhook)
    if receiver is None:  # revoked since it was queued (or retried): never posted
        OutgoingWebhook.objects.filter(pk=webhook_id).update(
            status=OutgoingWebhook.Status.FAILED, last_error="Not sent: its receiver was revoked."
        )
        return None
    if (receiver.url, receiver.secret_ref) != (webhook.url, webhook.secret_ref):  # moved, or a new secret
        webhook.url, webhook.secret_ref = receiver.url, receiver.secret_ref
        OutgoingWebhook.objects.filter(pk=webhook_id).update(url=receiver.url, secret_ref=receiver.secret_ref)
    body = webhook.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": "dsr-back-office", KEY_HEADER: webhook.key}
    headers.update(webhook.headers)
    if webhook.secret_ref:
        headers[SIGNATURE_HEADER] = signature(signing_secret(webhook.secret_ref), body, at=int(now.timestamp()))
    attempts = webhook.attempts + 1
    try:
        status = post(webhook.url, body, headers, allow_private=settings.DSR_WEBHOOK_ALLOW_PRIVATE)
    except Refused as exc:
        OutgoingWebhook.objects.filter(pk=webhook_id).update(
            status=OutgoingWebhook.Status.FAILED, attempts=attempts, last_error=str(exc)[:1000]
        )
        log.error("webhook %s refused: %s", webhook.key, exc)
        return None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        return _failed(webhook, attempts=attempts, error=str(exc) or type(exc).__name__, now=now)
    if not 200 <= status < 300:
        # A redirect is not followed (it would turn the POST into a GET elsewhere, signed): it failed.
        note = " (redirects are not followed)" if 300 <= status < 400 else ""
        return _failed(webhook, attempts=attempts, error=f"The receiver answered HTTP {status}{note}.", now=now)
    OutgoingWebhook.objects.filter(pk=webhook_id).update(
        status=OutgoingWebhook.Status.SENT, attempts=attempts, sent_at=now, last_error=""
    )
    return None


def _failed(webhook: OutgoingWebhook, *, attempts: int, error: str, now: dt.datetime) -> int | None:
    rows = OutgoingWebhook.objects.filter(pk=webhook.pk)
    if attempts > len(RETRY_SCHEDULE):
        rows.update(status=OutgoingWebhook.Status.FAILED, attempts=attempts, last_error=error[:1000])
        log.error("webhook %s failed for good after %s attempts: %s", webhook.key, attempts, error)
        return None
    delay = RETRY_SCHEDULE[attempts - 1]
    rows.update(
        status=OutgoingWebhook.Status.AWAITING_RETRY,
        attempts=attempts,
        last_error=error[:1000],
        next_attempt_at=now + dt.timedelta(seconds=delay),
    )
    log.warning("webhook %s not delivered (attempt %s), retry in %ss: %s", webhook.key, attempts, delay, error)
    return delay


# Rows not posted yet: a change of the sender's address, secret or standing still reaches them.
NOT_YET_POSTED = (OutgoingWebhook.Status.QUEUED, OutgoingWebhook.Status.AWAITING_RETRY)


def retarget_unsent(secret_ref: str, *, url: str | None = None, new_secret_ref: str | None = None) -> int:
    """Point the rows signed with `secret_ref` and not yet posted at a new address and/or a new secret (the
    receiver moved, or its secret was rotated: it would refuse the old one). Returns how many."""
    changes: dict[str, str] = {}
    if url is not None:
        changes["url"] = url
    if new_secret_ref is not None:
        changes["secret_ref"] = new_secret_ref
    if not changes:
        return 0
    return OutgoingWebhook.objects.filter(secret_ref=secret_ref, status__in=NOT_YET_POSTED).update(**changes)


def end_unsent(secret_ref_prefix: str, *, reason: str) -> int:
    """End, unsent, every row whose secret reference starts with `secret_ref_prefix` (a revoked receiver)."""
    return OutgoingWebhook.objects.filter(secret_ref__startswith=secret_ref_prefix, status__in=NOT_YET_POSTED).update(
        status=OutgoingWebhook.Status.FAILED, last_error=reason[:1000]
    )


def retry(webhook_id: int, *, now: dt.datetime) -> bool:
    """Staff send a failed row again (its key header lets the receiver drop a copy it already has).

    Only a failed row, never one whose request's personal data was erased, nor one whose receiver was
    revoked. True if it was queued.
    """
    row = OutgoingWebhook.objects.filter(pk=webhook_id).first()
    if row is None or current_receiver(row) is None:
        return False
    queued = (
        OutgoingWebhook.objects.filter(pk=webhook_id, status=OutgoingWebhook.Status.FAILED)
        .exclude(request__purged_at__isnull=False)
        .update(status=OutgoingWebhook.Status.QUEUED, next_attempt_at=now, attempts=0, claimed_at=None)
    )
    if queued:
        jobs.enqueue_after_commit("send_webhook_task", webhook_id, queue=jobs.WORK)
    return bool(queued)


def reconcile_unsent(*, now: dt.datetime) -> dict[str, int]:
    """Webhooks whose broker message was lost are queued again; a post cut off mid-way is marked failed."""
    stuck = OutgoingWebhook.objects.filter(
        status=OutgoingWebhook.Status.SENDING, claimed_at__lt=now - STUCK_SENDING_AFTER
    ).update(
        status=OutgoingWebhook.Status.FAILED,
        last_error="The worker stopped while posting; whether it was received is unknown.",
    )
    waiting = OutgoingWebhook.objects.filter(
        status__in=[OutgoingWebhook.Status.QUEUED, OutgoingWebhook.Status.AWAITING_RETRY],
        next_attempt_at__lte=now - STUCK_AFTER,
    ).values_list("pk", flat=True)[:BATCH_SIZE]
    count = 0
    for pk in waiting:
        jobs.enqueue("send_webhook_task", pk, queue=jobs.WORK)
        count += 1
    return {"webhooks": count, "stuck_sending": stuck}
