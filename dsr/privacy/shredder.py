"""The shredder: one list of every field that holds personal data, and the one function that blanks it.

A request's record of what was done and when (status, dates, deadlines, the timeline rows themselves)
stays for the vendor to show a regulator; what identifies the person goes. `NOT_PERSONAL` lists every
other text field, so a new field must be put on one list or the other (tests/dsr/test_privacy.py).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import models, transaction

from ..models import (
    Answer,
    AnswerPart,
    Assignment,
    Attachment,
    Event,
    Heartbeat,
    OutgoingEmail,
    OutgoingWebhook,
    Package,
    PackageItem,
    Pause,
    ReplyTemplate,
    Request,
    StaffMembership,
    Throttle,
)
from ..outbox import filemail
from ..requests.timeline import SYSTEM, record

REDACTED = "(redacted: personal data deleted)"

# Field -> the value it gets when the person's data is deleted.
PERSONAL_DATA: dict[type[models.Model], dict[str, Any]] = {
    Request: {
        "subject_name": "",
        "subject_email": "",
        "details": "",
        "agent_name": "",
        "customer_name": "",
        "customer_email": "",
        "email_digest": "",
        # Free text staff wrote to the person about their request, and what staff matched; it may name them.
        "extension_reason": "",
        "identity_note": "",
        "authority_note": "",
    },
    # A responder's outcome and a question put to the person are free text about the person.
    Assignment: {"outcome": ""},
    # The answer the person was sent (or was to be sent): staff's cover text and each responder's part.
    Answer: {"cover": ""},
    AnswerPart: {"text": ""},
    Pause: {"reason": ""},
    # Events are redacted through their one allowed change (EventQuerySet.redact): the salt goes with the
    # content, so the content digest that keeps the hash chain whole can no longer confirm a guess.
    Event: {"message": REDACTED, "data": {}, "salt": "", "redacted": True},
    # The files the person sent with a reply: the files are deleted from storage, the rows keep the size.
    Attachment: {"file": "", "name": "(redacted)"},
    # The answer package: its ZIP and files are deleted from storage; the rows keep sizes, hashes and dates.
    Package: {"archive": "", "manifest": [], "code_hash": ""},
    PackageItem: {"file": "", "name": "(redacted)", "rows": []},
    OutgoingEmail: {
        "to": "redacted@invalid",
        "subject": "(redacted)",
        "body_text": "",
        "body_html": "",
        "context": None,
    },
    # A webhook's body is generic (the API's status callbacks carry no personal data, other senders may).
    OutgoingWebhook: {"body": "{}", "headers": {}},
}

# Text fields that hold no personal data: codes, labels, computed deadlines, business contacts.
NOT_PERSONAL: dict[type[models.Model], frozenset[str]] = {
    Request: frozenset(
        {
            "reference",
            "last_event_hash",
            "request_type",
            "relationships",
            "country",
            "state",
            "province",
            "law_codes",
            "law_rules",
            "language",
        }
        | {"status", "deadlines", "identity_method", "authority_method"}
    ),
    Assignment: frozenset(
        {"responder_kind", "responder_name", "responder_email", "action", "categories", "explanation"}
        | {"citations", "status", "reminders_sent"}
    ),
    Pause: frozenset({"kind"}),
    # Who approved or edited (staff usernames, as Event.actor); what is kept and why, quoted from the policy.
    Answer: frozenset({"approved_by_label"}),
    AnswerPart: frozenset({"kept", "edited_by_label"}),
    # The hash chain: digests of the chain's own fields and a salted digest of the content.
    Event: frozenset({"kind", "actor", "content_digest", "prev_hash", "hash"}),
    OutgoingEmail: frozenset({"key", "kind", "language", "status", "last_error"}),
    # Where a client's system receives callbacks (a business endpoint) and the name of the signing secret.
    OutgoingWebhook: frozenset({"key", "url", "secret_ref", "status", "last_error"}),
    # A keyed hash of an address, never the address; the daily job deletes old counters (ratelimit.purge_old).
    Throttle: frozenset({"key"}),
    # Which queue's worker last ran beat's heartbeat (dsr.ops.health).
    Heartbeat: frozenset({"name"}),
    StaffMembership: frozenset({"role"}),
    Attachment: frozenset({"content_type"}),
    # A package's state and the SHA-256 of what the person was given (proof, not content).
    Package: frozenset({"status", "archive_sha256"}),
    PackageItem: frozenset({"kind", "category", "content_type", "sha256", "added_by"}),
    # The office's own wording for common messages, with placeholders: no one's data.
    ReplyTemplate: frozenset({"kind", "language", "subject", "body"}),
}

# Timeline rows that hold only the office's own bookkeeping (computed deadlines) and who looked at or
# exported the request (staff usernames, never the person's data): kept whole.
KEPT_EVENT_KINDS = frozenset({"deadlines", "viewed", "evidence_exported"})


def erase_personal_data(request: Request, *, now: dt.datetime) -> bool:
    """Blank the person's data on this request and everything hanging off it; False if already done.

    Call inside a transaction that holds the request's row lock.
    """
    if request.purged_at is not None:
        return False
    Request.objects.filter(pk=request.pk).update(**PERSONAL_DATA[Request], purged_at=now)
    Assignment.objects.filter(request=request).update(**PERSONAL_DATA[Assignment])
    Answer.objects.filter(request=request).update(**PERSONAL_DATA[Answer])
    AnswerPart.objects.filter(answer__request=request).update(**PERSONAL_DATA[AnswerPart])
    Pause.objects.filter(request=request).update(**PERSONAL_DATA[Pause])
    Event.objects.filter(request=request).exclude(kind__in=KEPT_EVENT_KINDS).redact(message=REDACTED)
    OutgoingEmail.objects.filter(request=request).update(**PERSONAL_DATA[OutgoingEmail])
    OutgoingWebhook.objects.filter(request=request).update(**PERSONAL_DATA[OutgoingWebhook])
    # A callback not yet sent would now go out blank (and signed): it is ended instead, with the reason.
    OutgoingWebhook.objects.filter(
        request=request, status__in=(OutgoingWebhook.Status.QUEUED, OutgoingWebhook.Status.AWAITING_RETRY)
    ).update(status=OutgoingWebhook.Status.FAILED, last_error="Not sent: the request's personal data was erased.")
    for attachment in Attachment.objects.filter(request=request).exclude(file=""):
        # Deleted once the row no longer names it; a file left by a crash between the two is only orphaned.
        name, storage = attachment.file.name, attachment.file.storage
        Attachment.objects.filter(pk=attachment.pk).update(**PERSONAL_DATA[Attachment])
        transaction.on_commit(partial(storage.delete, name))
    for package in Package.objects.filter(request=request):
        stored = [(package.archive.storage, package.archive.name)] if package.archive else []
        stored += [(item.file.storage, item.file.name) for item in package.items.exclude(file="")]
        PackageItem.objects.filter(package=package).update(**PERSONAL_DATA[PackageItem])
        Package.objects.filter(pk=package.pk).update(**PERSONAL_DATA[Package])
        for storage, name in stored:
            transaction.on_commit(partial(storage.delete, name))
    # The emails written as files for it (the embedded default), once the rows no longer hold them.
    transaction.on_commit(partial(filemail.delete_files_of, request.reference))
    record(
        request, "purged", "Personal data deleted; the record of what was done and when is kept.", actor=SYSTEM, now=now
    )
    request.purged_at = now
    return True
