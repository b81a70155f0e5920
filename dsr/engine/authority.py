"""Which supervisory authority a request's person is told they can complain to: a pure function.

A refusal and every answer name the authority (GDPR Art 12(4), 77; UK GDPR Art 15(1)(f), 77; PDPO s.21 and
s.37). In this order:
1. Where the person lives in a country whose own law governs the request, and that law's authority is in the
   laws file (`supervisory_authorities`, each with the laws it hears), that authority, wherever the vendor is
   established: the Information Commissioner for a person in the UK (UK GDPR Art 77: "the Commissioner"), the
   PCPD for a person in Hong Kong.
2. Else the authority at the vendor's seat for one of the request's laws: the region's first where the country's
   authorities are regional (a German company's is its Land's, BDSG s.40: Seerene in Potsdam -> Brandenburg),
   then the country's (Sera Leads in Tallinn -> the AKI).
3. Else the authority the vendor's policy names.
4. Else none: the person is told to complain to the authority where they live or work (Art 77(1)), never a
   made-up name.
Every answer also says the person may complain where they live or work (GDPR Art 77(1)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from policies.document import PolicyDocument
from policies.laws import SupervisoryAuthority


@dataclass(frozen=True)
class ComplaintAuthority:
    name: str
    website: str
    place: str  # "DE-BB", "HK", or the country the policy names
    why: str  # for staff: the rule that chose it, with its source
    source: str  # where the choice comes from: the laws file's sources, or the policy's passage
    passage: str = ""  # the policy's own words naming it, where the policy is where it comes from (step 3)


def complaint_authority(
    policy: PolicyDocument,
    *,
    law_codes: Sequence[str],
    authorities: Sequence[SupervisoryAuthority],
    jurisdictions: Mapping[str, Sequence[str]] | None = None,
    country: str | None = None,
) -> ComplaintAuthority | None:
    """The authority named to the person for a request under these laws (see the module's docstring).
    `jurisdictions` gives each law's places ({law code: ["GB"]}) and `country` where the person lives; without
    them, step 1 is skipped."""
    for code in law_codes if country else ():
        if list((jurisdictions or {}).get(code) or ()) != [country]:
            continue
        national = next((a for a in authorities if code in a.laws and a.country == country), None)
        if national is not None:
            return _from_file(national, f"{code}: the authority of {country}, where the person lives")
    country = policy.country
    region = policy.vendor.region.value
    seat = ([f"{country}-{region}"] if country and region else []) + ([country] if country else [])
    for code in law_codes:
        heard = [a for a in authorities if code in a.laws]
        for place in seat:
            match = next((a for a in heard if a.country == place), None)
            if match is not None:
                return _from_file(match, f"{code}: the authority for a vendor established in {place}")
    if policy.authority.name:
        return ComplaintAuthority(
            name=policy.authority.name,
            website=policy.authority.website,
            place=policy.authority.country,
            why=f"named by the policy: “{policy.authority.cite}”",
            source=policy.authority.cite,
            passage=policy.authority.cite,
        )
    return None


def _from_file(authority: SupervisoryAuthority, why: str) -> ComplaintAuthority:
    """An authority of the laws file, with the rule that chose it and the file's sources."""
    sources = "; ".join(authority.sources)
    return ComplaintAuthority(
        name=authority.authority,
        website=authority.web,
        place=authority.country,
        why=f"{why} ({sources})",
        source=sources,
    )
