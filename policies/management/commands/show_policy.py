from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.services import UnknownVendor, policy_as_dict, policy_in_force


def _cited(label: str, value: Any, cite: str | None) -> list[str]:
    lines = [f"{label}: {value if value not in (None, '') else '(not stated in the policy)'}"]
    if cite:
        lines.append(f"    “{cite}”")
    return lines


def render_text(policy: dict[str, Any]) -> str:
    """A readable version of `policy_as_dict`, every fact followed by its passage."""
    out: list[str] = [
        f"{policy['brand']['value'] or policy['vendor']} — policy version {policy['version']}, "
        f"in force from {policy['effective_date']} (read from {policy['source']})",
        "",
    ]
    for key in ("legal_name", "country", "address", "website", "published"):
        out += _cited(key.replace("_", " ").capitalize(), policy[key]["value"], policy[key]["cite"])
    out.append(f"Deadlines end in time zone: {policy['timezone']}")
    auth = policy["authority"]
    out += _cited(
        "Supervisory authority", auth["name"] and f"{auth['name']} ({auth['country']}, {auth['website']})", auth["cite"]
    )
    out += ["", "Contacts:"]
    for c in policy["contacts"] or [{"kind": "none", "email": None, "cite": None}]:
        out += _cited(f"  {c['kind']}", c["email"] or c.get("url"), c["cite"])
    out += ["", "Laws served:"]
    for law in policy["laws"]:
        out += _cited(f"  {law['code']}", law["name"], law["cite"])
    out += ["", "Promises:"]
    for p in policy["promises"]:
        out += _cited(f"  {p['kind']}", f"{p['amount']} {p['unit']} ({', '.join(p['applies_to'])})", p["cite"])
    out += ["", "Rights granted:"]
    for r in policy["rights"]:
        out += _cited(f"  {r['right']}", r["scope"].replace("_", " "), r["cite"])
    out += ["", "Data categories:"]
    for cat in policy["categories"]:
        out.append(f"  {cat['name']} [{cat['key']}] — vendor is {cat['role'].upper()}")
        if cat["role_cite"]:
            out.append(f"      “{cat['role_cite']}”")
        out.append(f"      people: {', '.join(cat['relationships'])}")
        if cat["controller_when_processor"]:
            out.append(f"      controller: {cat['controller_when_processor']}")
        for limit in cat["limited_rights"]:
            out.append(f"      limits {limit['right']}: {limit['reason']}  “{limit['cite']}”")
        for rule in cat["retention"]:
            period = (
                "indefinitely"
                if rule["indefinite"]
                else (f"{rule['period']['amount']} {rule['period']['unit']}" if rule["period"] else "period not stated")
            )
            legal = " — LEGAL OBLIGATION (erasure limited to restriction)" if rule["legal_obligation"] else ""
            out.append(f"      keeps {period}, {rule['starts'].replace('_', ' ')}{legal}  “{rule['cite']}”")
    out += ["", "Recipients and sub-processors:"]
    for r in policy["recipients"]:
        out.append(
            f"  {r['name']} ({r['kind'].replace('_', ' ')}; {r['purpose'] or 'purpose not stated'}; "
            f"categories: {', '.join(r['categories'])})  “{r['cite']}”"
        )
    out += ["", "Gaps (facts the policy does not give):"]
    for g in policy["gaps"] or [{"field": "none", "note": "", "cite": None}]:
        out.append(f"  {g['field']}: {g['note']}" + (f"  “{g['cite']}”" if g["cite"] else ""))
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
        policy = policy_as_dict(version)
        if options["json"]:
            self.stdout.write(json.dumps(policy, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(render_text(policy))
