"""Our service-directory entries (DRP 3.05.2): one per vendor, for agents to find us."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.usefixtures("policies")


def test_the_command_prints_an_entry_per_vendor_in_the_directorys_schema(settings: Any) -> None:
    settings.SITE_URL = "https://privacy.example.org"
    out = StringIO()
    call_command("drp_directory", stdout=out)
    entries = json.loads(out.getvalue())
    assert [e["id"] for e in entries] == ["LEADORO", "LEADSMENT", "SEERENE", "SERA_LEADS", "SERAI"]
    for entry in entries:
        assert re.fullmatch(r"[A-Z_]+", entry["id"])
        assert entry["api_base"] == "https://privacy.example.org/drp"
        assert entry["supported_actions"] == [
            "access",
            "access:categories",
            "access:specific",
            "deletion",
            "sale:opt-out",
        ]
        assert entry["technical_contact"] and entry["business_contact"] and entry["name"]
    leadoro = next(e for e in entries if e["id"] == "LEADORO")
    assert leadoro["name"] == "Leadoro" and leadoro["web_url"] == "https://leadoro.net"


def test_one_vendor() -> None:
    out = StringIO()
    call_command("drp_directory", "--vendor", "sera-leads", stdout=out)
    assert [e["id"] for e in json.loads(out.getvalue())] == ["SERA_LEADS"]
