"""The API's services: clients and their secrets, filing and reading a client's requests, idempotency,
the call log and the status callbacks. Views, the admin and the signal receivers only call these.

Filing goes through dsr.requests.intake.file_by_client (the same validation, storage and routing as the
public form); withdrawal through dsr.requests.workflow. A client reads only the requests it filed, for
its own vendors; anything else is "not found", never "forbidden", so request ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from dsr.models import Event, Request
from dsr.outbox import webhooks
from dsr.requests import intake, transitions, workflow
from dsr.requests.errors import DomainError
from dsr.requests.signals import StatusChange
from dsr.requests.timeline import Actor
from dsr.security import ratelimit
from dsr.security.storable import storable, storable_text
from policies.models import Vendor

from .models import ApiCall, ApiClient, ClientRequest, IdempotencyKey

TOKEN_PREFIX = "dsr_"
# How long a retry with the same Idempotency-Key gets the first answer back (then the key may be reused).
KEY_LIFETIME = dt.timedelta(hours=24)
BATCH_MAX = 1000


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    token: str  # the API secret, shown once
    callback_secret: str  # the callbacks' signing secret, shown once


def create_client(
    *, name: str, kind: str, vendors: list[Vendor], callback_url: str, created_by: str, now: dt.datetime
) -> NewClient:
    """Register a client for `vendors`; its secret and callback signing secret are returned once."""
    if not name.strip():
        raise DomainError("Name the client.")
    if kind not in ApiClient.Kind.values:
        raise DomainError(f"The kind of client is one of {', '.join(ApiClient.Kind.values)}.")
    if not vendors:
        raise DomainError("Choose at least one vendor the client files for.")
    check_callback_url(callback_url)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name.strip(),
            kind=kind,
            key_prefix=prefix,
            secret_hash=_hash(secret),
            callback_url=callback_url,
            created_at=now,
            created_by=created_by,
        )
        client.vendors.set(vendors)
    return NewClient(client, f"{TOKEN_PREFIX}{prefix}_{secret}", webhooks.signing_secret(callback_secret_ref(client)))


def update_client(client_id: int, *, callback_url: str, active: bool) -> ApiClient:
    """Change where a client's callbacks go, or revoke (or restore) its access.

    Callbacks not yet posted follow the change: to the new address, or, for a revoked client, ended unsent
    (a revoked client hears nothing more, even of changes made before it was revoked).
    """
    check_callback_url(callback_url)
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client_id)
        ApiClient.objects.filter(pk=client_id).update(callback_url=callback_url, active=active)
        if not active:
            webhooks.end_unsent(_callback_refs_of(client), reason="Not sent: the API client was revoked.")
        elif callback_url and callback_url != client.callback_url:
            webhooks.retarget_unsent(callback_secret_ref(client), url=callback_url)
        elif not callback_url:
            webhooks.end_unsent(_callback_refs_of(client), reason="Not sent: the client removed its callback address.")
    return ApiClient.objects.get(pk=client_id)


@dataclass(frozen=True)
class NewSecrets:
    client: ApiClient
    token: str | None  # the new API secret, shown once (None: unchanged)
    callback_secret: str | None  # the new callback signing secret, shown once (None: unchanged)


def rotate_secrets(client_id: int, *, api_secret: bool, callback_secret: bool) -> NewSecrets:
    """Issue a new API secret and/or callback signing secret; the old one stops working at once.

    Callbacks not yet posted are signed with the new callback secret when they go, since the receiver
    will know only that one.
    """
    if not (api_secret or callback_secret):
        raise DomainError("Choose which secret to replace.")
    token = signing = None
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client_id)
        if api_secret:
            prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
            client.key_prefix, client.secret_hash = prefix, _hash(secret)
            token = f"{TOKEN_PREFIX}{prefix}_{secret}"
        if callback_secret:
            old_ref = callback_secret_ref(client)
            client.secret_generation += 1
            webhooks.retarget_unsent(old_ref, new_secret_ref=callback_secret_ref(client))
            signing = webhooks.signing_secret(callback_secret_ref(client))
        client.save(update_fields=["key_prefix", "secret_hash", "secret_generation"])
    return NewSecrets(client, token, signing)


def check_callback_url(callback_url: str) -> None:
    """A client's callback address: https, to a public host (DSR_WEBHOOK_ALLOW_PRIVATE lets local ones in)."""
    if callback_url:
        problem = webhooks.registration_problem(callback_url, allow_private=settings.DSR_WEBHOOK_ALLOW_PRIVATE)
        if problem:
            raise DomainError(problem)


