"""Print our service-directory entries for the Data Rights Protocol (one per vendor) as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from api.drp.directory import entries


class Command(BaseCommand):
    help = "Print the Data Rights Protocol service-directory entries of every vendor (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendor", help="Only this vendor (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        found = entries(on=timezone.localdate())
        if options["vendor"]:
            from api.drp.protocol import business_id

            found = [e for e in found if e["id"] == business_id(options["vendor"])]
        self.stdout.write(json.dumps(found, indent=2, ensure_ascii=False))
