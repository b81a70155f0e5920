"""The CCPA yearly figures (11 CCR § 7102) of one vendor: `manage.py ccpa_metrics --year 2026 --vendor leadoro`.

What is counted, and why, is in dsr/requests/ccpa.py and policies/data/ccpa_7102.yaml. `--csv` prints the
same lines as the admin's CSV.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.models import Vendor

from ...requests import ccpa


class Command(BaseCommand):
    help = "The CCPA yearly figures (11 CCR § 7102) of one vendor for one calendar year (by the day of receipt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="The calendar year the requests were received in")
        parser.add_argument("--vendor", required=True, help="The vendor's slug, e.g. leadoro")
        parser.add_argument("--csv", action="store_true", help="Print CSV instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = Vendor.objects.filter(slug=options["vendor"]).first()
        if vendor is None:
            known = ", ".join(Vendor.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No vendor {options['vendor']!r}. Known: {known}")
        report = ccpa.yearly_figures(vendor, options["year"])
        if options["csv"]:
            writer = csv.writer(self.stdout)
            for line in ccpa.csv_lines(report):
                writer.writerow(line)
            return
        self.stdout.write(f"{vendor.name}: CCPA requests received in {report.year} ({report.definition.cite})")
        self.stdout.write(
            f"{'':36} {'received':>8} {'complied':>8} {'in part':>7} {'denied':>6} {'withdrawn':>9} "
            f"{'open':>5} {'median d':>8} {'mean d':>7}"
        )
        for f in report.figures:
            if not f.recorded:
                self.stdout.write(f"{f.category.label:36} {f.category.note}")
                continue
            self.stdout.write(
                f"{f.category.label:36} {f.received:>8} {f.complied:>8} {f.complied_in_part:>7} {f.denied:>6} "
                f"{f.withdrawn:>9} {f.still_open:>5} {f.median_text or '-':>8} {f.mean_text or '-':>7}"
            )
        if report.still_open:
            self.stdout.write(f"Not final: {report.still_open} of these requests are still open.")
        self.stdout.write(
            f"Days to respond: calendar days from receipt to answer; the {report.definition.average} is reported "
            f"(the regulation allows the median or the mean). Source: {report.definition.source_cite}."
        )
