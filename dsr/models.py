"""Requests, their timeline, their pauses and their computed deadlines.

The computed due dates are stored on the request (and recomputed by `dsr.workflow` on every event
that changes them) so the sweeps can find what is due through one partial index, at a cost that
grows with what is due, not with all requests.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone

from policies import vocabulary
from policies.models import LawRulesVersion, PolicyVersion, Vendor


class BulkJSONField(models.JSONField):
    """JSON that many rows are inserted with at once (a batch of requests, their events, their emails).

    Django inserts many rows on PostgreSQL as one UNNEST of an array per column, and the driver quotes
    each JSON value into an array literal character by character: about 2 ms a request for the deadlines
    and the events' data (measured for issue #13). A field with its own placeholder makes Django use a
    plain VALUES list instead, where each value is sent as it is. Same column type, same values. (The
    batch's rows now go by COPY, dsr.bulk.insert; this still serves what bulk_create inserts, such as the
    outbox's rows when a key is already stored.)
    """

    def get_placeholder(self, value: object, compiler: object, connection: object) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        # To migrations it is a JSONField: nothing in the database differs, so no migration rebuilds a table.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


def new_reference() -> str:
    """A short reference a person can read out on the phone: no 0/O or 1/I to confuse."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "DSR-" + "".join(secrets.choice(alphabet) for _ in range(8))


class Request(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for email confirmation"
        VERIFIED = "verified", "Email confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_SUBJECT = "awaiting_subject", "Waiting for the requester"
        # Every responder has answered: the draft answer waits for a team lead's approval before it goes out.
        AWAITING_APPROVAL = "awaiting_approval", "Answer awaiting approval"
        COMPLETED = "completed", "Completed"
        PARTIALLY_COMPLETED = "partially_completed", "Partially completed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired (email never confirmed)"
        DUPLICATE = "duplicate", "Duplicate of an earlier request"

    OPEN_STATUSES = (Status.VERIFIED, Status.IN_PROGRESS, Status.AWAITING_SUBJECT, Status.AWAITING_APPROVAL)
    CLOSED_STATUSES = (
        Status.COMPLETED,
        Status.PARTIALLY_COMPLETED,
        Status.REJECTED,
        Status.WITHDRAWN,
        Status.EXPIRED,
        Status.DUPLICATE,
    )

    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="requests")
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="+", help_text="The policy in force at receipt."
    )
    request_type = models.CharField(max_length=24, choices=list(vocabulary.REQUEST_TYPES.items()))
    relationships = models.JSONField(
        default=list,
        blank=True,
        help_text="Every way the person said the vendor has their data (keys of policies.vocabulary.RELATIONSHIPS); "
        "empty: they were not sure. The request covers them all.",
    )
    country = models.CharField(max_length=2, help_text="Where the person lives (ISO 3166-1).")
    state = models.CharField(max_length=2, blank=True, help_text="US state, where the person lives in the US.")
    province = models.CharField(
        max_length=2, blank=True, help_text="Canadian province or territory, where the person lives in Canada."
    )
    law_codes = models.JSONField(default=list, help_text="The laws that apply, strictest deadline wins.")
    law_rules = models.ForeignKey(
        LawRulesVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Those laws' rules as loaded at receipt (shared by the requests received under them); "
        "recomputations use them.",
    )
    language = models.CharField(max_length=8, default="en", help_text="The language the person used.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.SUBMITTED)

    # Personal data: blanked by the purge when the request's own retention ends (the row stays).
    subject_name = models.CharField(max_length=200)
    subject_email = models.EmailField()
    details = models.TextField(blank=True)
    agent_name = models.CharField(
        max_length=200, blank=True, help_text="Set where an authorised agent filed it; the email is then the agent's."
    )
    customer_name = models.CharField(
        max_length=200, blank=True, help_text="The vendor's customer, if the person knows."
    )
    customer_email = models.EmailField(blank=True)
    email_digest = models.CharField(max_length=64, db_index=True, help_text="Keyed hash of the email, for duplicates.")

    # Identity before disclosure (dsr.engine.identity): how staff made sure who asks, and, for an
    # authorised agent, on what authority they act. Answers that disclose or change data wait for both.
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_method = models.CharField(max_length=32, blank=True, choices=list(vocabulary.IDENTITY_METHODS.items()))
    identity_note = models.TextField(blank=True, help_text="What was matched (internal).")
    authority_recorded_at = models.DateTimeField(null=True, blank=True)
    authority_method = models.CharField(
        max_length=32, blank=True, choices=list(vocabulary.ALL_AUTHORITY_METHODS.items())
    )
    authority_note = models.TextField(blank=True, help_text="The permission seen (internal).")

    received_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    # Stored results of dsr.deadlines (recomputed by dsr.workflow on every event that changes them).
    due_at = models.DateTimeField(null=True, blank=True, help_text="Strictest response deadline.")
    ack_due_at = models.DateTimeField(null=True, blank=True)
    extension_notice_due_at = models.DateTimeField(null=True, blank=True)
    extended = models.BooleanField(default=False)
    extension_announced_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    deadlines = BulkJSONField(default=dict, blank=True, help_text="The engine's full answer, with explanations.")
    next_action_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Who on the vendor's team works the request (dsr.requests.workflow.assign_owner).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dsr_owned_requests",
        help_text="The team member who works the request.",
    )
    # The staff queue's order: open requests by due date, then every other request (NULL here) newest
    # first. Kept by the database, so the queue reads one page straight from an index.
    # The hash of the request's last timeline event: the head of its chain, moved by each append under the
    # row's lock (dsr.requests.timeline.record), so a removed last event is found too.
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)
    open_due_at = models.GeneratedField(
        expression=models.Case(
            models.When(
                status__in=["verified", "in_progress", "awaiting_subject", "awaiting_approval"], then=models.F("due_at")
            ),
            default=None,
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # Only open requests: read by dsr.sweeps to find reminders and escalations that are due.
            models.Index(
                fields=["next_action_at"],
                name="dsr_request_due_open",
                condition=models.Q(
                    status__in=["submitted", "verified", "in_progress", "awaiting_subject", "awaiting_approval"]
                ),
            ),
            # The staff list's default order, for everyone and for one vendor's team.
            models.Index(fields=["-received_at", "-id"], name="dsr_request_received"),
            models.Index(fields=["vendor", "-received_at", "-id"], name="dsr_request_vendor_received"),
            # The staff queue: open requests soonest due first, then the rest newest first.
            models.Index(fields=["open_due_at", "-received_at", "-id"], name="dsr_request_queue"),
            models.Index(fields=["vendor", "open_due_at", "-received_at", "-id"], name="dsr_request_vendor_queue"),
            # "My work": a staff member's own requests.
            models.Index(fields=["owner", "open_due_at"], name="dsr_request_owner_queue"),
            # The daily and ten-minute jobs read only their own few rows.
            models.Index(fields=["received_at"], name="dsr_request_unverified", condition=models.Q(status="submitted")),
            models.Index(fields=["verified_at"], name="dsr_request_unrouted", condition=models.Q(status="verified")),
            # The dashboard's months: a vendor's answers of the last year, with what the figures read.
            models.Index(
                fields=["vendor", "closed_at"],
                name="dsr_request_vendor_answered",
                include=["received_at", "due_at", "policy_version"],
                condition=models.Q(status__in=["completed", "partially_completed", "rejected"]),
            ),
            models.Index(
                fields=["closed_at"],
                name="dsr_request_to_purge",
                condition=models.Q(
                    purged_at__isnull=True,
                    status__in=["completed", "partially_completed", "rejected", "withdrawn", "expired", "duplicate"],
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(extended=True) | models.Q(extension_announced_on__isnull=False),
                name="dsr_request_extension_has_date",
            ),
        ]

    # The status this instance last announced (dsr.requests.signals.status_changed): the one it was loaded
    # with, or set by timeline.record when it announces a change. Not a field.
    announced_status: str | None = None

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_request_type_display()})"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Request:
        instance = super().from_db(db, field_names, values)
        instance.announced_status = instance.__dict__.get("status")
        return instance

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def relationships_display(self) -> str:
        """Every relationship the person ticked, in plain English words (staff, exports), or "not sure"."""
        return "; ".join(vocabulary.relationship_labels(self.relationships))


