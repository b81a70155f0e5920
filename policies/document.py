"""A vendor's policy as typed data: parsed and checked once, then read through one accessor per fact.

`PolicyVersion.document` stores the validated vendor file (policies/loader.py `validate_vendor`, format
in policies/data/README.md) as JSON. `PolicyDocument.parse` turns that mapping into frozen dataclasses
and refuses anything of the wrong shape with a `PolicyDocumentError` naming the field, e.g.
`categories[account_data].role: 'boss' is not one of controller, processor, unknown`.

A plain module: no database, no Django, so the pure engine (dsr.engine.routing) can read it.
Code that needs a fact asks the document (`privacy_contact()`, `categories_for(relationship)`,
`recipients_for(keys)`, ...) instead of indexing the stored mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from . import vocabulary

SCHEMA_VERSION = 1
ALL = "all"  # in a promise's applies_to or a recipient's categories: every request type / category
SCOPES = ("controller_data", "all_data")


class PolicyDocumentError(ValueError):
    """A policy document does not have the expected shape. The message starts with the field's path."""


@dataclass(frozen=True)
class CitedValue:
    """One fact of the vendor, with the passage it was read from. `value` is None where the policy is silent."""

    value: str | None
    cite: str

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class VendorFacts:
    slug: str
    timezone: str  # where the vendor's deadlines end
    legal_name: CitedValue
    brand: CitedValue
    country: CitedValue  # ISO 3166-1 alpha-2
    region: CitedValue  # ISO 3166-2 subdivision of the country (e.g. BB for Brandenburg), where the seat shows it
    address: CitedValue
    registry_code: CitedValue
    website: CitedValue


@dataclass(frozen=True)
class PolicyMeta:
    title: str
    published: CitedValue  # the date the policy shows (ISO text), if any
    effective_date: dt.date
    source: str

    @property
    def published_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.published.value) if self.published.value else None


@dataclass(frozen=True)
class Contact:
    kind: str  # vocabulary.CONTACT_KINDS
    email: str  # "" where the policy gives none or a placeholder
    name: str
    url: str
    cite: str


@dataclass(frozen=True)
class Authority:
    """The supervisory authority the policy names for complaints ("" where it names none)."""

    name: str
    country: str
    website: str
    cite: str


@dataclass(frozen=True)
class LawServed:
    code: str
    cite: str


@dataclass(frozen=True)
class Promise:
    kind: str  # vocabulary.PROMISE_KINDS
    amount: int
    unit: str  # vocabulary.PROMISE_UNITS
    applies_to: tuple[str, ...]  # request types, or ("all",)
    cite: str

    def applies(self, request_type: str) -> bool:
        return ALL in self.applies_to or request_type in self.applies_to


@dataclass(frozen=True)
class RightGranted:
    right: str  # vocabulary.RIGHTS
    scope: str  # controller_data | all_data
    cite: str


@dataclass(frozen=True)
class LawfulBasis:
    basis: str
    cite: str


@dataclass(frozen=True)
class LimitedRight:
    right: str
    reason: str
    cite: str


@dataclass(frozen=True)
class RetentionRule:
    amount: int | None  # None where the policy gives no period
    unit: str  # vocabulary.RETENTION_UNITS, "" without a period
    indefinite: bool
    starts: str  # vocabulary.RETENTION_EVENTS
    legal_obligation: bool  # kept because a law requires it: erasure is limited to restriction
    description: str
    cite: str


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    description: str
    role: str  # controller | processor | unknown
    role_cite: str
    relationships: tuple[str, ...]
    relationships_cite: str
    controller_when_processor: str  # processor categories: who the controller is, in the policy's words
    lawful_bases: tuple[LawfulBasis, ...]
    limited_rights: tuple[LimitedRight, ...]
    retention: tuple[RetentionRule, ...]

    def limits_of(self, right: str) -> tuple[LimitedRight, ...]:
        """The policy's limits on `right` for this category."""
        return tuple(limit for limit in self.limited_rights if limit.right == right)

    @property
    def legal_holds(self) -> tuple[RetentionRule, ...]:
        """The retention rules that keep data because a law requires it."""
        return tuple(rule for rule in self.retention if rule.legal_obligation)


