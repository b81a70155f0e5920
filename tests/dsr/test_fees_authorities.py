"""Fees, refusals and encoding corrections, checked against the seed policies.

- Serai's "reasonable fee" clause is shown to staff with what each law of the request allows (HK PDPO s.28: a
  fee not excessive; GDPR Art 12(5), 15(3): the first copy free, "time-consuming" no ground).
- Refusals and answers name the right supervisory authority (PCPD for a Hong Kong request; Brandenburg's for
  Seerene in Potsdam, BDSG s.40; the Information Commissioner for a UK request, wherever the vendor is), and
  the answer's letter says the person may also complain where they live or work (GDPR Art 77(1)).
- Sera's register code and "no transfers outside the EU/EEA" (Art 15(2), stated in the cover letter), Seerene's
  Privacy Shield transfers flagged (Schrems II, C-311/18), Leadsment's "we do not sell" and its 30 days after
  cancellation for all customer data.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from dsr.engine.authority import complaint_authority
from dsr.models import OutgoingEmail, Package, Request
from dsr.packages import letter
from dsr.requests import workflow
from policies.laws import default_laws_path, load_laws_file
from policies.models import PolicyVersion
from tests.dsr.test_recipients_told import preview
from tests.dsr.test_routing import policies as documents
from tests.factories import LATER, STAFF, identified, routed
from tests.staff import client_for

pytestmark = pytest.mark.usefixtures("policies")


def fulfil_words(capsys: pytest.CaptureFixture[str], vendor: str, request_type: str, **place: str) -> str:
    out = preview(capsys, vendor, request_type, **place)
    return "\n".join(a["explanation"] for a in out["assignments"] if a["action"] == "fulfil")


# --- fees ------------------------------------------------------------------------------------------------


def test_serais_fee_clause_is_shown_with_the_hong_kong_rule_for_a_hong_kong_access_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """HK PDPO s.28(2)-(3): a fee for a data access request may be charged but must not be excessive."""
    words = fulfil_words(capsys, "serai", "access", country="HK")
    assert "We reserve the right to charge a reasonable fee where permitted by law" in words
    assert "HK_PDPO: A fee is permitted for a data access request but must not be excessive (s.28(2)-(3))" in words


def test_serais_fee_is_never_for_a_first_gdpr_copy_and_time_consuming_is_no_ground(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GDPR Art 12(5), 15(3); CJEU C-307/22: the first copy is free; only a manifestly unfounded or excessive
    request may cost a fee, so Serai's "time-consuming" ground does not apply to an EEA resident."""
    words = fulfil_words(capsys, "serai", "access", country="FI")
    assert "never for a first copy under the GDPR" in words
    assert "EU_GDPR: Free." in words and "The first copy is free whatever the purpose (CJEU C-307/22" in words
    assert "A request being time-consuming is no ground for a fee" in words


def test_no_fee_is_raised_where_no_copy_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    """PDPO s.28(1): no fee for a correction; a fee only comes up where a copy of the data is given."""
    assert "reserves a fee" not in fulfil_words(capsys, "serai", "rectification", country="HK")


# --- the supervisory authority ---------------------------------------------------------------------------


def authority(slug: str, *codes: str, lives_in: str | None = None) -> str:
    laws = load_laws_file(default_laws_path())
    found = complaint_authority(
        documents()[slug],
        law_codes=codes,
        authorities=laws.authorities,
        jurisdictions={law.code: law.jurisdictions for law in laws.laws},
        country=lives_in,
    )
    return found.name if found else ""


def test_each_request_names_the_authority_for_its_law_and_the_vendors_seat() -> None:
    """PDPO s.37 (complaints to the PCPD); BDSG s.40(1)-(2) (a private body's authority is its Land's: Seerene
    is in Potsdam, Brandenburg); GDPR Art 77 (where none is at the seat, the person's own authority)."""
    assert authority("serai", "HK_PDPO").startswith("Office of the Privacy Commissioner for Personal Data")
    assert authority("seerene", "EU_GDPR").startswith("Die Landesbeauftragte für den Datenschutz")
    assert authority("sera-leads", "EU_GDPR").startswith("Andmekaitse Inspektsioon")
    assert authority("leadsment", "EU_GDPR").startswith("Tietosuojavaltuutetun toimisto")
    # Leadoro names no authority and has none at its seat for the GDPR: the person's own, never a made-up one.
    assert authority("leadoro", "EU_GDPR") == ""


