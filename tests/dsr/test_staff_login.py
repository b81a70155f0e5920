"""Staff logins: lockout per account and per address, a second factor a superuser can require, sessions
of a working day that end everywhere at logout."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dsr.security.staff import add_totp_device

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-1"
LOGIN = "/admin/login/?next=/admin/"
HOME = "203.0.113.10"
AWAY = "198.51.100.20"


def staff(username: str = "hanna") -> User:
    return get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def log_in(client: Client, username: str, password: str = PASSWORD, otp: str = "", **meta: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": otp}, **meta)


def in_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_a_password_logs_in_staff_without_a_second_factor_when_none_is_required() -> None:
    staff()
    client = Client()
    assert log_in(client, "hanna").status_code == 302
    assert in_admin(client)


def test_an_account_is_locked_after_five_wrong_passwords_from_anywhere(settings: Any) -> None:
    staff()
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "hanna", "wrong", REMOTE_ADDR=f"192.0.2.{n + 1}")
    # The right password, from yet another address: still locked.
    client = Client()
    response = log_in(client, "hanna", REMOTE_ADDR=AWAY)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not in_admin(client)


def test_an_address_is_locked_after_five_wrong_passwords_for_any_accounts(settings: Any) -> None:
    staff("lea")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), f"guess{n}", "wrong", REMOTE_ADDR=HOME)
    assert log_in(Client(), "lea", REMOTE_ADDR=HOME).status_code == 429
    client = Client()
    assert log_in(client, "lea", REMOTE_ADDR=AWAY).status_code == 302  # lea herself, elsewhere
    assert in_admin(client)


def test_the_lockout_counts_ipv6_clients_by_their_64(settings: Any) -> None:
    staff("lea")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), f"guess{n}", "wrong", REMOTE_ADDR=f"2001:db8:7:7::{n + 1}")
    assert log_in(Client(), "lea", REMOTE_ADDR="2001:db8:7:7::99").status_code == 429


def test_staff_with_a_device_need_its_code() -> None:
    user = staff()
    device = add_totp_device(user, now=timezone.now())
    client = Client()
    response = log_in(client, "hanna")
    assert response.status_code == 200
    assert "Enter the 6-digit code" in response.content.decode()
    response = log_in(client, "hanna", otp=code(device, steps_ahead=10))
    assert "That code is not right" in response.content.decode()
    assert not in_admin(client)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the device's own delay after a wrong code, not what is tested here
    device.save()
    assert log_in(client, "hanna", otp=code(device)).status_code == 302
    assert in_admin(client)


def test_wrong_codes_count_as_failed_logins(settings: Any) -> None:
    user = staff()
    device = add_totp_device(user, now=timezone.now())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "hanna", otp="000000" if code(device) != "000000" else "111111", REMOTE_ADDR=AWAY)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert log_in(Client(), "hanna", otp=code(device)).status_code == 429


def test_when_required_staff_without_a_device_cannot_log_in_or_use_a_session_without_the_code(settings: Any) -> None:
    settings.DSR_STAFF_REQUIRE_2FA = True
    user = staff()
    client = Client()
    response = log_in(client, "hanna")
    assert response.status_code == 200
    assert "Ask a superuser to set one up" in response.content.decode()
    assert not in_admin(client)
    # A session that was not verified with a code (logged in before it was required) opens nothing.
    client.force_login(user)
    assert client.get("/admin/").status_code == 302
    device = add_totp_device(user, now=timezone.now())
    client = Client()
    assert log_in(client, "hanna", otp=code(device)).status_code == 302
    assert in_admin(client)


def test_a_superuser_sets_up_a_second_factor_with_one_command() -> None:
    user = staff()
    out = io.StringIO()
    call_command("staff_totp", "hanna", stdout=out)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert "otpauth://totp/" in out.getvalue()
    assert "secret=" in out.getvalue()
    assert log_in(Client(), "hanna").status_code == 200  # from now on the password alone is not enough
    assert log_in(Client(), "hanna", otp=code(device)).status_code == 302


def test_staff_sessions_last_a_working_day_not_two_weeks() -> None:
    staff()
    client = Client()
    before = timezone.now()
    response = log_in(client, "hanna")
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.expire_date <= before + dt.timedelta(hours=8, minutes=1)
    assert int(response.cookies["sessionid"]["max-age"]) <= 8 * 3600


def test_logging_out_ends_every_session_of_that_user_and_no_one_elses() -> None:
    staff()
    staff("lea")
    office, home, colleague = Client(), Client(), Client()
    for client, username in ((office, "hanna"), (home, "hanna"), (colleague, "lea")):
        assert log_in(client, username).status_code == 302
        assert in_admin(client)
    assert office.post("/admin/logout/").status_code == 200
    assert not in_admin(home)  # the laptop left at home is logged out too
    assert in_admin(colleague)
