"""The impostor suite: the published attacks on the right of access, on the real services.

Di Martino et al. (2019, "Personal information leakage by abusing the GDPR right of access"), Bufalieri
et al. (2020, "GDPR: when the right to access personal data becomes a threat") and Pavur & Knerr (2019,
"GDPArrrrr") obtained other people's data by asking in their name: from a look-alike or merely similar
address, as an "agent" with no authority, by naming where the answer should go, and by reusing links.
Each test plays one attack against PostgreSQL, a Celery worker on Redis and an SMTP server on loopback,
and asserts from what the SMTP server received that no personal data and no answer left the system.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from dsr.security.tokens import make_token
from tests.integration.conftest import Mailbox, body
from tests.integration.test_request_life import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

VICTIM = "Aino Virtanen"
ANSWER = "Sent a copy of the account data: 14 logins, invoices 2023-2025, phone +358 40 123 4567."
LEAD = Actor("lead", "staff")
FORM = {
    "request_type": "access",
    "relationship": "account_user",
    "country": "FI",
    "state": "",
    "subject_name": VICTIM,
    "details": "Send me everything you hold about me.",
    "website": "",
}


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^/\s]+(/[a-z]+/[^\s/]+/)", text)


def file_and_confirm(client: Client, mailbox: Mailbox, envelope: str, **form: str) -> Request:
    """The attacker files through the public form and confirms from the mailbox they control."""
    response = client.post("/request/leadsment/", {**FORM, **form})
    assert response.status_code == 302
    reference = re.search(r"DSR-[A-Z0-9]{8}", response["Location"]).group(0)  # type: ignore[union-attr]
    mailbox.wait_for(lambda: any(reference in m["Subject"] for m in mailbox.to(envelope)))
    verify = next(m for m in mailbox.to(envelope) if reference in m["Subject"])
    (link,) = [link for link in links_in(body(verify)) if link.startswith("/verify/")]
    assert client.post(link).status_code == 302
    wait_until(lambda: Request.objects.get(reference=reference).status == "in_progress")
    return Request.objects.get(reference=reference)


def responder_answers(mailbox: Mailbox, request: Request, outcome: str = ANSWER) -> str:
    """The vendor's privacy team follows its link from its email and answers (too readily)."""
    mailbox.wait_for(lambda: bool(assignment_emails(mailbox, request)))
    text = body(assignment_emails(mailbox, request)[0])
    (link,) = [link for link in links_in(text) if link.startswith("/respond/")]
    page = Client().get(link).content.decode()
    for open_task in request.assignments.filter(status=Assignment.Status.OPEN):
        workflow.complete_assignment(open_task, outcome=outcome, actor=Actor.responder("Leadsment"), now=timezone.now())
    return page


def assignment_emails(mailbox: Mailbox, request: Request) -> list[Any]:
    return [m for m in mailbox.messages if request.reference in m["Subject"] and "/respond/" in body(m)]


def what_reached(mailbox: Mailbox, envelope: str) -> str:
    return "\n".join(f"{m['Subject']}\n{body(m)}\n{body(m, 'text/html')}" for m in mailbox.to(envelope))


def settle(mailbox: Mailbox) -> None:
    """Let the worker send whatever was queued (nothing may arrive later that the test did not see)."""
    wait_until(lambda: not OutgoingEmail.objects.filter(status="queued").exists())
    time.sleep(1.0)


