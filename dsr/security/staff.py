"""Staff logins: a second factor (TOTP) and sessions that end everywhere at logout.

Who must give a code: every staff member with a confirmed TOTP device, and, when DSR_STAFF_REQUIRE_2FA
is on (the default in production), every staff member: one without a device cannot log in until a
superuser gives them one (`manage.py staff_totp USERNAME`, or Django OTP > TOTP devices in the admin).
Failed codes count as failed logins (django-axes locks the account and the address out after
AXES_FAILURE_LIMIT), on top of the device's own growing delay between tries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]


class SecondFactorRefused(Exception):
    """The login is refused for want of a (right) code; `code` names why, for the message and the tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def required_for(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this user may reach the admin only with a verified code."""
    if bool(getattr(settings, "DSR_STAFF_REQUIRE_2FA", False)):
        return True
    return user.is_authenticated and devices_of(user).exists()


def devices_of(user: Any) -> Any:
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def check_second_factor(user: AbstractBaseUser, token: str) -> TOTPDevice | None:
    """The device the code matched, or None when this user needs no code; raises SecondFactorRefused."""
    devices = list(devices_of(user))
    if not devices:
        if required_for(user):
            raise SecondFactorRefused(
                "no_device", "A second factor is required for staff. Ask a superuser to set one up for you."
            )
        return None
    token = "".join(token.split())
    if not token:
        raise SecondFactorRefused("code_required", "Enter the 6-digit code from your authenticator app.")
    for device in devices:
        if device.verify_token(token):
            return device
    raise SecondFactorRefused("wrong_code", "That code is not right, or came too late. Wait for a new code.")


def end_all_sessions(user_id: int, *, now: dt.datetime) -> int:
    """Delete every live session of this user (logging out on one device logs out on all); how many."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    return ended


def add_totp_device(user: AbstractBaseUser, *, now: dt.datetime, name: str = "Authenticator app") -> TOTPDevice:
    """Give a staff member a new, confirmed TOTP device (replacing their others); its otpauth URI is
    `device.config_url`, for their authenticator app. From then on their login asks for a code."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True, created_at=now)


@receiver(user_logged_out)
def _log_out_everywhere(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        end_all_sessions(user.pk, now=timezone.now())
