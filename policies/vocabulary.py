"""The shared words of the product: one vocabulary for the data files, forms, routing and commands.

Each key is stable (it is stored in the database and used in data files); each label is the plain
wording a data subject or a staff member reads.
"""

from __future__ import annotations

from collections.abc import Iterable

# How a person relates to a vendor (../shared/design.md, "Relationships").
RELATIONSHIPS: dict[str, str] = {
    "website_visitor": "I visited the vendor's own website",
    "account_user": "I have an account, or I use the service for my employer",
    "customer_data_subject": "My details are in data that one of the vendor's business customers put into the service "
    "(for example a list of leads or contacts)",
    "customer_site_visitor": "I visited the website of one of the vendor's customers that uses the vendor's tracking",
    "marketing_contact": "I signed up for news, events or a demo, or the vendor sent me marketing",
    "third_party_contact": "Someone gave the vendor my details (for example my employer, a colleague or a partner)",
    "job_applicant": "I applied for a job with the vendor",
}

# The form's answer for a person who does not know which relationships fit (stored as none: the request
# then covers every category the vendor's policy describes, dsr.engine.routing).
NOT_SURE = "not_sure"
NOT_SURE_LABEL = "I'm not sure how the vendor has my data"


def relationship_labels(keys: Iterable[str]) -> list[str]:
    """The plain words for each relationship a person ticked, or "not sure" where they ticked none."""
    return [RELATIONSHIPS.get(key, key) for key in keys] or [NOT_SURE_LABEL]


# What a person can ask for. These are the request types of the intake form, the router and the laws file.
REQUEST_TYPES: dict[str, str] = {
    "access": "See a copy of my personal data",
    "rectification": "Correct my personal data",
    "erasure": "Delete my personal data",
    "restriction": "Restrict how my personal data is used",
    "portability": "Receive my data in a portable format, or have it sent to another company",
    "objection": "Object to how my personal data is used",
    # Leadoro's "Opt Out of data use for model training" (policy s.7); an objection where the training
    # rests on legitimate interests (GDPR Art 21(1)), so it is answered on the general response clock.
    "training_opt_out": "Stop the use of my data to train models (AI and machine learning)",
    "opt_out": "Opt out of the sale or sharing of my personal data, or of targeted advertising",
    "withdraw_consent": "Withdraw consent I gave earlier",
    "automated_decision": "Ask for a person to review an automated decision about me",
    "appeal": "Appeal an earlier answer to one of my requests",
    # India DPDP Act 2023 s.14 (a nominee acts on the person's death or incapacity) and s.13 (grievance
    # redressal by the fiduciary, answered within the period of DPDP Rules 2025 Rule 14(3)).
    "nomination": "Nominate someone to exercise my rights if I die or cannot act myself",
    "grievance": "Raise a grievance about how my personal data is handled",
}

# Rights a policy may mention that are not requests this product files (kept so the data is complete).
OTHER_RIGHTS: dict[str, str] = {
    "information": "Be told how personal data is used",
    "complaint": "Complain to a supervisory authority",
    "non_discrimination": "Not be treated differently for using privacy rights",
}

RIGHTS: dict[str, str] = {**REQUEST_TYPES, **OTHER_RIGHTS}

ROLES: dict[str, str] = {
    "controller": "controller (decides why and how the data is used)",
    "processor": "processor (handles the data only on a customer's instructions)",
    "unknown": "not stated in the policy",
}

# The event that starts a retention period.
RETENTION_EVENTS: dict[str, str] = {
    "collection": "from when the data is collected",
    "last_activity": "from the person's last activity or interaction",
    "end_of_relationship": "from the end of the customer relationship",
    "account_closure": "from when the account is closed",
    "contract_termination": "from when the customer agreement ends",
    "subscription_cancellation": "from when the subscription is cancelled",
    "end_of_financial_year": "from the end of the financial year the record belongs to",
    "purpose_fulfilled": "until the purpose is fulfilled",
    "consent_withdrawal": "until consent is withdrawn",
    "unknown": "not stated in the policy",
}

