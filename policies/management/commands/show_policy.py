from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.models import Law, PolicyVersion
from policies.services import UnknownVendor, policy_as_dict, policy_in_force


def _cited(label: str, value: Any, cite: str | None) -> list[str]:
    lines = [f"{label}: {value if value not in (None, '') else '(not stated in the policy)'}"]
    if cite:
        lines.append(f"    “{cite}”")
    return lines


def render_text(version: PolicyVersion, law_names: Mapping[str, str]) -> str:
    """The version's policy, readable, every fact followed by its passage (in the order `--json` shows)."""
    policy = version.policy
    v = policy.vendor
    out: list[str] = [
        f"{v.brand.value or v.slug} — policy version {version.number}, "
        f"in force from {policy.policy.effective_date.isoformat()} (read from {policy.policy.source})",
        "",
    ]
    published = policy.policy.published
    for label, fact in (
        ("Legal name", v.legal_name),
        ("Country", v.country),
        ("Region", v.region),
        ("Address", v.address),
        ("Register code", v.registry_code),
        ("Website", v.website),
        ("Published", published),
    ):
        out += _cited(label, fact.value, fact.cite)
    out.append(f"Deadlines end in time zone: {policy.timezone}")
    auth = policy.authority
    out += _cited(
        "Supervisory authority",
        auth.name and f"{auth.name} ({auth.country or None}, {auth.website or None})",
        auth.cite,
    )
    out += ["", "Contacts:"]
    for c in sorted(policy.contacts, key=lambda c: c.kind):
        out += _cited(f"  {c.kind}", c.email or c.url or None, c.cite)
    if not policy.contacts:
        out += _cited("  none", None, None)
    out += ["", "Laws served:"]
    for law in sorted(policy.laws, key=lambda law: law.code):
        out += _cited(f"  {law.code}", law_names.get(law.code, law.code), law.cite)
    out += ["", "Promises:"]
    for p in sorted(policy.promise_list, key=lambda p: p.kind):
        out += _cited(f"  {p.kind}", f"{p.amount} {p.unit} ({', '.join(p.applies_to)})", p.cite)
    out += ["", "Rights granted:"]
    for r in sorted(policy.rights, key=lambda r: r.right):
        out += _cited(f"  {r.right}", r.scope.replace("_", " "), r.cite)
    out += ["", "Data categories:"]
    for cat in sorted(policy.categories, key=lambda c: c.key):
        out.append(f"  {cat.name} [{cat.key}] — vendor is {cat.role.upper()}")
        if cat.role_cite:
            out.append(f"      “{cat.role_cite}”")
        out.append(f"      people: {', '.join(cat.relationships)}")
        if cat.controller_when_processor:
            out.append(f"      controller: {cat.controller_when_processor}")
        for limit in cat.limited_rights:
            out.append(f"      limits {limit.right}: {limit.reason}  “{limit.cite}”")
        for rule in cat.retention:
            period = (
                "indefinitely"
                if rule.indefinite
                else (f"{rule.amount} {rule.unit}" if rule.amount is not None else "period not stated")
            )
            legal = " — LEGAL OBLIGATION (erasure limited to restriction)" if rule.legal_obligation else ""
            out.append(f"      keeps {period}, {rule.starts.replace('_', ' ')}{legal}  “{rule.cite}”")
    out += ["", "Recipients and sub-processors:"]
    for rec in sorted(policy.recipients, key=lambda r: r.name):
        out.append(
            f"  {rec.name} ({rec.kind.replace('_', ' ')}; {rec.purpose or 'purpose not stated'}; "
            f"categories: {', '.join(rec.categories)})  “{rec.cite}”"
        )
        for duty in rec.acts_on:
            out.append(f"      also told of: {duty.request_type}  “{duty.cite}”")
    out += ["", "Clauses staff heed (fees, sale, transfers):"]
    for clause in policy.clauses:
        out.append(f"  {clause.kind}: {clause.text}  “{clause.cite}”")
    if not policy.clauses:
        out.append("  none")
    out += ["", "Gaps (facts the policy does not give):"]
    for g in sorted(policy.gaps, key=lambda g: g.field):
        out.append(f"  {g.field}: {g.note}" + (f"  “{g.cite}”" if g.cite else ""))
    if not policy.gaps:
        out.append("  none: ")
    return "\n".join(out)


class Command(BaseCommand):
    help = "Print one vendor's encoded policy (with the passage behind each fact), as text or --json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("vendor", help="Vendor slug, e.g. sera-leads")
        parser.add_argument("--json", action="store_true", help="Machine-readable output, for review and diffing.")
        parser.add_argument("--on", default=None, help="Show the version in force on this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else dt.date.max
        except ValueError:
            raise CommandError(f"--on {options['on']!r} is not a date (YYYY-MM-DD).") from None
        try:
            version = policy_in_force(options["vendor"], on)
        except UnknownVendor as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(policy_as_dict(version), indent=2, ensure_ascii=False))
        else:
            law_names = dict(Law.objects.filter(code__in=version.policy.law_codes).values_list("code", "name"))
            self.stdout.write(render_text(version, law_names))
