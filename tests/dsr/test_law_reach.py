"""Laws apply by their own territorial reach (laws.yaml `reach`), not only where a policy names them.

Each test names the legal rule it checks. The territorial rules are not in the shared legal reference:
they are encoded from each law's scope article with mark U (laws.yaml says so).
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from dsr.engine.routing import LawChoice, choose_laws
from dsr.models import Event, Request
from policies.document import PolicyDocument
from policies.laws import NAMED_ONLY, LawDataError, Territory, law_territory
from policies.loader import read_data_dir


@cache
def dataset() -> tuple[dict[str, PolicyDocument], dict[str, Territory]]:
    data = read_data_dir(Path(settings.POLICY_DATA_DIR))
    territories = {code: law_territory(entry, where="laws.yaml") for code, entry in data.laws.items()}
    return {v.slug: v.policy for v in data.vendors}, territories


def laws(slug: str, country: str, state: str = "", province: str = "") -> LawChoice:
    policies, territories = dataset()
    return choose_laws(policies[slug], territories, country=country, state=state, province=province)


def rules(choice: LawChoice) -> list[tuple[str, Any]]:
    return [(step.rule, step.facts.get("law")) for step in choice.steps]


@pytest.mark.parametrize(
    ("slug", "country", "state", "expected"),
    [
        ("sera-leads", "EE", "", ("EU_GDPR",)),
        ("leadoro", "US", "CA", ("US_CA_CCPA",)),
        ("leadoro", "GB", "", ("UK_GDPR",)),
        ("leadoro", "DE", "", ("EU_GDPR",)),
        # Serai is established in Hong Kong: the PDPO binds it whoever the person is.
        ("serai", "FR", "", ("EU_GDPR", "HK_PDPO")),
        ("serai", "US", "CA", ("US_CA_CCPA", "HK_PDPO")),
        ("serai", "HK", "", ("HK_PDPO",)),
        ("leadsment", "FI", "", ("EU_GDPR",)),
        # Seerene is established in Germany (GDPR Art 3(1)): the GDPR binds it for a person in Japan too.
        ("seerene", "JP", "", ("EU_GDPR",)),
    ],
)
def test_the_laws_a_policy_names_or_its_establishment_brings(
    slug: str, country: str, state: str, expected: tuple[str, ...]
) -> None:
    """GDPR Art 3(1)-(2); PDPO s.2(1); CCPA 1798.140(c): named laws where the person lives, and the law of the
    vendor's establishment."""
    choice = laws(slug, country, state)
    assert choice.codes == expected
    assert choice.explanation


def test_swiss_resident_gets_the_fadp_from_any_vendor_offering_to_them() -> None:
    """FADP Art 3(1): the Act applies to circumstances with an effect in Switzerland, even if initiated abroad;
    none of the five policies names it, yet a Swiss resident of Sera (Estonia) is reached (30 days, DPO 18(1))."""
    choice = laws("sera-leads", "CH")
    assert choice.codes == ("EU_GDPR", "CH_FADP")
    assert ("law_reaches_residents", "CH_FADP") in rules(choice)
    assert ("law_of_establishment", "EU_GDPR") in rules(choice)
    assert "FADP Art 3(1)" in choice.explanation


def test_uk_resident_of_a_non_uk_vendor_gets_the_uk_gdpr() -> None:
    """UK GDPR Art 3(2): a controller not established in the UK that offers goods or services to data subjects
    in the UK. Leadsment (Finland) does not name the UK GDPR."""
    choice = laws("leadsment", "GB")
    assert choice.codes == ("EU_GDPR", "UK_GDPR")
    assert ("law_reaches_residents", "UK_GDPR") in rules(choice)


def test_eea_resident_gets_the_gdpr_from_a_vendor_outside_the_eea() -> None:
    """GDPR Art 3(2): a controller outside the Union offering to data subjects in it; Serai (Hong Kong) names the
    GDPR, and the reach would apply it even if it did not (Norway, an EEA state)."""
    assert laws("serai", "NO").codes == ("EU_GDPR", "HK_PDPO")


def test_a_us_state_law_the_policy_does_not_name_is_applied_with_its_thresholds_to_confirm() -> None:
    """Cal. Civ. Code 1798.140(d): the CCPA binds a business above its thresholds; Sera's file does not record
    them, so a Californian's request to Sera gets the CCPA too (safer reading) and staff confirm."""
    choice = laws("sera-leads", "US", "CA")
    assert choice.codes == ("EU_GDPR", "US_CA_CCPA")
    assert ("law_thresholds_unknown", "US_CA_CCPA") in rules(choice)
    assert "Staff confirm the thresholds" in choice.explanation