RETENTION_UNITS = ("days", "months", "years")

CONTACT_KINDS: dict[str, str] = {
    "privacy": "privacy requests",
    "dpo": "data protection officer",
    "support": "general support",
    "grievance_officer": "grievance officer (India)",
    "eu_representative": "representative in the EU/UK",
    "opt_out": "'Do not sell or share' requests",
}

RECIPIENT_KINDS: dict[str, str] = {
    "sub_processor": "sub-processor (processes data on the vendor's behalf)",
    "recipient": "recipient (receives data from the vendor)",
    "recipient_category": "a category of recipients the policy does not name",
}

# A clause of the policy that answers or staff must heed, beyond categories and recipients (each with its passage).
CLAUSE_KINDS: dict[str, str] = {
    "fee": "the vendor reserves a fee for requests",
    "no_sale": "the vendor says it does not sell personal data",
    "no_transfers_outside_eea": "the vendor says it transfers no personal data outside the EU/EEA",
    "transfers_outside_eea": "the vendor transfers personal data outside the EU/EEA",
    "invalid_transfer_basis": "a transfer relies on a basis that is no longer valid",
}

PROMISE_KINDS: dict[str, str] = {
    "response_time": "responds to a request within",
}

PROMISE_UNITS = ("days", "business_days", "months")

# How sure staff must be of who is asking before anything is disclosed or changed, weakest first. The
# level a request needs comes from the laws that apply (laws.yaml `identity_check`, strictest wins).
IDENTITY_LEVELS: dict[str, str] = {
    "none": "No identity check: act on the request as received (the law does not let it be verified).",
    "proportionate": (
        "Only what is proportionate: the proven email matching the account or record held is usually enough; "
        "ask for more only where there is a reasonable doubt, and never for an ID copy by default."
    ),
    "reasonable": (
        "A reasonable degree of certainty: match at least two pieces of information the vendor already holds "
        "(for example the proven email and an account or customer identifier)."
    ),
    "reasonably_high": (
        "A reasonably high degree of certainty: match at least three pieces of information the vendor holds, "
        "and a declaration signed by the person under penalty of perjury."
    ),
}

# Answers that disclose or change a person's data: never sent before identity is recorded as checked
# (and, for an agent, their authority). The product's rule, stricter than none of the laws.
IDENTITY_GATED_TYPES = frozenset({"access", "portability", "erasure", "rectification"})

# How staff recorded the identity check.
IDENTITY_METHODS: dict[str, str] = {
    "email_matches_record": "The proven email matches the account or record the vendor holds",
    "account_login": "The person confirmed from within their logged-in account",
    "additional_information": "The person gave the additional information asked for, and it matches",
    "signed_declaration": "Matching information and a signed declaration (reasonably high degree)",
}

# How an authorised agent's authority was recorded.
AUTHORITY_METHODS: dict[str, str] = {
    "signed_permission": "A permission signed by the person, provided by the agent",
    "person_confirmed": "The person confirmed the agent's authority from their own address",
    "power_of_attorney": "A power of attorney",
    # An API client staff registered as an authorised agent attests, with each request it files, that it
    # holds the person's signed permission (and undertook to produce it on request): api/README.md.
    "client_attestation": "The registered API client attests it holds the person's signed permission",
}

# Authority the product records itself, never a choice on the staff form: an authorised agent's request signed
# with the key staff registered for it (Data Rights Protocol), in which the agent attests the person's permission.
ATTESTED_AUTHORITY_METHODS: dict[str, str] = {
    "agent_attestation": "The agent's signed Data Rights Protocol request, attesting the person's permission",
}
ALL_AUTHORITY_METHODS: dict[str, str] = {**AUTHORITY_METHODS, **ATTESTED_AUTHORITY_METHODS}
