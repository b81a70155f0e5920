from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dsr.engine import deadlines as engine
from dsr.engine.routing import RecipientDuty, RequestFacts, choose_laws, person_place, plan_for
from dsr.requests.schedule import deadlines_for, law_rules, response_due_at
from policies import vocabulary
from policies.services import UnknownVendor, laws_in_force, policy_in_force


class Command(BaseCommand):
    help = "Show the routing plan a request would get: each responder, action, due date and explanation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendor", required=True, help="Vendor slug, e.g. sera-leads")
        parser.add_argument(
            "--relationship",
            action="append",
            required=True,
            help="Repeat for each that fits; the plan covers their union. One of "
            f"{', '.join(vocabulary.RELATIONSHIPS)}, or {vocabulary.NOT_SURE} (alone: every category, staff review)",
        )
        parser.add_argument("--type", required=True, dest="request_type", help=", ".join(vocabulary.REQUEST_TYPES))
        parser.add_argument("--country", required=True, help="Where the person lives (ISO code, e.g. EE, US)")
        parser.add_argument("--state", default="", help="US state code, for people in the US (e.g. CA)")
        parser.add_argument("--province", default="", help="Canadian province code, for people in Canada (e.g. QC)")
        parser.add_argument("--received", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--customer", default="", help="The vendor's customer, where the person names it")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        request_type, ticked = options["request_type"], options["relationship"]
        ticked = [ticked] if isinstance(ticked, str) else list(ticked)  # call_command may pass one as text
        if request_type not in vocabulary.REQUEST_TYPES:
            raise CommandError(f"Unknown --type {request_type!r}. Use one of: {', '.join(vocabulary.REQUEST_TYPES)}.")
        for relationship in ticked:
            if relationship not in vocabulary.RELATIONSHIPS and relationship != vocabulary.NOT_SURE:
                raise CommandError(
                    f"Unknown --relationship {relationship!r}. Use one of: {', '.join(vocabulary.RELATIONSHIPS)}, "
                    f"or {vocabulary.NOT_SURE}."
                )
        if vocabulary.NOT_SURE in ticked and len(set(ticked)) > 1:
            raise CommandError(f"--relationship {vocabulary.NOT_SURE} stands alone: it means none is known.")
        relationships = tuple(key for key in vocabulary.RELATIONSHIPS if key in ticked)
        country, state, province = options["country"].upper(), options["state"].upper(), options["province"].upper()
        if len(country) != 2 or not country.isalpha():
            raise CommandError(f"--country {options['country']!r} is not a two-letter country code.")
        if state and country != "US":
            raise CommandError("--state is only for people who live in the US.")
        if province and country != "CA":
            raise CommandError("--province is only for people who live in Canada.")
        try:
            received = dt.date.fromisoformat(options["received"]) if options["received"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"--received {options['received']!r} is not a date (YYYY-MM-DD).") from None
        try:
            version = policy_in_force(options["vendor"], received)
        except UnknownVendor as exc:
            raise CommandError(str(exc)) from None
        choice = choose_laws(
            version.policy, laws_in_force().territories(), country=country, state=state, province=province
        )
        codes, why = list(choice.codes), choice.explanation
        # Received at noon in the vendor's zone: the date is what counts for every period.
        received_at = dt.datetime.combine(received, dt.time(12), tzinfo=ZoneInfo(version.timezone))
        try:
            result = deadlines_for(version, law_codes=codes, request_type=request_type, received_at=received_at)
        except engine.DeadlineError as exc:
            raise CommandError(str(exc)) from None
        due_at, summary = response_due_at(result)
        facts = RequestFacts(
            request_type=request_type,
            relationships=relationships,
            country=country,
            state=state,
            customer_name=options["customer"],
        )
        tz = ZoneInfo(version.timezone)
        forward = engine.forward_target(
            law_rules(codes),
            received_at=received_at,
            timezone=version.timezone,
            country=version.country or None,
            response_due=due_at.astimezone(tz).date(),
        )
        rules = law_rules(codes)
        recipients = engine.recipient_target(
            rules,
            request_type=request_type,
            received_at=received_at,
            timezone=version.timezone,
            country=version.country or None,
            response_due=due_at.astimezone(tz).date(),
        )
        plan = plan_for(
            version.policy,
            facts,
            due_at=due_at,
            assist_due_at=forward.due_at if forward else None,
            recipients=RecipientDuty(recipients.due_at, recipients.basis) if recipients else None,
            fee_rules={law.code: law.fee.text for law in rules},
        )
        told = [a for a in plan.assignments if a.action in ("propagate", "identify_recipients")]
        output: dict[str, Any] = {
            "vendor": version.vendor.slug,
            "policy_version": version.number,
            "received": received.isoformat(),
            "relationships": list(relationships),
            "laws": codes,
            "laws_why": why,
            "laws_steps": [step.as_dict() for step in choice.steps],
            "due_date": due_at.astimezone(tz).date().isoformat(),
            "deadline": summary,
            "partial": plan.partial,
            "policy_gap": plan.has_policy_gap,
            "subject_is_told": list(plan.subject_notes),
            # Where the vendor is only a processor: its target to forward the request to the controller.
            "forward": {"due_date": forward.due_date.isoformat(), "explanation": forward.explanation}
            if forward and any(a.action == "assist_controller" for a in plan.assignments)
            else None,
            # Where the request must reach the data's recipients: their target, inside the request's date.
            "recipients": {"due_date": recipients.due_date.isoformat(), "explanation": recipients.explanation}
            if recipients and told
            else None,
            "assignments": [
                {
                    "responder": a.responder_name,
                    "responder_kind": a.responder_kind,
                    "responder_email": a.responder_email or None,
                    "action": a.action,
                    "categories": list(a.categories),
                    "due_date": a.due_at.astimezone(tz).date().isoformat(),
                    "partial": a.partial,
                    "policy_gap": a.policy_gap,
                    "explanation": a.explanation,
                    "citations": [{"fact": c.fact, "passage": c.passage} for c in a.citations],
                }
                for a in plan.assignments
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
            return
        lines = [
            f"{version.vendor.name} (policy v{version.number}) — {vocabulary.REQUEST_TYPES[request_type]}, "
            f"received {received.isoformat()}, person lives in {person_place(country, state, province)}",
            f"The person says: {'; '.join(vocabulary.relationship_labels(relationships))}",
            f"Laws: {', '.join(codes)} ({why})",
            f"Due: {output['due_date']}. {summary}",
            *([forward.explanation] if output["forward"] and forward else []),
            *([recipients.explanation] if output["recipients"] and recipients else []),
            "",
            "The person is told:",
            *[f"  - {note}" for note in plan.subject_notes],
            "",
            "Assignments:",
        ]
        for i, a in enumerate(output["assignments"], 1):
            flags = " [PARTIAL]" * a["partial"] + " [POLICY GAP]" * a["policy_gap"]
            lines += [
                f"{i}. {a['responder']} <{a['responder_email'] or 'no address: staff handle it'}> — {a['action']}, "
                f"due {a['due_date']}{flags}",
                f"   {a['explanation']}",
                *[f"   · {c['fact']}: “{c['passage']}”" for c in a["citations"]],
            ]
        self.stdout.write("\n".join(lines))
