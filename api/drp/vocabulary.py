"""The Data Rights Protocol's words in ours: its rights actions and relationship hints, each with where it
comes from. The protocol's text: data-rights-protocol.md v1.0 (= 0.9.4), github.com/consumer-reports-innovation-lab/
data-rights-protocol, sections 2.01 (exercise), 3.01 (supported rights actions). Statuses are in states.py."""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOL = "Data Rights Protocol"
VERSIONS = ("1.0", "0.9.4")  # 1.0 made no change to 0.9.4's text (its change log)
SPEC = "https://github.com/consumer-reports-innovation-lab/data-rights-protocol/blob/main/data-rights-protocol.md"


@dataclass(frozen=True)
class Action:
    request_type: str  # ours (policies.vocabulary.REQUEST_TYPES)
    scope: str  # what the person asks for within our request type, told to staff and responders ("" = all of it)
    source: str


ACTIONS: dict[str, Action] = {
    "access": Action("access", "", "DRP 3.01: ccpa access, right to know (Civ. Code 1798.110)"),
    "access:categories": Action(
        "access",
        "the categories of personal information only (not the specific pieces)",
        "DRP 3.01: ccpa access:categories, right to know; its semantics 'declared at a later date' (issue #9)",
    ),
    "access:specific": Action(
        "access",
        "the specific pieces of personal information",
        "DRP 3.01: ccpa access:specific, right to know; 11 CCR 7062(c) asks a reasonably high degree of certainty",
    ),
    "deletion": Action("erasure", "", "DRP 3.01: ccpa deletion, right to delete (Civ. Code 1798.105)"),
    "sale:opt-out": Action("opt_out", "", "DRP 3.01: ccpa sale:opt-out, right to opt out of sale (Civ. Code 1798.120)"),
}

# Earlier spellings of the same actions: the protocol's own text wrote "sale:opt_out" until the 1.0 commit
# "change opt_out to opt-out for consistency"; agents built on it still send them.
SPELLINGS: dict[str, str] = {"sale:opt_out": "sale:opt-out", "sale:opt_in": "sale:opt-in"}

# Actions of the protocol we answer with a refusal, and why. Not in the service directory's supported actions.
REFUSED: dict[str, str] = {
    # Opting back in to the sale of one's data is consent, not a request this back office files: the CCPA asks
    # the business for a two-step opt-in by the consumer themselves (request, then separately confirm; 11 CCR
    # 7028(a), unverified here), and gives an authorised agent the power to opt out (11 CCR 7026(j)), not to
    # consent for the person. The safer answer is to refuse it and let the person opt in with the vendor.
    "sale:opt-in": "Opting in to the sale of personal information is the person's own two-step choice with the "
    "business (11 CCR 7028(a)); it is not taken from an agent.",
}

# The regimes we serve through the protocol, and where a request under each says the person lives.
# DRP 3.01: requests are made under "ccpa" or, with no regime, on a voluntary basis (then the address claim says
# where the person lives, and the laws of that place apply as on the form).
REGIMES: dict[str, tuple[str, str]] = {"ccpa": ("US", "CA")}

# The relationship hints (DRP 2.01 `relationships`: "hints ... that the Covered Business may have data of the
# User's outside of the expected Customer/Business relationship") in our relationship vocabulary. The protocol
# names only "customer" and "marketing" (its example); the rest are the plain words agents use. Our own
# vocabulary's keys are taken as they are. A hint not here is kept, verbatim, in the request's details.
RELATIONSHIP_HINTS: dict[str, str] = {
    "customer": "account_user",
    "account": "account_user",
    "user": "account_user",
    "marketing": "marketing_contact",
    "newsletter": "marketing_contact",
    "visitor": "website_visitor",
    "website": "website_visitor",
    "lead": "customer_data_subject",
    "contact": "third_party_contact",
    "applicant": "job_applicant",
    "employment": "job_applicant",
}
# With no hint the request names no relationship ("not sure" on the form): it covers every category the
# vendor holds, the whole person (the protocol's "expected Customer/Business relationship" included).


def canonical_action(action: str) -> str:
    return SPELLINGS.get(action, action)


def supported_actions() -> list[str]:
    """What the service directory lists: every action we file (not the refused ones)."""
    return list(ACTIONS)