class Pause(models.Model):
    """An interval while the request waits on the person. Whether it stops the clock is the law's call."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", "Waiting for proof of identity"
        CLARIFICATION = "clarification", "Waiting for clarification of the request"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="dsr_pause_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(ended_on__isnull=True), name="dsr_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.started_on} to {self.ended_on or 'now'}"


class AppendOnly(Exception):
    """A timeline event was to be changed or deleted: the audit trail only grows (redaction aside)."""


class EventQuerySet(models.QuerySet["Event"]):
    """Events are appended, never updated or deleted; the shredder's `redact` is the one change allowed."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("Timeline events cannot be changed (the shredder redacts them with redact()).")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Timeline events cannot be deleted.")

    def redact(self, *, message: str) -> int:
        """Blank the personal content of the events not yet redacted: message, data and the digest's salt.

        The chain (dsr.requests.audit) covers a digest of the content, not the content, so it still holds;
        with the salt gone, the digest can no longer confirm a guess at what was said. The PostgreSQL
        trigger of migration 0014 allows exactly this change and no other.
        """
        return models.QuerySet.update(self.filter(redacted=False), message=message, data={}, salt="", redacted=True)


class Event(models.Model):
    """The append-only timeline: what happened, when, by whom. The audit trail shown to a regulator.

    When personal data is purged, `message` and `data` are redacted and `redacted` is set; the row stays.
    Each request's events form a hash chain (dsr.requests.timeline.record writes it, dsr.requests.audit
    checks it): `hash` covers the previous event's hash, who, when, what kind, and `content_digest`, a
    salted SHA-256 of the message and data. Rows are never changed through the ORM (save on an existing
    row, queryset update and delete raise AppendOnly) nor, on PostgreSQL, by plain SQL (a trigger).
    """

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    actor = models.CharField(max_length=200, blank=True, help_text="Staff username, 'subject', 'system', ...")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who acted, where one did (the label says who otherwise).",
    )
    message = models.TextField()
    data = BulkJSONField(default=dict, blank=True)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, null=True, related_name="+")
    redacted = models.BooleanField(default=False)
    # The hash chain (dsr.requests.timeline.link_hash): hex SHA-256 digests; "" before the first event.
    salt = models.CharField(
        max_length=32, blank=True, help_text="Random salt of the content digest; blanked on redaction."
    )
    content_digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the salt, message and data.")
    prev_hash = models.CharField(max_length=64, blank=True, help_text="The hash of the request's previous event.")
    hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 over prev_hash and this event's fields.")

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["request", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly(f"Timeline event {self.pk} cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly(f"Timeline event {self.pk} cannot be deleted.")


class Assignment(models.Model):
    """One responder's part of a request, from the routing plan (dsr.routing)."""

    class ResponderKind(models.TextChoices):
        VENDOR = "vendor", "The vendor's privacy team"
        CUSTOMER = "customer", "The vendor's customer (the controller)"
        SUB_PROCESSOR = "sub_processor", "A recipient or sub-processor"
        STAFF_QUEUE = "staff_queue", "Staff queue (policy gap)"

    class Action(models.TextChoices):
        FULFIL = "fulfil", "Answer the request as controller"
        ASSIST_CONTROLLER = "assist_controller", "Forward to the controller and assist it"
        PROPAGATE = "propagate", "Tell the recipient to act on the request"
        IDENTIFY_RECIPIENTS = "identify_recipients", "Identify the recipients named only by kind and tell them"
        RESOLVE_GAP = "resolve_gap", "Decide who answers: the policy lacks a fact"
        REVIEW = "review", "Check what data is held about the person and who answers"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="assignments")
    responder_kind = models.CharField(max_length=16, choices=ResponderKind.choices)
    responder_name = models.CharField(max_length=200)
    responder_email = models.EmailField(blank=True, help_text="Empty where no address is known: staff handle it.")
    action = models.CharField(max_length=20, choices=Action.choices)
    categories = models.JSONField(default=list)
    due_at = models.DateTimeField()
    explanation = models.TextField()
    citations = BulkJSONField(default=list)
    partial = models.BooleanField(default=False, help_text="Some data is kept under a legal obligation.")
    policy_gap = models.BooleanField(default=False)
    contact_approved = models.BooleanField(
        default=True,
        help_text="False while the address is only what the requester typed: no link goes to it until staff approve.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reminders_sent = models.JSONField(default=list, help_text="Days-before-due of the reminders already sent.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True, editable=False)
    link_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised when staff revoke the responder's link: links signed for an earlier one stop working.",
    )

    class Meta:
        ordering = ["request", "id"]
        indexes = [
            # Only open assignments: read by dsr.sweeps for reminders and escalations.
            models.Index(fields=["next_action_at"], name="dsr_assignment_due_open", condition=models.Q(status="open")),
            # The dashboard's policy-gap count and the queue's gap filter: the few open gaps.
            models.Index(
                fields=["request"], name="dsr_assignment_open_gap", condition=models.Q(status="open", policy_gap=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "responder_kind", "responder_name", "action"], name="dsr_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.responder_name}"


class Answer(models.Model):
    """The draft answer to a request: a cover text and one part per responder (dsr.requests.answers).

    Every responder's answer becomes a part; staff edit the parts and the cover; a team lead approves, and
    only then is the person sent the whole answer, in one email (dsr.requests.workflow.approve_answer).
    """

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="answer")
    cover = models.TextField(blank=True, help_text="What the person reads before the parts (staff write it).")
    partial = models.BooleanField(
        default=False, help_text="Staff closed it as partially completed (a part may also be partial)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by_label = models.CharField(max_length=200, blank=True, help_text="Who approved (the actor's label).")

    def __str__(self) -> str:
        return f"Answer to {self.request_id}"


class AnswerPart(models.Model):
    """One responder's part of the answer: what it did (the text staff may edit) and what is kept, and why.

    `kept` is read from the policy in force at receipt when the part arrives: one entry per record kept under
    a legal obligation, {category, records, passage, source}; the responder's own words stay on the assignment.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="parts")
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="answer_part")
    text = models.TextField(help_text="What the person is told was done (the responder's words, as edited).")
    partial = models.BooleanField(default=False, help_text="Some records are kept under a legal obligation.")
    kept = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["answer", "assignment_id"]

    def __str__(self) -> str:
        return f"Part {self.assignment_id} of answer {self.answer_id}"


class OutgoingEmail(models.Model):
    """The outbox: written in the same transaction as the change that causes it, sent after commit.

    `key` makes each notification unique (e.g. "DSR-AB12CD34:acknowledged"), so a retried change never
    queues it twice; the status machine makes the sender claim a row before sending, so a redelivered
    task never sends it twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        AWAITING_RETRY = "awaiting_retry", "Waiting to retry"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    context = BulkJSONField(
        null=True,
        blank=True,
        help_text="Set while the email waits to be rendered by the worker (template `kind`); "
        "emptied once subject and bodies are rendered.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    urgent = models.BooleanField(default=False, help_text="To the person, who is waiting: sent on its own queue.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Only unsent mail: read by dsr.sweeps.reconcile to pick up what was never sent.
            models.Index(
                fields=["next_attempt_at"],
                name="dsr_email_unsent",
                condition=models.Q(status__in=["queued", "awaiting_retry", "sending"]),
            ),
            # Failed mail for staff (the dashboard's count, the list's filter): few rows, read through their own index.
            models.Index(fields=["request"], name="dsr_email_failed", condition=models.Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class OutgoingWebhook(models.Model):
    """The webhook outbox: a POST written in the same transaction as the change that causes it, sent after commit.

    As `OutgoingEmail`: `key` makes each notification unique (an API client's status callback is keyed by
    the request and the timeline event of the change), and the sender claims a row (queued -> sending)
    before it talks to the network, so a redelivered task never posts it twice. `secret_ref` names the
    signing secret (dsr.outbox.webhooks.signing_secret derives it); the secret itself is never stored.
    """

    Status = OutgoingEmail.Status  # the same states, claimed and retried the same way

    key = models.CharField(max_length=200, unique=True)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks")
    url = models.URLField(max_length=500)
    body = models.TextField(help_text="The JSON body, exactly as posted and signed.")
    headers = models.JSONField(default=dict, blank=True, help_text="Extra headers (the signature is added when sent).")
    secret_ref = models.CharField(
        max_length=200, blank=True, help_text="Names the HMAC signing secret; empty: unsigned."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="dsr_webhook_unsent",
                condition=models.Q(status__in=["queued", "awaiting_retry", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"POST {self.url} ({self.status})"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Under MEDIA_ROOT/replies/<reference>/, with a random prefix: an uploaded name never collides or guesses."""
    return f"replies/{instance.request.reference}/{secrets.token_hex(8)}-{filename}"


class Attachment(models.Model):
    """A file the person sent with a reply (dsr.requests.workflow.record_reply): staff of the vendor only."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200, help_text="The file's name as sent, made safe.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """The text staff start from for a common message to the person, per language (edited by team leads).

    Placeholders: {reference}, {vendor}, {due} (the answer's due date) and {name} (the person's name).
    """

    class Kind(models.TextChoices):
        INFO = "info", "Ask for information"
        IDENTITY = "identity", "Ask for proof of identity"
        EXTENSION = "extension", "Extend the deadline"
        REFUSAL = "refusal", "Refuse the request"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["kind", "language"]
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="dsr_reply_template_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class Throttle(models.Model):
    """A fixed-window counter for rate limits. The key is a keyed hash: no IP or email is stored."""

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="dsr_throttle_window")]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.count} since {self.window_start:%H:%M}"


class StaffMembership(models.Model):
    """Which vendors' requests a staff member works on. Superusers see every vendor."""

    class Role(models.TextChoices):
        HANDLER = "handler", "Handler: works requests"
        LEAD = "lead", "Team lead: also extends, rejects, reassigns and approves answers"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dsr_memberships")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="staff_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.HANDLER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "vendor"], name="dsr_staff_membership_once")]

    def __str__(self) -> str:
        return f"{self.user} works on {self.vendor}"


class Heartbeat(models.Model):
    """The last time beat's heartbeat task ran on each queue (dsr.ops.health): proof the workers live."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


def package_storage() -> Storage:
    """Where answer packages live: the storage alias DSR_PACKAGE_STORAGE (default: the file system under var/)."""
    return storages[settings.DSR_PACKAGE_STORAGE]


def package_item_path(instance: PackageItem, filename: str) -> str:
    """packages/<reference>/items/<random>-<name>: a name a person sent never collides or guesses."""
    return f"packages/{instance.package.request.reference}/items/{secrets.token_hex(8)}-{filename}"


def package_archive_path(instance: Package, filename: str) -> str:
    return f"packages/{instance.request.reference}/{secrets.token_hex(8)}-{filename}"


class Package(models.Model):
    """The answer to an access or portability request: files and data rows, sealed into one ZIP with a cover
    letter, downloaded by the person with a one-time code sent to the proven email, deleted after expiry
    (dsr.packages)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Being put together"
        SEALED = "sealed", "Sent to the person, not downloaded yet"
        DELIVERED = "delivered", "Downloaded by the person"
        EXPIRED_DELETED = "expired_deleted", "Expired: its files are deleted"

    LIVE_STATUSES = (Status.SEALED, Status.DELIVERED)

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="package")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    # The sealed ZIP and what it holds (name, bytes and SHA-256 of each file; dsr.packages.contents.manifest).
    archive = models.FileField(upload_to=package_archive_path, storage=package_storage, max_length=300, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=list, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    first_downloaded_at = models.DateTimeField(null=True, blank=True)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The one-time code sent to the proven email: only its keyed hash, its expiry and the wrong tries.
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            # The periodic expiry job reads only live packages (dsr.privacy.retention.expire_packages).
            models.Index(
                fields=["expires_at"], name="dsr_package_live", condition=models.Q(status__in=["sealed", "delivered"])
            ),
        ]

    def __str__(self) -> str:
        return f"Package of {self.request.reference} ({self.status})"

    @property
    def downloaded(self) -> bool:
        return self.first_downloaded_at is not None


class PackageItem(models.Model):
    """One part of a package: a file (staff in the admin, a responder through its link) or data rows of a
    category (JSON-able records), written out as JSON and CSV."""

    class Kind(models.TextChoices):
        FILE = "file", "File"
        DATA = "data", "Data rows"

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    category = models.CharField(max_length=64, blank=True, help_text="The policy's data category key.")
    name = models.CharField(max_length=200, blank=True, help_text="A file's name, made safe.")
    file = models.FileField(upload_to=package_item_path, storage=package_storage, max_length=300, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.JSONField(default=list, blank=True)
    added_by = models.CharField(max_length=200, help_text="Who added it (the actor's label).")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["package", "added_at", "id"]

    def __str__(self) -> str:
        return self.name or f"{self.category}: {len(self.rows)} rows"