@dataclass(frozen=True)
class RecipientDuty:
    request_type: str  # vocabulary.REQUEST_TYPES
    cite: str


@dataclass(frozen=True)
class Clause:
    """A clause of the policy staff or the answer must heed (vocabulary.CLAUSE_KINDS), with its passage."""

    kind: str
    text: str  # what the clause says, in the encoder's words
    cite: str


@dataclass(frozen=True)
class Recipient:
    name: str
    kind: str  # vocabulary.RECIPIENT_KINDS
    purpose: str
    region: str
    categories: tuple[str, ...]  # category keys, or ("all",)
    cite: str
    # Requests beyond erasure, rectification and restriction that must reach this recipient too (an opt-out of
    # sale or sharing for a third party it is sold or shared to; a withdrawal of consent for the processor
    # that acts on the consent), each with the passage that shows why.
    acts_on: tuple[RecipientDuty, ...] = ()

    @property
    def named(self) -> bool:
        """A recipient the policy names (not only a category of recipients such as "hosting providers")."""
        return self.kind != "recipient_category"

    def holds(self, category_key: str) -> bool:
        return ALL in self.categories or category_key in self.categories

    def duty(self, request_type: str) -> RecipientDuty | None:
        """Why `request_type` (beyond erasure, rectification, restriction) must reach this recipient, if it must."""
        return next((d for d in self.acts_on if d.request_type == request_type), None)


@dataclass(frozen=True)
class Gap:
    """A fact routing or answering needs that the policy does not give."""

    field: str  # e.g. "contacts.privacy.email", "relationships.website_visitor"
    note: str
    cite: str  # the passage that shows the gap, "" where the policy says nothing at all


