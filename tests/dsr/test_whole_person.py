"""A request covers the person, not one self-chosen relationship (GDPR Art 15, 17; CCPA 1798.105, 1798.110).

The person ticks every relationship that fits, or "I'm not sure"; the plan covers the union: every
controller category about them is answered, processor categories get their assist-the-controller work,
and each task is planned once however many relationships reach it.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from dsr.engine.routing import Plan, PlannedAssignment, RequestFacts, plan_for
from dsr.models import Assignment, OutgoingEmail, Request
from dsr.outbox.emails import render_stored
from dsr.packages.services import known_categories
from dsr.requests import evidence, queue, register
from dsr.requests.errors import DomainError
from policies.document import PolicyDocument
from policies.loader import read_data_dir
from tests.factories import filed, routed, verified

DUE = dt.datetime(2026, 3, 2, 21, 59, 59, tzinfo=dt.UTC)
VENDORS = ("sera-leads", "leadoro", "serai", "leadsment", "seerene")


@cache
def policies() -> dict[str, PolicyDocument]:
    return {v.slug: v.policy for v in read_data_dir(Path(settings.POLICY_DATA_DIR)).vendors}


def plan(slug: str, *relationships: str, request_type: str = "access", **facts: str) -> Plan:
    return plan_for(
        policies()[slug], RequestFacts(request_type=request_type, relationships=relationships, **facts), due_at=DUE
    )


def of(p: Plan, action: str) -> list[PlannedAssignment]:
    return [a for a in p.assignments if a.action == action]


def controller_keys(slug: str, relationships: tuple[str, ...]) -> set[str]:
    policy = policies()[slug]
    wanted = set(relationships)
    return {
        c.key for c in policy.categories if c.role == "controller" and (not wanted or wanted & set(c.relationships))
    }


# --- The union, per vendor ------------------------------------------------------------------------------


def test_sera_lead_who_also_visited_seras_website_gets_both_answered() -> None:
    """Sera is controller for its website data and processor for its customers' lead lists (policy sections
    "Website Visitors" and "Customer Data"): a lead who also visited the website gets Sera's own answer for the
    website data and the assist-the-controller work for the lead list."""
    p = plan("sera-leads", "customer_data_subject", "website_visitor")
    (fulfil,) = of(p, "fulfil")
    assert {"website_usage_data", "website_contact_data"} <= set(fulfil.categories)
    (assist,) = of(p, "assist_controller")
    assert assist.categories == ("customer_data",)
    # With the lead relationship alone, the website data is not searched.
    (alone,) = of(plan("sera-leads", "customer_data_subject"), "fulfil")
    assert "website_usage_data" not in alone.categories


def test_leadoro_lead_is_also_the_subject_of_leadoros_own_licensed_contact_data() -> None:
    """Leadoro policy 1.3: it receives licensed business contact information from data providers, as controller;
    a lead in a customer's list is such a person, so Leadoro answers for that data itself while it assists its
    customer for the lead list (GDPR Art 15, 28(3)(e))."""
    p = plan("leadoro", "customer_data_subject")
    (fulfil,) = of(p, "fulfil")
    assert fulfil.categories == ("third_party_business_contacts",)
    category = policies()["leadoro"].category("third_party_business_contacts")
    assert "licensed business contact information" in category.relationships_cite
    (assist,) = of(p, "assist_controller")
    assert assist.categories == ("lead_crm_content",)


def test_serai_account_user_and_marketing_contact_get_one_answer_for_the_union() -> None:
    """Serai is controller for everything (its policy); an account user who is also on its marketing list gets
    one answer covering both, and the payment card data whose role the policy does not state once."""
    p = plan("serai", "account_user", "marketing_contact", request_type="erasure")
    (fulfil,) = of(p, "fulfil")
    assert set(fulfil.categories) == controller_keys("serai", ("account_user", "marketing_contact"))
    assert len(of(p, "resolve_gap")) == 1


def test_leadsment_customer_site_visitor_is_offered_and_reviewed_by_staff() -> None:
    """Leadsment says its snippet identifies companies only; reverse-IP identification still processes IP
    addresses (personal data, GDPR Art 4(1)), so a visitor of a customer's website is reviewed by staff,
    alongside Leadsment's answer for its own website's visitors."""
    p = plan("leadsment", "website_visitor", "customer_site_visitor")
    (fulfil,) = of(p, "fulfil")
    assert fulfil.categories == ("website_visitor_data",)
    (review,) = of(p, "review")
    assert review.responder_kind == "staff_queue" and review.categories == ()
    assert "never answer “no data” without checking" in review.explanation
    assert "customer_site_visitor" in policies()["leadsment"].offered_relationships


def test_seerene_relationship_without_data_adds_a_review_not_a_refusal() -> None:
    """Seerene's policy describes data about account users only: a user who also got its marketing is
    answered for the account data and staff check the rest (GDPR Art 15(1): confirm what is processed)."""
    p = plan("seerene", "account_user", "marketing_contact")
    (fulfil,) = of(p, "fulfil")
    assert set(fulfil.categories) == controller_keys("seerene", ("account_user",))
    (review,) = of(p, "review")
    assert "I signed up for news" in review.explanation


@pytest.mark.parametrize("slug", VENDORS)
def test_every_pair_of_relationships_is_planned_as_its_union_each_task_once(slug: str) -> None:
    """GDPR Art 15, 17; CCPA 1798.105, 1798.110: the search covers everything held about the person as controller.

    For every vendor and every pair of relationships it offers: one answer task covering exactly the union of
    the controller categories, the processor categories assisted once, each recipient told once."""
    offered = policies()[slug].offered_relationships
    for pair in itertools.combinations(offered, 2):
        for request_type in ("access", "erasure"):
            p = plan(slug, *pair, request_type=request_type)
            keys = [(a.responder_kind, a.responder_name, a.action) for a in p.assignments]
            assert len(keys) == len(set(keys)), (slug, pair, request_type, keys)
            fulfilled = {k for a in of(p, "fulfil") if a.responder_kind != "customer" for k in a.categories}
            assert fulfilled == controller_keys(slug, pair), (slug, pair)
            separately = [plan(slug, r, request_type=request_type) for r in pair]
            assisted = {k for a in of(p, "assist_controller") for k in a.categories}
            assert assisted == {k for q in separately for a in of(q, "assist_controller") for k in a.categories}
            told = {a.responder_name for a in of(p, "propagate")}
            assert told == {a.responder_name for q in separately for a in of(q, "propagate")}


@pytest.mark.parametrize("slug", VENDORS)
def test_not_sure_covers_every_category_and_staff_review(slug: str) -> None:
    """Where the person is not sure, the safer reading: every category the vendor's policy describes is
    searched (controller data answered, processor data assisted) and staff review the request."""
    policy = policies()[slug]
    p = plan(slug, request_type="erasure")
    assert [a.responder_kind for a in of(p, "review")] == ["staff_queue"]
    assert "not sure" in of(p, "review")[0].explanation
    fulfilled = {k for a in of(p, "fulfil") for k in a.categories}
    assert fulfilled == {c.key for c in policy.categories if c.role == "controller"}
    assisted = {k for a in of(p, "assist_controller") for k in a.categories}
    assert assisted == {c.key for c in policy.categories if c.role == "processor"}


def test_a_relationship_ticked_twice_is_planned_once() -> None:
    assert plan("sera-leads", "account_user", "account_user") == plan("sera-leads", "account_user")
    assert plan("leadsment", "customer_site_visitor", "customer_site_visitor") == plan(
        "leadsment", "customer_site_visitor"
    )


# --- route_preview ------------------------------------------------------------------------------------------


def preview(relationships: list[str], **options: Any) -> dict[str, Any]:
    """`route_preview --json` with `--relationship` given once per item, as on the command line."""
    argv = [arg for key in relationships for arg in ("--relationship", key)]
    stream = io.StringIO()
    call_command("route_preview", *argv, json=True, stdout=stream, **options)
    return dict(json.loads(stream.getvalue()))


def test_route_preview_takes_relationship_once_or_more(policies: None) -> None:
    """GDPR Art 15: the preview of a Sera lead who also visited the website shows the union's plan."""
    base = {"vendor": "sera-leads", "request_type": "access", "country": "EE", "received": "2026-03-05"}
    both = preview(["customer_data_subject", "website_visitor"], **base)
    assert both["relationships"] == ["website_visitor", "customer_data_subject"]
    assert {a["action"] for a in both["assignments"]} == {"fulfil", "assist_controller"}
    (fulfil,) = [a for a in both["assignments"] if a["action"] == "fulfil"]
    assert "website_usage_data" in fulfil["categories"]
    one = preview(["customer_data_subject"], **base)
    (alone,) = [a for a in one["assignments"] if a["action"] == "fulfil"]
    assert "website_usage_data" not in alone["categories"]
    unsure = preview(["not_sure"], **base)
    assert unsure["relationships"] == []
    assert "review" in {a["action"] for a in unsure["assignments"]}
    with pytest.raises(CommandError, match="stands alone"):
        preview(["not_sure", "account_user"], **base)


