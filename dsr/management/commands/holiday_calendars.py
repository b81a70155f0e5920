"""`manage.py holiday_calendars`: write the public-holiday calendars the deadline engine counts with.

    python manage.py holiday_calendars            # (re)write dsr/engine/holidays/*.json
    python manage.py holiday_calendars --check    # exit 1 where a file differs from the library

One file per place our data names (every jurisdiction of every law in policies/data/laws.yaml, every
vendor's country), for the years YEARS, from the pinned `holidays` library (dsr.engine.holiday_calendars
says why they are files), keeping for a place named in its SELECTIONS (California) only the law's holidays.
Run it after upgrading the library or adding a law or a vendor, and commit the files. It fails where the
library lists a holiday such a selection has not decided: decide it there, then run it again.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dsr.engine import holiday_calendars
from policies.loader import PolicyDataError, read_data_dir

YEARS = range(2019, 2036)  # the library knows some places only up to 2035


def places(data_dir: Path) -> set[tuple[str, str | None]]:
    """Every place whose holidays a deadline may count: the laws' jurisdictions and the vendors' countries."""
    dataset = read_data_dir(data_dir)
    found: set[tuple[str, str | None]] = set()
    for entry in dataset.laws.values():
        for place in entry["jurisdictions"]:
            country, _, subdivision = str(place).partition("-")
            found.add((country, subdivision or None))
    for vendor in dataset.vendors:
        if vendor.policy.country:
            found.add((vendor.policy.country, None))
    return found


class Command(BaseCommand):
    help = "Write (or --check) the public-holiday calendars in dsr/engine/holidays/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare the files with the library; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            wanted = places(Path(settings.POLICY_DATA_DIR))
        except PolicyDataError as exc:
            raise CommandError(str(exc)) from None
        try:
            self._write_or_check(wanted, check=options["check"])
        except holiday_calendars.UndecidedHoliday as exc:
            raise CommandError(str(exc)) from None

    def _write_or_check(self, wanted: set[tuple[str, str | None]], *, check: bool) -> None:
        if not check:
            written = holiday_calendars.write_files(wanted, YEARS)
            where = holiday_calendars.DATA_DIR
            self.stdout.write(f"Wrote {len(written)} files to {where} (years {YEARS[0]}-{YEARS[-1]}).")
            return
        with tempfile.TemporaryDirectory() as scratch:
            fresh = holiday_calendars.write_files(wanted, YEARS, Path(scratch))
            differ = [
                path.name
                for path in fresh
                if not (holiday_calendars.DATA_DIR / path.name).exists()
                or json.loads((holiday_calendars.DATA_DIR / path.name).read_text(encoding="utf-8"))
                != json.loads(path.read_text(encoding="utf-8"))
            ]
            extra = sorted(
                p.name for p in holiday_calendars.DATA_DIR.glob("*.json") if p.name not in {f.name for f in fresh}
            )
        if differ or extra:
            raise CommandError(
                f"The holiday calendars are out of date ({', '.join(differ + extra)}): run manage.py holiday_calendars."
            )
        self.stdout.write(f"{len(fresh)} holiday calendar files match the library.")
