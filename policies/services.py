"""Read-side helpers over the loaded policies: what the commands, routing and deadlines ask of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import laws as law_data
from .laws import Territory, law_territory
from .models import Law, PolicyVersion, SupervisoryAuthority, Vendor

# Per-process caches. A policy version is never changed once loaded (a changed file makes a new version
# with a new id and sha256), so a version and its parsed document are read from the database once per
# process. Law rows are updated in place by the loader; the set of laws is re-read only when one of them
# changed (`laws_in_force` compares their sha256 and load time, one light query).
_VERSIONS: dict[tuple[int, str, int], PolicyVersion] = {}
_VERSIONS_MAX = 256


class UnknownVendor(LookupError):
    pass


def policy_in_force(slug: str, on: dt.date) -> PolicyVersion:
    """The policy version that judges a request received on `on` (see Vendor.policy_in_force).

    One light query (the vendor's version ids and dates); the version itself, with its vendor and its
    parsed document, comes from this process's cache after the first time.
    """
    rows = list(
        PolicyVersion.objects.filter(vendor__slug=slug)
        .order_by("-effective_date", "-number")  # a correction (same date, higher number) wins
        .values_list("pk", "sha256", "vendor_id", "effective_date")
    )
    if not rows:
        known = ", ".join(Vendor.objects.values_list("slug", flat=True)) or "none loaded (run load_policies)"
        raise UnknownVendor(f"Unknown vendor {slug!r}. Known vendors: {known}.")
    # The latest effective on or before `on`, else the first version (as Vendor.policy_in_force).
    earliest = min(rows, key=lambda row: row[3])  # the first in this order among the earliest date
    pk, sha256, vendor_id, _ = next((row for row in rows if row[3] <= on), earliest)
    key = (pk, sha256, vendor_id)
    version = _VERSIONS.get(key)
    if version is None:
        version = PolicyVersion.objects.select_related("vendor").get(pk=pk)
        version.policy  # noqa: B018 (parse the document once, with the version)
        if len(_VERSIONS) >= _VERSIONS_MAX:
            _VERSIONS.clear()
        _VERSIONS[key] = version
    return version


def response_promises(version: PolicyVersion) -> list[dict[str, Any]]:
    """The version's response-time promises, as the deadline engine's `Promise.from_mapping` reads them."""
    return [
        {
            "amount": p.amount,
            "unit": p.unit,
            "applies_to": list(p.applies_to),
            "cite": p.cite,
            "vendor": version.vendor.name,
        }
        for p in version.promises.filter(kind="response_time")
    ]


def promise_and_place_for_vendor(slug: str, on: dt.date | None = None) -> tuple[list[dict[str, Any]], str, str]:
    """The vendor's response promises, its time zone and its country, as in the policy in force."""
    version = policy_in_force(slug, on or dt.date.max)
    return response_promises(version), version.timezone, version.country


def rules_digest(entries: dict[str, Any]) -> str:
    """The key of a set of law entries ({code: entry}): SHA-256 of its canonical JSON."""
    canonical = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LawSet:
    """Every loaded law as it stands now: entries and territories, with the digests of subsets asked for."""

    key: tuple[tuple[str, str, dt.datetime], ...]
    entries: dict[str, dict[str, Any]]
    jurisdictions: dict[str, list[str]]
    _subsets: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = field(default_factory=dict, compare=False)
    _territories: dict[str, Territory] = field(default_factory=dict, compare=False)

    def territories(self) -> dict[str, Territory]:
        """Each law's places and territorial reach, parsed once per set of loaded laws."""
        if not self._territories and self.entries:
            self._territories.update(
                {code: law_territory(entry, where="database Law") for code, entry in self.entries.items()}
            )
        return self._territories

    def subset(self, codes: Sequence[str]) -> tuple[str, dict[str, Any]]:
        """(digest, {code: entry}) of these laws (KeyError for a law not loaded)."""
        wanted = tuple(codes)
        found = self._subsets.get(wanted)
        if found is None:
            entries = {code: self.entries[code] for code in wanted}
            found = self._subsets[wanted] = (rules_digest(entries), entries)
        return found


_LAWS: list[LawSet] = []


def laws_in_force() -> LawSet:
    """The loaded laws, read again only when one changed since this process last read them."""
    key = tuple(Law.objects.order_by("code").values_list("code", "sha256", "loaded_at"))
    if _LAWS and _LAWS[0].key == key:
        return _LAWS[0]
    rows = list(Law.objects.order_by("code").values_list("code", "jurisdictions", "data"))
    laws = LawSet(
        key=key,
        entries={code: data for code, _, data in rows},
        jurisdictions={code: list(places or []) for code, places, _ in rows},
    )
    _LAWS[:] = [laws]
    return laws


def supervisory_authorities() -> list[law_data.SupervisoryAuthority]:
    """The authorities of the laws file, as loaded (where complaints go), for dsr.engine.authority."""
    return [
        law_data.SupervisoryAuthority(
            country=a.country,
            authority=a.name,
            address=a.address,
            web=a.website,
            notes=a.notes,
            national_law="",
            sources=tuple(a.sources),
            status=a.status,  # type: ignore[arg-type]
            laws=tuple(a.laws),
        )
        for a in SupervisoryAuthority.objects.all()
    ]


def policy_as_dict(version: PolicyVersion) -> dict[str, Any]:
    """The encoded policy as loaded, with the citation beside each fact, for review and diffing."""
    vendor = version.vendor

    def fact(value: Any, cite: str) -> dict[str, Any]:
        return {"value": value or None, "cite": cite or None}

    return {
        "vendor": vendor.slug,
        "version": version.number,
        "effective_date": version.effective_date.isoformat(),
        "published": fact(
            version.published_date.isoformat() if version.published_date else None, version.published_cite
        ),
        "source": version.source,
        "data_file": version.data_file,
        "legal_name": fact(version.legal_name, version.legal_name_cite),
        "brand": fact(version.brand, version.brand_cite),
        "country": fact(version.country, version.country_cite),
        "timezone": version.timezone,
        "address": fact(version.address, version.address_cite),
        "website": fact(version.website, version.website_cite),
        "region": fact(version.policy.vendor.region.value, version.policy.vendor.region.cite),
        "registry_code": fact(version.policy.vendor.registry_code.value, version.policy.vendor.registry_code.cite),
        "authority": {
            "name": version.authority_name or None,
            "country": version.authority_country or None,
            "website": version.authority_website or None,
            "cite": version.authority_cite or None,
        },
        "contacts": [
            {"kind": c.kind, "email": c.email or None, "name": c.name or None, "url": c.url or None, "cite": c.cite}
            for c in version.contacts.all()
        ],
        "laws": [
            {"code": la.law.code, "name": la.law.name, "cite": la.cite} for la in version.laws.select_related("law")
        ],
        "promises": [
            {"kind": p.kind, "amount": p.amount, "unit": p.unit, "applies_to": p.applies_to, "cite": p.cite}
            for p in version.promises.all()
        ],
        "rights": [{"right": r.right, "scope": r.scope, "cite": r.cite} for r in version.rights.all()],
        "categories": [
            {
                "key": cat.key,
                "name": cat.name,
                "description": cat.description,
                "role": cat.role,
                "role_cite": cat.role_cite,
                "relationships": cat.relationships,
                "relationships_cite": cat.relationships_cite,
                "controller_when_processor": cat.controller_when_processor or None,
                "lawful_bases": cat.lawful_bases,
                "limited_rights": cat.limited_rights,
                "retention": [
                    {
                        "period": {"amount": r.amount, "unit": r.unit} if r.amount is not None else None,
                        "indefinite": r.indefinite,
                        "starts": r.starts,
                        "legal_obligation": r.legal_obligation,
                        "description": r.description,
                        "cite": r.cite,
                    }
                    for r in cat.retention_rules.all()
                ],
            }
            for cat in version.categories.prefetch_related("retention_rules")
        ],
        "recipients": [
            {
                "name": r.name,
                "kind": r.kind,
                "purpose": r.purpose or None,
                "region": r.region or None,
                "categories": r.categories,
                "cite": r.cite,
                "acts_on": [
                    {"request_type": d.request_type, "cite": d.cite}
                    for doc in version.policy.recipients
                    if doc.name == r.name
                    for d in doc.acts_on
                ],
            }
            for r in version.recipients.all()
        ],
        "clauses": [{"kind": c.kind, "text": c.text, "cite": c.cite} for c in version.policy.clauses],
        "gaps": [{"field": g.field, "note": g.note, "cite": g.cite or None} for g in version.gaps.all()],
    }
