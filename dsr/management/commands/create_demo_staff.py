from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-privacy-team"  # noqa: S105 - a published demo login, refused when DEBUG is off


class Command(BaseCommand):
    help = "Create (or reset) the demo staff login for trying the product locally, and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Also when DEBUG is off (never in production).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("The demo login is for local use only (DJANGO_DEBUG is off).")
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = True
        user.is_superuser = True
        user.email = "demo@localhost"
        user.set_password(DEMO_PASSWORD)
        user.save()
        self.stdout.write(f"Demo staff login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}")
        if settings.DSR_STAFF_REQUIRE_2FA:
            self.stdout.write(
                f"  It needs a second factor: run `manage.py staff_totp {DEMO_USERNAME}` and add it to an app."
            )
        else:
            self.stdout.write(
                "  No second factor in the demo (DSR_STAFF_REQUIRE_2FA is off); production requires one for staff."
            )
