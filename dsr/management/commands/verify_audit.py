"""`manage.py verify_audit [--request REF]`: check every request's timeline hash chain (dsr.requests.audit)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dsr.models import Request
from dsr.requests import audit


class Command(BaseCommand):
    help = "Check the timeline's hash chains; name the first broken link of each broken chain (exit 1 if any)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--request", default=None, metavar="REF", help="Check one request, e.g. DSR-ABCD2345")
        parser.add_argument("--json", action="store_true", help="The report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        reference = options["request"]
        try:
            report = audit.verify_request(reference.strip().upper()) if reference else audit.verify_all()
        except Request.DoesNotExist:
            raise CommandError(f"No request {reference}.") from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for broken in report.broken:
                self.stdout.write(str(broken))
            self.stdout.write(report.summary())
        if not report.intact:
            raise CommandError(report.summary(), returncode=1)
