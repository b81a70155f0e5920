"""Requests, their timeline, their pauses and their computed deadlines.

The computed due dates are stored on the request (and recomputed by `dsr.workflow` on every event
that changes them) so the sweeps can find what is due through one partial index, at a cost that
grows with what is due, not with all requests.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from policies import vocabulary
from policies.models import LawRulesVersion, PolicyVersion, Vendor


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
        COMPLETED = "completed", "Completed"
        PARTIALLY_COMPLETED = "partially_completed", "Partially completed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired (email never confirmed)"
        DUPLICATE = "duplicate", "Duplicate of an earlier request"

    OPEN_STATUSES = (Status.VERIFIED, Status.IN_PROGRESS, Status.AWAITING_SUBJECT)
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
    relationship = models.CharField(max_length=32, choices=list(vocabulary.RELATIONSHIPS.items()))
    country = models.CharField(max_length=2, help_text="Where the person lives (ISO 3166-1).")
    state = models.CharField(max_length=2, blank=True, help_text="US state, where the person lives in the US.")
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
    authority_method = models.CharField(max_length=32, blank=True, choices=list(vocabulary.AUTHORITY_METHODS.items()))
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
    deadlines = models.JSONField(default=dict, blank=True, help_text="The engine's full answer, with explanations.")
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
    open_due_at = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=["verified", "in_progress", "awaiting_subject"], then=models.F("due_at")),
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
                condition=models.Q(status__in=["submitted", "verified", "in_progress", "awaiting_subject"]),
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

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_request_type_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


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


class Event(models.Model):
    """The append-only timeline: what happened, when, by whom. The audit trail shown to a regulator.

    When personal data is purged, `message` and `data` are redacted and `redacted` is set; the row stays.
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
    data = models.JSONField(default=dict, blank=True)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, null=True, related_name="+")
    redacted = models.BooleanField(default=False)

    class Meta:
        ordering = ["request", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


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
        RESOLVE_GAP = "resolve_gap", "Decide who answers: the policy lacks a fact"

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
    citations = models.JSONField(default=list)
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
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "responder_kind", "responder_name", "action"], name="dsr_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.responder_name}"


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
    context = models.JSONField(
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
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


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
