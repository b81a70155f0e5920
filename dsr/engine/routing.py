"""Who must answer a request, and what each must do: a pure function of the policy and the request.

`plan_for` reads the policy version in force at receipt (its typed document, see
policies/document.py) and the request's facts, and returns one planned assignment per responder:

- the vendor's privacy contact **fulfils** the request for data it controls;
- where the vendor is only a **processor**, its customer is the controller: the subject is told so, and
  the vendor's task is to **assist the controller** (identify the customer, forward promptly, help);
- an erasure, rectification or restriction is **propagated** to the recipients the policy names, and where
  the policy names recipients only by kind ("cloud hosting providers"), staff get a task to **identify** them
  and tell them (GDPR Art 19; CCPA 1798.105(c)); an opt-out of sale or sharing reaches the third parties the
  data is sold or shared to (11 CCR 7026(f)), a withdrawal of consent the processor acting on it (the
  recipients' `acts_on` in the policy file), each task due by the recipients' target inside the request's date;
- data kept under a **legal obligation** makes an erasure partial: restricted, not erased;
- where the policy lacks a fact routing needs, the work goes to the **staff queue** flagged as a policy
  gap, never to a made-up address;
- a request covers the whole person: every relationship they ticked, each task once; where they were
  not sure, or ticked one the policy describes no data for, staff **review** what is held (never an
  automatic "no data" answer).

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
from policies.laws import Territory

from .explain import explain_laws
from .explain_routing import Citation, RouteStep, explain

PROPAGATED_TYPES = frozenset({"erasure", "rectification", "restriction"})
ACTIONS = ("fulfil", "assist_controller", "propagate", "identify_recipients", "resolve_gap", "review")
# Where a fee could come up: the requests that disclose a copy of the data (GDPR Art 15(3); PDPO s.28).
FEE_TYPES = frozenset({"access", "portability"})
# GDPR Art 20(1)(a): portability covers data processed on consent or under a contract, not other bases.
PORTABLE_BASES = frozenset({"consent", "contract"})
STAFF_QUEUE = "Privacy staff queue"
RECIPIENTS_BY_KIND = "Privacy staff: recipients named only by kind"


@dataclass(frozen=True)
class RequestFacts:
    request_type: str
    # Every relationship the person ticked; none means "I'm not sure" (the plan then covers every category).
    relationships: tuple[str, ...] = ()
    country: str = ""
    state: str = ""
    customer_name: str = ""  # the vendor's business customer, where the subject knows it
    customer_email: str = ""
    agent_name: str = ""  # set where an authorised agent filed for the person


@dataclass(frozen=True)
class PlannedAssignment:
    responder_kind: str  # vendor | customer | sub_processor | staff_queue
    responder_name: str
    responder_email: str
    action: str  # one of ACTIONS
    categories: tuple[str, ...]
    due_at: dt.datetime
    steps: tuple[RouteStep, ...]  # why: each rule applied, with its facts and passage (explain_routing)
    citations: tuple[Citation, ...] = ()
    partial: bool = False
    policy_gap: bool = False

    @property
    def explanation(self) -> str:
        """What staff read (and Assignment.explanation stores): the steps, in English."""
        return explain(self.steps)


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


def _names(categories: Iterable[Category]) -> str:
    names = [c.name for c in categories]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class RecipientDuty:
    """By when the request must reach the data's recipients, and the law that says so (dsr.engine.deadlines
    `recipient_target`); `basis` is "" where no law of the request sets the duty (the tasks are made anyway)."""

    due_at: dt.datetime
    basis: str = ""


def plan_for(
    policy: PolicyDocument,
    facts: RequestFacts,
    *,
    due_at: dt.datetime,
    assist_due_at: dt.datetime | None = None,
    recipients: RecipientDuty | None = None,
    fee_rules: Mapping[str, str] | None = None,
) -> Plan:
    """The routing plan for a request under one policy version. `due_at` is the response deadline;
    `assist_due_at` the processor's target to forward to its controller (default: `due_at`); `recipients`
    the target to tell the data's recipients (default: `due_at`); `fee_rules` what each law of the request
    says about fees ({law code: rule}), shown to staff where the policy reserves a fee.

    A request covers the whole person (GDPR Art 15, 17; CCPA 1798.105, 1798.110): the plan covers every
    category about any relationship the person ticked, each task once. With none ticked ("I'm not sure")
    it covers every category the policy describes, plus a staff review: the safer reading.
    """
    if facts.request_type not in vocabulary.REQUEST_TYPES:
        raise ValueError(f"Unknown request type {facts.request_type!r}.")
    relationships = tuple(dict.fromkeys(facts.relationships))
    for relationship in relationships:
        if relationship not in vocabulary.RELATIONSHIPS:
            raise ValueError(f"Unknown relationship {relationship!r}.")
    vendor = policy.vendor_name
    categories = policy.categories_for_any(relationships) if relationships else policy.categories
    uncovered = tuple(r for r in relationships if not policy.categories_for(r))
    assignments: list[PlannedAssignment] = []
    notes: list[str] = []
    if not relationships:
        assignments.append(_review([RouteStep("relationship_unknown", {"vendor": vendor})], due_at))
    if uncovered:
        assignments.append(_review_uncovered(policy, vendor, uncovered, due_at))
    if not relationships or uncovered:
        notes.append(
            _("The privacy team of %(vendor)s will check what data it holds about you and answer you.")
            % {"vendor": vendor},
        )

    controlled = [c for c in categories if c.role == "controller"]
    processed = [c for c in categories if c.role == "processor"]
    unknown = [c for c in categories if c.role == "unknown"]
    contact = policy.privacy_contact()

    if controlled:
        assignments.append(_fulfil(policy, vendor, controlled, facts, contact, due_at, fee_rules or {}))
        notes.append(
            _("%(vendor)s is responsible (the controller) for %(categories)s and will answer you.")
            % {"vendor": vendor, "categories": _names(controlled)}
        )
    if processed:
        assignments += _assist(policy, vendor, processed, facts, contact, due_at, assist_due_at or due_at)
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
                steps=(RouteStep("role_unknown", {"vendor": vendor, "categories": tuple(c.name for c in unknown)}),),
                citations=tuple(Citation(f"{c.name}: role", c.role_cite or c.relationships_cite) for c in unknown),
                policy_gap=True,
            )
        )
    if controlled:
        duty = recipients or RecipientDuty(due_at=due_at)
        assignments += _propagate(policy, vendor, controlled, facts, duty)
    return Plan(assignments=tuple(assignments), subject_notes=tuple(notes))


def _review(
    steps: Sequence[RouteStep], due_at: dt.datetime, *, citations: Sequence[Citation] = (), gap: bool = False
) -> PlannedAssignment:
    """A staff task to find out what the vendor holds about the person: never an automatic "no data"."""
    return PlannedAssignment(
        responder_kind="staff_queue",
        responder_name=STAFF_QUEUE,
        responder_email="",
        action="review",
        categories=(),
        due_at=due_at,
        steps=tuple(steps),
        citations=tuple(citations),
        policy_gap=gap,
    )


def _review_uncovered(
    policy: PolicyDocument, vendor: str, relationships: Sequence[str], due_at: dt.datetime
) -> PlannedAssignment:
    """One review task for the relationships the policy gives no category (with the passage that says so)."""
    steps = [RouteStep("no_category_for_relationship", {"vendor": vendor, "relationships": tuple(relationships)})]
    citations = []
    for relationship in relationships:
        gap = policy.gap_for(f"relationships.{relationship}")
        if gap is None:
            continue
        cited = Citation(gap.field, gap.cite) if gap.cite else None
        steps.append(RouteStep("policy_gap", {"field": gap.field, "note": gap.note}, cited))
        citations += [cited] if cited else []
    return _review(steps, due_at, citations=citations, gap=True)


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
    fee_rules: Mapping[str, str],
) -> PlannedAssignment:
    kind, name, email, gap = _responder(vendor, contact)
    names = tuple(c.name for c in categories)
    steps = [
        RouteStep("controller_answers", {"vendor": vendor, "categories": names, "request_type": facts.request_type})
    ]
    citations = [Citation(f"{c.name}: {vendor} is controller", c.role_cite) for c in categories]
    partial = False
    for category in categories:
        for limit in category.limits_of(facts.request_type):
            cited = Citation(f"{category.name}: {facts.request_type} limited", limit.cite)
            steps.append(
                RouteStep(
                    "right_limited",
                    {"category": category.name, "right": limit.right, "reason": limit.reason},
                    cited,
                )
            )
            citations.append(cited)
        if facts.request_type == "erasure" and category.limits_of("erasure") and not category.legal_holds:
            # A limit the policy states for its own purposes is not one of the Art 17(3) exceptions.
            steps.append(RouteStep("not_an_erasure_exception", {"category": category.name}))
        if facts.request_type == "portability":
            bases = {basis.basis for basis in category.lawful_bases}
            if bases and not bases & PORTABLE_BASES:
                steps.append(
                    RouteStep("portability_out_of_scope", {"category": category.name, "bases": tuple(sorted(bases))})
                )
        if facts.request_type == "erasure":
            for rule in category.legal_holds:
                partial = True
                cited = Citation(f"{category.name}: kept under a legal obligation", rule.cite)
                steps.append(RouteStep("legal_hold", {"records": rule.description or category.name}, cited))
                citations.append(cited)
    for clause_step in _clause_steps(policy, facts.request_type, fee_rules):
        steps.append(clause_step)
        if clause_step.citation:
            citations.append(clause_step.citation)
    if facts.agent_name:
        steps.append(RouteStep("authorised_agent", {"agent": facts.agent_name}))
    if not policy.grants(facts.request_type):
        steps.append(RouteStep("right_not_granted", {"right": facts.request_type}))
    if gap:
        steps.append(RouteStep("no_privacy_address"))
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
        steps=tuple(steps),
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
    assist_due_at: dt.datetime,
) -> list[PlannedAssignment]:
    kind, name, email, gap = _responder(vendor, contact)
    controller = next((c.controller_when_processor for c in categories if c.controller_when_processor), "")
    names = tuple(c.name for c in categories)
    steps = [
        RouteStep(
            "processor_assists",
            {"vendor": vendor, "categories": names, "customer": facts.customer_name, "controller": controller},
        )
    ]
    if facts.request_type in PROPAGATED_TYPES:
        named = policy.recipients_for(c.key for c in categories)
        if named:
            steps.append(RouteStep("sub_processors_follow", {"recipients": tuple(r.name for r in named)}))
    if gap:
        steps.append(RouteStep("no_privacy_address"))
    citations = [Citation(f"{c.name}: {vendor} is processor", c.role_cite) for c in categories]
    planned = [
        PlannedAssignment(
            responder_kind=kind,
            responder_name=name,
            responder_email=email,
            action="assist_controller",
            categories=tuple(c.key for c in categories),
            due_at=assist_due_at,
            steps=tuple(steps),
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
                steps=(RouteStep("customer_is_controller", {"vendor": vendor, "categories": names}),),
                citations=tuple(citations),
            )
        )
    return planned


def _clause_steps(policy: PolicyDocument, request_type: str, fee_rules: Mapping[str, str]) -> list[RouteStep]:
    """What the policy's own clauses tell staff about this request: a fee it reserves (with what each law of
    the request allows), a statement that it does not sell, where the data is transferred (Art 15(2))."""
    steps: list[RouteStep] = []
    vendor = policy.vendor_name
    if request_type in FEE_TYPES:
        for clause in policy.clauses_of("fee"):
            laws = tuple(f"{code}: {rule}" for code, rule in fee_rules.items())
            steps.append(
                RouteStep("fee_clause", {"vendor": vendor, "laws": laws}, Citation(f"{vendor}: fee", clause.cite))
            )
    if request_type == "opt_out":
        for clause in policy.clauses_of("no_sale"):
            steps.append(RouteStep("does_not_sell", {"vendor": vendor}, Citation(f"{vendor}: no sale", clause.cite)))
    if request_type == "access":
        for kind in ("no_transfers_outside_eea", "transfers_outside_eea", "invalid_transfer_basis"):
            for clause in policy.clauses_of(kind):
                steps.append(RouteStep(kind, {"text": clause.text}, Citation(f"{vendor}: transfers", clause.cite)))
    return steps


def _propagate(
    policy: PolicyDocument,
    vendor: str,
    categories: Sequence[Category],
    facts: RequestFacts,
    duty: RecipientDuty,
) -> list[PlannedAssignment]:
    """The request passed on to the recipients of the data it concerns: an erasure, rectification or
    restriction to every recipient (Art 19), an opt-out or a withdrawal of consent to those the policy says
    act on it. A named recipient is its own task; those named only by kind are one staff task to identify
    them, with every passage."""
    keys = [c.key for c in categories]
    if facts.request_type in PROPAGATED_TYPES:
        reached = policy.recipients_for(keys, named_only=False)
    else:
        reached = policy.recipients_acting_on(facts.request_type, keys)
    planned = []
    for recipient in (r for r in reached if r.named):
        covered = [c for c in categories if recipient.holds(c.key)]
        citations = [Citation(f"recipient {recipient.name}", recipient.cite)]
        if (why := recipient.duty(facts.request_type)) is not None:
            citations.append(Citation(f"{recipient.name} acts on the {facts.request_type}", why.cite))
        planned.append(
            PlannedAssignment(
                responder_kind="sub_processor",
                responder_name=recipient.name,
                responder_email="",
                action="propagate",
                categories=tuple(c.key for c in covered),
                due_at=duty.due_at,
                steps=(
                    RouteStep(
                        "tell_recipient",
                        {
                            "recipient": recipient.name,
                            "categories": tuple(c.name for c in covered),
                            "vendor": vendor,
                            "purpose": recipient.purpose,
                            "request_type": facts.request_type,
                            "basis": duty.basis,
                        },
                        citations[-1],
                    ),
                ),
                citations=tuple(citations),
            )
        )
    by_kind = [r for r in reached if not r.named]
    if by_kind:
        covered = [c for c in categories if any(r.holds(c.key) for r in by_kind)]
        citations = [Citation(f"recipients by kind: {r.name}", r.cite) for r in by_kind]
        citations += [
            Citation(f"{r.name} acts on the {facts.request_type}", why.cite)
            for r in by_kind
            if (why := r.duty(facts.request_type)) is not None
        ]
        planned.append(
            PlannedAssignment(
                responder_kind="staff_queue",
                responder_name=RECIPIENTS_BY_KIND,
                responder_email="",
                action="identify_recipients",
                categories=tuple(c.key for c in covered),
                due_at=duty.due_at,
                steps=(
                    RouteStep(
                        "identify_recipients",
                        {
                            "vendor": vendor,
                            "recipients": tuple(r.name for r in by_kind),
                            "categories": tuple(c.name for c in covered),
                            "request_type": facts.request_type,
                            "basis": duty.basis,
                        },
                    ),
                ),
                citations=tuple(citations),
            )
        )
    return planned


@dataclass(frozen=True)
class LawChoice:
    """The laws that govern a request, and why, as steps (rendered by explain_routing.explain_laws)."""

    codes: tuple[str, ...]
    steps: tuple[RouteStep, ...]

    @property
    def explanation(self) -> str:
        return explain_laws(self.steps)


def person_place(country: str, state: str = "", province: str = "") -> str:
    """Where the person lives as a jurisdiction code: "US-CA" for a US state, "CA-QC" for a Canadian province."""
    if country == "US" and state:
        return f"US-{state}"
    if country == "CA" and province:
        return f"CA-{province}"
    return country


def choose_laws(
    policy: PolicyDocument,
    territories: Mapping[str, Territory],
    *,
    country: str,
    state: str = "",
    province: str = "",
) -> LawChoice:
    """The laws that govern a request, each by its own territorial reach (laws.yaml `reach`).

    A law reaches a person living in its territory where its reach says so: wherever the vendor offers
    them its service (GDPR and UK GDPR Art 3(2), FADP Art 3(1), ...), above its thresholds for the US state
    laws (unknown: applied, and staff confirm: the safer reading), or only where the policy names it. A law
    also binds a vendor established in its territory whoever the person is (GDPR Art 3(1)). Where no law
    reaches where the person lives, the laws the policy names are not applied for that alone: the vendor's
    home law and its promise apply, and where neither sets a date the office's internal target.
    """
    place = person_place(country, state, province)
    named = list(policy.law_codes)
    order = [*named, *(code for code in territories if code not in named)]
    vendor_country = policy.country
    codes: list[str] = []
    steps: list[RouteStep] = []
    for code in order:
        territory = territories.get(code)
        if territory is None:
            continue
        reach = territory.reach
        cited = Citation(f"{code}: territorial scope", reach.source.cite)
        facts: dict[str, str | tuple[str, ...]] = {"law": code, "place": place, "mark": reach.status}
        lives_there = place in territory.places or country in territory.places
        if lives_there and (code in named or reach.residents == "offers"):
            codes.append(code)
            kind = "law_named_and_reaches" if code in named else "law_reaches_residents"
            steps.append(RouteStep(kind, facts, cited))
        elif lives_there and reach.residents == "thresholds":
            codes.append(code)
            steps.append(RouteStep("law_thresholds_unknown", facts, cited))
        elif vendor_country and reach.establishment and vendor_country in territory.places:
            codes.append(code)
            steps.append(RouteStep("law_of_establishment", {**facts, "country": vendor_country}, cited))
    if not any(step.rule != "law_of_establishment" for step in steps):
        passed_over = tuple(code for code in named if code not in codes)
        steps.append(RouteStep("no_law_where_person_lives", {"place": place, "named": passed_over}))
        if not codes:
            steps.append(RouteStep("internal_target_only", {"vendor": policy.vendor_name}))
    return LawChoice(codes=tuple(codes), steps=tuple(steps))
