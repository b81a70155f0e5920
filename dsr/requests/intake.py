"""Public intake: a person files a request, then proves control of the email address.

Nothing is routed before the email is verified, except a request no applicable law asks to verify (a
CCPA opt-out), which is acted on at once. Until then the request holds only what the person typed; if
the link is never followed it expires with its personal data (dsr.sweeps).

No answer reveals whether an address has filed before: every submission gets its own reference and
the same "check your email" page. A repeated request is recognised at verification, when we know the
person controls the address, and joined to the earlier open one instead of being duplicated: only the
same person (and agent, and business named) asking the same vendor for the same thing, never merely the
same mailbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from policies import vocabulary
from policies.models import PolicyVersion
from policies.services import LawSet, laws_in_force, policy_in_force

from .. import bulk, jobs
from ..engine.deadlines import DeadlineError
from ..engine.routing import choose_laws
from ..models import Event, Request
from ..outbox.emails import queue_email, queue_many
from ..security import ratelimit
from ..security.tokens import LIFETIMES, make_token
from . import transitions
from .errors import DomainError
from .notices import ask_agent_for_permission, notify_subject, subject_notice
from .schedule import DEADLINE_FIELDS, apply_deadlines, deadlines_step, set_deadlines, store_law_rules
from .selectors import staff_role
from .timeline import AGENT, SUBJECT, SYSTEM, Actor, Step, chain_new, record, record_new
from .workflow import attest_in, authority_step, identity_requirement, lock, name_key, same_person

__all__ = [
    "AgentFiling",
    "DomainError",
    "Dropped",
    "RateLimited",
    "Submission",
    "accept_unconfirmed",
    "email_digest",
    "file_by_agent",
    "file_by_client",
    "submit_request",
    "verify_email",
]


class RateLimited(DomainError):
    """Too many submissions from this connection in the current window (the page says so)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Dropped(DomainError):
    """Too many submissions for this email address: nothing stored, nothing sent, and the page must look
    exactly as if it had been (a stranger learns nothing about the address and sends it no more mail)."""


@dataclass(frozen=True)
class Submission:
    """What the person typed on the form, already validated by dsr.forms.RequestForm."""

    vendor_slug: str
    request_type: str
    # Every relationship the person ticked (keys of policies.vocabulary.RELATIONSHIPS); none: "I'm not sure".
    relationships: Sequence[str]
    country: str
    state: str
    subject_name: str
    email: str
    details: str = ""
    agent_name: str = ""
    customer_name: str = ""
    customer_email: str = ""
    language: str = "en"
    province: str = ""  # Canadian province or territory (e.g. "QC"), where the person lives in Canada


def relationship_keys(relationships: Sequence[str]) -> list[str]:
    """The relationships a person ticked, each once, in the vocabulary's order (so the same set is stored the
    same way, and a repeated request is recognised); an unknown key is refused."""
    unknown = sorted(set(relationships) - set(vocabulary.RELATIONSHIPS))
    if unknown:
        raise DomainError(f"Unknown relationship {', '.join(unknown)}.")
    return [key for key in vocabulary.RELATIONSHIPS if key in relationships]


def email_digest(email: str) -> str:
    return ratelimit.email_digest(email)


def submit_request(
    submission: Submission,
    *,
    now: dt.datetime,
    client_ip: str | None = None,
    version: PolicyVersion | None = None,
) -> Request:
    """Record the request and email a verification link. The legal clock starts now (receipt).

    One transaction: with `client_ip` (a submission from the public form) the rate limits per
    connection and per email address are counted in it too, so a failed submission leaves nothing, not
    even a count. Raises RateLimited over the connection's limit (nothing counted), and Dropped over an
    address's limit (counted, nothing stored or sent). `version` is the policy in force the form was
    built from (looked up here when not given).
    """
    if version is None:
        version = policy_in_force(submission.vendor_slug, now.date())
    laws = laws_in_force()
    with transaction.atomic(durable=True):
        dropped = False
        if client_ip is not None:
            if not ratelimit.allow_client("submit-ip", client_ip, now=now):
                retry_after = ratelimit.retry_after("submit-ip", now)
                raise RateLimited("Too many submissions: try again later.", retry_after=retry_after)
            dropped = not ratelimit.allow_email(submission.email, client_ip, now=now)
        if not dropped:
            request = _store(
                submission,
                version=version,
                received_at=now,
                now=now,
                actor=AGENT if submission.agent_name else SUBJECT,
                laws=laws,
                message="Request received: {type}. Laws applied: {laws}.",
            )
            if needs_confirmation(request):
                _queue_verification(request, version)
            else:
                _accept(request, now=now, actor=SYSTEM)
            return request
    raise Dropped("Too many submissions for this address: nothing stored, nothing sent.")