def test_a_request_in_someone_elses_name_from_a_look_alike_address_gets_no_answer(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    # Di Martino et al.: the attacker writes from an address that looks like the victim's.
    look_alike = "aino.virtanen@exаmple.com"  # Cyrillic "а"
    envelope = "aino.virtanen@xn--exmple-4nf.com"
    request = file_and_confirm(Client(), smtp_server, envelope, email=look_alike)
    page = responder_answers(smtp_server, request)
    # The responder sees the domain as the mail system does, flagged, and is told to match the person.
    assert envelope in page and "look-alike?" in page
    settle(smtp_server)
    request.refresh_from_db()
    # Every responder has answered: the answer waits for a lead, who cannot send it before identity is checked.
    assert request.status == "awaiting_approval"
    with pytest.raises(DomainError, match="identity check"):
        workflow.approve_answer(request, actor=LEAD, now=timezone.now())
    reached = what_reached(smtp_server, envelope)
    assert ANSWER not in reached and "+358" not in reached
    kinds = set(OutgoingEmail.objects.filter(to=look_alike).values_list("kind", flat=True))
    assert kinds == {"verify", "acknowledged", "routed"}  # nothing that answers


def test_an_agent_with_no_authority_gets_no_answer(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    # Bufalieri et al.: "I act for this person" and nothing to show for it.
    agent = "requests@agency.example"
    client = Client()
    request = file_and_confirm(client, smtp_server, agent, email=agent, acting_as_agent="on", agent_name="Agency Oy")
    # Staff record the identity of the proven address, but the agent's authority is not shown.
    workflow.record_identity(
        request, method="email_matches_record", note="Matches the login.", actor=LEAD, now=timezone.now()
    )
    responder_answers(smtp_server, request)
    settle(smtp_server)
    with pytest.raises(DomainError, match="authority"):
        workflow.close_request(request, status="completed", message=ANSWER, actor=LEAD, now=timezone.now())
    reached = what_reached(smtp_server, agent)
    assert ANSWER not in reached
    assert not OutgoingEmail.objects.filter(to=agent, kind__in=["completed", "rejected"]).exists()


def test_a_controller_address_the_requester_typed_gets_nothing_until_staff_approve_it(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    # Pavur & Knerr: name where the answer should go, and let the office send it there.
    attacker = "privacy@attacker.example"
    client = Client()
    response = client.post(
        "/request/sera-leads/",
        {
            **FORM,
            "country": "EE",
            "relationship": "customer_data_subject",
            "email": "aino@example.com",
            "customer_name": "Shop Oü",
            "customer_email": attacker,
        },
    )
    assert response.status_code == 302
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    (verify,) = [link for link in links_in(body(smtp_server.to("aino@example.com")[0])) if "/verify/" in link]
    assert client.post(verify).status_code == 302
    wait_until(lambda: Request.objects.filter(status="in_progress").exists())
    request = Request.objects.get()
    hint = request.assignments.get(responder_email=attacker)
    assert not hint.contact_approved
    settle(smtp_server)
    assert smtp_server.to(attacker) == []
    assert not OutgoingEmail.objects.filter(to=attacker).exists()
    # A link for it, had one been made, would open nothing while the address is unapproved.
    token = make_token("responder", request.reference, assignment_id=hint.pk)
    page = Client().get(f"/respond/{token}/")
    assert page.status_code == 400 and b"aino@example.com" not in page.content


def test_replayed_and_swapped_links_open_nothing_and_send_nothing(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    victim = file_and_confirm(Client(), smtp_server, "aino@example.com", email="aino@example.com")
    attacker_client = Client()
    own = file_and_confirm(
        attacker_client, smtp_server, "mallory@example.net", email="mallory@example.net", subject_name="Mallory"
    )
    settle(smtp_server)
    sent_before = len(smtp_server.messages)
    own_links = links_in(what_reached(smtp_server, "mallory@example.net"))
    own_token = next(link for link in own_links if link.startswith("/status/")).split("/")[2]
    # The attacker's own tokens, swapped onto other pages, never open the victim's request or theirs.
    for page in ("verify", "respond", "authority"):
        response = attacker_client.post(f"/{page}/{own_token}/", {"confirm": "on", "outcome": "Done."})
        assert response.status_code in (400, 410), page
    # A verification link replayed: confirmed already, nothing sent again.
    verify = next(link for link in own_links if link.startswith("/verify/"))
    assert attacker_client.post(verify).status_code == 302
    # A responder link revoked by staff: the old one, replayed, shows nothing of the victim.
    task = victim.assignments.get(action="fulfil")
    responder_mail = [m for m in assignment_emails(smtp_server, victim) if task.responder_email in m["X-Envelope-To"]]
    (old,) = [link for link in links_in(body(responder_mail[0])) if link.startswith("/respond/")]
    workflow.revoke_responder_link(task, reason="Forwarded outside.", send_new=False, actor=LEAD, now=timezone.now())
    replay = Client().get(old)
    assert (
        replay.status_code == 410
        and VICTIM.encode() not in replay.content
        and b"aino@example.com" not in replay.content
    )
    settle(smtp_server)
    assert len(smtp_server.messages) == sent_before
    assert Request.objects.get(pk=victim.pk).status == "in_progress"
    assert Request.objects.get(pk=own.pk).status == "in_progress"


def test_the_form_tells_no_one_whether_an_address_has_filed_by_wording_status_or_time(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    known = "aino@example.com"
    file_and_confirm(Client(), smtp_server, known, email=known)

    def probe(address: str, n: int) -> tuple[int, str, float]:
        started = time.perf_counter()
        response = Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/request/leadsment/", {**FORM, "email": address}, follow=True
        )
        elapsed = time.perf_counter() - started
        page = re.sub(r"DSR-[A-Z0-9]{8}", "DSR-REF", response.content.decode())
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return response.status_code, page, elapsed

    known_probes = [probe(known, n) for n in range(4)]
    fresh_probes = [probe(f"new{n}@example.com", 10 + n) for n in range(4)]
    assert {status for status, _, _ in known_probes + fresh_probes} == {200}
    assert {page for _, page, _ in known_probes} == {page for _, page, _ in fresh_probes}
    # Time: the same work either way (nothing is looked up by address at submission); generous under load.
    known_time = statistics.median(elapsed for _, _, elapsed in known_probes)
    fresh_time = statistics.median(elapsed for _, _, elapsed in fresh_probes)
    assert abs(known_time - fresh_time) < max(0.25, 0.5 * max(known_time, fresh_time))
    settle(smtp_server)
    # The probes' emails went to the addresses themselves (a verification each), and none of them names or
    # points to the earlier request of the known address.
    earlier = Request.objects.filter(subject_email=known).order_by("received_at").first()
    assert earlier is not None
    probes = [m for m in smtp_server.messages if earlier.reference not in m["Subject"]]
    assert len(probes) == 8 and all("/verify/" in body(m) for m in probes)
    assert not any(earlier.reference in body(m) for m in probes)
