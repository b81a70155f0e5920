"""Which supervisory authority a request's person is told they can complain to: a pure function.

A refusal and every answer name the authority (GDPR Art 12(4), 77; PDPO s.21 and s.37). Where one of the
request's laws has an authority at the vendor's seat in the laws file (`supervisory_authorities`, each with the
laws it hears), that one: the region's first where the country's authorities are regional (a German company's
is its Land's, BDSG s.40: Seerene in Potsdam -> Brandenburg), then the country's (a Hong Kong request to a Hong
Kong vendor -> the PCPD). Else the authority the vendor's policy names. Else none: the person is told to
complain to the authority where they live or work (Art 77(1)), never a made-up name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policies.document import PolicyDocument
from policies.laws import SupervisoryAuthority


@dataclass(frozen=True)
class ComplaintAuthority:
    name: str
    website: str
    place: str  # "DE-BB", "HK", or the country the policy names
    why: str  # for staff: the rule that chose it, with its source
    source: str  # where the choice comes from, as a letter quotes it: the law's source, or the policy's passage


def complaint_authority(
    policy: PolicyDocument, *, law_codes: Sequence[str], authorities: Sequence[SupervisoryAuthority]
) -> ComplaintAuthority | None:
    """The authority named to the person for a request under these laws (see the module's docstring)."""
    country = policy.country
    region = policy.vendor.region.value
    seat = ([f"{country}-{region}"] if country and region else []) + ([country] if country else [])
    for code in law_codes:
        heard = [a for a in authorities if code in a.laws]
        for place in seat:
            match = next((a for a in heard if a.country == place), None)
            if match is not None:
                return ComplaintAuthority(
                    name=match.authority,
                    website=match.web,
                    place=match.country,
                    why=f"{code}: the authority for a vendor established in {place} ({'; '.join(match.sources)})",
                    source="; ".join(match.sources),
                )
    if policy.authority.name:
        return ComplaintAuthority(
            name=policy.authority.name,
            website=policy.authority.website,
            place=policy.authority.country,
            why=f"named by the policy: “{policy.authority.cite}”",
            source=policy.authority.cite,
        )
    return None