def accept_unconfirmed(reference: str, *, now: dt.datetime, actor: Actor = SYSTEM) -> Request:
    """Put a submitted request that no law asks to verify into work (the intake does it at once)."""
    with transaction.atomic(durable=True):
        request = lock(reference=reference)
        _accept(request, now=now, actor=actor)
    return request


def needs_confirmation(request: Request) -> bool:
    """Whether the request waits for the email link: not where no law of it asks any verification.

    A CCPA opt-out of sale or sharing, or a limit on sensitive data, is not a verifiable request (11 CCR
    7026, 7027(e); laws.yaml `identity_check`): it is acted on without waiting for the link and never
    expires unconfirmed. Where any applicable law asks for a check, the link is still required.
    """
    return identity_requirement(request).level != "none"


def _accept(request: Request, *, now: dt.datetime, actor: Actor) -> None:
    """Put a request that needs no verification into work at once (inside the caller's transaction).

    The address is not proven (`verified_at` stays empty): responders are not told it is, and nothing that
    discloses data goes to it. The person gets the acknowledgement with their status link.
    """
    transitions.check("accept", request.status, actor)
    if needs_confirmation(request):
        raise DomainError("A law of this request asks to verify it: it waits for the email link.")
    request.status = Request.Status.VERIFIED
    request.save(update_fields=["status"])
    step = _accepted_step(request)
    record(request, step.kind, step.message, actor=SYSTEM, now=now, policy_version=step.policy_version)
    _start_work(request, now=now, reason="request accepted")


def _accepted_step(request: Request) -> Step:
    cites = "; ".join(sorted({law.cite for law in identity_requirement(request).by_law if law.level == "none"}))
    return Step(
        request,
        "accepted",
        f"Accepted without email confirmation: the laws of this request ask no verification for it ({cites}).",
        policy_version=request.policy_version,
    )


def _store(
    submission: Submission,
    *,
    version: PolicyVersion,
    received_at: dt.datetime,
    now: dt.datetime,
    actor: Actor,
    laws: LawSet,
    message: str,
    data: dict[str, object] | None = None,
) -> Request:
    """Create the request received at `received_at` and its first timeline event (in the caller's transaction).

    `message` may use {type} and {laws}: the request type and the laws applied, with why.
    """
    request, step = _build(submission, version=version, received_at=received_at, laws=laws, message=message, data=data)
    request.save(force_insert=True)
    record(request, step.kind, step.message, actor=actor, now=now, data=step.data, policy_version=step.policy_version)
    return request


def _build(
    submission: Submission,
    *,
    version: PolicyVersion,
    received_at: dt.datetime,
    laws: LawSet,
    message: str,
    data: dict[str, object] | None = None,
    digests: dict[tuple[str, ...], str] | None = None,
) -> tuple[Request, Step]:
    """The request as filed (not saved; its laws' rules stored) and its first timeline step.

    `digests`: the law-rules versions this caller stored already, by laws (a batch stores each set once).
    """
    choice = choose_laws(
        version.policy,
        laws.territories(),
        country=submission.country,
        state=submission.state,
        province=submission.province,
    )
    law_codes = list(choice.codes)
    with translation.override("en"):  # the timeline is staff's record, in English
        why = choice.explanation
    digests = {} if digests is None else digests
    if tuple(law_codes) not in digests:
        digests[tuple(law_codes)] = store_law_rules(law_codes, laws=laws)
    law_rules_id = digests[tuple(law_codes)]
    request = Request(
        vendor=version.vendor,
        policy_version=version,
        request_type=submission.request_type,
        relationships=relationship_keys(submission.relationships),
        country=submission.country,
        state=submission.state,
        province=submission.province,
        law_codes=law_codes,
        law_rules_id=law_rules_id,
        language=submission.language,
        subject_name=submission.subject_name,
        subject_email=submission.email,
        details=submission.details,
        agent_name=submission.agent_name,
        customer_name=submission.customer_name,
        customer_email=submission.customer_email,
        email_digest=email_digest(submission.email),
        received_at=received_at,
    )
    step = Step(
        request,
        "submitted",
        message.format(type=request.get_request_type_display(), laws=f"{', '.join(law_codes) or 'none'} ({why})"),
        data={
            "law_codes": law_codes,
            "law_steps": [step.as_dict() for step in choice.steps],
            "policy_version": version.number,
            **(data or {}),
        },
        policy_version=version,
    )
    return request, step