def test_a_new_york_resident_is_not_told_that_brazilian_law_governs() -> None:
    """No law in the register reaches New York: the laws Leadoro's policy names (LGPD, PIPEDA, DPDP, ...) are
    not applied for that alone; Leadoro records no home country, so the office's internal target applies."""
    choice = laws("leadoro", "US", "NY")
    assert choice.codes == ()
    assert [step.rule for step in choice.steps] == ["no_law_where_person_lives", "internal_target_only"]
    assert "BR_LGPD" in choice.explanation  # named as not applied
    assert "not applied only because the vendor's policy names it" in choice.explanation


def test_a_new_york_resident_of_an_established_vendor_gets_its_home_law_only() -> None:
    """GDPR Art 3(1) binds Sera (Estonia) whoever the person is; PDPO s.2(1) binds Serai (Hong Kong). Serai's
    policy names the GDPR and the CCPA, neither of which reaches New York."""
    sera = laws("sera-leads", "US", "NY")
    assert sera.codes == ("EU_GDPR",)
    assert [step.rule for step in sera.steps] == ["law_of_establishment", "no_law_where_person_lives"]
    serai = laws("serai", "US", "NY")
    assert serai.codes == ("HK_PDPO",)
    assert "EU_GDPR, US_CA_CCPA" in serai.explanation


def test_the_pdpo_binds_only_a_vendor_in_hong_kong_or_naming_it() -> None:
    """PDPO s.2(1), s.39(1)(d): a data user in or controlling data from Hong Kong. A Hong Kong resident of
    Seerene (Germany, not naming the PDPO) gets the GDPR of Seerene's establishment only."""
    assert laws("seerene", "HK").codes == ("EU_GDPR",)


def test_a_quebec_resident_gets_law_25_and_pipeda() -> None:
    """Quebec private-sector Act s.1 (Law 25), with PIPEDA s.4(1): a Quebec resident of Leadoro (which names
    PIPEDA) is reached by both; Law 25's 30 days have no extension (s.32; reference 3.14)."""
    choice = laws("leadoro", "CA", province="QC")
    assert choice.codes == ("CA_PIPEDA", "CA_QC_LAW25")
    assert laws("leadoro", "CA", province="ON").codes == ("CA_PIPEDA",)


def test_an_entry_without_a_reach_keeps_the_named_only_reading_and_a_bad_one_is_refused() -> None:
    _, territories = dataset()
    assert law_territory({"code": "XX_OLD", "jurisdictions": ["EE"]}, where="stored").reach == NAMED_ONLY
    with pytest.raises(LawDataError, match="reach.residents: 'everyone' is not one of offers, thresholds, named"):
        law_territory(
            {
                "code": "XX_BAD",
                "jurisdictions": ["EE"],
                "reach": {"residents": "everyone", "establishment": True, "status": "U", "source": {"cite": "x"}},
            },
            where="laws.yaml",
        )
    assert {t.reach.residents for t in territories.values()} == {"offers", "thresholds", "named"}


def test_the_explanation_is_told_in_the_persons_language() -> None:
    choice = laws("leadoro", "US", "NY")
    with translation.override("de"):
        german = choice.explanation
    with translation.override("fi"):
        finnish = choice.explanation
    assert german != choice.explanation and finnish != choice.explanation
    assert "US-NY" in german and "US-NY" in finnish


# --- Through the commands and the form ----------------------------------------------------------------------


