"""Read, validate and load the policy and law files (policies/data/).

Two steps, so nothing is ever half-loaded:
1. `read_data_dir()` parses and validates *every* file and raises `PolicyDataError` naming the file,
   the entry and the field at the first problem.
2. `load(...)` writes everything in one transaction. A vendor file whose content has not changed is
   left alone (running twice changes nothing); a changed file becomes a new `PolicyVersion`. With a
   later `policy.effective_date` it is the vendor's new policy; with the same date it corrects how the
   same policy was encoded, and judges the requests received from then on (requests already received
   keep the version they were judged by). An earlier date than the version it follows is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from . import vocabulary
from .document import PolicyDocument, PolicyDocumentError
from .laws import LawDataError, load_laws_file
from .models import (
    Contact,
    DataCategory,
    Law,
    LawApplicability,
    PolicyGap,
    PolicyVersion,
    Promise,
    Recipient,
    RetentionRule,
    RightGrant,
    SupervisoryAuthority,
    Vendor,
)

SCHEMA_VERSION = 1
LAWS_FILE = "laws.yaml"
VENDORS_DIR = "vendors"
# A template placeholder left in a policy, e.g. "[privacy@leadoro.net]" or "[DPO name & contact]".
PLACEHOLDER = re.compile(r"^\s*\[[^\]]*\]\s*$")
EMAIL = re.compile(r"^[^@\s\[\]]+@[^@\s\[\]]+\.[A-Za-z]{2,}$")


class PolicyDataError(Exception):
    """A data file is invalid. The message names the file, the entry and the field."""


@dataclass(frozen=True)
class VendorFile:
    path: Path
    slug: str
    document: dict[str, Any]  # as validated and stored (PolicyVersion.document); its hash decides new versions
    policy: PolicyDocument  # the same, typed
    sha256: str


@dataclass(frozen=True)
class DataSet:
    laws_path: Path
    laws: dict[str, dict[str, Any]]
    authorities: list[dict[str, Any]]
    vendors: list[VendorFile]


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    laws_changed: list[str] = field(default_factory=list)
    gaps: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"new policy version: {name}" for name in self.created]
        out += [f"unchanged: {name}" for name in self.unchanged]
        out += [f"law loaded or changed: {code}" for code in self.laws_changed]
        for slug, gaps in self.gaps.items():
            out += [f"gap in {slug}: {gap}" for gap in gaps]
        return out


# --- Validation (pure) ----------------------------------------------------------------------------


class _Checker:
    """Validates one vendor document; every error names file, entry and field."""

    def __init__(self, path: Path, law_codes: Iterable[str]) -> None:
        self.name = path.name
        self.law_codes = set(law_codes)

    def fail(self, entry: str, fld: str, message: str) -> PolicyDataError:
        return PolicyDataError(f"{self.name}: {entry}: {fld}: {message}")

    def mapping(self, value: Any, entry: str, fld: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(entry, fld, "must be a mapping")
        return value

    def items(self, value: Any, entry: str, fld: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(entry, fld, "must be a list")
        return value

    def text(self, doc: dict[str, Any], key: str, entry: str, *, required: bool = True) -> str:
        value = doc.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(entry, key, "is required")
            return ""
        if not isinstance(value, str | int | float):
            raise self.fail(entry, key, "must be text")
        return str(value).strip()

    def cite(self, doc: dict[str, Any], entry: str, key: str = "cite") -> str:
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, key, "every fact needs the passage of the policy it comes from")
        return value.strip()

    def choice(self, doc: dict[str, Any], key: str, entry: str, allowed: Iterable[str]) -> str:
        allowed = list(allowed)
        value = doc.get(key)
        if value not in allowed:
            raise self.fail(entry, key, f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def keys(
        self, values: Any, entry: str, fld: str, allowed: Iterable[str], *, extra: Iterable[str] = ()
    ) -> list[str]:
        allowed_set = set(allowed) | set(extra)
        values = self.items(values, entry, fld)
        for value in values:
            if value not in allowed_set:
                raise self.fail(entry, fld, f"{value!r} is not a known key ({', '.join(sorted(allowed_set))})")
        return [str(v) for v in values]

    def fact(self, doc: dict[str, Any], key: str, entry: str, *, required: bool = False) -> dict[str, Any]:
        """A `{value, cite}` pair; a null or placeholder value is a gap, never a fact."""
        raw = doc.get(key)
        if raw is None:
            if required:
                raise self.fail(entry, key, "is required")
            return {"value": None, "cite": ""}
        pair = self.mapping(raw, entry, key)
        value = pair.get("value")
        if isinstance(value, str) and PLACEHOLDER.match(value):
            raise self.fail(entry, key, f"{value!r} is a template placeholder: write null and list it under gaps")
        cite = pair.get("cite")
        if value is not None and (not isinstance(cite, str) or not cite.strip()):
            raise self.fail(entry, f"{key}.cite", "every fact needs the passage of the policy it comes from")
        return {"value": value, "cite": (cite or "").strip()}

    def period(self, doc: dict[str, Any], entry: str) -> tuple[int | None, str]:
        raw = doc.get("period")
        if raw is None:
            return None, ""
        period = self.mapping(raw, entry, "period")
        amount = period.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise self.fail(entry, "period.amount", f"{amount!r} must be a whole number of {period.get('unit')}")
        unit = self.choice(period, "unit", f"{entry}.period", vocabulary.RETENTION_UNITS)
        return amount, unit

    def date(self, value: Any, entry: str, fld: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(entry, fld, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def email(self, value: Any, entry: str, fld: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str) or not EMAIL.match(value.strip()):
            raise self.fail(entry, fld, f"{value!r} is not an email address (null where the policy gives none)")
        return value.strip()


def validate_vendor(doc: Any, *, path: Path, law_codes: Iterable[str]) -> dict[str, Any]:
    """Check one vendor document and return it normalised (dates as ISO text, blanks filled)."""
    c = _Checker(path, law_codes)
    doc = c.mapping(doc, "file", "(top level)")
    if doc.get("schema") != SCHEMA_VERSION:
        raise c.fail("file", "schema", f"must be {SCHEMA_VERSION}")

    vendor = c.mapping(doc.get("vendor"), "vendor", "vendor")
    slug = c.text(vendor, "slug", "vendor")
    if slug != path.stem:
        raise c.fail("vendor", "slug", f"{slug!r} must match the file name {path.stem!r}")
    tz = c.text(vendor, "timezone", "vendor", required=False) or "UTC"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise c.fail("vendor", "timezone", f"{tz!r} is not a time zone name") from None
    country = c.fact(vendor, "country", "vendor")
    if country["value"] is not None and not re.fullmatch(r"[A-Z]{2}", str(country["value"])):
        raise c.fail("vendor", "country.value", f"{country['value']!r} is not a two-letter country code")
    out_vendor: dict[str, Any] = {
        "slug": slug,
        "timezone": tz,
        "legal_name": c.fact(vendor, "legal_name", "vendor", required=True),
        "brand": c.fact(vendor, "brand", "vendor"),
        "country": country,
        "address": c.fact(vendor, "address", "vendor"),
        "registry_code": c.fact(vendor, "registry_code", "vendor"),
        "website": c.fact(vendor, "website", "vendor"),
    }
    if "region" in vendor:  # the seat's subdivision (ISO 3166-2), where the policy shows it
        region = c.fact(vendor, "region", "vendor")
        if region["value"] is not None and not re.fullmatch(r"[A-Z0-9]{1,3}", str(region["value"])):
            raise c.fail("vendor", "region.value", f"{region['value']!r} is not an ISO 3166-2 subdivision code")
        out_vendor["region"] = region
    if not out_vendor["legal_name"]["value"] and not out_vendor["brand"]["value"]:
        raise c.fail("vendor", "legal_name", "a vendor needs a legal name or a brand")

    policy = c.mapping(doc.get("policy"), "policy", "policy")
    published = c.fact(policy, "published", "policy")
    if published["value"] is not None:
        published["value"] = c.date(published["value"], "policy", "published.value").isoformat()
    out_policy = {
        "title": c.text(policy, "title", "policy", required=False),
        "published": published,
        "effective_date": c.date(policy.get("effective_date"), "policy", "effective_date").isoformat(),
        "source": c.text(policy, "source", "policy"),
    }

    contacts = []
    for i, raw in enumerate(c.items(doc.get("contacts"), "contacts", "contacts")):
        entry = f"contacts[{i}]"
        item = c.mapping(raw, entry, "contact")
        email_value = item.get("email")
        if isinstance(email_value, str) and "[" in email_value:
            raise c.fail(
                entry, "email", f"{email_value!r} is a template placeholder: write null and list it under gaps"
            )
        contacts.append(
            {
                "kind": c.choice(item, "kind", entry, vocabulary.CONTACT_KINDS),
                "email": c.email(email_value, entry, "email"),
                "name": c.text(item, "name", entry, required=False),
                "url": c.text(item, "url", entry, required=False),
                "cite": c.cite(item, entry),
            }
        )

    authority_raw = doc.get("authority") or {}
    authority = c.mapping(authority_raw, "authority", "authority")
    out_authority = {
        "name": c.text(authority, "name", "authority", required=False),
        "country": c.text(authority, "country", "authority", required=False),
        "website": c.text(authority, "website", "authority", required=False),
        "cite": c.cite(authority, "authority") if authority.get("name") else (authority.get("cite") or ""),
    }

    laws = []
    for i, raw in enumerate(c.items(doc.get("laws"), "laws", "laws")):
        entry = f"laws[{i}]"
        item = c.mapping(raw, entry, "law")
        code = c.choice(item, "code", entry, sorted(c.law_codes))
        laws.append({"code": code, "cite": c.cite(item, entry)})

    promises = []
    for i, raw in enumerate(c.items(doc.get("promises"), "promises", "promises")):
        entry = f"promises[{i}]"
        item = c.mapping(raw, entry, "promise")
        amount = item.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise c.fail(entry, "amount", f"{amount!r} must be a positive whole number")
        promises.append(
            {
                "kind": c.choice(item, "kind", entry, vocabulary.PROMISE_KINDS),
                "amount": amount,
                "unit": c.choice(item, "unit", entry, vocabulary.PROMISE_UNITS),
                "applies_to": c.keys(
                    item.get("applies_to") or ["all"], entry, "applies_to", vocabulary.REQUEST_TYPES, extra=["all"]
                ),
                "cite": c.cite(item, entry),
            }
        )

    rights = []
    for i, raw in enumerate(c.items(doc.get("rights"), "rights", "rights")):
        entry = f"rights[{i}]"
        item = c.mapping(raw, entry, "right")
        rights.append(
            {
                "right": c.choice(item, "right", entry, vocabulary.RIGHTS),
                "scope": c.choice(
                    {"scope": item.get("scope", "all_data")}, "scope", entry, ["controller_data", "all_data"]
                ),
                "cite": c.cite(item, entry),
            }
        )

    categories = []
    category_keys: set[str] = set()
    for i, raw in enumerate(c.items(doc.get("categories"), "categories", "categories")):
        item = c.mapping(raw, f"categories[{i}]", "category")
        key = c.text(item, "key", f"categories[{i}]")
        entry = f"categories[{key}]"
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise c.fail(entry, "key", f"{key!r} must be snake_case")
        if key in category_keys:
            raise c.fail(entry, "key", f"{key!r} is used twice")
        category_keys.add(key)
        role = c.choice(item, "role", entry, vocabulary.ROLES)
        relationships = c.keys(item.get("relationships"), entry, "relationships", vocabulary.RELATIONSHIPS)
        if not relationships:
            raise c.fail(entry, "relationships", "name at least one relationship the category covers")
        bases = []
        for j, base in enumerate(c.items(item.get("lawful_bases"), entry, "lawful_bases")):
            base = c.mapping(base, f"{entry}.lawful_bases[{j}]", "lawful basis")
            bases.append(
                {
                    "basis": c.text(base, "basis", f"{entry}.lawful_bases[{j}]"),
                    "cite": c.cite(base, f"{entry}.lawful_bases[{j}]"),
                }
            )
        limits = []
        for j, limit in enumerate(c.items(item.get("limited_rights"), entry, "limited_rights")):
            where = f"{entry}.limited_rights[{j}]"
            limit = c.mapping(limit, where, "limited right")
            limits.append(
                {
                    "right": c.choice(limit, "right", where, vocabulary.RIGHTS),
                    "reason": c.text(limit, "reason", where),
                    "cite": c.cite(limit, where),
                }
            )
        retention = []
        for j, rule in enumerate(c.items(item.get("retention"), entry, "retention")):
            where = f"{entry}.retention[{j}]"
            rule = c.mapping(rule, where, "retention rule")
            amount, unit = c.period(rule, where)
            indefinite = bool(rule.get("indefinite", False))
            if indefinite and amount is not None:
                raise c.fail(where, "indefinite", "a rule is either indefinite or has a period, not both")
            retention.append(
                {
                    "amount": amount,
                    "unit": unit,
                    "indefinite": indefinite,
                    "starts": c.choice(rule, "starts", where, vocabulary.RETENTION_EVENTS),
                    "legal_obligation": bool(rule.get("legal_obligation", False)),
                    "description": c.text(rule, "description", where, required=False),
                    "cite": c.cite(rule, where),
                }
            )
        categories.append(
            {
                "key": key,
                "name": c.text(item, "name", entry),
                "description": c.text(item, "description", entry, required=False),
                "role": role,
                "role_cite": c.cite(item, entry, "role_cite") if role != "unknown" else (item.get("role_cite") or ""),
                "relationships": relationships,
                "relationships_cite": c.cite(item, entry, "relationships_cite"),
                "controller_when_processor": c.text(item, "controller_when_processor", entry, required=False),
                "lawful_bases": bases,
                "limited_rights": limits,
                "retention": retention,
            }
        )
    if not categories:
        raise c.fail("categories", "categories", "a policy needs at least one data category")

    recipients = []
    for i, raw in enumerate(c.items(doc.get("recipients"), "recipients", "recipients")):
        item = c.mapping(raw, f"recipients[{i}]", "recipient")
        entry = f"recipients[{item.get('name', i)}]"
        acts_on = []
        for j, duty in enumerate(c.items(item.get("acts_on"), entry, "acts_on")):
            where = f"{entry}.acts_on[{j}]"
            duty = c.mapping(duty, where, "acts_on")
            acts_on.append(
                {
                    "request_type": c.choice(duty, "request_type", where, vocabulary.REQUEST_TYPES),
                    "cite": c.cite(duty, where),
                }
            )
        recipients.append(
            ({"acts_on": acts_on} if acts_on else {})
            | {
                "name": c.text(item, "name", entry),
                "kind": c.choice(item, "kind", entry, vocabulary.RECIPIENT_KINDS),
                "purpose": c.text(item, "purpose", entry, required=False),
                "region": c.text(item, "region", entry, required=False),
                "categories": c.keys(
                    item.get("categories") or ["all"], entry, "categories", category_keys, extra=["all"]
                ),
                "cite": c.cite(item, entry),
            }
        )

    clauses = []
    for i, raw in enumerate(c.items(doc.get("clauses"), "clauses", "clauses")):
        entry = f"clauses[{i}]"
        item = c.mapping(raw, entry, "clause")
        clauses.append(
            {
                "kind": c.choice(item, "kind", entry, vocabulary.CLAUSE_KINDS),
                "text": c.text(item, "text", entry),
                "cite": c.cite(item, entry),
            }
        )

    gaps = []
    for i, raw in enumerate(c.items(doc.get("gaps"), "gaps", "gaps")):
        entry = f"gaps[{i}]"
        item = c.mapping(raw, entry, "gap")
        gaps.append(
            {
                "field": c.text(item, "field", entry),
                "note": c.text(item, "note", entry),
                "cite": (item.get("cite") or "").strip() if isinstance(item.get("cite"), str | type(None)) else "",
            }
        )

    return {
        "schema": SCHEMA_VERSION,
        "vendor": out_vendor,
        "policy": out_policy,
        "contacts": contacts,
        "authority": out_authority,
        "laws": laws,
        "promises": promises,
        "rights": rights,
        "categories": categories,
        "recipients": recipients,
        "gaps": gaps,
    } | ({"clauses": clauses} if clauses else {})


def detected_gaps(policy: PolicyDocument) -> list[str]:
    """Every gap of a validated document: the ones the file lists and the facts left unknown."""
    found = [f"{gap.field}: {gap.note}" for gap in policy.gaps]
    listed = {gap.field for gap in policy.gaps}

    def add(field_name: str, note: str) -> None:
        if field_name not in listed and not any(f.startswith(field_name + ":") for f in found):
            found.append(f"{field_name}: {note}")

    vendor = policy.vendor
    for key, fact in (("legal_name", vendor.legal_name), ("country", vendor.country), ("address", vendor.address)):
        if not fact.known:
            add(f"vendor.{key}", "not stated in the policy")
    if policy.contact("privacy") is None:
        add("contacts.privacy.email", "no address for privacy requests: requests go to the staff queue")
    if not policy.authority.name:
        add("authority", "no supervisory authority named")
    for category in policy.categories:
        if category.role == "unknown":
            add(f"categories.{category.key}.role", "the policy does not say whether the vendor is controller")
        for rule in category.retention:
            if rule.amount is None and not rule.indefinite:
                add(f"categories.{category.key}.retention", "no retention period given")
        if not category.retention:
            add(f"categories.{category.key}.retention", "no retention rule given")
    return found


def _read_yaml(path: Path) -> Any:
    import yaml  # only when reading the files: a process that only reads the database never loads it

    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise PolicyDataError(f"{path.name}: {where}: (syntax): {getattr(exc, 'problem', exc)}") from None


def file_sha256(document: dict[str, Any]) -> str:
    """A hash of the validated content, so reformatting or comments alone do not make a new version."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_data_dir(data_dir: Path) -> DataSet:
    """Parse and validate every file under `data_dir`; raise at the first problem."""
    laws_path = data_dir / LAWS_FILE
    try:
        laws_file = load_laws_file(laws_path)
    except LawDataError as exc:
        raise PolicyDataError(str(exc)) from None
    raw_laws = _read_yaml(laws_path)
    laws = {entry["code"]: entry for entry in raw_laws["laws"]}
    authorities = list(raw_laws.get("supervisory_authorities") or [])
    del laws_file  # parsed only to validate; the raw entries are what is stored
    vendor_paths = sorted((data_dir / VENDORS_DIR).glob("*.yaml"))
    if not vendor_paths:
        raise PolicyDataError(f"{data_dir / VENDORS_DIR}: no vendor files found")
    vendors = []
    for path in vendor_paths:
        document = validate_vendor(_read_yaml(path), path=path, law_codes=laws)
        try:
            policy = PolicyDocument.parse(document)
        except PolicyDocumentError as exc:
            raise PolicyDataError(f"{path.name}: {exc}") from None
        vendors.append(
            VendorFile(path=path, slug=policy.slug, document=document, policy=policy, sha256=file_sha256(document))
        )
    return DataSet(laws_path=laws_path, laws=laws, authorities=authorities, vendors=vendors)


