"""Staff register API clients in the admin: a team lead for their own vendors only; the secret is shown once
and stored only as a hash."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from api import services
from api.models import ApiClient
from policies.models import Vendor
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")
ADD = "/admin/api/apiclient/add/"


def test_a_lead_registers_a_client_for_their_vendor_and_reads_its_secret_once() -> None:
    staff = client_for(member("lena", "leadsment", role="lead"))
    form = {"name": "Rights Agent", "kind": "agent", "vendors": [Vendor.objects.get(slug="leadsment").pk]}
    answer = staff.post(ADD, {**form, "callback_url": "https://agent.example/cb", "active": "on"})
    assert answer.status_code == 302
    said = " ".join(str(m) for m in get_messages(answer.wsgi_request))
    token = re.search(r"API secret: (\S+)", said)
    assert token
    client = ApiClient.objects.get(name="Rights Agent")
    assert token.group(1) not in (client.secret_hash, client.key_prefix)
    assert services.authenticate(token.group(1)) == client
    assert list(client.vendors.values_list("slug", flat=True)) == ["leadsment"]


def test_a_lead_cannot_register_a_client_for_another_teams_vendor() -> None:
    staff = client_for(member("lena", "leadsment", role="lead"))
    other = Vendor.objects.get(slug="seerene").pk
    answer = staff.post(ADD, {"name": "Sneaky", "kind": "agent", "vendors": [other], "active": "on"})
    assert answer.status_code == 200  # the form again, with the vendor refused
    assert not ApiClient.objects.exists()


def test_a_handler_cannot_register_clients() -> None:
    staff = client_for(member("hanna", "leadsment", role="handler"))
    assert staff.get(ADD).status_code == 403


def test_a_lead_of_one_vendor_cannot_change_a_client_of_a_vendor_they_only_handle() -> None:
    """A lead of Leadsment who is a handler on Seerene sees Seerene's client but may not redirect its
    callbacks nor switch it off; a lead of both may."""
    from django.utils import timezone

    from dsr.models import StaffMembership

    seerene = Vendor.objects.get(slug="seerene")
    made = services.create_client(
        name="Seerene app",
        kind="vendor_system",
        vendors=[seerene],
        callback_url="https://seerene.example/cb",
        created_by="admin",
        now=timezone.now(),
    )
    lena = member("lena", "leadsment", role="lead")
    StaffMembership.objects.create(user=lena, vendor=seerene, role="handler")
    change = f"/admin/api/apiclient/{made.client.pk}/change/"
    staff = client_for(lena)
    answer = staff.post(change, {"callback_url": "https://attacker.example/cb", "active": ""})
    assert answer.status_code == 403
    made.client.refresh_from_db()
    assert made.client.callback_url == "https://seerene.example/cb" and made.client.active
    StaffMembership.objects.filter(user=lena, vendor=seerene).update(role="lead")
    assert staff.get(change).status_code == 200