def _queue_verification(request: Request, version: PolicyVersion) -> None:
    """The email with the signed link the person follows to confirm their address."""
    queue_email(
        key=f"{request.reference}:verify",
        to=request.subject_email,
        template="verify",
        context={
            "reference": request.reference,
            "vendor": version.vendor.name,
            "request_type": request.get_request_type_display(),
            "name": request.agent_name or request.subject_name,
            "link": f"/verify/{make_token('verify', request.reference)}/",
            "valid_days": LIFETIMES["verify"].days,
        },
        language=request.language,
        request=request,
        urgent=True,
        render_later=True,  # by the worker: the person's page does not wait for three templates
    )


def verify_email(reference: str, *, now: dt.datetime, actor: Actor = SUBJECT) -> Request:
    """Mark the email as proven, set the deadlines and queue routing. Safe to call twice.

    Returns the request the person should follow: this one, or the earlier open request it repeats.
    """
    with transaction.atomic(durable=True):
        return _confirm(lock(reference=reference), now=now, actor=actor)


def _confirm(request: Request, *, now: dt.datetime, actor: Actor, message: str = "Email address confirmed.") -> Request:
    """verify_email's change on the locked request, inside the caller's transaction."""
    if request.status == Request.Status.DUPLICATE:
        return Request.objects.get(pk=request.events.filter(kind="duplicate").values("data")[0]["data"]["of"])
    if request.status == Request.Status.EXPIRED:
        raise DomainError("This request expired because its email address was not confirmed in time.")
    if request.status != Request.Status.SUBMITTED:
        return request  # confirmed already (a second click): nothing changes
    transitions.check("verify", request.status, actor)
    earlier = next(
        (
            candidate
            for candidate in Request.objects.filter(
                vendor=request.vendor,
                email_digest=request.email_digest,
                request_type=request.request_type,
                relationships=request.relationships,
                status__in=Request.OPEN_STATUSES,
            )
            .exclude(pk=request.pk)
            .order_by("received_at")
            if same_person(candidate, request)
        ),
        None,
    )
    if earlier is not None:
        transitions.check("join_duplicate", request.status, actor)
        request.status = Request.Status.DUPLICATE
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        record(
            request,
            "duplicate",
            f"Same person, vendor and request as {earlier.reference}: joined to it, not duplicated.",
            actor=SYSTEM,
            now=now,
            data={"of": earlier.pk},
        )
        record(
            earlier,
            "repeated",
            f"The person filed the same request again ({request.reference}); it was joined to this one.",
            actor=actor,
            now=now,
        )
        return earlier
    request.status = Request.Status.VERIFIED
    request.verified_at = now
    request.save(update_fields=["status", "verified_at"])
    record(request, "verified", message, actor=actor, now=now, policy_version=request.policy_version)
    _start_work(request, now=now, reason="email confirmed")
    if request.agent_name and request.request_type != "opt_out" and request.authority_recorded_at is None:
        ask_agent_for_permission(request)
    return request


def _start_work(request: Request, *, now: dt.datetime, reason: str) -> None:
    """A request now in work (confirmed or accepted): its clocks set, the person told, routing queued."""
    apply_deadlines(request, now=now, reason=reason)
    notify_subject(request, "acknowledged", "acknowledged")
    jobs.enqueue_after_commit("route_request_task", request.pk)


# How a request reached staff when they file it on the person's behalf.
CHANNELS: dict[str, str] = {"post": "by post", "phone": "by phone", "email": "by email"}