def callback_secret_ref(client: ApiClient) -> str:
    return f"{_callback_refs_of(client)}{client.secret_generation}"


# Every client's callback secret reference starts with this (dsr.outbox.webhooks asks us about them).
CALLBACK_REF_PREFIX = "api-client:"


def _callback_refs_of(client: ApiClient) -> str:
    """What every generation of the client's callback secret reference starts with."""
    return f"{CALLBACK_REF_PREFIX}{client.pk}:"


def client_callback_receiver(secret_ref: str) -> webhooks.Receiver | None:
    """Where a client's callback goes at send time (dsr.outbox.webhooks asks just before each post): the
    client's current address and secret, or None once it is revoked or has removed its address."""
    _, pk, _ = secret_ref.split(":", 2)
    client = ApiClient.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if client is None or not client.active or not client.callback_url:
        return None
    return webhooks.Receiver(client.callback_url, callback_secret_ref(client))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(token: str) -> ApiClient | None:
    """The active client whose secret this is, or None. The hash is compared in constant time."""
    if not token.startswith(TOKEN_PREFIX) or not storable(token):
        return None
    prefix, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    client = ApiClient.objects.filter(key_prefix=prefix, active=True).first()
    if client is None or not hmac.compare_digest(client.secret_hash, _hash(secret)):
        return None
    return client


def allow_call(client: ApiClient, *, now: dt.datetime) -> bool:
    """Count one call of the client (dsr.security.ratelimit, kind "api-client"); False past its limit."""
    return ratelimit.allow("api-client", str(client.pk), now=now)


def retry_after(now: dt.datetime) -> int:
    return ratelimit.retry_after("api-client", now)


def purge_records(*, now: dt.datetime) -> dict[str, int]:
    """Delete idempotency keys past KEY_LIFETIME (a retry after that files anew, as documented) and calls of
    the log older than settings.DSR_API_CALL_LOG_DAYS."""
    keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    calls, _ = ApiCall.objects.filter(at__lt=now - dt.timedelta(days=settings.DSR_API_CALL_LOG_DAYS)).delete()
    return {"idempotency_keys": keys, "calls": calls}


def log_call(client: ApiClient | None, *, method: str, path: str, status_code: int, at: dt.datetime, ms: int) -> None:
    # A method longer than the column (PROPPATCH, MKCALENDAR: a server may pass up to 20 letters) is kept cut short.
    method = storable_text(method)[: ApiCall._meta.get_field("method").max_length]
    ApiCall.objects.create(
        client=client, method=method, path=storable_text(path)[:300], status_code=status_code, at=at, duration_ms=ms
    )


# ---- Idempotency --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: Any


