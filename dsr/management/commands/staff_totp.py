"""Give a staff member a second factor: `manage.py staff_totp USERNAME` prints the otpauth link and the
secret to add to their authenticator app; from then on their admin login asks for its code."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dsr.security.staff import add_totp_device


class Command(BaseCommand):
    help = "Set up (or replace) a staff member's TOTP second factor and print what their authenticator app needs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff member {options['username']!r}.")
        device = add_totp_device(user, now=timezone.now())
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(f"Second factor set up for {user.get_username()!r}. In the authenticator app, add:")
        self.stdout.write(f"  {device.config_url}")
        self.stdout.write(f"  (or type the secret: {secret})")
        self.stdout.write("Give it to them in person or over a channel you trust: it is as good as their password.")