def file_on_behalf(
    submission: Submission,
    *,
    received_at: dt.datetime,
    channel: str,
    email_verified_by: str | None,
    actor: Actor,
    now: dt.datetime,
) -> Request:
    """Staff file a request the vendor received by post, phone or email. The clock starts at `received_at`.

    The same validation and routing as the public form (no rate limits: staff are not a robot). The person's
    email is either verified by the usual link (the verification email is sent), or, with
    `email_verified_by` (how staff made sure of it), recorded as verified at once by the staff member, and
    routing follows. Only staff of the vendor's team may file for it. One transaction.
    """
    if channel not in CHANNELS:
        raise DomainError(f"Say how the request was received: one of {', '.join(CHANNELS)}.")
    if email_verified_by is not None and not email_verified_by.strip():
        raise DomainError("Say how the email address was verified (for example: the person wrote from it).")
    if received_at > now:
        raise DomainError("The request cannot have been received in the future.")
    version = policy_in_force(submission.vendor_slug, received_at.date())
    if received_at.date() < version.effective_date:
        raise DomainError(
            f"The request cannot have been received before {version.vendor.name}'s first policy "
            f"({version.effective_date:%d %b %Y})."
        )
    user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.user_id is not None else None
    if user is None or staff_role(user, version.vendor_id) not in ("handler", "lead"):
        raise DomainError(f"Only staff of {version.vendor.name}'s team may file a request for it.")
    laws = laws_in_force()
    how = CHANNELS[channel]
    with transaction.atomic(durable=True):
        request = _store(
            submission,
            version=version,
            received_at=received_at,
            now=now,
            actor=actor,
            laws=laws,
            message=f"Request received {how} on {received_at:%d %b %Y %H:%M %Z}, filed on the person's behalf "
            f"by {actor.label}: {{type}}. Laws applied: {{laws}}.",
            data={"channel": channel, "filed_by": actor.label},
        )
        if email_verified_by is None:
            if needs_confirmation(request):
                _queue_verification(request, version)
            else:
                _accept(request, now=now, actor=SYSTEM)
            return request
        note = " ".join(email_verified_by.split())
        return _confirm(
            lock(pk=request.pk),
            now=now,
            actor=actor,
            message=f"Email address recorded as verified by {actor.label} by other means: {note}",
        )


@dataclass(frozen=True)
class ClientFiling:
    """Who files a request through the API (api/) and what it attests.

    `label` names the client on the timeline. An authorised agent's client (`agent`) attests that it holds
    the person's signed permission: recorded as the agent's authority. Every client attests that the
    address it gives is the person's (or, for an agent, its own) and that it proved it (`attestation`):
    recorded as the email's verification in the client's name, instead of the link. The identity check
    the laws ask for stays with staff, so nothing is disclosed on the client's word alone.
    """

    label: str
    agent: bool
    attestation: str


def file_by_client(submission: Submission, *, client: ClientFiling, now: dt.datetime) -> Request:
    """A registered API client files a request: stored, its authority and address recorded as the client
    attests them, and put into work (deadlines, acknowledgement, routing queued). One transaction.

    Returns the request filed (which may be closed at once as a duplicate of the same person's open
    request: the client is given its own request, never the other one). A caller that records more with the
    filing (the API's link of the request to its client) calls it inside its own transaction.
    """
    with transaction.atomic():
        message, data = _api_filing(client)
        return _file_attested(
            submission,
            actor=Actor("subject", client.label),
            message=message,
            data=data,
            authority=(client.attestation, "client_attestation") if client.agent else None,
            confirmed=_attested(client),
            now=now,
        )


# Requests routed per task when many are filed at once (route_many: one transaction for them all; one by
# one if that fails). 200 rather than 50: fewer tasks and transactions for a batch of 1,000.
ROUTE_CHUNK = 200


