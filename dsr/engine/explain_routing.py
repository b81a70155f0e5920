"""Routing explanations as data, and their staff-facing English text.

The router (dsr.engine.routing) records *why* it planned each assignment as `RouteStep`s: a stable rule
code, the facts the rule used and the passage of the policy behind it. `explain` renders the steps
as the English explanation staff read (and `Assignment.explanation` stores), one sentence or two per
step, so another rendering (a translation) can be written from the same steps later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from policies import vocabulary


@dataclass(frozen=True)
class Citation:
    fact: str
    passage: str


@dataclass(frozen=True)
class RouteStep:
    rule: str  # one of RULES
    facts: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    citation: Citation | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: the rule, its facts and the passage (stored with the request's first event)."""
        facts = {key: value if isinstance(value, str) else list(value) for key, value in self.facts.items()}
        cited = {"fact": self.citation.fact, "passage": self.citation.passage} if self.citation else None
        return {"rule": self.rule, "facts": facts, "citation": cited}


def explain(steps: Iterable[RouteStep]) -> str:
    """The staff-facing English explanation of an assignment, from its steps."""
    return " ".join(_RENDER[step.rule](step) for step in steps)


def _text(step: RouteStep, key: str) -> str:
    value = step.facts.get(key, "")
    if not isinstance(value, str):
        raise TypeError(f"{step.rule}: fact {key!r} must be text")
    return value


def _names(step: RouteStep, key: str = "categories") -> str:
    value = step.facts.get(key, ())
    names = [value] if isinstance(value, str) else list(value)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _quote(text: str) -> str:
    return f"“{text.strip()}”"


def _passage(step: RouteStep) -> str:
    return _quote(step.citation.passage) if step.citation else ""


def _no_category(step: RouteStep) -> str:
    value = step.facts.get("relationships", ())
    words = "; ".join(f"“{vocabulary.RELATIONSHIPS[key]}”" for key in ([value] if isinstance(value, str) else value))
    return (
        f"{_text(step, 'vendor')}'s policy describes no personal data about people who say: {words}. "
        "Staff must check whether the vendor holds data about this person (for example IP addresses or "
        "identifiers its service still processes) and who answers; never answer “no data” without checking."
    )


def _relationship_unknown(step: RouteStep) -> str:
    return (
        f"The person was not sure how {_text(step, 'vendor')} has their data, so the request covers every "
        "category the policy describes (the safer reading: a request covers the whole person, GDPR Art 15 and "
        "17, CCPA 1798.105 and 1798.110). Search each one for this person, and ask them if a detail would "
        "narrow the search."
    )


def _policy_gap(step: RouteStep) -> str:
    return f"The policy says: {_passage(step)}" if step.citation else f"({_text(step, 'note')})"


def _role_unknown(step: RouteStep) -> str:
    return (
        f"{_text(step, 'vendor')}'s policy does not say whether it is controller or processor for {_names(step)}. "
        "Staff must decide who answers for this data."
    )


def _controller_answers(step: RouteStep) -> str:
    action_words = vocabulary.REQUEST_TYPES[_text(step, "request_type")].lower()
    vendor = _text(step, "vendor")
    return f"{vendor} is the controller for {_names(step)}: answer the request ({action_words}) for this data."


def _right_limited(step: RouteStep) -> str:
    return f"The policy limits this right for {_text(step, 'category')}: {_text(step, 'reason')} {_passage(step)}"


def _legal_hold(step: RouteStep) -> str:
    return (
        f"Partial erasure: {_text(step, 'records')} must be kept because a law requires it "
        f"{_passage(step)}. Restrict those records (keep them only for that legal purpose) "
        "instead of erasing them, erase the rest, and tell the person which records are kept and why."
    )


def _not_an_erasure_exception(step: RouteStep) -> str:
    return (
        f"The policy's reason is not a legal duty: keeping {_text(step, 'category')} for the vendor's own "
        "(legitimate business) purposes is not an exception to erasure (GDPR Art 17(3) lists the only ones: "
        "a legal obligation, legal claims, public interest, freedom of expression, archiving). Erase it unless "
        "one of those applies, and record which."
    )


def _portability_out_of_scope(step: RouteStep) -> str:
    return (
        f"{_text(step, 'category')} is processed on {_names(step, 'bases')}, not on consent or a "
        "contract: under the GDPR and the UK GDPR portability does not cover it (Art 20(1)(a)); give it as an "
        "access copy instead. Other laws of the request (e.g. the CCPA) may not limit portability this way."
    )


def _authorised_agent(step: RouteStep) -> str:
    return (
        f"Filed by an authorised agent ({_text(step, 'agent')}) for the person: before disclosing or deleting "
        "anything, ask the agent for proof of authority and, where the law allows, have the person confirm "
        "it (e.g. CCPA 11 CCR 7063; EDPB Guidelines 01/2022)."
    )


def _right_not_granted(step: RouteStep) -> str:
    return (
        "The policy does not list this right among those it grants; check whether the law that applies "
        "gives it before refusing."
    )


def _no_privacy_address(step: RouteStep) -> str:
    return "The policy gives no address for privacy requests, so this assignment waits in the staff queue."


