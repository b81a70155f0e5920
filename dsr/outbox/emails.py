"""Emails: rendered from templates into the outbox, sent by a worker after commit, at most once.

`queue_email` is called inside the transaction of the change that causes the email; the row and the
change commit together, and the send task is queued only after commit. An email queued with
`render_later` (the verification link, written by the public form) keeps its template's JSON context
instead, and the worker renders it (`render_stored`) once it has claimed the row, before sending: the
web request does not pay for three templates. The rendered subject and bodies are stored on the row.
`deliver_email` claims a row (queued → sending) before it talks to SMTP, so a redelivered task finds
it claimed and does nothing. Mail written many at a time (`queue_many`: a batch call, requests routed
together, a sweep) goes on the bulk queue, and `deliver_many` claims, stores and records it 25 rows at a
time (SEND_CHUNK) under the same rule.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.utils import make_msgid
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .. import bulk, jobs
from ..models import OutgoingEmail, Request
from .filemail import REFERENCE_HEADER

log = logging.getLogger(__name__)

# Seconds to wait before each retry after an SMTP failure; after the last one the email is `failed`
# and shows in the admin for staff to act on.
RETRY_SCHEDULE: tuple[int, ...] = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
# Mail that should have been picked up by now: a lost broker message, a worker that died.
STUCK_AFTER = dt.timedelta(minutes=5)
BATCH_SIZE = 200
# The rows a sender may claim (when due): never sent, or waiting to be tried again.
_CLAIMABLE = (OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.AWAITING_RETRY)
# Emails sent by one task of the bulk queue: 200 leave inside the task's time limit (240 s) even through
# a relay that takes a second a message.
SEND_TASK_MAX = 200
# A row left in `sending` this long belongs to a worker that died mid-send. Whether SMTP accepted it is
# unknown, so it is marked failed for staff to check, never resent blindly (at most once).
STUCK_SENDING_AFTER = dt.timedelta(minutes=15)


def render_email(template: str, context: dict[str, Any], *, language: str) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body of `templates/emails/<template>-*.{txt,html}`."""
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}-subject.txt", ctx).strip()
        text = render_to_string(f"emails/{template}-body.txt", ctx)
        html = render_to_string(f"emails/{template}-body.html", ctx)
    # A subject is one line: a newline in it would be a header-injection attempt.
    subject = " ".join(subject.split())
    return subject, text, html


def queue_email(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = "en",
    request: Request | None = None,
    urgent: bool = False,
    render_later: bool = False,
) -> OutgoingEmail:
    """Write the email into the outbox (once per key) and send it after the transaction commits.

    `urgent` mail (to the person, who is waiting for it) goes on the person queue, ahead of bulk work.
    With `render_later` the row keeps `context` (JSON) and the worker renders it before sending.
    """
    existing = OutgoingEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if render_later:
        subject, text, html, stored = "", "", "", dict(context)
    else:
        (subject, text, html), stored = render_email(template, context, language=language), None
    email = OutgoingEmail.objects.create(
        key=key,
        request=request,
        kind=template,
        to=to,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        context=stored,
        urgent=urgent,
    )
    jobs.enqueue_after_commit("send_email_task", email.pk, queue=queue_for(email))
    return email


@dataclass(frozen=True)
class Pending:
    """An email for `queue_many`: as `queue_email`'s arguments (always rendered by the worker)."""

    key: str
    to: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    language: str = "en"
    request: Request | None = None
    urgent: bool = False


def queue_many(pending: Sequence[Pending]) -> list[int]:
    """Write many emails into the outbox in one INSERT, once per key (a key already there is left as it
    is), each rendered by the worker before sending; after commit, tasks on the bulk queue send them,
    SEND_TASK_MAX a task, each over one SMTP connection. Returns the ids of the queued rows. Call inside
    the change's transaction."""
    if not pending:
        return []
    emails = [
        OutgoingEmail(
            key=item.key,
            request=item.request,
            kind=item.template,
            to=item.to,
            language=item.language,
            subject="",
            body_text="",
            body_html="",
            context=dict(item.context),
            urgent=item.urgent,
        )
        for item in pending
    ]
    try:
        with transaction.atomic():
            bulk.insert(OutgoingEmail, emails)
    except IntegrityError:  # a key is there already: each written once more, the one stored kept
        OutgoingEmail.objects.bulk_create(emails, ignore_conflicts=True)
    ids = list(
        OutgoingEmail.objects.filter(key__in=[item.key for item in pending], status=OutgoingEmail.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), SEND_TASK_MAX):
        jobs.enqueue_after_commit("send_emails_task", ids[start : start + SEND_TASK_MAX], queue=jobs.BULK)
    return ids