def file_many_by_client(
    submissions: Sequence[Submission], *, client: ClientFiling, now: dt.datetime
) -> list[Request | DomainError]:
    """File many requests for one API client at once, inside the caller's transaction: each result is the
    request filed, or the DomainError that refused it, in the order given.

    The same requests, events, deadlines and emails as `file_by_client` one by one, written set-wise: the
    requests in one INSERT, their timelines chained in memory and written in one INSERT, the deadline engine
    asked once per distinct case (vendor's policy, laws, request type: every request here is received at
    `now`), the acknowledgements in one INSERT, and routing queued in chunks. A request that may repeat
    an open one (the same vendor, address, type and relationships, stored or earlier in the list), or that
    names an agent a vendor's system files for (the agent is asked for its permission), goes the one-by-one
    way, after the others, so it finds them.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("file_many_by_client() files inside the caller's transaction.")
    results: list[Request | DomainError | None] = [None] * len(submissions)
    actor = Actor("subject", client.label)
    laws = laws_in_force()
    versions: dict[str, PolicyVersion | DomainError] = {}
    built: list[tuple[int, Request, Step]] = []
    digests: dict[tuple[str, ...], str] = {}
    for index, submission in enumerate(submissions):
        try:
            version = versions.get(submission.vendor_slug) or policy_in_force(submission.vendor_slug, now.date())
        except DomainError as exc:
            version = exc
        versions[submission.vendor_slug] = version
        if isinstance(version, DomainError):
            results[index] = version
            continue
        message, data = _api_filing(client)
        built.append(
            (
                index,
                *_build(
                    submission, version=version, received_at=now, laws=laws, message=message, data=data, digests=digests
                ),
            )
        )
    fast, slow = _set_wise(built, client=client)
    steps: list[tuple[Step, Actor]] = []
    filed: list[tuple[int, Request]] = []
    # Per distinct case: the deadline fields, and the words of its acceptance where no law asks to verify it
    # (shared by the case's requests, read-only: nothing here changes a request's deadlines), or why not.
    cases: dict[tuple[object, ...], tuple[dict[str, object], str | None] | DomainError] = {}
    for index, request, submitted in fast:
        case = (request.policy_version_id, request.law_rules_id, tuple(request.law_codes), request.request_type)
        if case not in cases:
            try:
                set_deadlines(request, now=now, new=True)
            except DeadlineError as exc:  # this case's laws cannot be counted: its items refused, not the batch
                cases[case] = DomainError(f"The deadlines of this request cannot be computed: {exc}")
            else:
                accepted = None if needs_confirmation(request) else _accepted_step(request).message
                cases[case] = ({name: getattr(request, name) for name in DEADLINE_FIELDS}, accepted)
        known = cases[case]
        if isinstance(known, DomainError):
            results[index] = known
            continue
        fields, accepted = known
        for name, value in fields.items():
            setattr(request, name, value)
        filed.append((index, request))
        steps.append((submitted, actor))
        if client.agent:
            request.authority_recorded_at, request.authority_method = now, "client_attestation"
            request.authority_note = client.attestation.strip()
            steps.append((authority_step(request, attestation=client.attestation, method="client_attestation"), actor))
        request.status = Request.Status.VERIFIED
        if accepted is None:
            request.verified_at = now
            steps.append((Step(request, "verified", _attested(client), policy_version=request.policy_version), actor))
            reason = "email confirmed"
        else:
            steps.append((Step(request, "accepted", accepted, policy_version=request.policy_version), SYSTEM))
            reason = "request accepted"
        steps.append((deadlines_step(request, reason=reason), SYSTEM))
    requests = [request for _, request in filed]
    if bulk.reserve_ids(Request, requests):  # each request row written once, with its chain's head
        events = chain_new([step for step, _ in steps], actors=[who for _, who in steps], now=now)
        bulk.insert(Request, requests)
        bulk.insert(Event, events)
    else:
        Request.objects.bulk_create(requests)
        record_new([step for step, _ in steps], actors=[who for _, who in steps], now=now)
    queue_many([subject_notice(request, "acknowledged", "acknowledged") for _, request in filed])
    ids = [request.pk for _, request in filed]
    for start in range(0, len(ids), ROUTE_CHUNK):
        jobs.enqueue_after_commit("route_requests_task", ids[start : start + ROUTE_CHUNK])
    for index, request in filed:
        results[index] = request
    for index in slow:
        try:
            with transaction.atomic():
                results[index] = file_by_client(submissions[index], client=client, now=now)
        except DomainError as exc:
            results[index] = exc
    done = [result for result in results if result is not None]
    if len(done) != len(submissions):
        raise RuntimeError("A submission of the batch was neither filed nor refused.")
    return done


def _set_wise(
    built: list[tuple[int, Request, Step]], *, client: ClientFiling
) -> tuple[list[tuple[int, Request, Step]], list[int]]:
    """Which of the built requests can be filed set-wise, and the indexes of those filed one by one: any
    that `same_person` finds repeating an open request (stored, or earlier in the list) goes one by one,
    where verification joins it to that request exactly as it would alone."""

    def group(request: Request) -> tuple[object, ...]:
        # What every pair `same_person` may join shares; same_person decides within the group.
        return (
            request.vendor_id,
            request.email_digest,
            request.request_type,
            tuple(request.relationships),
            name_key(request.subject_name),
        )

    candidates: dict[tuple[object, ...], list[Request]] = {}
    for stored in Request.objects.filter(
        vendor_id__in={request.vendor_id for _, request, _ in built},
        email_digest__in={request.email_digest for _, request, _ in built},
        request_type__in={request.request_type for _, request, _ in built},
        status__in=Request.OPEN_STATUSES,
    ).only(
        "vendor_id",
        "email_digest",
        "request_type",
        "relationships",
        "subject_name",
        "agent_name",
        "customer_name",
        "details",
        "authority_method",
    ):
        candidates.setdefault(group(stored), []).append(stored)
    fast, slow = [], []
    for item in built:
        index, request, _ = item
        if client.agent:  # as attest_in will record it, for same_person's reading of an attested request
            request.authority_method = "client_attestation"
        earlier = candidates.setdefault(group(request), [])
        # An agent's client files only for agents (else attest_in refuses it); a vendor's system filing for an
        # agent asks the agent for its permission: both the one-by-one way, which says or does so.
        if bool(request.agent_name) != client.agent or any(same_person(other, request) for other in earlier):
            slow.append(index)
        else:
            fast.append(item)
        earlier.append(request)
    return fast, slow


def _api_filing(client: ClientFiling) -> tuple[str, dict[str, object]]:
    """What `file_by_client` says of a filing: the first event's words and data."""
    message = f"Request received through the API from {client.label}: {{type}}. Laws applied: {{laws}}."
    return message, {"channel": "api", "client": client.label}


