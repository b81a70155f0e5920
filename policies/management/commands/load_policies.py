from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.loader import PolicyDataError, load, read_data_dir


class Command(BaseCommand):
    help = "Validate every policy and law file, then load them in one transaction (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", type=Path, default=None, help="Default: settings.POLICY_DATA_DIR")
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = options["data_dir"] or settings.POLICY_DATA_DIR
        try:
            dataset = read_data_dir(Path(data_dir))
            if options["check"]:
                self.stdout.write(f"{len(dataset.vendors)} vendor files and {len(dataset.laws)} laws are valid.")
                return
            report = load(dataset)
        except PolicyDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(dataset.vendors)} vendors and {len(dataset.laws)} laws."))