def test_a_uk_request_names_the_information_commissioner_wherever_the_vendor_is() -> None:
    """UK GDPR Art 15(1)(f), 12(4) and 77: the person may complain to "the Commissioner", whoever the controller
    is and wherever it is established. A UK resident asking Sera Leads (Tallinn) is under the UK GDPR and, by
    Sera's Estonian establishment, the EU GDPR: the ICO is named, not the Estonian AKI; Leadoro names no authority
    and has none at its seat, yet a UK request to it names the ICO too."""
    ico = "Information Commissioner's Office (ICO)"
    assert authority("sera-leads", "EU_GDPR", "UK_GDPR", lives_in="GB") == ico
    assert authority("seerene", "EU_GDPR", "UK_GDPR", lives_in="GB") == ico
    assert authority("leadoro", "UK_GDPR", lives_in="GB") == ico
    # Serai is in Hong Kong, and its law is the PDPO too: a person in the UK is still told the Commissioner,
    # whatever order the laws come in, and a person in Hong Kong the PCPD.
    assert authority("serai", "HK_PDPO", "UK_GDPR", lives_in="GB") == ico
    assert authority("serai", "HK_PDPO", lives_in="HK").startswith("Office of the Privacy Commissioner")
    # An EU request is still heard at the vendor's seat (Art 56: the lead authority).
    assert authority("sera-leads", "EU_GDPR", lives_in="FI").startswith("Andmekaitse Inspektsioon")
    assert authority("serai", "EU_GDPR", "HK_PDPO", lives_in="FR").startswith("Office of the Privacy Commissioner")


def rejected_email(request: Request) -> OutgoingEmail:
    workflow.close_request(
        request, status=Request.Status.REJECTED, message="We could not confirm who you are.", actor=STAFF, now=LATER
    )
    return OutgoingEmail.objects.get(request=request, kind="rejected")


def test_a_refusal_of_a_hong_kong_request_names_the_pcpd() -> None:
    """PDPO s.21 and s.37: a refused data access request is complained of to the Privacy Commissioner."""
    request = routed(vendor_slug="serai", relationships=["account_user"], country="HK", request_type="access")
    assert request.law_codes == ["HK_PDPO"]
    mail = rejected_email(request)
    for body in (mail.body_text, mail.body_html):
        assert "Office of the Privacy Commissioner for Personal Data, Hong Kong (PCPD)" in body
        assert "https://www.pcpd.org.hk" in body


def test_a_refusal_from_seerene_names_brandenburgs_authority() -> None:
    """BDSG s.40(1)-(2); GDPR Art 77: Seerene GmbH is established in Potsdam, so Brandenburg's authority."""
    request = routed(vendor_slug="seerene", relationships=["account_user"], country="DE", request_type="access")
    mail = rejected_email(request)
    assert "Landesbeauftragte für den Datenschutz und für das Recht auf Akteneinsicht Brandenburg" in mail.body_text
    assert "https://www.lda.brandenburg.de" in mail.body_text


@pytest.mark.parametrize("slug", ["sera-leads", "serai"])
def test_a_refusal_of_a_uk_request_names_the_information_commissioner(slug: str) -> None:
    """UK GDPR Art 12(4): a refusal tells the person of the right to complain to the Commissioner (laws.yaml
    UK_GDPR refusal.must_mention), whether the vendor is in Tallinn or in Hong Kong."""
    request = routed(vendor_slug=slug, relationships=["account_user"], country="GB", request_type="access")
    assert "UK_GDPR" in request.law_codes
    mail = rejected_email(request)
    for body in (mail.body_text, mail.body_html):
        assert "Information Commissioner's Office (ICO)" in body.replace("&#x27;", "'")
        assert "https://ico.org.uk" in body
        assert "Andmekaitse Inspektsioon" not in body and "PCPD" not in body
    # The Commissioner is the person's authority, not the vendor's: the email does not call it the vendor's.
    words = " ".join(mail.body_text.split())
    assert (
        "the one where you live or work, or the authority for your request, Information Commissioner's Office (ICO) "
        "(https://ico.org.uk)." in words
    )
    assert "the authority for Serai" not in words and "the authority for Sera Leads" not in words


