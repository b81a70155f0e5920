"""Shared fixtures: the loaded policies, personas, and the rule that CI tests the real services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection


def pytest_configure(config: pytest.Config) -> None:
    # In CI no database test may pass on SQLite alone: the suite must run on PostgreSQL.
    if os.environ.get("CI") == "true" and not os.environ.get("DATABASE_URL", "").startswith(("postgres", "psql")):
        raise pytest.UsageError("CI must run the suite on PostgreSQL: set DATABASE_URL=postgres://...")
    # The suite runs the production settings (DEBUG off) over plain HTTP on loopback: the test client,
    # the live server the browser tests drive. So no redirect to HTTPS and no HTTPS-only cookies; the
    # tests of those settings turn them back on (tests/dsr/test_headers.py, tests/test_settings.py).
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    # Staff in tests log in with a password alone unless the test gives them a second factor or turns
    # the requirement on (tests/dsr/test_staff_login.py).
    settings.DSR_STAFF_REQUIRE_2FA = False
    # Staff passwords are hashed with a fast hasher in tests (a login test makes dozens of attempts).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The callback receivers of the tests listen on loopback; the tests of the address checks turn this
    # off (tests/api/test_callback_addresses.py).
    settings.DSR_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Create the test database once and load every vendor policy and law into it."""
    with django_db_blocker.unblock():
        call_command("load_policies", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    yield


@pytest.fixture
def policies(db: None) -> None:
    """The policies as loaded from policies/data (reloaded if a transactional test emptied the tables)."""
    from policies.models import Vendor

    if not Vendor.objects.exists():
        call_command("load_policies", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (make test sets DATABASE_URL)")