@dataclass(frozen=True)
class PolicyDocument:
    vendor: VendorFacts
    policy: PolicyMeta
    contacts: tuple[Contact, ...]
    authority: Authority
    laws: tuple[LawServed, ...]
    promise_list: tuple[Promise, ...]
    rights: tuple[RightGranted, ...]
    categories: tuple[Category, ...]
    recipients: tuple[Recipient, ...]
    gaps: tuple[Gap, ...]
    clauses: tuple[Clause, ...] = ()

    @classmethod
    def parse(cls, document: Any) -> PolicyDocument:
        """Read a validated vendor document (as stored); raise `PolicyDocumentError` naming the bad field."""
        return _parse(document)

    # --- The vendor ---------------------------------------------------------------------------------

    @property
    def slug(self) -> str:
        return self.vendor.slug

    @property
    def vendor_name(self) -> str:
        """The name people know the vendor by: its brand, else its legal name, else its slug."""
        return self.vendor.brand.value or self.vendor.legal_name.value or self.vendor.slug

    @property
    def country(self) -> str:
        """Where the vendor is established (ISO code), "" where the policy does not say."""
        return self.vendor.country.value or ""

    @property
    def timezone(self) -> str:
        return self.vendor.timezone

    # --- Contacts -----------------------------------------------------------------------------------

    def contact(self, kind: str) -> Contact | None:
        """The contact of that kind that has an email address, if the policy gives one."""
        return next((c for c in self.contacts if c.kind == kind and c.email), None)

    def privacy_contact(self) -> Contact | None:
        """The address the policy gives for privacy requests: the privacy contact, else the DPO."""
        return self.contact("privacy") or self.contact("dpo")

    # --- Data categories and recipients -------------------------------------------------------------

    def category(self, key: str) -> Category:
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(f"{self.slug} has no data category {key!r}")

    def categories_for(self, relationship: str) -> tuple[Category, ...]:
        """The categories of data the policy describes about people with that relationship to the vendor."""
        return tuple(c for c in self.categories if relationship in c.relationships)

    def categories_for_any(self, relationships: Iterable[str]) -> tuple[Category, ...]:
        """The categories about a person with any of these relationships (each once, in the policy's order)."""
        wanted = set(relationships)
        return tuple(c for c in self.categories if wanted & set(c.relationships))

    def processor_only(self, relationships: Iterable[str]) -> bool:
        """Whether the vendor is only a processor for every category about a person with these relationships
        (none ticked, "not sure", covers its own data too: never processor-only)."""
        categories = self.categories_for_any(relationships)
        return bool(categories) and all(category.role == "processor" for category in categories)

    @property
    def relationships(self) -> tuple[str, ...]:
        """The relationships the categories cover, in the vocabulary's order."""
        covered = {r for c in self.categories for r in c.relationships}
        return tuple(key for key in vocabulary.RELATIONSHIPS if key in covered)

    @property
    def offered_relationships(self) -> tuple[str, ...]:
        """What a person may tick on the form: the relationships the categories cover, and those the policy
        speaks of without a category (a gap under `relationships.<key>`), which staff review."""
        reviewed = {g.field.partition(".")[2] for g in self.gaps_under("relationships")}
        return tuple(key for key in vocabulary.RELATIONSHIPS if key in self.relationships or key in reviewed)

    def recipients_for(self, category_keys: Iterable[str], *, named_only: bool = True) -> tuple[Recipient, ...]:
        """The recipients that receive any of these categories (by default only those the policy names)."""
        keys = set(category_keys)
        return tuple(r for r in self.recipients if (r.named or not named_only) and any(r.holds(key) for key in keys))

    def recipients_acting_on(self, request_type: str, category_keys: Iterable[str]) -> tuple[Recipient, ...]:
        """The recipients (named or by category) of these categories that a `request_type` must also reach."""
        keys = set(category_keys)
        return tuple(r for r in self.recipients if r.duty(request_type) and any(r.holds(key) for key in keys))

    def clauses_of(self, kind: str) -> tuple[Clause, ...]:
        """The policy's clauses of that kind (vocabulary.CLAUSE_KINDS)."""
        return tuple(c for c in self.clauses if c.kind == kind)

    # --- Promises, rights, laws ---------------------------------------------------------------------

    def promises(self, kind: str) -> tuple[Promise, ...]:
        """The vendor's commitments of that kind (vocabulary.PROMISE_KINDS, e.g. "response_time")."""
        return tuple(p for p in self.promise_list if p.kind == kind)

    def grants(self, right: str) -> bool:
        """Whether the policy lists `right` among the rights it grants."""
        return any(r.right == right for r in self.rights)

    @property
    def granted_rights(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.right for r in self.rights))

    @property
    def law_codes(self) -> tuple[str, ...]:
        """The laws the policy says it serves, in the policy's order."""
        return tuple(law.code for law in self.laws)

    # --- Gaps ---------------------------------------------------------------------------------------

    def gap_for(self, field: str) -> Gap | None:
        """The gap the policy file records for `field` (or for a part of it, e.g. "contacts.privacy.email")."""
        return next((g for g in self.gaps if g.field == field or g.field.startswith(field + ".")), None)

    def gaps_under(self, prefix: str) -> tuple[Gap, ...]:
        """Every recorded gap for `prefix` and its parts ("contacts" gives contacts.privacy.email, contacts.dpo...)."""
        return tuple(g for g in self.gaps if g.field == prefix or g.field.startswith(prefix + "."))


# --- Parsing --------------------------------------------------------------------------------------