class KeyConflict(DomainError):
    """The key was used with another body (422), or its first call is still running (409)."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def begin_idempotent(client: ApiClient, key: str, *, fingerprint: str, now: dt.datetime) -> Replay | None:
    """Claim `key` for this call (None: go ahead, then `finish_idempotent`), or the first call's answer.

    A key is the client's own; reused with another body it is refused (422); while its first call runs a
    retry is told to wait (409). A key older than KEY_LIFETIME is forgotten and claimed afresh.
    """
    if not key or len(key) > 200 or not storable(key):
        raise KeyConflict("An Idempotency-Key has 1 to 200 characters, none of them NUL.", status_code=422)
    IdempotencyKey.objects.filter(client=client, key=key, created_at__lt=now - KEY_LIFETIME).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(client=client, key=key, fingerprint=fingerprint, created_at=now)
        return None
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.get(client=client, key=key)
    if first.fingerprint != fingerprint:
        raise KeyConflict("This Idempotency-Key was used with a different request.", status_code=422)
    if first.status_code == 0:
        raise KeyConflict("The first call with this Idempotency-Key is still running: retry later.", status_code=409)
    return Replay(first.status_code, first.response)


def finish_idempotent(client: ApiClient, key: str, *, status_code: int, response: Any) -> None:
    """Keep the answer of the call that claimed `key`; a server error frees the key for a retry."""
    rows = IdempotencyKey.objects.filter(client=client, key=key, status_code=0)
    if status_code >= 500:
        rows.delete()
    else:
        rows.update(status_code=status_code, response=json.loads(json.dumps(response, default=str)))


# ---- Filing, reading, withdrawing ---------------------------------------------------------------------


def client_vendors(client: ApiClient) -> dict[str, Vendor]:
    return {vendor.slug: vendor for vendor in client.vendors.all()}


def filing(client: ApiClient) -> intake.ClientFiling:
    agent = client.kind == ApiClient.Kind.AGENT
    attestation = (
        "The agent attests it holds the person's signed permission and proved the address given."
        if agent
        else "The vendor's system attests the person asked there and proved the address given."
    )
    return intake.ClientFiling(label=f"API client {client.name}", agent=agent, attestation=attestation)


def file_request(client: ApiClient, submission: intake.Submission, *, now: dt.datetime) -> Request:
    """File one validated submission for the client and remember that the client filed it."""
    if submission.vendor_slug not in client_vendors(client):
        raise DomainError("Not one of this client's vendors.")
    # One transaction: the client's link to its request commits with the request, so a request it filed is
    # always one it can read, and the status callbacks queued once it commits find the link.
    with transaction.atomic(durable=True):
        request = intake.file_by_client(submission, client=filing(client), now=now)
        ClientRequest.objects.create(client=client, request=request)
    return request


def file_requests(
    client: ApiClient, submissions: list[intake.Submission], *, now: dt.datetime
) -> list[Request | DomainError]:
    """File many validated submissions for the client at once (the batch call): each result is the request
    filed or why it was refused, in order. One transaction, written set-wise (intake.file_many_by_client);
    the client's links to its requests commit with them."""
    vendors = client_vendors(client)
    results: list[Request | DomainError] = [DomainError("Not one of this client's vendors.")] * len(submissions)
    ours = [index for index, submission in enumerate(submissions) if submission.vendor_slug in vendors]
    with transaction.atomic(durable=True):
        filed = intake.file_many_by_client([submissions[i] for i in ours], client=filing(client), now=now)
        ClientRequest.objects.bulk_create(
            [ClientRequest(client=client, request=result) for result in filed if isinstance(result, Request)]
        )
    for index, result in zip(ours, filed, strict=True):
        results[index] = result
    return results


def policy_gaps(requests: list[Request]) -> set[int]:
    """The ids of those of `requests` whose work waits on staff for a fact the policy lacks (one query)."""
    return set(
        Request.objects.filter(pk__in=[r.pk for r in requests], assignments__policy_gap=True).values_list(
            "pk", flat=True
        )
    )


def requests_of(client: ApiClient) -> QuerySet[Request]:
    """What the client may read: what it filed, for the vendors it still serves."""
    return (
        Request.objects.filter(api_filing__client=client, vendor__in=client.vendors.all())
        .select_related("vendor")
        .order_by("-received_at", "-id")
    )