def queue_for(email: OutgoingEmail) -> str:
    return jobs.PERSON if email.urgent else jobs.WORK


def claim(email_id: int, *, now: dt.datetime) -> bool:
    """queued/awaiting_retry → sending, if it is due. True only for the one caller that wins."""
    updated = OutgoingEmail.objects.filter(
        pk=email_id,
        status__in=_CLAIMABLE,
        next_attempt_at__lte=now,
    ).update(status=OutgoingEmail.Status.SENDING, next_attempt_at=now)
    return updated == 1


def _rendered(email: OutgoingEmail) -> tuple[str, str, str]:
    assert email.context is not None
    return render_email(email.kind, email.context, language=email.language)


def render_stored(email: OutgoingEmail) -> OutgoingEmail:
    """Render an email queued with `render_later` and store its subject and bodies (its context is emptied)."""
    if email.context is None:
        return email
    email.subject, email.body_text, email.body_html = _rendered(email)
    email.context = None
    # Not over a row erased since it was read (the shredder empties its context).
    OutgoingEmail.objects.filter(pk=email.pk, context__isnull=False).update(
        subject=email.subject, body_text=email.body_text, body_html=email.body_html, context=None
    )
    return email


@dataclass(frozen=True)
class Retry:
    email_id: int
    delay: int  # seconds


# Rows claimed and sent together by `deliver_many`: one statement claims them, one records how each went.
# A worker that dies mid-chunk leaves at most this many rows in `sending` (failed for staff to check after
# STUCK_SENDING_AFTER, never resent blindly); a larger chunk saves little (about 2 statements a chunk).
SEND_CHUNK = 25


def claim_many(email_ids: Sequence[int], *, now: dt.datetime) -> list[int]:
    """queued/awaiting_retry → sending for those of `email_ids` that are due, in one committed transaction;
    returns the ids this caller won (a row another worker holds or has claimed is not among them)."""
    with transaction.atomic(durable=True):
        won = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=list(email_ids),
                status__in=_CLAIMABLE,
                next_attempt_at__lte=now,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=won, status__in=_CLAIMABLE).update(
            status=OutgoingEmail.Status.SENDING, next_attempt_at=now
        )
    return won


def deliver_many(email_ids: Sequence[int], *, now: dt.datetime) -> list[Retry]:
    """Send these outbox rows over one SMTP connection (reopened after a failure), SEND_CHUNK at a time:
    each chunk claimed in one statement, rendered and stored in one, sent one message after another, and
    how each went recorded in one. Returns those that failed and will be tried again, and when.

    If the chunk breaks off (an error that is not SMTP's, the task's time limit), what was sent is recorded
    sent, the message being handed over stays `sending` (whether it left is unknown: staff check it, it is
    never resent blindly) and the rows not yet tried go back to the queue. When the mail relay cannot be
    reached at all, the rest of the batch is not tried one by one (each would wait for the timeout): each
    counts this attempt as failed with the relay's error and is retried on the same schedule.
    """
    retries: list[Retry] = []
    unreachable: str | None = None
    connection = get_connection(fail_silently=False)
    try:
        for start in range(0, len(email_ids), SEND_CHUNK):
            won = claim_many(email_ids[start : start + SEND_CHUNK], now=now)
            if won:
                unreachable = _send_chunk(won, connection, now=now, retries=retries, unreachable=unreachable)
    finally:
        connection.close()
    return retries