class _Node:
    """One mapping of the document, read field by field; every error names the field's path.

    `optional` fields may be absent (documents stored before the field existed)."""

    def __init__(self, value: Any, path: str, fields: Collection[str], optional: Collection[str] = ()) -> None:
        self.path = path
        if not isinstance(value, Mapping):
            self._fail(path or "(document)", f"must be a mapping, not {_kind(value)}")
        unknown = [key for key in value if key not in fields and key not in optional]
        if unknown:
            self._fail(self.at(str(unknown[0])), f"is not a field of this document (known: {', '.join(fields)})")
        missing = [key for key in fields if key not in value]
        if missing:
            self._fail(self.at(missing[0]), "is missing")
        self.data: Mapping[str, Any] = value

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    @staticmethod
    def _fail(path: str, message: str) -> NoReturn:
        raise PolicyDocumentError(f"{path}: {message}")

    def fail(self, key: str, message: str) -> NoReturn:
        self._fail(self.at(key), message)

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str):
            self.fail(key, f"must be text, not {_kind(value)}")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.data[key] is None else self.text(key)

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self.data[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(key, f"must be a whole number of at least {minimum}, not {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {value!r}")
        return value

    def choice(self, key: str, allowed: Iterable[str]) -> str:
        allowed = tuple(allowed)
        value = self.data[key]
        if value not in allowed:
            self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def keys(self, key: str, allowed: Iterable[str]) -> tuple[str, ...]:
        allowed = tuple(allowed)
        values = self.items(key)
        for i, value in enumerate(values):
            if value not in allowed:
                self._fail(f"{self.at(key)}[{i}]", f"{value!r} is not one of {', '.join(allowed)}")
        return tuple(str(v) for v in values)

    def date(self, key: str) -> dt.date:
        value = self.data[key]
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(key, f"{value!r} is not a date (YYYY-MM-DD)")

    def items(self, key: str) -> list[Any]:
        value = self.data[key]
        if not isinstance(value, list | tuple):
            self.fail(key, f"must be a list, not {_kind(value)}")
        return list(value)

    def children(
        self, key: str, fields: Collection[str], *, label: str = "", optional: Collection[str] = ()
    ) -> list[_Node]:
        """The list `key` as nodes; `label` names an entry by that field (e.g. a category's key) in errors."""
        nodes = []
        for i, item in enumerate(self.items(key) if key in self.data else ()):
            name = item.get(label) if label and isinstance(item, Mapping) else None
            where = f"{self.at(key)}[{name if isinstance(name, str) and name else i}]"
            nodes.append(_Node(item, where, fields, optional))
        return nodes

    def child(self, key: str, fields: Collection[str], optional: Collection[str] = ()) -> _Node:
        return _Node(self.data[key], self.at(key), fields, optional)

    def optional_cited(self, key: str) -> CitedValue:
        """A cited fact a document may lack (stored before it existed): unknown, with no passage."""
        return self.cited(key) if key in self.data else CitedValue(value=None, cite="")

    def cited(self, key: str) -> CitedValue:
        node = self.child(key, ("value", "cite"))
        return CitedValue(value=node.optional_text("value"), cite=node.text("cite"))


def _kind(value: Any) -> str:
    return "nothing (null)" if value is None else type(value).__name__


def _parse(document: Any) -> PolicyDocument:
    top = _Node(
        document,
        "",
        (
            "schema",
            "vendor",
            "policy",
            "contacts",
            "authority",
            "laws",
            "promises",
            "rights",
            "categories",
            "recipients",
            "gaps",
        ),
        ("clauses",),
    )
    if top.data["schema"] != SCHEMA_VERSION:
        top.fail("schema", f"{top.data['schema']!r} is not the supported schema version ({SCHEMA_VERSION})")

    v = top.child(
        "vendor",
        ("slug", "timezone", "legal_name", "brand", "country", "address", "registry_code", "website"),
        ("region",),
    )
    vendor = VendorFacts(
        slug=v.text("slug"),
        timezone=v.text("timezone"),
        legal_name=v.cited("legal_name"),
        brand=v.cited("brand"),
        country=v.cited("country"),
        region=v.optional_cited("region"),
        address=v.cited("address"),
        registry_code=v.cited("registry_code"),
        website=v.cited("website"),
    )
    if not vendor.slug:
        v.fail("slug", "must not be empty")

    p = top.child("policy", ("title", "published", "effective_date", "source"))
    policy = PolicyMeta(
        title=p.text("title"),
        published=p.cited("published"),
        effective_date=p.date("effective_date"),
        source=p.text("source"),
    )
    if policy.published.value is not None:
        p.child("published", ("value", "cite")).date("value")

    contacts = tuple(
        Contact(
            kind=c.choice("kind", vocabulary.CONTACT_KINDS),
            email=c.text("email"),
            name=c.text("name"),
            url=c.text("url"),
            cite=c.text("cite"),
        )
        for c in top.children("contacts", ("kind", "email", "name", "url", "cite"))
    )

    a = top.child("authority", ("name", "country", "website", "cite"))
    authority = Authority(
        name=a.text("name"), country=a.text("country"), website=a.text("website"), cite=a.text("cite")
    )

    laws = tuple(
        LawServed(code=law.text("code"), cite=law.text("cite")) for law in top.children("laws", ("code", "cite"))
    )

    promises = tuple(
        Promise(
            kind=n.choice("kind", vocabulary.PROMISE_KINDS),
            amount=n.integer("amount", minimum=1),
            unit=n.choice("unit", vocabulary.PROMISE_UNITS),
            applies_to=n.keys("applies_to", (*vocabulary.REQUEST_TYPES, ALL)),
            cite=n.text("cite"),
        )
        for n in top.children("promises", ("kind", "amount", "unit", "applies_to", "cite"))
    )

    rights = tuple(
        RightGranted(right=n.choice("right", vocabulary.RIGHTS), scope=n.choice("scope", SCOPES), cite=n.text("cite"))
        for n in top.children("rights", ("right", "scope", "cite"))
    )

    categories = tuple(_category(n) for n in top.children("categories", _CATEGORY_FIELDS, label="key"))
    keys = [c.key for c in categories]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            top._fail(f"categories[{key}].key", f"{key!r} is used twice")

    recipients = tuple(
        Recipient(
            name=n.text("name"),
            kind=n.choice("kind", vocabulary.RECIPIENT_KINDS),
            purpose=n.text("purpose"),
            region=n.text("region"),
            categories=n.keys("categories", (*keys, ALL)),
            cite=n.text("cite"),
            acts_on=tuple(
                RecipientDuty(request_type=d.choice("request_type", vocabulary.REQUEST_TYPES), cite=d.text("cite"))
                for d in n.children("acts_on", ("request_type", "cite"))
            ),
        )
        for n in top.children(
            "recipients",
            ("name", "kind", "purpose", "region", "categories", "cite"),
            label="name",
            optional=("acts_on",),
        )
    )
    clauses = tuple(
        Clause(kind=n.choice("kind", vocabulary.CLAUSE_KINDS), text=n.text("text"), cite=n.text("cite"))
        for n in top.children("clauses", ("kind", "text", "cite"))
    )

    gaps = tuple(
        Gap(field=n.text("field"), note=n.text("note"), cite=n.text("cite"))
        for n in top.children("gaps", ("field", "note", "cite"))
    )
    return PolicyDocument(
        vendor=vendor,
        policy=policy,
        contacts=contacts,
        authority=authority,
        laws=laws,
        promise_list=promises,
        rights=rights,
        categories=categories,
        recipients=recipients,
        gaps=gaps,
        clauses=clauses,
    )


_CATEGORY_FIELDS = (
    "key",
    "name",
    "description",
    "role",
    "role_cite",
    "relationships",
    "relationships_cite",
    "controller_when_processor",
    "lawful_bases",
    "limited_rights",
    "retention",
)
_RETENTION_FIELDS = ("amount", "unit", "indefinite", "starts", "legal_obligation", "description", "cite")


def _category(n: _Node) -> Category:
    retention = []
    for r in n.children("retention", _RETENTION_FIELDS):
        amount = None if r.data["amount"] is None else r.integer("amount")
        retention.append(
            RetentionRule(
                amount=amount,
                unit=r.choice("unit", vocabulary.RETENTION_UNITS) if amount is not None else r.text("unit"),
                indefinite=r.flag("indefinite"),
                starts=r.choice("starts", vocabulary.RETENTION_EVENTS),
                legal_obligation=r.flag("legal_obligation"),
                description=r.text("description"),
                cite=r.text("cite"),
            )
        )
    return Category(
        key=n.text("key"),
        name=n.text("name"),
        description=n.text("description"),
        role=n.choice("role", vocabulary.ROLES),
        role_cite=n.text("role_cite"),
        relationships=n.keys("relationships", vocabulary.RELATIONSHIPS),
        relationships_cite=n.text("relationships_cite"),
        controller_when_processor=n.text("controller_when_processor"),
        lawful_bases=tuple(
            LawfulBasis(basis=b.text("basis"), cite=b.text("cite"))
            for b in n.children("lawful_bases", ("basis", "cite"))
        ),
        limited_rights=tuple(
            LimitedRight(right=x.choice("right", vocabulary.RIGHTS), reason=x.text("reason"), cite=x.text("cite"))
            for x in n.children("limited_rights", ("right", "reason", "cite"))
        ),
        retention=tuple(retention),
    )
