"""The words staff read for each routing rule (dsr/engine/explain_routing.py), pinned sentence by sentence.

`Assignment.explanation` tells a responder what to do and why; each rule's step is rendered here on its
own, with the facts a real plan gives it (tests/dsr/test_explain_routing.py checks real plans).
"""

from __future__ import annotations

import pytest

from dsr.engine.explain_routing import Citation, RouteStep, explain

C = Citation("x", "  We keep invoices for six years. ")

CASES: dict[str, tuple[RouteStep, str]] = {
    "no_category_for_relationship": (
        RouteStep("no_category_for_relationship", {"vendor": "Acme", "relationships": ("account_user",)}),
        (
            "Acme's policy describes no personal data about people who say: “I have an account, or I use the "
            "service for my employer”. Staff must check whether the vendor holds data about this person (for "
            "example IP addresses or identifiers its service still processes) and who answers; never answer “no "
            "data” without checking."
        ),
    ),
    "no_category_for_two_relationships": (
        RouteStep(
            "no_category_for_relationship",
            {"vendor": "Acme", "relationships": ("job_applicant", "customer_site_visitor")},
        ),
        (
            "Acme's policy describes no personal data about people who say: “I applied for a job with the "
            "vendor”; “I visited the website of one of the vendor's customers that uses the vendor's tracking”. "
            "Staff must check whether the vendor holds data about this person (for example IP addresses or "
            "identifiers its service still processes) and who answers; never answer “no data” without checking."
        ),
    ),
    "relationship_unknown": (
        RouteStep("relationship_unknown", {"vendor": "Acme"}),
        (
            "The person was not sure how Acme has their data, so the request covers every category the policy "
            "describes (the safer reading: a request covers the whole person, GDPR Art 15 and 17, CCPA 1798.105 "
            "and 1798.110). Search each one for this person, and ask them if a detail would narrow the search."
        ),
    ),
    "policy_gap_cited": (
        RouteStep("policy_gap", {"note": "n"}, Citation("contact", "Write to privacy@example.")),
        "The policy says: “Write to privacy@example.”",
    ),
    "policy_gap_note": (
        RouteStep("policy_gap", {"note": "the policy names no contact"}),
        "(the policy names no contact)",
    ),
    "role_unknown": (
        RouteStep("role_unknown", {"vendor": "Acme", "categories": ("Payment Card", "Billing")}),
        (
            "Acme's policy does not say whether it is controller or processor for Payment Card and Billing. Staff "
            "must decide who answers for this data."
        ),
    ),
    "controller_answers": (
        RouteStep("controller_answers", {"vendor": "Acme", "categories": "Leads", "request_type": "erasure"}),
        "Acme is the controller for Leads: answer the request (delete my personal data) for this data.",
    ),
    "right_limited": (
        RouteStep("right_limited", {"category": "Logs", "reason": "kept for security."}),
        "The policy limits this right for Logs: kept for security. ",
    ),
    "legal_hold": (
        RouteStep("legal_hold", {"records": "invoices"}, C),
        (
            "Partial erasure: invoices must be kept because a law requires it “We keep invoices for six years.”. "
            "Restrict those records (keep them only for that legal purpose) instead of erasing them, erase the "
            "rest, and tell the person which records are kept and why."
        ),
    ),
    "not_an_erasure_exception": (
        RouteStep("not_an_erasure_exception", {"category": "Service Data"}),
        (
            "The policy's reason is not a legal duty: keeping Service Data for the vendor's own (legitimate "
            "business) purposes is not an exception to erasure (GDPR Art 17(3) lists the only ones: a legal "
            "obligation, legal claims, public interest, freedom of expression, archiving). Erase it unless one of "
            "those applies, and record which."
        ),
    ),
    "portability_out_of_scope": (
        RouteStep(
            "portability_out_of_scope", {"category": "Logs", "bases": ("legal_obligation", "legitimate_interests")}
        ),
        (
            "Logs is processed on legal_obligation and legitimate_interests, not on consent or a contract: under the "
            "GDPR and the UK GDPR portability does not cover it (Art 20(1)(a)); give it as an access copy instead. "
            "Other laws of the request (e.g. the CCPA) may not limit portability this way."
        ),
    ),
    "authorised_agent": (
        RouteStep("authorised_agent", {"agent": "Rights Co"}),
        (
            "Filed by an authorised agent (Rights Co) for the person: before disclosing or deleting anything, ask "
            "the agent for proof of authority and, where the law allows, have the person confirm it (e.g. CCPA 11 "
            "CCR 7063; EDPB Guidelines 01/2022)."
        ),
    ),
    "right_not_granted": (
        RouteStep("right_not_granted"),
        (
            "The policy does not list this right among those it grants; check whether the law that applies gives "
            "it before refusing."
        ),
    ),
    "no_privacy_address": (
        RouteStep("no_privacy_address"),
        "The policy gives no address for privacy requests, so this assignment waits in the staff queue.",
    ),
    "processor_assists": (
        RouteStep(
            "processor_assists",
            {"vendor": "Acme", "categories": ("Leads",), "customer": "Beta Ltd", "controller": "dpo@beta.test"},
        ),
        (
            "Acme is only a processor for Leads: Beta Ltd is the controller (dpo@beta.test). Identify Beta Ltd, "
            "forward the request to it promptly, and assist it in answering; do not answer the request yourself "
            "unless the customer authorises it. The controller's deadline is not extended for the processor (EDPB "
            "Guidelines 07/2020, paras 127-129; GDPR Art 28(3)(e))."
        ),
    ),
    "processor_assists_unnamed": (
        RouteStep("processor_assists", {"vendor": "Acme", "categories": ("Leads", "Notes")}),
        (
            "Acme is only a processor for Leads and Notes: the customer is the controller. Identify the customer, "
            "forward the request to it promptly, and assist it in answering; do not answer the request yourself "
            "unless the customer authorises it. The controller's deadline is not extended for the processor (EDPB "
            "Guidelines 07/2020, paras 127-129; GDPR Art 28(3)(e))."
        ),
    ),
    "sub_processors_follow": (
        RouteStep("sub_processors_follow", {"recipients": ("AWS", "Stripe")}),
        "Once the controller instructs it, the sub-processors that hold this data must act too: AWS, Stripe.",
    ),
    "sub_processors_follow_one": (
        RouteStep("sub_processors_follow", {"recipients": "AWS"}),
        "Once the controller instructs it, the sub-processors that hold this data must act too: AWS.",
    ),
    "customer_is_controller": (
        RouteStep("customer_is_controller", {"vendor": "Acme", "categories": ("A",)}),
        (
            "You are the controller for the data you put into Acme's service (A). The person named the request to "
            "you as the business that holds their data; Acme will assist you. Please answer the request and "
            "confirm what you did."
        ),
    ),
    "tell_recipient": (
        RouteStep(
            "tell_recipient",
            {
                "recipient": "Stripe",
                "categories": ("Billing",),
                "vendor": "Acme",
                "purpose": "payments",
                "request_type": "erasure",
                "basis": "GDPR Art 19",
            },
        ),
        (
            "Stripe receives Billing from Acme (payments). Pass the request on (“delete the person's personal data”) "
            "so it acts on its copy too (GDPR Art 19). The policy gives no address for it: the vendor's privacy team "
            "sends the instruction and records whom it told."
        ),
    ),
    "tell_recipient_plain": (
        RouteStep(
            "tell_recipient",
            {"recipient": "Stripe", "categories": ("Billing",), "vendor": "Acme", "request_type": "rectification"},
        ),
        (
            "Stripe receives Billing from Acme. Pass the request on (“correct the person's personal data”) so it acts "
            "on its copy too. The policy gives no address for it: the vendor's privacy team sends the instruction "
            "and records whom it told."
        ),
    ),
    "identify_recipients": (
        RouteStep(
            "identify_recipients",
            {
                "vendor": "Acme",
                "recipients": ("Hosting providers", "Ad tech vendors"),
                "categories": ("Usage",),
                "request_type": "opt_out",
                "basis": "11 CCR 7026(f)(2)",
            },
        ),
        (
            "Acme's policy names these recipients of Usage only by kind: Hosting providers and Ad tech vendors. "
            "Identify which organisations they are for this person's data (contracts, the sub-processor list), pass "
            "the request on (“opt out of the sale or sharing of the person's personal data, or of targeted "
            "advertising”) to each (11 CCR 7026(f)(2)), and record whom you told; where telling one is impossible or "
            "takes disproportionate effort, record why."
        ),
    ),
    "fee_clause": (
        RouteStep(
            "fee_clause",
            {"vendor": "Acme", "laws": ("HK_PDPO: not excessive.",)},
            Citation("Acme: fee", "We may charge a reasonable fee."),
        ),
        (
            "Acme's policy reserves a fee “We may charge a reasonable fee.”. It applies only where the law of the "
            "request allows one: never for a first copy under the GDPR or the UK GDPR, and a request being "
            "time-consuming is no ground. What the laws of this request allow: HK_PDPO: not excessive."
        ),
    ),
    "does_not_sell": (
        RouteStep("does_not_sell", {"vendor": "Acme"}, Citation("Acme: no sale", "We do not sell.")),
        (
            "Acme's policy says it does not sell personal data “We do not sell.”: record the opt-out and confirm it "
            "to the person; there is no buyer to tell. If any sharing for cross-context advertising is found, pass "
            "the opt-out on to that party."
        ),
    ),
    "no_transfers_outside_eea": (
        RouteStep("no_transfers_outside_eea", {"text": "Hosted in the EU."}, Citation("Acme: transfers", "EU only.")),
        (
            "Transfers (GDPR Art 15(1)(c), 15(2)): Hosted in the EU. “EU only.” The answer states that no data is "
            "transferred outside the EU/EEA."
        ),
    ),
    "transfers_outside_eea": (
        RouteStep("transfers_outside_eea", {"text": "Servers in the USA."}, Citation("Acme: transfers", "USA.")),
        (
            "Transfers (GDPR Art 15(1)(c), 15(2)): Servers in the USA. “USA.” The answer names the countries and the "
            "safeguard for each."
        ),
    ),
    "invalid_transfer_basis": (
        RouteStep(
            "invalid_transfer_basis", {"text": "Privacy Shield is invalid."}, Citation("Acme: transfers", "Shield.")
        ),
        "Check before answering: Privacy Shield is invalid. “Shield.”",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_each_rule_is_told_in_these_words(name: str) -> None:
    step, words = CASES[name]
    assert explain([step]) == words


def test_the_steps_of_an_assignment_are_told_one_after_the_other() -> None:
    steps = [CASES["controller_answers"][0], CASES["authorised_agent"][0]]
    assert explain(steps) == CASES["controller_answers"][1] + " " + CASES["authorised_agent"][1]


def test_a_fact_that_should_be_text_but_is_a_list_is_refused() -> None:
    with pytest.raises(TypeError, match="authorised_agent: fact 'agent' must be text"):
        explain([RouteStep("authorised_agent", {"agent": ("Rights Co",)})])
