"""Who must answer a request, and what each must do: a pure function of the policy and the request.

`plan_for` reads the policy version in force at receipt (its typed document, see
policies/document.py) and the request's facts, and returns one planned assignment per responder:

- the vendor's privacy contact **fulfils** the request for data it controls;
- where the vendor is only a **processor**, its customer is the controller: the subject is told so, and
  the vendor's task is to **assist the controller** (identify the customer, forward promptly, help);
- an erasure, rectification or restriction is **propagated** to the recipients the policy names;
- data kept under a **legal obligation** makes an erasure partial: restricted, not erased;
- where the policy lacks a fact routing needs, the work goes to the **staff queue** flagged as a policy
  gap, never to a made-up address.

No database, no clock: tests call it directly for every vendor, relationship and request type. The
notes for the person are translated into the active language (dsr.workflow activates theirs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from policies import vocabulary
from policies.document import Category, Contact, PolicyDocument

PROPAGATED_TYPES = frozenset({"erasure", "rectification", "restriction"})
ACTIONS = ("fulfil", "assist_controller", "propagate", "resolve_gap")
STAFF_QUEUE = "Privacy staff queue"


@dataclass(frozen=True)
class RequestFacts:
    request_type: str
    relationship: str
    country: str = ""
    state: str = ""
    customer_name: str = ""  # the vendor's business customer, where the subject knows it
    customer_email: str = ""
    agent_name: str = ""  # set where an authorised agent filed for the person


@dataclass(frozen=True)
class Citation:
    fact: str
    passage: str


@dataclass(frozen=True)
class PlannedAssignment:
    responder_kind: str  # vendor | customer | sub_processor | staff_queue
    responder_name: str
    responder_email: str
    action: str  # one of ACTIONS
    categories: tuple[str, ...]
    due_at: dt.datetime
    explanation: str
    citations: tuple[Citation, ...] = ()
    partial: bool = False
    policy_gap: bool = False


@dataclass(frozen=True)
class Plan:
    assignments: tuple[PlannedAssignment, ...]
    # What the subject is told about who answers (e.g. that the customer is the controller).
    subject_notes: tuple[str, ...] = field(default=())

    @property
    def partial(self) -> bool:
        return any(a.partial for a in self.assignments)

    @property
    def has_policy_gap(self) -> bool:
        return any(a.policy_gap for a in self.assignments)


def _quote(text: str) -> str:
    return f"“{text.strip()}”"


def _names(categories: Iterable[Category]) -> str:
    names = [c.name for c in categories]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plan_for(policy: PolicyDocument, facts: RequestFacts, *, due_at: dt.datetime) -> Plan:
    """The routing plan for a request under one policy version. `due_at` is the response deadline."""
    if facts.request_type not in vocabulary.REQUEST_TYPES:
        raise ValueError(f"Unknown request type {facts.request_type!r}.")
    if facts.relationship not in vocabulary.RELATIONSHIPS:
        raise ValueError(f"Unknown relationship {facts.relationship!r}.")
    vendor = policy.vendor_name
    categories = policy.categories_for(facts.relationship)
    relationship_words = vocabulary.RELATIONSHIPS[facts.relationship]
    if not categories:
        gap = policy.gap_for(f"relationships.{facts.relationship}")
        explanation = (
            f"{vendor}'s policy describes no personal data about people who say: “{relationship_words}”. "
            "Staff must decide whether the vendor holds data about this person and who answers."
        )
        if gap:
            explanation += f" The policy says: {_quote(gap.cite)}" if gap.cite else f" ({gap.note})"
        return Plan(
            assignments=(
                PlannedAssignment(
                    responder_kind="staff_queue",
                    responder_name=STAFF_QUEUE,
                    responder_email="",
                    action="resolve_gap",
                    categories=(),
                    due_at=due_at,
                    explanation=explanation,
                    citations=(Citation("no matching category", gap.cite),) if gap and gap.cite else (),
                    policy_gap=True,
                ),
            ),
            subject_notes=(
                _("The privacy team of %(vendor)s will check what data it holds about you and answer you.")
                % {"vendor": vendor},
            ),
        )

    controlled = [c for c in categories if c.role == "controller"]
    processed = [c for c in categories if c.role == "processor"]
    unknown = [c for c in categories if c.role == "unknown"]
    contact = policy.privacy_contact()
    assignments: list[PlannedAssignment] = []
    notes: list[str] = []

    if controlled:
        assignments.append(_fulfil(policy, vendor, controlled, facts, contact, due_at))
        notes.append(
            _("%(vendor)s is responsible (the controller) for %(categories)s and will answer you.")
            % {"vendor": vendor, "categories": _names(controlled)}
        )
    if processed:
        assignments += _assist(policy, vendor, processed, facts, contact, due_at)
        controller = facts.customer_name or _("the business customer that put your data into the service")
        notes.append(
            _(
                "For %(categories)s, %(vendor)s acts only on behalf of %(controller)s, which is the controller and "
                "decides on your request. %(vendor)s will forward your request to it and help it answer; you can "
                "also contact that business directly."
            )
            % {"categories": _names(processed), "vendor": vendor, "controller": controller}
        )
    if unknown:
        assignments.append(
            PlannedAssignment(
                responder_kind="staff_queue",
                responder_name=STAFF_QUEUE,
                responder_email="",
                action="resolve_gap",
                categories=tuple(c.key for c in unknown),
                due_at=due_at,
                explanation=(
                    f"{vendor}'s policy does not say whether it is controller or processor for {_names(unknown)}. "
                    "Staff must decide who answers for this data."
                ),
                citations=tuple(Citation(f"{c.name}: role", c.role_cite or c.relationships_cite) for c in unknown),
                policy_gap=True,
            )
        )
    if facts.request_type in PROPAGATED_TYPES and controlled:
        assignments += _propagate(policy, vendor, controlled, facts, due_at)
    return Plan(assignments=tuple(assignments), subject_notes=tuple(notes))


def _responder(vendor: str, contact: Contact | None) -> tuple[str, str, str, bool]:
    if contact is None:
        return "staff_queue", STAFF_QUEUE, "", True
    return "vendor", f"{vendor} privacy team", contact.email, False


def _fulfil(
    policy: PolicyDocument,
    vendor: str,
    categories: Sequence[Category],
    facts: RequestFacts,
    contact: Contact | None,
    due_at: dt.datetime,
) -> PlannedAssignment:
    kind, name, email, gap = _responder(vendor, contact)
    action_words = vocabulary.REQUEST_TYPES[facts.request_type].lower()
    lines = [f"{vendor} is the controller for {_names(categories)}: answer the request ({action_words}) for this data."]
    citations = [Citation(f"{c.name}: {vendor} is controller", c.role_cite) for c in categories]
    partial = False
    for category in categories:
        for limit in category.limits_of(facts.request_type):
            lines.append(f"The policy limits this right for {category.name}: {limit.reason} {_quote(limit.cite)}")
            citations.append(Citation(f"{category.name}: {facts.request_type} limited", limit.cite))
        if facts.request_type == "erasure":
            for rule in category.legal_holds:
                partial = True
                what = rule.description or category.name
                lines.append(
                    f"Partial erasure: {what} must be kept because a law requires it "
                    f"{_quote(rule.cite)}. Restrict those records (keep them only for that legal purpose) "
                    "instead of erasing them, erase the rest, and tell the person which records are kept and why."
                )
                citations.append(Citation(f"{category.name}: kept under a legal obligation", rule.cite))
    if facts.agent_name:
        lines.append(
            f"Filed by an authorised agent ({facts.agent_name}) for the person: before disclosing or deleting "
            "anything, ask the agent for proof of authority and, where the law allows, have the person confirm "
            "it (e.g. CCPA 11 CCR 7063; EDPB Guidelines 01/2022)."
        )
    if not policy.grants(facts.request_type):
        lines.append(
            "The policy does not list this right among those it grants; check whether the law that applies "
            "gives it before refusing."
        )
    if gap:
        lines.append("The policy gives no address for privacy requests, so this assignment waits in the staff queue.")
        citations += [Citation(g.field, g.cite) for g in policy.gaps_under("contacts") if g.cite]
    elif contact is not None:
        citations.append(Citation("privacy contact", contact.cite))
    return PlannedAssignment(
        responder_kind=kind,
        responder_name=name,
        responder_email=email,
        action="fulfil",
        categories=tuple(c.key for c in categories),
        due_at=due_at,
        explanation=" ".join(lines),
        citations=tuple(citations),
        partial=partial,
        policy_gap=gap,
    )


def _assist(
    policy: PolicyDocument,
    vendor: str,
    categories: Sequence[Category],
    facts: RequestFacts,
    contact: Contact | None,
    due_at: dt.datetime,
) -> list[PlannedAssignment]:
    kind, name, email, gap = _responder(vendor, contact)
    controller = next((c.controller_when_processor for c in categories if c.controller_when_processor), "")
    customer = facts.customer_name or "the customer"
    lines = [
        f"{vendor} is only a processor for {_names(categories)}: {customer} is the controller"
        + (f" ({controller})" if controller else "")
        + f". Identify {customer}, forward the request to it promptly, and assist it in answering; do not answer "
        "the request yourself unless the customer authorises it. The controller's deadline is not extended "
        "for the processor (EDPB Guidelines 07/2020, paras 127-129; GDPR Art 28(3)(e))."
    ]
    if facts.request_type in PROPAGATED_TYPES:
        named = policy.recipients_for(c.key for c in categories)
        if named:
            lines.append(
                "Once the controller instructs it, the sub-processors that hold this data must act too: "
                + ", ".join(r.name for r in named)
                + "."
            )
    if gap:
        lines.append("The policy gives no address for privacy requests, so this assignment waits in the staff queue.")
    citations = [Citation(f"{c.name}: {vendor} is processor", c.role_cite) for c in categories]
    planned = [
        PlannedAssignment(
            responder_kind=kind,
            responder_name=name,
            responder_email=email,
            action="assist_controller",
            categories=tuple(c.key for c in categories),
            due_at=due_at,
            explanation=" ".join(lines),
            citations=tuple(citations),
            policy_gap=gap,
        )
    ]
    if facts.customer_email:
        planned.append(
            PlannedAssignment(
                responder_kind="customer",
                responder_name=facts.customer_name or facts.customer_email,
                responder_email=facts.customer_email,
                action="fulfil",
                categories=tuple(c.key for c in categories),
                due_at=due_at,
                explanation=(
                    f"You are the controller for the data you put into {vendor}'s service ({_names(categories)}). "
                    f"The person named the request to you as the business that holds their data; {vendor} will "
                    "assist you. Please answer the request and confirm what you did."
                ),
                citations=tuple(citations),
            )
        )
    return planned


def _propagate(
    policy: PolicyDocument,
    vendor: str,
    categories: Sequence[Category],
    facts: RequestFacts,
    due_at: dt.datetime,
) -> list[PlannedAssignment]:
    planned = []
    for recipient in policy.recipients_for(c.key for c in categories):
        covered = [c for c in categories if recipient.holds(c.key)]
        planned.append(
            PlannedAssignment(
                responder_kind="sub_processor",
                responder_name=recipient.name,
                responder_email="",
                action="propagate",
                categories=tuple(c.key for c in covered),
                due_at=due_at,
                explanation=(
                    f"{recipient.name} receives {_names(covered)} from {vendor}"
                    + (f" ({recipient.purpose})" if recipient.purpose else "")
                    + f". Tell it of the {facts.request_type} so it acts on its copy too (GDPR Art 19; CCPA "
                    "11 CCR 7022). The policy gives no address for it: the vendor's privacy team sends the "
                    "instruction and records the answer."
                ),
                citations=(Citation(f"recipient {recipient.name}", recipient.cite),),
            )
        )
    return planned


def applicable_law_codes(
    policy: PolicyDocument, jurisdictions: Mapping[str, Iterable[str]], *, country: str, state: str = ""
) -> tuple[list[str], str]:
    """The laws that govern a request, and a plain sentence saying why.

    A law applies where the person lives in its territory and the vendor's policy says it serves that
    law, and also wherever the vendor is established in the law's territory (GDPR Art 3(1) applies to an
    EU establishment whoever the person is). Where neither gives a law, the request is judged by every
    law the policy names, strictest deadline first: the safer reading.
    """
    place = f"US-{state}" if country == "US" and state else country
    served = list(policy.law_codes)
    vendor_country = policy.country
    codes: list[str] = []
    reasons: list[str] = []
    for code in served:
        if place in jurisdictions.get(code, ()) or country in jurisdictions.get(code, ()):
            codes.append(code)
            reasons.append(f"{code}: you live where it applies and the policy names it")
    if vendor_country:
        for code, places in jurisdictions.items():
            if vendor_country in places and code not in codes:
                codes.append(code)
                reasons.append(f"{code}: the vendor is established in {vendor_country}")
    if not codes:
        codes = list(served)
        reasons.append("no law covers where you live, so every law the policy names is applied (strictest deadline)")
    return codes, "; ".join(reasons)