def _processor_assists(step: RouteStep) -> str:
    customer = _text(step, "customer") or "the customer"
    controller = _text(step, "controller")
    return (
        f"{_text(step, 'vendor')} is only a processor for {_names(step)}: {customer} is the controller"
        + (f" ({controller})" if controller else "")
        + f". Identify {customer}, forward the request to it promptly, and assist it in answering; do not answer "
        "the request yourself unless the customer authorises it. The controller's deadline is not extended "
        "for the processor (EDPB Guidelines 07/2020, paras 127-129; GDPR Art 28(3)(e))."
    )


def _sub_processors_follow(step: RouteStep) -> str:
    value = step.facts.get("recipients", ())
    names = [value] if isinstance(value, str) else list(value)
    return (
        "Once the controller instructs it, the sub-processors that hold this data must act too: "
        + ", ".join(names)
        + "."
    )


def _customer_is_controller(step: RouteStep) -> str:
    vendor = _text(step, "vendor")
    return (
        f"You are the controller for the data you put into {vendor}'s service ({_names(step)}). "
        f"The person named the request to you as the business that holds their data; {vendor} will "
        "assist you. Please answer the request and confirm what you did."
    )


def _request_words(step: RouteStep) -> str:
    """The request as the form words it, told of the person ("delete the person's personal data")."""
    words = vocabulary.REQUEST_TYPES[_text(step, "request_type")]
    words = words[0].lower() + words[1:]
    for mine, theirs in ((r"\bmy\b", "the person's"), (r"\bme\b", "them"), (r"\bI\b", "they")):
        words = re.sub(mine, theirs, words)
    return words


def _basis(step: RouteStep) -> str:
    basis = _text(step, "basis") if "basis" in step.facts else ""
    return f" ({basis})" if basis else ""


def _tell_recipient(step: RouteStep) -> str:
    purpose = _text(step, "purpose")
    return (
        f"{_text(step, 'recipient')} receives {_names(step)} from {_text(step, 'vendor')}"
        + (f" ({purpose})" if purpose else "")
        + f". Pass the request on (“{_request_words(step)}”) so it acts on its copy too{_basis(step)}. The policy "
        "gives no address for it: the vendor's privacy team sends the instruction and records whom it told."
    )


def _identify_recipients(step: RouteStep) -> str:
    return (
        f"{_text(step, 'vendor')}'s policy names these recipients of {_names(step)} only by kind: "
        f"{_names(step, 'recipients')}. Identify which organisations they are for this person's data (contracts, "
        f"the sub-processor list), pass the request on (“{_request_words(step)}”) to each{_basis(step)}, and "
        "record whom you told; where telling one is impossible or takes disproportionate effort, record why."
    )


def _fee_clause(step: RouteStep) -> str:
    laws = step.facts.get("laws", ())
    allowed = " ".join(f"{rule}" for rule in ([laws] if isinstance(laws, str) else laws))
    return (
        f"{_text(step, 'vendor')}'s policy reserves a fee {_passage(step)}. It applies only where the law of the "
        "request allows one: never for a first copy under the GDPR or the UK GDPR, and a request being "
        "time-consuming is no ground. What the laws of this request allow: "
        + (allowed or "no law of this request is recorded.")
    )


def _does_not_sell(step: RouteStep) -> str:
    return (
        f"{_text(step, 'vendor')}'s policy says it does not sell personal data {_passage(step)}: record the "
        "opt-out and confirm it to the person; there is no buyer to tell. If any sharing for cross-context "
        "advertising is found, pass the opt-out on to that party."
    )


def _no_transfers(step: RouteStep) -> str:
    return (
        f"Transfers (GDPR Art 15(1)(c), 15(2)): {_text(step, 'text')} {_passage(step)} The answer states that no "
        "data is transferred outside the EU/EEA."
    )


def _transfers(step: RouteStep) -> str:
    return (
        f"Transfers (GDPR Art 15(1)(c), 15(2)): {_text(step, 'text')} {_passage(step)} The answer names the "
        "countries and the safeguard for each."
    )


def _invalid_transfer_basis(step: RouteStep) -> str:
    return f"Check before answering: {_text(step, 'text')} {_passage(step)}"


_RENDER: dict[str, Callable[[RouteStep], str]] = {
    "no_category_for_relationship": _no_category,
    "relationship_unknown": _relationship_unknown,
    "policy_gap": _policy_gap,
    "role_unknown": _role_unknown,
    "controller_answers": _controller_answers,
    "right_limited": _right_limited,
    "legal_hold": _legal_hold,
    "not_an_erasure_exception": _not_an_erasure_exception,
    "portability_out_of_scope": _portability_out_of_scope,
    "authorised_agent": _authorised_agent,
    "right_not_granted": _right_not_granted,
    "no_privacy_address": _no_privacy_address,
    "processor_assists": _processor_assists,
    "sub_processors_follow": _sub_processors_follow,
    "customer_is_controller": _customer_is_controller,
    "tell_recipient": _tell_recipient,
    "identify_recipients": _identify_recipients,
    "fee_clause": _fee_clause,
    "does_not_sell": _does_not_sell,
    "no_transfers_outside_eea": _no_transfers,
    "transfers_outside_eea": _transfers,
    "invalid_transfer_basis": _invalid_transfer_basis,
}
RULES = tuple(_RENDER)