# --- Loading (one transaction) --------------------------------------------------------------------


def load(dataset: DataSet) -> LoadReport:
    """Write a validated data set. Nothing is written unless everything is."""
    report = LoadReport()
    with transaction.atomic():
        for code, entry in dataset.laws.items():
            if _load_law(code, entry):
                report.laws_changed.append(code)
        for authority in dataset.authorities:
            SupervisoryAuthority.objects.update_or_create(
                country=authority["country"],
                defaults={
                    "name": authority.get("authority") or authority.get("name") or "",
                    "address": authority.get("address") or "",
                    "website": authority.get("web") or authority.get("website") or "",
                    "notes": authority.get("notes") or "",
                    "status": str(authority.get("status") or "U"),
                    "sources": list(authority.get("sources") or []),
                    "laws": list(authority.get("laws") or []),
                },
            )
        for vendor_file in dataset.vendors:
            version, created = _load_vendor(vendor_file)
            (report.created if created else report.unchanged).append(f"{vendor_file.slug} v{version.number}")
            report.gaps[vendor_file.slug] = detected_gaps(vendor_file.policy)
    return report


def _load_law(code: str, entry: dict[str, Any]) -> bool:
    digest = file_sha256(entry)
    law = Law.objects.filter(code=code).first()
    if law and law.sha256 == digest:
        return False
    if law is None:
        law = Law(code=code, revision=1)
    else:
        law.revision += 1
    law.name = entry.get("name", code)
    law.jurisdictions = list(entry.get("jurisdictions") or [])
    law.data = json.loads(json.dumps(entry, default=str))
    law.sha256 = digest
    law.save()
    return True