def preview(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("route_preview", "--relationship", "account_user", *args, "--json", stdout=out)
    return dict(json.loads(out.getvalue()))


def deadline(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("deadline", *args, "--json", stdout=out)
    return dict(json.loads(out.getvalue()))


@pytest.mark.django_db
def test_route_preview_shows_the_fadp_30_days_for_a_swiss_resident(policies: None) -> None:
    """FADP Art 3(1) with DPO Art 18(1): 30 days from receipt. Received Thursday 5 March 2026 at Sera: the GDPR
    month ends 5 April (Easter Sunday) and rolls to Monday 6 April; the FADP's 30 days end Saturday 4 April."""
    out = preview("--vendor", "sera-leads", "--type", "access", "--country", "CH", "--received", "2026-03-05")
    assert out["laws"] == ["EU_GDPR", "CH_FADP"]
    assert [s["rule"] for s in out["laws_steps"]] == ["law_of_establishment", "law_reaches_residents"]
    assert out["due_date"] == deadline("--law", "CH_FADP", "--received", "2026-03-05")["strictest"]["due_date"]
    assert out["due_date"] < "2026-04-06"


@pytest.mark.django_db
def test_route_preview_for_a_new_york_resident_sets_the_internal_target(policies: None) -> None:
    """No law reaches New York and Leadoro names no home country: no Brazilian or other named law's date; the
    office's 30-day internal target, said so."""
    out = preview(
        "--vendor", "leadoro", "--type", "access", "--country", "US", "--state", "NY", "--received", "2026-03-05"
    )
    assert out["laws"] == []
    assert out["due_date"] == "2026-04-04"
    assert "internal target" in out["deadline"]
    assert "internal_target_only" in [s["rule"] for s in out["laws_steps"]]


@pytest.mark.django_db
def test_route_preview_and_deadline_for_a_quebec_resident_have_no_extension(policies: None) -> None:
    """Quebec private-sector Act s.32: 30 days, no extension in the private sector (reference 3.14)."""
    out = preview(
        "--vendor", "leadoro", "--type", "access", "--country", "CA", "--province", "QC", "--received", "2026-03-05"
    )
    assert out["laws"] == ["CA_PIPEDA", "CA_QC_LAW25"]
    quebec = deadline("--law", "CA_QC_LAW25", "--received", "2026-03-05")
    assert quebec["strictest"]["due_date"] == out["due_date"]
    assert [d["kind"] for d in quebec["deadlines"]] == ["response"]  # no extended_response, no extension_notice
    pipeda = deadline("--law", "CA_PIPEDA", "--received", "2026-03-05")
    assert "extended_response" in [d["kind"] for d in pipeda["deadlines"]]  # PIPEDA s.8(4) has one


def form(**changes: Any) -> dict[str, Any]:
    return {
        "request_type": "access",
        "relationship": ["account_user"],
        "country": "CA",
        "state": "",
        "province": "QC",
        "subject_name": "Élise Tremblay",
        "email": "elise@example.com",
        "website": "",
        **changes,
    }


@pytest.mark.django_db
def test_the_form_takes_a_canadian_province_so_law_25_applies(client: Client, policies: None) -> None:
    """Quebec private-sector Act (Law 25) for a Quebec resident: the form asks the province of a person in Canada."""
    page = client.get("/request/leadoro/").content.decode()
    assert 'name="province"' in page and 'value="QC"' in page
    client.post("/request/leadoro/", form())
    request = Request.objects.get()
    assert (request.country, request.province) == ("CA", "QC")
    assert request.law_codes == ["CA_PIPEDA", "CA_QC_LAW25"]
    submitted = Event.objects.get(request=request, kind="submitted")
    assert [s["rule"] for s in submitted.data["law_steps"]] == ["law_named_and_reaches", "law_reaches_residents"]
    assert "CA_QC_LAW25 applies by its own reach" in submitted.message


@pytest.mark.django_db
def test_the_province_is_required_in_canada_and_refused_elsewhere(client: Client, policies: None) -> None:
    response = client.post("/request/leadoro/", form(province=""))
    assert "Choose your province or territory" in response.content.decode()
    response = client.post("/request/leadoro/", form(country="FR", email="f@example.com"))
    assert "Leave the province empty unless you live in Canada." in response.content.decode()
    assert not Request.objects.exists()


@pytest.mark.django_db
def test_the_form_for_a_new_york_resident_applies_no_named_law(client: Client, policies: None) -> None:
    """A New York resident of Leadoro is not told that Brazilian (or any other named) law governs."""
    client.post("/request/leadoro/", form(country="US", state="NY", province=""))
    request = Request.objects.get()
    assert request.law_codes == []
    assert request.status == Request.Status.SUBMITTED  # still verified by its email link ("reasonable" by default)
    assert "No law in the register reaches where the person lives (US-NY)" in (
        Event.objects.get(request=request, kind="submitted").message
    )


def test_each_reason_is_its_own_step() -> None:
    """CCPA 1798.140(c): Leadoro names the CCPA, so a Californian is reached as named; GDPR Art 3(1): Sera's
    establishment; a law named by the policy but absent from the register is skipped, not invented."""
    assert rules(laws("leadoro", "US", "CA")) == [("law_named_and_reaches", "US_CA_CCPA")]
    assert rules(laws("sera-leads", "EE")) == [("law_named_and_reaches", "EU_GDPR")]
    policies, territories = dataset()
    without_gdpr = {code: t for code, t in territories.items() if code != "EU_GDPR"}
    assert choose_laws(policies["sera-leads"], without_gdpr, country="EE").codes == ()


def test_establishment_binds_only_a_law_that_says_so() -> None:
    """GDPR Art 3(1) binds an establishment whoever the person is; a US state law protects its residents only."""
    policies, territories = dataset()
    gdpr = territories["EU_GDPR"]
    residents_only = Territory(places=gdpr.places, reach=replace(gdpr.reach, establishment=False))
    assert choose_laws(policies["sera-leads"], {"EU_GDPR": gdpr}, country="JP").codes == ("EU_GDPR",)
    assert choose_laws(policies["sera-leads"], {"EU_GDPR": residents_only}, country="JP").codes == ()
    named_only = Territory(places=("CH",), reach=replace(territories["CH_FADP"].reach, residents="named"))
    assert choose_laws(policies["sera-leads"], {"CH_FADP": named_only}, country="CH").codes == ()
