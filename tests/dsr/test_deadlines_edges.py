"""Edges of the deadline engine's inputs and results: a vendor's promise as read from its policy, the
laws chosen by code, a result's deadlines per law, and the identity check when no law applies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dsr.engine.deadlines import DeadlineError, Promise, compute_deadlines, select_laws
from dsr.engine.identity import identity_requirement
from policies.laws import default_laws_path, load_laws_file

LAWS = load_laws_file(default_laws_path()).by_code()


def test_a_one_day_promise_is_a_promise() -> None:
    promise = Promise.from_mapping({"amount": 1, "unit": "days"})
    assert (promise.amount, promise.unit) == (1, "days")


@pytest.mark.parametrize("amount", [0, -3, 1.5, True, None])
def test_a_promise_needs_a_whole_positive_number(amount: object) -> None:
    with pytest.raises(DeadlineError, match="A promise needs a whole number of days or months, not"):
        Promise.from_mapping({"amount": amount, "unit": "days"})


def test_a_promise_in_weeks_is_refused_naming_the_units_it_may_use() -> None:
    with pytest.raises(DeadlineError) as refused:
        Promise.from_mapping({"amount": 2, "unit": "weeks"})
    assert str(refused.value) == "A promise's unit must be one of days, business_days, months, not 'weeks'."


def test_a_promise_covers_only_the_request_types_it_names() -> None:
    promise = Promise.from_mapping({"amount": 30, "unit": "days", "applies_to": ["access", "portability"]})
    assert promise.applies_to == ("access", "portability")
    assert promise.covers("access") and not promise.covers("erasure")
    everything = Promise.from_mapping({"amount": 30, "unit": "days"})
    assert everything.covers("erasure") and everything.covers("objection")


def test_a_promise_for_an_unknown_request_type_is_refused() -> None:
    with pytest.raises(DeadlineError) as refused:
        Promise.from_mapping({"amount": 30, "unit": "days", "applies_to": ["access", "complaints"]})
    assert str(refused.value) == "A promise applies to an unknown request type 'complaints'."


def test_a_promise_without_a_vendor_or_citation_says_the_vendor_and_cites_nothing() -> None:
    promise = Promise.from_mapping({"amount": 30, "unit": "days"})
    assert (promise.vendor, promise.cite) == ("the vendor", "")
    named = Promise.from_mapping({"amount": 30, "unit": "days", "vendor": "Leadsment", "cite": "Privacy §9"})
    assert (named.vendor, named.cite) == ("Leadsment", "Privacy §9")
    assert Promise.from_mapping({"amount": 30, "unit": "days", "vendor": "Leadsment"}, vendor="Sera").vendor == "Sera"


def test_an_unknown_law_code_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(DeadlineError) as refused:
        select_laws({"EU_GDPR": LAWS["EU_GDPR"], "UK_GDPR": LAWS["UK_GDPR"]}, ["EU_GDPR", "FR_LOI"])
    assert str(refused.value) == "Unknown law 'FR_LOI'. Known laws: EU_GDPR, UK_GDPR."


def test_a_results_deadlines_for_one_law_are_that_laws_only() -> None:
    result = compute_deadlines(
        [LAWS["EU_GDPR"], LAWS["US_CA_CCPA"]],
        request_type="access",
        received_at=dt.datetime(2026, 1, 31, 12, tzinfo=ZoneInfo("Europe/Tallinn")),
        timezone="Europe/Tallinn",
        country="EE",
    )
    gdpr = result.for_law("EU_GDPR")
    assert gdpr and {d.law_code for d in gdpr} == {"EU_GDPR"}
    assert len(gdpr) + len(result.for_law("US_CA_CCPA")) == len(result.deadlines)


def test_with_no_law_that_applies_the_identity_check_is_reasonable_and_gates_an_access_request() -> None:
    requirement = identity_requirement([], "access")
    assert (requirement.level, requirement.gated, requirement.by_law) == ("reasonable", True, ())
