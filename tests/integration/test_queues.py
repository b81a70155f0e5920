"""What a person waits for travels on its own queue: with only the person queue served (no worker for
routing, responders or sweeps), the verification link and the acknowledgement still arrive."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dsr.models import OutgoingEmail, Request
from tests.integration.conftest import Mailbox, body
from tests.integration.test_request_life import FORM, link_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_person_queue_delivers_verification_and_acknowledgement_without_the_bulk_workers(
    postgres: None, policies: None, smtp_server: Mailbox, person_worker: None
) -> None:
    client = Client()
    response = client.post("/request/seerene/", {**FORM, "relationship": "account_user", "country": "DE"})
    reference = re.search(r"DSR-[A-Z0-9]{8}", response["Location"]).group(0)
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    link = link_in(body(smtp_server.to("aino@example.com")[0]))
    client.post(link)
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 2)
    assert "acknowledged" in OutgoingEmail.objects.get(key=f"{reference}:acknowledged").kind
    # Routing waits on the work queue, which no worker serves here: the person was not kept waiting for it.
    assert Request.objects.get(reference=reference).status == "verified"
    assert not OutgoingEmail.objects.filter(kind="assignment").exists()
