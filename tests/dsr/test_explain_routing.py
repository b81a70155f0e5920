"""Routing explanations are data (rule, facts, passage); the English staff read is rendered from them."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

from dsr.engine.explain_routing import RULES, Citation, RouteStep, explain
from dsr.engine.routing import Plan, RequestFacts, plan_for
from policies import vocabulary
from policies.document import PolicyDocument
from policies.loader import read_data_dir

DUE = dt.datetime(2026, 3, 2, 21, 59, 59, tzinfo=dt.UTC)


@cache
def policies() -> dict[str, PolicyDocument]:
    return {v.slug: v.policy for v in read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors}


def plan(slug: str, relationship: str, request_type: str, **facts: str) -> Plan:
    """The plan for one ticked relationship, or none ("I'm not sure") where `relationship` is empty."""
    ticked = (relationship,) if relationship else ()
    return plan_for(
        policies()[slug], RequestFacts(request_type=request_type, relationships=ticked, **facts), due_at=DUE
    )


def test_a_partial_erasure_is_explained_by_its_steps_with_the_passage() -> None:
    fulfil = next(a for a in plan("sera-leads", "account_user", "erasure").assignments if a.action == "fulfil")
    rules = [step.rule for step in fulfil.steps]
    assert rules[0] == "controller_answers"
    assert "legal_hold" in rules
    first = fulfil.steps[0]
    assert first.facts["vendor"] == "Sera" and first.facts["request_type"] == "erasure"
    hold = next(step for step in fulfil.steps if step.rule == "legal_hold")
    assert hold.citation is not None and hold.citation in fulfil.citations
    assert hold.citation.passage in fulfil.explanation
    assert fulfil.explanation == explain(fulfil.steps)


def test_the_english_is_rendered_from_the_steps_alone() -> None:
    steps = (
        RouteStep("controller_answers", {"vendor": "Acme", "categories": ("Account Data",), "request_type": "access"}),
        RouteStep(
            "right_limited",
            {"category": "Account Data", "reason": "kept for fraud checks"},
            Citation("x", "We keep it."),
        ),
        RouteStep("no_privacy_address"),
    )
    assert explain(steps) == (
        "Acme is the controller for Account Data: answer the request (see a copy of my personal data) for this "
        "data. The policy limits this right for Account Data: kept for fraud checks “We keep it.” The policy gives "
        "no address for privacy requests, so this assignment waits in the staff queue."
    )
    assert explain([RouteStep("customer_is_controller", {"vendor": "Acme", "categories": ("A", "B", "C")})]).startswith(
        "You are the controller for the data you put into Acme's service (A, B and C)."
    )


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(KeyError):
        explain([RouteStep("made_up_rule")])


def test_every_rule_is_used_by_some_real_plan() -> None:
    used: set[str] = set()
    for slug in policies():
        for relationship in (*vocabulary.RELATIONSHIPS, ""):
            for request_type in ("access", "erasure", "portability", "automated_decision", "opt_out"):
                extra = {"customer_email": "dpo@customer.test", "agent_name": "Agent"}
                for a in plan(slug, relationship, request_type, **extra).assignments:
                    used |= {step.rule for step in a.steps}
                    assert a.explanation
    # No vendor names a sub-processor for data it only processes, so that rule is checked by hand.
    assert used == set(RULES) - {"sub_processors_follow"}
    assert explain([RouteStep("sub_processors_follow", {"recipients": ("Stripe", "Azure")})]) == (
        "Once the controller instructs it, the sub-processors that hold this data must act too: Stripe, Azure."
    )
