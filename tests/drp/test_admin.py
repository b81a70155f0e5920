"""Superusers register agents and the vendors each may act for; vendor staff do not."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from nacl.signing import SigningKey

from api.drp.models import Agent
from policies.models import Vendor
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")


def test_a_superuser_registers_an_agent_for_a_vendor_and_a_bad_key_is_refused() -> None:
    admin = client_for(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    leadoro = Vendor.objects.get(slug="leadoro")
    form = {
        "agent_id": "CR_AA_1",
        "name": "Consumer Rights Agent",
        "verify_key": "not a key",
        "email": "drp@agent.example",
        "identity_assurance_url": "",
        "active": "on",
        "registrations-TOTAL_FORMS": "1",
        "registrations-INITIAL_FORMS": "0",
        "registrations-0-vendor": str(leadoro.pk),
    }
    refused = admin.post("/admin/drp/agent/add/", form)
    assert refused.status_code == 200 and "base64" in refused.content.decode()
    assert not Agent.objects.exists()
    form["verify_key"] = base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()
    assert admin.post("/admin/drp/agent/add/", form).status_code == 302
    (agent,) = Agent.objects.all()
    assert [r.vendor.slug for r in agent.registrations.all()] == ["leadoro"]


def test_vendor_staff_cannot_see_or_add_agents() -> None:
    staff = client_for(member("handler", vendor="leadoro", role="lead"))
    assert staff.get("/admin/drp/agent/").status_code == 403
    assert staff.get("/admin/drp/agent/add/").status_code == 403
