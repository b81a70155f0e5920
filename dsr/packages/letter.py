"""The cover letter of an answer package: the information GDPR Art. 15(1) gives the person, read from the
policy in force at receipt, for exactly the data categories the request covers, each fact with the
passage of the policy it comes from.

The facts are data (`Section`, `Fact`); the templates `packages/cover_letter.{html,txt}` put them into
the person's language. The passages are quoted as the policy has them (its own language).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from dsr.engine.authority import ComplaintAuthority, complaint_authority
from policies import vocabulary
from policies.document import Category, PolicyDocument, RetentionRule
from policies.services import laws_in_force, supervisory_authorities

from ..models import Request

# The policy files' words, marked for translation here (policies/ knows no Django; the request types are
# marked in dsr.public.forms).
VOCABULARY_MSGIDS = (
    gettext_noop("Be told how personal data is used"),
    gettext_noop("Complain to a supervisory authority"),
    gettext_noop("Not be treated differently for using privacy rights"),
    gettext_noop("from when the data is collected"),
    gettext_noop("from the person's last activity or interaction"),
    gettext_noop("from the end of the customer relationship"),
    gettext_noop("from when the account is closed"),
    gettext_noop("from when the customer agreement ends"),
    gettext_noop("from when the subscription is cancelled"),
    gettext_noop("from the end of the financial year the record belongs to"),
    gettext_noop("until the purpose is fulfilled"),
    gettext_noop("until consent is withdrawn"),
    gettext_noop("not stated in the policy"),
    gettext_noop("sub-processor (processes data on the vendor's behalf)"),
    gettext_noop("recipient (receives data from the vendor)"),
    gettext_noop("a category of recipients the policy does not name"),
)

# The legal bases the policy files use (Art. 6(1) GDPR), in plain words.
LAWFUL_BASES: dict[str, str] = {
    "consent": gettext_noop("your consent"),
    "contract": gettext_noop("a contract with you, or steps before one"),
    "legal_obligation": gettext_noop("a legal obligation of the company"),
    "legitimate_interests": gettext_noop("the company's legitimate interests"),
    "processor_instructions": gettext_noop("the instructions of the business customer it processes the data for"),
    "other": gettext_noop("another basis the policy describes"),
}


@dataclass(frozen=True)
class Fact:
    text: str
    passage: str  # the policy's own words ("" where it says nothing)


@dataclass(frozen=True)
class Section:
    key: str  # purposes, categories, recipients, retention, transfers, source, rights, complaint
    article: str  # the point of Art. 15(1) GDPR it answers
    title: str
    facts: tuple[Fact, ...]


def covered_categories(request: Request) -> tuple[Category, ...]:
    """The policy's categories this request covers: those of its assignments (the routing plan), in the
    policy's order."""
    keys = {key for categories in request.assignments.values_list("categories", flat=True) for key in categories}
    policy = request.policy_version.policy
    return tuple(c for c in policy.categories if c.key in keys)


def _period(rule: RetentionRule) -> str:
    if rule.indefinite:
        return _("kept without a time limit")
    if rule.amount is None:
        return _("no period stated")
    unit = {
        "days": ngettext("%(n)d day", "%(n)d days", rule.amount),
        "months": ngettext("%(n)d month", "%(n)d months", rule.amount),
        "years": ngettext("%(n)d year", "%(n)d years", rule.amount),
    }[rule.unit]
    return unit % {"n": rule.amount}


def authority_for(request: Request) -> ComplaintAuthority | None:
    """The supervisory authority the person is told they can complain to, in the answer's letter and in every
    refusal and answer email alike (dsr.engine.authority: the authority of the person's own country's law, else
    the one at the vendor's seat for the request's law, else the one the policy names)."""
    return complaint_authority(
        request.policy_version.policy,
        law_codes=request.law_codes,
        authorities=supervisory_authorities(),
        jurisdictions=laws_in_force().jurisdictions,
        country=request.country or None,
    )