def filter_requests(
    rows: QuerySet[Request],
    *,
    status: str = "",
    request_type: str = "",
    vendor: str = "",
    after: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> QuerySet[Request]:
    """The list's filters: our status or an OpenDSR request_status, type, vendor, received after/before."""
    for name, value in (("subject_request_type", request_type), ("vendor", vendor)):
        if not storable(value):
            raise DomainError(f"The filter {name} holds a NUL character, which no value has.")
    if status:
        ours = [s for s, theirs in OPENDSR_STATUS.items() if status in (s, theirs)]
        if not ours:
            raise DomainError(f"Unknown status {status!r}.")
        rows = rows.filter(status__in=ours)
    if request_type:
        rows = rows.filter(request_type=request_type)
    if vendor:
        rows = rows.filter(vendor__slug=vendor)
    if after is not None:
        rows = rows.filter(received_at__gte=after)
    if before is not None:
        rows = rows.filter(received_at__lt=before)
    return rows


def find(client: ApiClient, reference: str) -> Request | None:
    """The client's own request of this reference, or None."""
    if not storable(reference):
        return None
    return requests_of(client).filter(reference=reference).first()


def withdraw(client: ApiClient, request: Request, *, now: dt.datetime) -> Request:
    """Withdraw a request the client filed (as the person's agent or the person's own channel)."""
    return workflow.withdraw_request(request, now=now, actor=Actor("subject", filing(client).label))


def has_policy_gap(request: Request) -> bool:
    """Whether part of the work waits on staff because the vendor's policy lacks a fact (e.g. a contact)."""
    return request.assignments.filter(policy_gap=True).exists()


def next_actions(request: Request) -> list[str]:
    """What the client may do now, from the transition table (the person's own actions)."""
    return [t.action for t in transitions.allowed_actions(request.status, "subject")]


# ---- Status callbacks ---------------------------------------------------------------------------------

# OpenDSR's request_status for each of ours (the API's `request_status`); ours stays in `status`.
OPENDSR_STATUS: dict[str, str] = {
    Request.Status.SUBMITTED: "pending",
    Request.Status.VERIFIED: "in_progress",
    Request.Status.IN_PROGRESS: "in_progress",
    Request.Status.AWAITING_SUBJECT: "in_progress",
    Request.Status.AWAITING_APPROVAL: "in_progress",
    Request.Status.COMPLETED: "completed",
    Request.Status.PARTIALLY_COMPLETED: "completed",
    Request.Status.REJECTED: "rejected",
    Request.Status.WITHDRAWN: "cancelled",
    Request.Status.EXPIRED: "cancelled",
    Request.Status.DUPLICATE: "cancelled",
}


def callback_payload(request: Request, *, old_status: str, new_status: str, event: Event) -> dict[str, Any]:
    """What a status callback says: the request's id and its new status, never personal data."""
    return {
        "subject_request_id": request.reference,
        "request_status": OPENDSR_STATUS[new_status],
        "status": new_status,
        "previous_status": old_status,
        "changed_time": event.at,
        "event_id": event.pk,
    }


def queue_status_callbacks(changes: list[StatusChange], *, now: dt.datetime) -> None:
    """`queue_status_callback` for many changes (requests routed together): their clients read at once."""
    links = {
        link.request_id: link
        for link in ClientRequest.objects.filter(request_id__in=[c.request.pk for c in changes]).select_related(
            "client"
        )
    }
    for change in changes:
        if (link := links.get(change.request.pk)) is not None:
            _queue_callback(link, change.request, change.old_status, change.new_status, change.event, now=now)


def queue_status_callback(
    request: Request, *, old_status: str, new_status: str, event: Event, now: dt.datetime
) -> None:
    """Queue the POST of a status change to the callback of the client that filed the request, if any:
    once per change (the key names the request and the event), in the change's transaction."""
    link = ClientRequest.objects.filter(request_id=request.pk).select_related("client").first()
    if link is not None:
        _queue_callback(link, request, old_status, new_status, event, now=now)


def _queue_callback(
    link: ClientRequest, request: Request, old_status: str, new_status: str, event: Event, *, now: dt.datetime
) -> None:
    if not link.client.callback_url or not link.client.active:
        return
    webhooks.queue_webhook(
        url=link.client.callback_url,
        payload=callback_payload(request, old_status=old_status, new_status=new_status, event=event),
        key=f"api-status:{request.pk}:{event.pk}",
        secret=callback_secret_ref(link.client),
        request=request,
        now=now,
    )