def _send_chunk(
    won: list[int], connection: BaseEmailBackend, *, now: dt.datetime, retries: list[Retry], unreachable: str | None
) -> str | None:
    """Render, store, send and record one claimed chunk (deliver_many); returns the relay's error if it
    could not be reached."""
    outcomes: dict[int, _Outcome] = {}
    handing_over: int | None = None
    try:
        # Of the request only its reference (a header), not its deadlines and timeline JSON.
        rows = list(
            OutgoingEmail.objects.select_related("request")
            .only(*_ROW, "request__reference")
            .filter(pk__in=won)
            .order_by("pk")
        )
        rendered: dict[int, list[Any]] = {}
        for email in rows:
            if email.context is None:
                continue
            try:
                email.subject, email.body_text, email.body_html = _rendered(email)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # a template fault fails this email alone, for staff to see
                log.exception("email %s could not be rendered", email.key)
                error = f"The email could not be written from its template {email.kind!r} ({type(exc).__name__})."
                outcomes[email.pk] = _Outcome(OutgoingEmail.Status.FAILED, email.attempts + 1, now, error, None, None)
                continue
            email.context = None
            rendered[email.pk] = [email.subject, email.body_text, email.body_html, None]
        # What is sent is on the row before it leaves; a row erased meanwhile (its context gone) stays erased.
        bulk.update_each(
            OutgoingEmail, ["subject", "body_text", "body_html", "context"], rendered, unless_null="context"
        )
        for email in rows:
            if email.pk in outcomes:
                continue
            if unreachable is not None:
                outcome = _failed(email, unreachable, now=now)
            else:
                handing_over = email.pk
                outcome = _attempt(email, connection=connection, now=now)
                handing_over = None
                if outcome.unreachable:
                    unreachable = outcome.last_error
            outcomes[email.pk] = outcome
            if outcome.retry_in is not None:
                retries.append(Retry(email.pk, outcome.retry_in))
    finally:
        bulk.update_each(
            OutgoingEmail, list(_OUTCOME), {pk: [getattr(o, f) for f in _OUTCOME] for pk, o in outcomes.items()}
        )
        untried = [pk for pk in won if pk not in outcomes and pk != handing_over]
        if untried:
            OutgoingEmail.objects.filter(pk__in=untried, status=OutgoingEmail.Status.SENDING).update(
                status=OutgoingEmail.Status.QUEUED
            )
    return unreachable


# A worker process keeps one SMTP connection and reuses it from task to task while it is fresh (a
# server closes idle ones: Postfix after 300 s); it is closed after a failure and opened again.
SMTP_REUSE_SECONDS = 30.0


@dataclass
class _WorkerSmtp:
    connection: BaseEmailBackend
    target: tuple[object, ...]  # the settings it was opened for (tests change them)
    used: float


_worker_smtp: list[_WorkerSmtp] = []


def worker_connection() -> BaseEmailBackend:
    """This process's SMTP connection for single sends (opened by the first send through it)."""
    target = (settings.EMAIL_BACKEND, getattr(settings, "EMAIL_HOST", ""), getattr(settings, "EMAIL_PORT", 0))
    now = time.monotonic()
    if _worker_smtp:
        kept = _worker_smtp[0]
        if kept.target == target and now - kept.used <= SMTP_REUSE_SECONDS:
            kept.used = now
            return kept.connection
        kept.connection.close()
        _worker_smtp.clear()
    _worker_smtp.append(_WorkerSmtp(get_connection(fail_silently=False), target, now))
    return _worker_smtp[0].connection


def deliver_email(email_id: int, *, now: dt.datetime, connection: BaseEmailBackend | None = None) -> int | None:
    """Send one outbox row (over `connection` if given, kept open). Returns the seconds until a retry is
    due, or None when there is nothing to retry."""
    if not claim(email_id, now=now):
        return None
    email = render_stored(OutgoingEmail.objects.select_related("request").get(pk=email_id))
    outcome = _attempt(email, connection=connection, now=now)
    OutgoingEmail.objects.filter(pk=email_id).update(**{f: getattr(outcome, f) for f in _OUTCOME})
    return outcome.retry_in