def _attested(client: ClientFiling) -> str:
    return f"Email address attested by {client.label}: {client.attestation}"


@dataclass(frozen=True)
class AgentFiling:
    """What an authorised agent's signed protocol request (api.drp) says beyond the form's fields."""

    agent_label: str  # who acts, on the timeline: the agent and its protocol id
    attestation: str  # what the agent attests (the person's permission) and what it verified of the person
    protocol: str  # the protocol's name, for the timeline


def file_by_agent(submission: Submission, *, filing: AgentFiling, now: dt.datetime) -> Request:
    """An authorised agent files a request through its own protocol, inside the caller's transaction.

    The agent proved who it is by signing the request with the key staff registered for it, and its email
    (`submission.email`) is the one staff registered: the request is confirmed at once in the agent's name,
    as the agent's confirmation of its own address would (an opt-out that no law asks to verify is accepted).
    Its attestation of the person's permission is recorded as the authority; the identity check stays staff's,
    at the level the laws ask for, before anything is disclosed. The clock starts now (receipt).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("file_by_agent() files inside the caller's transaction.")
    if not submission.agent_name:
        raise DomainError("An agent's request names the agent.")
    return _file_attested(
        submission,
        actor=Actor("subject", filing.agent_label),
        message=f"Request received from the authorised agent {filing.agent_label} through the {filing.protocol}: "
        "{type}. Laws applied: {laws}.",
        data={"channel": "agent_protocol", "agent": filing.agent_label},
        authority=(filing.attestation, "agent_attestation"),
        confirmed=f"Filed by {filing.agent_label}, whose signature was checked against the key staff registered "
        "for it, from the address staff registered for it: confirmed.",
        now=now,
    )


def _file_attested(
    submission: Submission,
    *,
    actor: Actor,
    message: str,
    data: dict[str, object],
    authority: tuple[str, str] | None,
    confirmed: str,
    now: dt.datetime,
) -> Request:
    """A request a registered program files (inside the caller's transaction): stored, the agent's attested
    authority recorded (`authority`: what it attests, and how), the address confirmed in its name (or the
    request accepted where no law asks to verify it), and put into work."""
    request = _store(
        submission,
        version=policy_in_force(submission.vendor_slug, now.date()),
        received_at=now,
        now=now,
        actor=actor,
        laws=laws_in_force(),
        message=message,
        data=data,
    )
    if authority is not None:
        attestation, method = authority
        attest_in(request, attestation=attestation, method=method, actor=actor, now=now)
    if needs_confirmation(request):
        _confirm(request, now=now, actor=actor, message=confirmed)
    else:
        _accept(request, now=now, actor=SYSTEM)
    return request
