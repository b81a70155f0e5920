"""Schemathesis against the generated OpenAPI schema: every operation, with generated inputs, authenticated
as a client of one vendor. No answer is a server error and every answer fits the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from dsr.security import ratelimit
from tests.api.conftest import new_caller

# Left out: "a schema-valid body is accepted". A schema cannot say which relationships and request types a
# vendor's policy offers, or that a US resident names a state; the form's validation refuses those (400).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def token(policies: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # As Django's test client does: the WSGI handler must not close the test's connection (its transaction).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    monkeypatch.setitem(ratelimit.LIMITS, "api-client", (100_000, ratelimit.LIMITS["api-client"][1]))
    yield str(new_caller("leadsment", name="Fuzzing agent").token)
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_call_within_its_schema(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])