def test_the_complaint_sentence_is_in_the_persons_language() -> None:
    """A German request's refusal names Brandenburg's authority as the one for the request, in German."""
    request = routed(
        vendor_slug="seerene", relationships=["account_user"], country="DE", request_type="access", language="de"
    )
    words = " ".join(rejected_email(request).body_text.split())
    assert "oder bei der für Ihre Anfrage zuständigen Behörde, Die Landesbeauftragte für den Datenschutz" in words


# --- encoding corrections ---------------------------------------------------------------------------------


def show(capsys: pytest.CaptureFixture[str], slug: str) -> dict[str, Any]:
    call_command("show_policy", slug, json=True)
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_show_policy_gives_seras_register_code_and_no_transfers_outside_the_eea(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GDPR Art 13(1)(a) (the controller's identity) and Art 15(2) (transfers to third countries)."""
    sera = show(capsys, "sera-leads")
    assert sera["registry_code"] == {"value": "16976269", "cite": "Estonian commercial register code: 16976269"}
    (clause,) = sera["clauses"]
    assert clause["kind"] == "no_transfers_outside_eea"
    assert clause["cite"] == "We do not currently transfer personal data outside the EU/EEA."
    call_command("show_policy", "sera-leads")
    text = capsys.readouterr().out
    assert "Register code: 16976269" in text and "no_transfers_outside_eea" in text


def test_seerenes_privacy_shield_transfers_are_flagged_for_staff(capsys: pytest.CaptureFixture[str]) -> None:
    """CJEU C-311/18 (Schrems II, 16 July 2020) invalidated the EU-US Privacy Shield, which Seerene's 2018 policy
    still cites for SendGrid, Intercom and Zendesk: staff check the basis before answering an access request."""
    seerene = show(capsys, "seerene")
    assert seerene["region"]["value"] == "BB"
    flag = next(c for c in seerene["clauses"] if c["kind"] == "invalid_transfer_basis")
    assert "C-311/18" in flag["text"] and "EU US Privacy Shield" in flag["cite"]
    words = fulfil_words(capsys, "seerene", "access", country="DE")
    assert "Check before answering: SendGrid, Intercom and Zendesk" in words


def test_leadsment_does_not_sell_and_deletes_all_customer_data_30_days_after_cancellation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Leadsment's policy: "We do not sell personal data to third parties" and "After cancellation, data is
    retained for 30 days and then deleted" (for all of it, not only account data; GDPR Art 5(1)(e))."""
    leadsment = show(capsys, "leadsment")
    assert [c["kind"] for c in leadsment["clauses"]] == ["no_sale"]
    customer = [c for c in leadsment["categories"] if "account_user" in c["relationships"]]
    for category in customer:
        assert any(
            r["period"] == {"amount": 30, "unit": "days"} and r["starts"] == "subscription_cancellation"
            for r in category["retention"]
        ), category["key"]
    assert not [g for g in leadsment["gaps"] if g["field"].endswith("usage_data.retention")]


def test_the_cover_letter_states_where_the_data_go_outside_the_eea() -> None:
    """GDPR Art 15(2): the person is told of transfers to a third country and their safeguards."""
    with translation.override("en"):
        sera = {s.key: s for s in letter.sections(documents()["sera-leads"], documents()["sera-leads"].categories)}
        seerene = {s.key: s for s in letter.sections(documents()["seerene"], documents()["seerene"].categories)}
    (none_out,) = sera["transfers"].facts
    assert none_out.text == "No personal data are transferred to countries outside the EU/EEA."
    assert none_out.passage == "We do not currently transfer personal data outside the EU/EEA."
    assert seerene["transfers"].facts[0].text.startswith("Some of the data are transferred to countries outside")
    with translation.override("de"):
        german = letter.sections(documents()["sera-leads"], documents()["sera-leads"].categories)
    assert "Es werden keine personenbezogenen Daten" in next(s for s in german if s.key == "transfers").facts[0].text


def test_the_policy_admin_shows_the_corrected_facts_with_their_passages() -> None:
    """The policy admin shows what routing and answers rely on, each with its passage."""
    client = client_for(get_user_model().objects.create_superuser("pia", "pia@example.org", "pw"))
    sera = PolicyVersion.objects.filter(vendor__slug="sera-leads").latest("number")
    page = client.get(f"/admin/policies/policyversion/{sera.pk}/change/").content.decode()
    assert "16976269" in page and "We do not currently transfer personal data outside the EU/EEA." in page
    seerene = PolicyVersion.objects.filter(vendor__slug="seerene").latest("number")
    page = client.get(f"/admin/policies/policyversion/{seerene.pk}/change/").content.decode()
    assert "Heap Analytics, Inc.: withdraw_consent" in page and "EU US Privacy Shield" in page


def test_the_answer_packages_letter_names_the_same_authority_as_the_emails() -> None:
    """GDPR Art 15(1)(f) and Art 77; BDSG s.40(1)-(2): Seerene's policy names only "a supervisory authority";
    Seerene GmbH is established in Potsdam, so the cover letter of its answer names Brandenburg's authority,
    as its refusal email does, instead of telling the person that no authority is named."""
    request = routed(
        vendor_slug="seerene", relationships=["account_user"], country="DE", request_type="access", language="en"
    )
    workflow.add_to_package(
        request, category="registration_data", rows=[{"email": "alice@example.com"}], actor=STAFF, now=LATER
    )
    identified(request)
    workflow.close_request(request, status=Request.Status.COMPLETED, message="Your data.", actor=STAFF, now=LATER)
    package = Package.objects.get(request=request)
    with package.archive.open("rb") as f:
        text = zipfile.ZipFile(io.BytesIO(f.read())).read("cover-letter.txt").decode()
    assert "Die Landesbeauftragte für den Datenschutz" in text
    assert "The policy names no authority" not in text
    # Art 77(1): the person may also complain where they live or work.
    assert "You can also complain to the data protection authority of the country where you live or work" in text


def test_the_cover_letter_always_says_the_person_may_complain_where_they_live_in_their_language() -> None:
    """GDPR Art 77(1): whichever authority is named for the vendor (Serai's, the PCPD, for its Hong Kong seat),
    a person in France may complain to the authority where they live or work, and the letter says so."""
    serai = documents()["serai"]
    pcpd = complaint_authority(
        serai,
        law_codes=("EU_GDPR", "HK_PDPO"),
        authorities=load_laws_file(default_laws_path()).authorities,
        jurisdictions={"EU_GDPR": ("FR", "DE"), "HK_PDPO": ("HK",)},
    )
    assert pcpd is not None and pcpd.place == "HK"
    with translation.override("en"):
        (complaint,) = [s for s in letter.sections(serai, serai.categories, pcpd) if s.key == "complaint"]
    assert [f.text.split(",")[0] for f in complaint.facts] == [
        "Office of the Privacy Commissioner for Personal Data",
        "You can also complain to the data protection authority of the country where you live or work",
    ]
    assert all(f.passage == "" for f in complaint.facts)  # neither is the policy's words
    # An authority the policy names is quoted in its words (Sera Leads, with none for its law in the file).
    sera = documents()["sera-leads"]
    named = complaint_authority(sera, law_codes=("EU_GDPR",), authorities=())
    assert named is not None and named.name == sera.authority.name
    with translation.override("en"):
        (complaint,) = [s for s in letter.sections(sera, sera.categories, named) if s.key == "complaint"]
    assert complaint.facts[0].passage == sera.authority.cite != ""
    for language, words in (
        ("de", "Sie können sich auch bei der Datenschutzbehörde des Landes beschweren"),
        ("fi", "Voit myös tehdä valituksen sen maan tietosuojaviranomaiselle"),
        ("et", "Samuti võite esitada kaebuse selle riigi andmekaitseasutusele"),
    ):
        with translation.override(language):
            (complaint,) = [s for s in letter.sections(serai, serai.categories, pcpd) if s.key == "complaint"]
        assert complaint.facts[1].text.startswith(words)