# --- The form, the stored request and what staff and responders see ----------------------------------------


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "request_type": "access",
        "relationship": ["customer_data_subject", "website_visitor"],
        "country": "EE",
        "state": "",
        "subject_name": "Liisa Lead",
        "email": "liisa@example.com",
        "website": "",
        **changes,
    }
    return data


@pytest.mark.django_db
def test_the_form_accepts_several_relationships_and_stores_them_all(client: Client, policies: None) -> None:
    page = client.get("/request/sera-leads/").content.decode()
    assert page.count('type="checkbox" name="relationship"') == len(policies_offered("sera-leads")) + 1
    assert 'value="not_sure"' in page
    client.post("/request/sera-leads/", form())
    request = Request.objects.get()
    assert request.relationships == ["website_visitor", "customer_data_subject"]


def policies_offered(slug: str) -> tuple[str, ...]:
    return policies()[slug].offered_relationships


@pytest.mark.django_db
def test_not_sure_is_stored_as_none_and_cannot_be_ticked_with_another(client: Client, policies: None) -> None:
    client.post("/request/sera-leads/", form(relationship=["not_sure"]))
    assert Request.objects.get().relationships == []
    response = client.post(
        "/request/sera-leads/", form(relationship=["not_sure", "account_user"], email="b@example.com")
    )
    assert "“I'm not sure”, not both" in response.content.decode().replace("&#x27;", "'")
    response = client.post("/request/sera-leads/", form(relationship=[], email="c@example.com"))
    assert "or “I'm not sure”" in response.content.decode().replace("&#x27;", "'")
    assert Request.objects.count() == 1


