"""The typed policy document: every vendor file parses, each accessor gives the right fact with its
passage, and a malformed document is refused with the field named."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from policies.document import PolicyDocument, PolicyDocumentError
from policies.loader import read_data_dir
from policies.models import PolicyVersion

SLUGS = ("leadoro", "leadsment", "seerene", "sera-leads", "serai")


@cache
def stored() -> dict[str, dict[str, Any]]:
    """Each vendor's document as the loader validates and stores it (PolicyVersion.document)."""
    return {v.slug: v.document for v in read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors}


def policy(slug: str) -> PolicyDocument:
    return PolicyDocument.parse(stored()[slug])


def test_the_five_vendor_files_are_all_there() -> None:
    assert sorted(stored()) == list(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_vendor_file_parses_into_a_typed_document(slug: str) -> None:
    doc = policy(slug)
    assert doc.slug == slug
    assert doc.vendor_name
    assert doc.categories
    assert all(c.role in {"controller", "processor", "unknown"} for c in doc.categories)
    assert doc.law_codes
    # What the loader reports is what the typed document holds.
    assert read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors[SLUGS.index(slug)].policy == doc


def test_vendor_facts_carry_their_passage() -> None:
    sera = policy("sera-leads")
    assert sera.vendor_name == "Sera"
    assert sera.vendor.legal_name.value == "Sera Leads OÜ"
    assert sera.country == "EE"
    assert sera.vendor.country.cite == "Registered address: Kentmanni tn 6-6, 10116 Tallinn, Estonia"
    assert sera.timezone == "Europe/Tallinn"
    assert sera.authority.name == "Estonian Data Protection Inspectorate"
    assert "www.aki.ee" in sera.authority.cite


def test_a_fact_the_policy_does_not_give_is_unknown_and_a_gap() -> None:
    leadoro = policy("leadoro")
    assert leadoro.vendor_name == "Leadoro"  # the brand, since there is no legal name
    assert not leadoro.vendor.legal_name.known
    assert leadoro.country == ""
    gap = leadoro.gap_for("vendor.country")
    assert gap is not None and gap.field == "vendor.country"
    assert leadoro.gap_for("vendor.slug") is None


def test_leadsment_promises_to_respond_within_thirty_days() -> None:
    (promise,) = policy("leadsment").promises("response_time")
    assert (promise.amount, promise.unit) == (30, "days")
    assert promise.applies("erasure") and promise.applies("access")
    assert promise.cite == "We respond within 30 days, typically much sooner."
    for slug in ("leadoro", "seerene", "sera-leads", "serai"):
        assert policy(slug).promises("response_time") == ()


def test_seerene_names_five_recipients_each_for_the_data_it_receives() -> None:
    seerene = policy("seerene")
    every_category = [c.key for c in seerene.categories]
    recipients = seerene.recipients_for(every_category)
    assert [r.name for r in recipients] == [
        "Microsoft Corporation (Microsoft Azure Germany)",
        "Heap Analytics, Inc.",
        "Intercom, Inc.",
        "Sendgrid, Inc.",
        "Zendesk Inc.",
    ]
    assert all(r.cite for r in recipients)
    # Azure hosts everything; only Zendesk also gets support enquiries.
    assert [r.name for r in seerene.recipients_for(["support_inquiry_data"])] == [
        "Microsoft Corporation (Microsoft Azure Germany)",
        "Zendesk Inc.",
    ]


def test_unnamed_kinds_of_recipient_are_not_recipients_one_can_instruct() -> None:
    sera = policy("sera-leads")
    keys = [c.key for c in sera.categories]
    assert sera.recipients_for(keys) == ()
    assert "Cloud hosting providers" in [r.name for r in sera.recipients_for(keys, named_only=False)]
    (stripe,) = policy("leadsment").recipients_for(["billing_data"])
    assert stripe.name == "Stripe"


def test_leadoro_placeholder_contacts_are_gaps_not_facts() -> None:
    leadoro = policy("leadoro")
    assert leadoro.privacy_contact() is None
    assert all(contact.email == "" for contact in leadoro.contacts)
    gap = leadoro.gap_for("contacts.privacy.email")
    assert gap is not None
    assert "[privacy@leadoro.net]" in gap.cite
    assert [g.field for g in leadoro.gaps_under("contacts")] == [
        "contacts.privacy.email",
        "contacts.dpo",
        "contacts.grievance_officer",
        "contacts.opt_out",
        "contacts.eu_representative",
    ]


def test_the_privacy_contact_is_the_privacy_address_else_the_dpo() -> None:
    leadsment = policy("leadsment").privacy_contact()
    assert leadsment is not None
    assert (leadsment.kind, leadsment.email) == ("privacy", "Konsta@leadsment.com")
    assert leadsment.cite == "To exercise any of these rights, email Konsta@leadsment.com."
    assert policy("seerene").privacy_contact() is None  # a web page and a DPO without an address
    document = copy.deepcopy(stored()["serai"])
    for contact in document["contacts"]:
        if contact["kind"] == "privacy":
            contact["email"] = ""
    dpo = PolicyDocument.parse(document).privacy_contact()
    assert dpo is not None
    assert (dpo.kind, dpo.email) == ("dpo", "privacy@seraitrade.com")
    assert "Data Protection Officer" in dpo.cite


def test_categories_for_a_relationship_with_roles_and_limits() -> None:
    sera = policy("sera-leads")
    roles = {c.key: c.role for c in sera.categories_for("customer_data_subject")}
    assert roles == {"customer_data": "processor", "service_data": "controller"}
    assert "Customer" in sera.category("customer_data").controller_when_processor
    assert all(c.role_cite for c in sera.categories_for("account_user"))
    assert sera.categories_for("job_applicant") == ()
    assert "job_applicant" not in sera.relationships
    held = [rule for c in policy("leadsment").categories for rule in c.legal_holds]
    assert held and all(rule.legal_obligation and rule.cite for rule in held)
    assert any(rule.amount == 6 and rule.unit == "years" for rule in held)


def test_rights_and_laws_served() -> None:
    serai = policy("serai")
    assert serai.law_codes == ("EU_GDPR", "US_CA_CCPA")
    assert all(law.cite for law in serai.laws)
    sera = policy("sera-leads")
    assert sera.grants("access") and "access" in sera.granted_rights
    assert not sera.grants("appeal")


def _broken(slug: str, change: Any) -> dict[str, Any]:
    document = copy.deepcopy(stored()[slug])
    change(document)
    return document


MALFORMED = [
    (
        lambda d: d["categories"][0].update(role="boss"),
        "categories[website_usage_data].role: 'boss' is not one of controller, processor, unknown",
    ),
    (lambda d: d["vendor"].update(brand="Sera"), "vendor.brand: must be a mapping, not str"),
    (lambda d: d["vendor"]["country"].update(value=372), "vendor.country.value: must be text, not int"),
    (lambda d: d.pop("contacts"), "contacts: is missing"),
    (lambda d: d.update(contacts={"kind": "privacy"}), "contacts: must be a list, not dict"),
    (lambda d: d["contacts"][0].update(kind="fax"), "contacts[0].kind: 'fax' is not one of privacy, dpo"),
    (lambda d: d["policy"].update(effective_date="soon"), "policy.effective_date: 'soon' is not a date"),
    (lambda d: d["vendor"].update(colour="red"), "vendor.colour: is not a field of this document"),
    (lambda d: d.update(schema=2), "schema: 2 is not the supported schema version (1)"),
    (
        lambda d: d["categories"][0]["retention"][0].update(legal_obligation="yes"),
        "categories[website_usage_data].retention[0].legal_obligation: must be true or false, not 'yes'",
    ),
    (
        lambda d: d["recipients"][0].update(categories=["nothing_like_it"]),
        "recipients[Large language model service providers].categories[0]: 'nothing_like_it' is not one of",
    ),
    (lambda d: d.__setitem__("gaps", [{"field": "x", "note": None, "cite": ""}]), "gaps[0].note: must be text"),
    (lambda d: d.__setitem__("laws", ["EU_GDPR"]), "laws[0]: must be a mapping, not str"),
    (
        lambda d: d["categories"].append(dict(d["categories"][0])),
        "categories[website_usage_data].key: 'website_usage_data' is used twice",
    ),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_a_malformed_document_is_refused_naming_the_field(change: Any, message: str) -> None:
    with pytest.raises(PolicyDocumentError) as refused:
        PolicyDocument.parse(_broken("sera-leads", change))
    assert str(refused.value).startswith(message)


def test_a_promise_must_be_a_positive_whole_number() -> None:
    def thirty_as_text(d: dict[str, Any]) -> None:
        d["promises"][0]["amount"] = "thirty"

    with pytest.raises(PolicyDocumentError, match=r"^promises\[0\]\.amount: must be a whole number"):
        PolicyDocument.parse(_broken("leadsment", thirty_as_text))


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(PolicyDocumentError, match=r"^\(document\): must be a mapping, not list"):
        PolicyDocument.parse([])


@pytest.mark.django_db
def test_a_loaded_version_gives_its_typed_policy_parsed_once(policies: None) -> None:
    version = PolicyVersion.objects.get(vendor__slug="leadsment")
    assert version.policy == PolicyDocument.parse(version.document)
    assert version.policy.promises("response_time")[0].amount == 30
    # Versions never change once loaded: the same version read again is not parsed again.
    assert PolicyVersion.objects.get(pk=version.pk).policy is version.policy
