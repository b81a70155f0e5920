"""What a person waits for travels on its own queue: with only the person queue served (no worker for
routing, responders, batches of mail or sweeps), the verification link and the acknowledgement still
arrive, even behind a batch call's mail (a real worker on Redis)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from api import services
from dsr import jobs
from dsr.models import OutgoingEmail, Request
from dsr.requests import intake
from tests.api.test_batch_setwise import agent
from tests.integration.conftest import Mailbox, body, clean_broker, worker_on
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


def test_a_verification_link_is_sent_while_a_batch_calls_acknowledgements_wait_on_the_bulk_queue(
    postgres: None, policies: None, smtp_server: Mailbox
) -> None:
    clean_broker()
    client = agent("Rights Agent")
    batch = [
        intake.Submission(
            vendor_slug="seerene",
            request_type="erasure",
            relationships=["account_user"],
            country="DE",
            state="",
            subject_name=f"Person {n}",
            email=f"agent{n}@rights.example",
            details="",
            agent_name="Rights Agent",
        )
        for n in range(20)
    ]
    filed = services.file_requests(client, batch, now=timezone.now())
    assert all(isinstance(result, Request) for result in filed)
    client = Client()
    client.post("/request/seerene/", {**FORM, "relationship": "account_user", "country": "DE"})
    with worker_on([jobs.PERSON], flush=False):
        smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    # The batch's twenty acknowledgements wait for the bulk queue's worker, not in front of the link.
    assert OutgoingEmail.objects.filter(kind="acknowledged", status="queued").count() == 20
    assert not smtp_server.to("agent0@rights.example")
    with worker_on([jobs.BULK], flush=False):
        smtp_server.wait_for(lambda: len(smtp_server.messages) == 21)