@pytest.mark.django_db
def test_leadsments_form_offers_the_customer_site_visitor(client: Client, policies: None) -> None:
    page = client.get("/request/leadsment/").content.decode()
    assert 'value="customer_site_visitor"' in page


@pytest.mark.django_db
def test_the_intake_service_takes_the_relationships_as_a_list_and_refuses_an_unknown_one(policies: None) -> None:
    request = filed(vendor_slug="sera-leads", relationships=["customer_data_subject", "website_visitor"])
    assert request.relationships == ["website_visitor", "customer_data_subject"]
    with pytest.raises(DomainError, match="Unknown relationship neighbour"):
        filed(vendor_slug="sera-leads", relationships=["neighbour"], email="n@example.com")


@pytest.mark.django_db
def test_routing_a_stored_request_covers_every_relationship_each_task_once(policies: None) -> None:
    request = routed(vendor_slug="sera-leads", relationships=["customer_data_subject", "website_visitor"], country="EE")
    actions = sorted(request.assignments.values_list("action", flat=True))
    # An erasure: Sera's recipients named only by kind also get their task (GDPR Art 19), once.
    assert actions == ["assist_controller", "fulfil", "identify_recipients"]
    fulfil = request.assignments.get(action=Assignment.Action.FULFIL)
    assert "website_usage_data" in fulfil.categories
    unsure = routed(vendor_slug="sera-leads", relationships=[], email="unsure@example.com")
    assert set(unsure.assignments.values_list("action", flat=True)) == {
        "review",
        "fulfil",
        "assist_controller",
        "identify_recipients",
    }


