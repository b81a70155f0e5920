"""`manage.py deadline`: ask the deadline engine by hand, e.g. to check a letter or answer a colleague.

    python manage.py deadline --law EU_GDPR --received 2026-01-31 --country EE
    python manage.py deadline --law EU_GDPR --law US_CA_CCPA --received 2026-03-05 --vendor leadsment --json
    python manage.py deadline --law UK_GDPR --received 2026-03-03 --paused 2026-03-05:2026-03-10:identity \\
        --extended --announced 2026-04-01

The rules come from the loaded laws (`policies.models.Law`) when there are any, otherwise straight from
policies/data/laws.yaml, so the command also works before `load_policies` has run. Every input problem
is a one-line `CommandError`, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from dsr.engine.deadlines import (
    Deadline,
    DeadlineError,
    DeadlineResult,
    ExtensionRequest,
    Pause,
    Promise,
    compute_deadlines,
    format_date,
    recipient_target,
    select_laws,
)
from policies import vocabulary
from policies.laws import PAUSE_KINDS, LawDataError, LawRules, PauseKind, default_laws_path, load_laws_file, parse_law
from policies.services import promise_and_place_for_vendor

DEFAULT_PAUSE_KIND: PauseKind = "identity"


def laws_from_database() -> dict[str, LawRules]:
    """The loaded laws, parsed; empty when none are loaded (or the tables do not exist yet)."""
    from policies.models import Law

    try:
        rows = list(Law.objects.all())
    except DatabaseError:
        return {}
    laws = {}
    for row in rows:
        try:
            laws[row.code] = parse_law(row.data, where=f"database Law {row.code}")
        except LawDataError as exc:
            raise CommandError(f"The loaded law {row.code} is invalid ({exc}); run load_policies again.") from None
    return laws


def available_laws() -> tuple[dict[str, LawRules], str]:
    """The laws to use and where they came from ('database' or the laws file's name)."""
    laws = laws_from_database()
    if laws:
        return laws, "database"
    path = default_laws_path()
    try:
        return load_laws_file(path).by_code(), path.name
    except LawDataError as exc:
        raise CommandError(str(exc)) from None


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date in the form YYYY-MM-DD.") from None


def parse_received(value: str, tz: ZoneInfo) -> dt.datetime:
    """A date (taken as noon local time: only the local date matters) or an ISO date-time with an offset."""
    if len(value) == 10:
        return dt.datetime.combine(parse_day(value, "--received"), dt.time(12), tzinfo=tz)
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--received: {value!r} is not a date in the form YYYY-MM-DD.") from None
    if instant.tzinfo is None:
        raise CommandError(f"--received: {value!r} has a time but no offset; add one (e.g. +00:00) or give a date.")
    return instant


def parse_pause(value: str) -> Pause:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise CommandError(f"--paused: {value!r} must look like FROM:TO or FROM:TO:KIND (dates YYYY-MM-DD).")
    start = parse_day(parts[0], "--paused")
    end = parse_day(parts[1], "--paused")
    kind = parts[2] if len(parts) == 3 else DEFAULT_PAUSE_KIND
    if kind not in PAUSE_KINDS:
        raise CommandError(f"--paused: {kind!r} is not a pause kind ({', '.join(PAUSE_KINDS)}).")
    return Pause(start=start, end=end, kind=cast(PauseKind, kind))


def default_place(laws: list[LawRules]) -> tuple[str | None, str | None]:
    """The first law's jurisdiction when it is a single place ('GB', 'US-CA'), else none (weekends only)."""
    if laws and len(laws[0].jurisdictions) == 1:
        country, _, subdivision = laws[0].jurisdictions[0].partition("-")
        return country, subdivision or None
    return None, None


class Command(BaseCommand):
    help = "Show every deadline for a request under the given laws (and a vendor's promise), with explanations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--law", action="append", required=True, metavar="CODE", help="Law code; repeatable.")
        parser.add_argument("--received", required=True, help="Receipt date YYYY-MM-DD (local to the responder).")
        parser.add_argument(
            "--type",
            default="access",
            dest="request_type",
            help=f"Request type: {', '.join(vocabulary.REQUEST_TYPES)}.",
        )
        parser.add_argument("--country", help="Responder's country (ISO alpha-2) for public holidays.")
        parser.add_argument("--state", help="Responder's state/region (holidays subdivision, e.g. CA).")
        parser.add_argument("--timezone", help="Responder's time zone (default: the vendor's, else UTC).")
        parser.add_argument("--vendor", metavar="SLUG", help="Add the vendor's promise; use its time zone and country.")
        parser.add_argument("--extended", action="store_true", help="The deadline was extended.")
        parser.add_argument("--announced", metavar="YYYY-MM-DD", help="Day the extension was announced.")
        parser.add_argument(
            "--paused",
            action="append",
            default=[],
            metavar="FROM:TO[:KIND]",
            help=f"A pause (kind: {', '.join(PAUSE_KINDS)}; default {DEFAULT_PAUSE_KIND}); repeatable.",
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output with ISO dates.")

    def handle(self, *args: Any, **options: Any) -> None:
        request_type = options["request_type"]
        if request_type not in vocabulary.REQUEST_TYPES:
            raise CommandError(f"--type: {request_type!r} is not one of {', '.join(vocabulary.REQUEST_TYPES)}.")
        if options["announced"] and not options["extended"]:
            raise CommandError("--announced needs --extended.")
        available, laws_source = available_laws()
        try:
            laws = select_laws(available, [code.strip().upper() for code in options["law"]])
        except DeadlineError as exc:
            raise CommandError(str(exc)) from None

        country, subdivision = default_place(laws)
        timezone = "UTC"
        promises: list[Promise] = []
        vendor = options["vendor"]
        received_day_hint = options["received"][:10]
        if vendor:
            promises, timezone, vendor_country = self._vendor(vendor, received_day_hint)
            country, subdivision = (vendor_country or None), None
        if options["country"]:
            country, subdivision = options["country"].upper(), None
        if options["state"]:
            subdivision = options["state"].upper()
        if options["timezone"]:
            timezone = options["timezone"]
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"--timezone: unknown time zone {timezone!r}.") from None

        received_at = parse_received(options["received"], tz)
        pauses = [parse_pause(p) for p in options["paused"]]
        announced = parse_day(options["announced"], "--announced") if options["announced"] else None
        try:
            result = compute_deadlines(
                laws,
                request_type=request_type,
                received_at=received_at,
                timezone=timezone,
                country=country,
                subdivision=subdivision,
                promises=promises,
                pauses=pauses,
                extension=ExtensionRequest(taken=options["extended"], announced_on=announced),
            )
        except DeadlineError as exc:
            raise CommandError(str(exc)) from None

        strictest = result.strictest
        # Where the request must reach the data's recipients (GDPR Art 19; 11 CCR 7026(f)): their target.
        recipients = recipient_target(
            laws,
            request_type=request_type,
            received_at=received_at,
            timezone=timezone,
            country=country,
            subdivision=subdivision,
            response_due=strictest.due_date if strictest is not None else None,
        )
        if options["json"]:
            payload = {
                **result.as_dict(),
                "laws": [law.code for law in laws],
                "rules_from": laws_source,
                "recipients": recipients.to_dict() if recipients else None,
            }
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            self._print(result, laws, vendor, laws_source)
            if recipients is not None:
                self.stdout.write("")
                self.stdout.write(recipients.explanation)

    def _vendor(self, slug: str, received: str) -> tuple[list[Promise], str, str | None]:
        on = parse_day(received, "--received")
        try:
            raw, timezone, country = promise_and_place_for_vendor(slug, on)
        except (LookupError, ObjectDoesNotExist, ValueError) as exc:
            raise CommandError(str(exc).strip("'\"") or f"Unknown vendor {slug!r}.") from None
        try:
            promises = [Promise.from_mapping(item, vendor=item.get("vendor") or slug) for item in raw]
        except DeadlineError as exc:
            raise CommandError(f"--vendor {slug}: {exc}") from None
        return promises, timezone or "UTC", country or None

    def _print(self, result: DeadlineResult, laws: list[LawRules], vendor: str | None, source: str) -> None:
        write = self.stdout.write
        label = vocabulary.REQUEST_TYPES[result.request_type]
        write(f"Request: {result.request_type} ({label})")
        write(f"Received: {format_date(result.received_on, weekday=True)} (local date in {result.timezone})")
        place = f"{result.country}-{result.subdivision}" if result.subdivision else result.country
        write(f"Holidays of the responder: {place or 'none given (weekends only)'}")
        write(
            f"Laws: {', '.join(law.code for law in laws)} (rules from {source})"
            + (f"; vendor: {vendor}" if vendor else "")
        )
        strictest = result.strictest
        if strictest is not None and strictest.due_date is not None:
            write(
                self.style.SUCCESS(
                    f"Strictest deadline: {format_date(strictest.due_date, weekday=True)} ({strictest.title})"
                )
            )
        else:
            write(self.style.WARNING("Strictest deadline: none fixed (see below)"))
        for deadline in result.deadlines:
            write("")
            write(self._heading(deadline))
            write(f"  {deadline.explanation}")
            for note in deadline.notes:
                write(f"  Note: {note}")
        if result.notes:
            write("")
            write("Notes:")
            for note in result.notes:
                write(f"  - {note}")

    @staticmethod
    def _heading(deadline: Deadline) -> str:
        when = format_date(deadline.due_date, weekday=True) if deadline.due_date else "no fixed date"
        status = f" [{deadline.status}]" if deadline.status else ""
        binding = "" if deadline.binding else " (information)"
        return f"{deadline.title}: {when}{status}{binding}"