@dataclass(frozen=True)
class _Outcome:
    """How one attempt went, as the row records it."""

    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    sent_at: dt.datetime | None
    retry_in: int | None  # seconds until the retry, if one is due
    unreachable: bool = False  # the relay could not be reached (no connection), not a refusal of this email


_OUTCOME = ("status", "attempts", "next_attempt_at", "last_error", "sent_at")
# What sending a row reads of it.
_ROW = ("key", "request", "kind", "to", "language", "subject", "body_text", "body_html", "context", "urgent", *_OUTCOME)


def _attempt(email: OutgoingEmail, *, connection: BaseEmailBackend | None, now: dt.datetime) -> _Outcome:
    """Hand a claimed, rendered row to SMTP (outside any transaction: the claim is already committed)."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        connection=connection,
        headers={
            "Message-ID": make_msgid(idstring=email.key.replace(":", "."), domain=domain),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            # Which request it is about: emails written as files are filed (and deleted) with it.
            **({REFERENCE_HEADER: email.request.reference} if email.request else {}),
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if connection is not None:
        try:
            connection.open()  # kept open for the next message (a no-op when it is open already)
        except (smtplib.SMTPException, OSError) as exc:
            connection.close()
            return replace(
                _failed(email, f"The mail relay could not be reached: {exc}"[:1000], now=now), unreachable=True
            )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        if connection is not None:
            connection.close()  # the next message opens a fresh one
        return _failed(email, str(exc)[:1000], now=now)
    return _Outcome(OutgoingEmail.Status.SENT, email.attempts + 1, email.next_attempt_at, "", timezone.now(), None)


def _failed(email: OutgoingEmail, error: str, *, now: dt.datetime) -> _Outcome:
    """This attempt failed: retried after the next delay of RETRY_SCHEDULE, or failed for good after the last."""
    attempts = email.attempts + 1
    if attempts > len(RETRY_SCHEDULE):
        log.error("email %s failed for good after %s attempts: %s", email.key, attempts, error)
        return _Outcome(OutgoingEmail.Status.FAILED, attempts, email.next_attempt_at, error, None, None)
    delay = RETRY_SCHEDULE[attempts - 1]
    log.warning("email %s not sent (attempt %s), retry in %ss: %s", email.key, attempts, delay, error)
    return _Outcome(
        OutgoingEmail.Status.AWAITING_RETRY, attempts, now + dt.timedelta(seconds=delay), error, None, delay
    )


def reconcile_unsent(*, now: dt.datetime) -> dict[str, int]:
    """Mail whose broker message was lost is queued again; a send cut off mid-way is marked failed."""
    stuck = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lt=now - STUCK_SENDING_AFTER
    )
    stuck_count = stuck.update(
        status=OutgoingEmail.Status.FAILED,
        last_error="The worker stopped while sending; whether it was delivered is unknown. Check before resending.",
    )
    waiting = OutgoingEmail.objects.filter(
        status__in=_CLAIMABLE,
        next_attempt_at__lte=now - STUCK_AFTER,
    ).only("pk", "urgent")[:BATCH_SIZE]
    count = 0
    for email in waiting:
        jobs.enqueue("send_email_task", email.pk, queue=queue_for(email))
        count += 1
    return {"emails": count, "stuck_sending": stuck_count}


def requeue_failed(ids: list[int], *, now: dt.datetime) -> list[OutgoingEmail]:
    """Put failed rows back in the queue (their attempts kept) and send them after commit.

    Only rows still `failed` are touched; they are locked first, so two staff retrying at once queue each
    email once. A retried email that fails again gets no automatic retries: it is `failed` again at once.
    Call inside a transaction. Returns the rows requeued.
    """
    rows = list(
        OutgoingEmail.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=OutgoingEmail.Status.FAILED)
        .order_by("pk")
    )
    OutgoingEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=OutgoingEmail.Status.QUEUED, next_attempt_at=now
    )
    for row in rows:
        row.status, row.next_attempt_at = OutgoingEmail.Status.QUEUED, now
        jobs.enqueue_after_commit("send_email_task", row.pk, queue=queue_for(row))
    return rows