@pytest.mark.django_db
def test_staff_and_responders_see_every_relationship(client: Client, policies: None) -> None:
    request = routed(vendor_slug="sera-leads", relationships=["customer_data_subject", "website_visitor"])
    assert request.relationships_display == (
        "I visited the vendor's own website; My details are in data that one of the vendor's business customers "
        "put into the service (for example a list of leads or contacts)"
    )
    email = OutgoingEmail.objects.filter(request=request, kind="assignment").first()
    assert email is not None
    body = render_stored(email).body_text
    assert "I visited the vendor's own website; My details are in data" in body
    unsure = verified(vendor_slug="sera-leads", relationships=[], email="u@example.com")
    assert unsure.relationships_display == "I'm not sure how the vendor has my data"


@pytest.mark.django_db
def test_the_answer_package_offers_every_category_of_every_relationship(policies: None) -> None:
    request = verified(vendor_slug="sera-leads", relationships=["customer_data_subject", "website_visitor"])
    keys = set(known_categories(request))
    assert {"website_usage_data", "customer_data"} <= keys


@pytest.mark.django_db
def test_the_queue_filter_the_register_and_the_evidence_show_every_relationship(policies: None) -> None:
    both = verified(vendor_slug="sera-leads", relationships=["customer_data_subject", "website_visitor"])
    unsure = verified(vendor_slug="sera-leads", relationships=[], email="u@example.com")
    account = verified(vendor_slug="sera-leads", relationships=["account_user"], email="a@example.com")
    requests = Request.objects.all()
    assert list(queue.with_relationship(requests, "website_visitor")) == [both]
    assert set(queue.with_relationship(requests, "customer_data_subject")) == {both}
    assert list(queue.with_relationship(requests, "not_sure")) == [unsure]
    assert list(queue.with_relationship(requests, "account_user")) == [account]
    column = register.HEADER.index("relationships")
    lines = {row["reference"]: register.line(row) for row in requests.values(*register.COLUMNS)}
    assert lines[both.reference][column] == "website_visitor customer_data_subject"
    assert lines[unsure.reference][column] == "not_sure"
    assert evidence.request_facts(both)["relationships"] == ["website_visitor", "customer_data_subject"]
    assert evidence.request_facts(unsure)["relationships"] == ["not_sure"]


def test_the_vendor_is_processor_only_where_every_category_about_the_person_is_processed_for_a_customer() -> None:
    """EDPB Guidelines 07/2020 paras 127-129: where the vendor only processes, its customer sets the answer's
    deadline. A Leadoro lead is also in Leadoro's own licensed data (policy 1.3), so not processor-only; a policy
    without that category is, and "not sure" never is (it covers the vendor's own data)."""
    leadoro = policies()["leadoro"]
    assert not leadoro.processor_only(["customer_data_subject"])
    data = read_data_dir(Path(settings.POLICY_DATA_DIR))
    raw = copy.deepcopy(next(v.document for v in data.vendors if v.slug == "leadoro"))
    for category in raw["categories"]:
        if category["key"] == "third_party_business_contacts":
            category["relationships"] = ["third_party_contact"]
    narrowed = PolicyDocument.parse(raw)
    assert narrowed.processor_only(["customer_data_subject"])
    assert not narrowed.processor_only(["customer_data_subject", "account_user"])
    assert not narrowed.processor_only([])


def test_the_person_is_told_staff_check_what_is_held_wherever_a_review_is_planned() -> None:
    check = "The privacy team of Leadsment will check what data it holds about you and answer you."
    assert check in plan("leadsment", "website_visitor", "customer_site_visitor").subject_notes
    assert check not in plan("leadsment", "website_visitor").subject_notes
    assert check in plan("leadsment").subject_notes