def sections(
    policy: PolicyDocument, categories: tuple[Category, ...], authority: ComplaintAuthority | None = None
) -> tuple[Section, ...]:
    """The Art. 15(1) information for these categories, in the active language (passages as the policy has them).
    `authority` is the one chosen for the request (`authority_for`); without it, the one the policy names."""
    purposes = []
    for c in categories:
        if not c.lawful_bases:
            purposes.append(Fact(f"{c.name}: {c.description}", c.relationships_cite))
        for basis in c.lawful_bases:
            words = _(LAWFUL_BASES.get(basis.basis, LAWFUL_BASES["other"]))
            purposes.append(Fact(f"{c.name}: {c.description} — {_('legal basis')}: {words}", basis.cite))
    recipients = [
        Fact(
            f"{r.name} ({_(vocabulary.RECIPIENT_KINDS.get(r.kind, r.kind))})"
            + (f": {r.purpose}" if r.purpose else "")
            + (f" — {r.region}" if r.region else ""),
            r.cite,
        )
        for r in policy.recipients_for([c.key for c in categories], named_only=False)
    ]
    if not recipients:
        recipients = [Fact(_("The policy names no one who receives these data."), "")]
    retention = [
        Fact(
            f"{c.name}: {_period(rule)}, {_(vocabulary.RETENTION_EVENTS.get(rule.starts, rule.starts))}"
            + (f" — {rule.description}" if rule.description else ""),
            rule.cite,
        )
        for c in categories
        for rule in c.retention
    ]
    if not retention:
        retention = [Fact(_("The policy states no retention period for these data."), "")]
    transfers = [
        Fact(_("No personal data are transferred to countries outside the EU/EEA."), c.cite)
        for c in policy.clauses_of("no_transfers_outside_eea")
    ] + [
        Fact(
            _(
                "Some of the data are transferred to countries outside the EU/EEA. "
                "Ask us which safeguard protects them."
            ),
            c.cite,
        )
        for c in policy.clauses_of("transfers_outside_eea")
    ]
    if not transfers:
        transfers = [Fact(_("The policy says nothing about transfers to countries outside the EU/EEA."), "")]
    # Art 77(1): the person may always complain where they live or work, or where the law was broken, beside
    # the authority named for the request (dsr.engine.authority). Only an authority the policy names quotes the
    # policy's passage ("The policy says"); one from the laws file and Art 77 are not the policy's words.
    anywhere = Fact(
        _(
            "You can also complain to the data protection authority of the country where you live or work, or "
            "where you think the law was broken."
        ),
        "",
    )
    if authority is not None and authority.name:
        complaint: tuple[Fact, ...] = (
            Fact(f"{authority.name}" + (f", {authority.website}" if authority.website else ""), authority.passage),
            anywhere,
        )
    elif policy.authority.name:
        complaint = (
            Fact(
                f"{policy.authority.name}" + (f", {policy.authority.website}" if policy.authority.website else ""),
                policy.authority.cite,
            ),
            anywhere,
        )
    else:
        complaint = (
            Fact(
                _(
                    "The policy names no authority. You can complain to the data protection authority of the "
                    "country where you live or work, or where you think the law was broken."
                ),
                policy.authority.cite,
            ),
        )
    return (
        Section(
            "categories",
            "Art. 15(1)(b) GDPR",
            _("The kinds of personal data"),
            tuple(Fact(f"{c.name}: {c.description}", c.relationships_cite) for c in categories),
        ),
        Section("purposes", "Art. 15(1)(a) GDPR", _("Why the data are used, and on what legal basis"), tuple(purposes)),
        Section("recipients", "Art. 15(1)(c) GDPR", _("Who receives the data"), tuple(recipients)),
        Section("retention", "Art. 15(1)(d) GDPR", _("How long the data are kept"), tuple(retention)),
        Section(
            "transfers", "Art. 15(2) GDPR", _("Transfers outside the EU/EEA, and their safeguards"), tuple(transfers)
        ),
        Section(
            "source",
            "Art. 15(1)(g) GDPR",
            _("Where the data come from"),
            tuple(Fact(c.name, c.relationships_cite) for c in categories),
        ),
        Section(
            "rights",
            "Art. 15(1)(e) GDPR",
            _("Your rights"),
            tuple(Fact(_(vocabulary.RIGHTS.get(r.right, r.right)), r.cite) for r in policy.rights),
        ),
        Section("complaint", "Art. 15(1)(f) GDPR", _("Where you can complain"), complaint),
    )
