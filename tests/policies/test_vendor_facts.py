"""The facts routing depends on, per vendor, as encoded from each policy and loaded into the database.

Each assertion is a reading of the policy text (policies/data/sources/<slug>.txt); the passages quoted
in the comments are the ones the data files cite.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from policies.models import PolicyVersion, Vendor
from policies.services import policy_as_dict

SLUGS = ["sera-leads", "leadoro", "serai", "leadsment", "seerene"]


def current(slug: str) -> PolicyVersion:
    return Vendor.objects.get(slug=slug).versions.order_by("-number").first()


def category_roles(version: PolicyVersion, relationship: str) -> set[str]:
    return {c.role for c in version.categories.all() if relationship in c.relationships}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cites(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"cite", "role_cite", "relationships_cite"} and isinstance(value, str) and value.strip():
                found.append(value)
            else:
                found += _cites(value)
    elif isinstance(node, list):
        for item in node:
            found += _cites(item)
    return found


@pytest.mark.parametrize("slug", SLUGS)
def test_every_cite_is_a_verbatim_passage_of_the_policy(slug: str) -> None:
    data_dir = Path(settings.POLICY_DATA_DIR)
    document = yaml.safe_load((data_dir / "vendors" / f"{slug}.yaml").read_text(encoding="utf-8"))
    source = _normalise((data_dir / document["policy"]["source"]).read_text(encoding="utf-8"))
    cites = _cites(document)
    assert cites
    missing = [cite for cite in cites if _normalise(cite) not in source]
    assert missing == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_vendor_is_loaded_with_categories_roles_and_citations(policies: None, slug: str) -> None:
    version = current(slug)
    assert version.categories.exists()
    for category in version.categories.all():
        assert category.relationships
        assert category.role in {"controller", "processor", "unknown"}
        if category.role != "unknown":
            assert category.role_cite


def test_sera_is_controller_for_accounts_and_processor_for_customer_data(policies: None) -> None:
    sera = current("sera-leads")
    # "With respect to Customer Data ... we act as a data processor."
    customer_data = sera.categories.get(key="customer_data")
    assert customer_data.role == "processor"
    assert "customer_data_subject" in customer_data.relationships
    assert customer_data.controller_when_processor
    # "With respect to Account Data ... we act as a data controller."
    assert sera.categories.get(key="account_data").role == "controller"
    assert category_roles(sera, "website_visitor") == {"controller"}
    assert sera.country == "EE"
    assert sera.timezone == "Europe/Tallinn"
    assert sera.contact("privacy").email == "support@seraleads.com"
    assert "Estonian Data Protection Inspectorate" in sera.authority_name
    assert not sera.promises.exists()


def test_sera_keeps_accounting_records_for_seven_years_by_law_and_limits_erasure_of_service_data(
    policies: None,
) -> None:
    sera = current("sera-leads")
    legal = [r for c in sera.categories.all() for r in c.retention_rules.all() if r.legal_obligation]
    assert [(r.amount, r.unit) for r in legal] == [(7, "years")]
    service = sera.categories.get(key="service_data")
    assert service.role == "controller"
    assert {limit["right"] for limit in service.limited_rights} >= {"erasure", "portability"}
    assert any(r.indefinite for r in service.retention_rules.all())


def test_leadsment_promises_thirty_days_and_keeps_accounting_records_six_years(policies: None) -> None:
    leadsment = current("leadsment")
    promise = leadsment.promises.get(kind="response_time")
    assert (promise.amount, promise.unit, promise.applies_to) == (30, "days", ["all"])
    assert "We respond within 30 days" in promise.cite
    legal = [r for c in leadsment.categories.all() for r in c.retention_rules.all() if r.legal_obligation]
    assert [(r.amount, r.unit) for r in legal] == [(6, "years")]
    assert leadsment.contact("privacy").email.lower() == "konsta@leadsment.com"
    assert leadsment.country == "FI"
    assert "Stripe" in {r.name for r in leadsment.recipients.all()}
    # No personal data about the visitors of customers' websites: no category covers them.
    assert category_roles(leadsment, "customer_site_visitor") == set()


def test_seerene_names_five_sub_processors_and_no_privacy_address(policies: None) -> None:
    seerene = current("seerene")
    names = {r.name for r in seerene.recipients.filter(kind="sub_processor")}
    for expected in ("Microsoft", "Heap", "Intercom", "Sendgrid", "Zendesk"):
        assert any(expected.lower() in name.lower() for name in names), expected
    assert len(names) == 5
    assert seerene.contact("privacy") is None
    assert seerene.gaps.filter(field__startswith="contacts").exists()
    assert seerene.country == "DE"
    legal = [r for c in seerene.categories.all() for r in c.retention_rules.all() if r.legal_obligation]
    assert legal, "statutory retention obligations restrict erasure of registration data"


def test_leadoro_placeholders_are_gaps_not_contacts(policies: None) -> None:
    leadoro = current("leadoro")
    assert leadoro.contact("privacy") is None
    assert not leadoro.contacts.exclude(email="").exists()
    assert leadoro.gaps.filter(cite__contains="[privacy@leadoro.net]").exists()
    assert leadoro.legal_name == ""
    # A lead in a customer's list (processor) is also in Leadoro's own licensed contact data (controller, 1.3).
    assert category_roles(leadoro, "customer_data_subject") == {"processor", "controller"}
    assert {"EU_GDPR", "US_CA_CCPA"} <= set(leadoro.laws.values_list("law__code", flat=True))


def test_serai_gives_no_retention_periods_and_is_controller(policies: None) -> None:
    serai = current("serai")
    rules = [r for c in serai.categories.all() for r in c.retention_rules.all()]
    assert rules
    assert all(r.amount is None for r in rules)
    assert serai.gaps.filter(field__contains="retention").exists()
    assert serai.country == "HK"
    assert category_roles(serai, "account_user") >= {"controller"}
    assert "processor" not in {c.role for c in serai.categories.all()}


def test_show_policy_json_carries_citations(policies: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("show_policy", "sera-leads", "--json")
    import json

    shown = json.loads(capsys.readouterr().out)
    assert shown == json.loads(json.dumps(policy_as_dict(current("sera-leads"))))
    customer = next(c for c in shown["categories"] if c["key"] == "customer_data")
    assert customer["role"] == "processor" and customer["role_cite"]
    assert shown["contacts"][0]["cite"]


def test_show_policy_text_is_readable_and_names_gaps(policies: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("show_policy", "leadoro")
    out = capsys.readouterr().out
    assert "Gaps (facts the policy does not give):" in out
    assert "PROCESSOR" in out
    assert "[privacy@leadoro.net]" in out


def test_show_policy_unknown_vendor_is_a_clear_error(policies: None) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Unknown vendor 'acme'. Known vendors: leadoro"):
        call_command("show_policy", "acme")