def _load_vendor(vendor_file: VendorFile) -> tuple[PolicyVersion, bool]:
    policy = vendor_file.policy
    where = vendor_file.path.name
    vendor, _ = Vendor.objects.select_for_update().get_or_create(
        slug=vendor_file.slug, defaults={"name": policy.vendor_name}
    )
    latest = vendor.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == vendor_file.sha256:
        return latest, False
    effective = policy.policy.effective_date
    if latest is not None and effective < latest.effective_date:
        raise PolicyDataError(
            f"{where}: policy: effective_date: the file changed since version {latest.number}, so it needs an "
            f"effective date on or after {latest.effective_date.isoformat()} (it says {effective.isoformat()})"
        )
    vendor.name = policy.vendor_name
    vendor.save(update_fields=["name"])
    v = policy.vendor
    version = PolicyVersion.objects.create(
        vendor=vendor,
        number=(latest.number + 1) if latest else 1,
        effective_date=effective,
        published_date=policy.policy.published_date,
        published_cite=policy.policy.published.cite,
        title=policy.policy.title,
        source=policy.policy.source,
        data_file=f"{VENDORS_DIR}/{vendor_file.path.name}",
        sha256=vendor_file.sha256,
        document=vendor_file.document,
        legal_name=v.legal_name.value or "",
        legal_name_cite=v.legal_name.cite,
        brand=v.brand.value or "",
        brand_cite=v.brand.cite,
        country=v.country.value or "",
        country_cite=v.country.cite,
        timezone=v.timezone,
        address=v.address.value or "",
        address_cite=v.address.cite,
        website=v.website.value or "",
        website_cite=v.website.cite,
        authority_name=policy.authority.name,
        authority_country=policy.authority.country,
        authority_website=policy.authority.website,
        authority_cite=policy.authority.cite,
    )
    for contact in policy.contacts:
        Contact.objects.create(version=version, **asdict(contact))
    for promise in policy.promise_list:
        Promise.objects.create(version=version, **asdict(promise) | {"applies_to": list(promise.applies_to)})
    for right in policy.rights:
        RightGrant.objects.create(version=version, **asdict(right))
    laws = {law.code: law for law in Law.objects.filter(code__in=policy.law_codes)}
    for served in policy.laws:
        LawApplicability.objects.create(version=version, law=laws[served.code], cite=served.cite)
    for category in policy.categories:
        row = DataCategory.objects.create(
            version=version,
            key=category.key,
            name=category.name,
            description=category.description,
            role=category.role,
            role_cite=category.role_cite,
            relationships=list(category.relationships),
            relationships_cite=category.relationships_cite,
            controller_when_processor=category.controller_when_processor,
            lawful_bases=[asdict(basis) for basis in category.lawful_bases],
            limited_rights=[asdict(limit) for limit in category.limited_rights],
        )
        for rule in category.retention:
            RetentionRule.objects.create(category=row, **asdict(rule))
    for recipient in policy.recipients:
        Recipient.objects.create(
            version=version,
            **{key: value for key, value in asdict(recipient).items() if key != "acts_on"}
            | {"categories": list(recipient.categories)},
        )
    for gap in policy.gaps:
        PolicyGap.objects.create(version=version, **asdict(gap))
    return version, True
