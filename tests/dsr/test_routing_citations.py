"""Routing cites the passages behind its decisions, and only those that bear on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings

from dsr.engine.routing import RequestFacts, plan_for
from policies.document import PolicyDocument
from policies.loader import read_data_dir

DUE = dt.datetime(2026, 3, 2, 21, 59, 59, tzinfo=dt.UTC)


def leadoro() -> PolicyDocument:
    return next(v.policy for v in read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors if v.slug == "leadoro")


def test_a_missing_privacy_address_cites_the_contact_gaps_and_nothing_else() -> None:
    policy = leadoro()
    plan = plan_for(policy, RequestFacts(request_type="access", relationships=("account_user",)), due_at=DUE)
    (fulfil,) = [a for a in plan.assignments if a.action == "fulfil"]
    assert fulfil.responder_kind == "staff_queue" and fulfil.policy_gap
    gap_fields = {gap.field for gap in policy.gaps}
    gap_facts = [c.fact for c in fulfil.citations if c.fact in gap_fields]
    # The placeholder contacts, not a data category whose name happens to contain "contacts".
    assert gap_facts == [
        "contacts.privacy.email",
        "contacts.dpo",
        "contacts.grievance_officer",
        "contacts.opt_out",
        "contacts.eu_representative",
    ]
    assert any("[privacy@leadoro.net]" in c.passage for c in fulfil.citations)
