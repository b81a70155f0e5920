"""Rate limits that work in production: behind a proxy, against guessed links, without telling a stranger
anything about an address or letting them lock a person out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dsr.models import OutgoingEmail, Request, Throttle
from dsr.security import ratelimit
from dsr.security.identities import canonical_email, network
from dsr.security.tokens import make_token
from tests.dsr.test_intake_cost import form as form_fields
from tests.factories import routed

pytestmark = pytest.mark.usefixtures("policies")

PROXY = "10.0.0.1"  # the reverse proxy: the peer address of every connection behind it
GUESSER = "203.0.113.66"
PERSON = "198.51.100.23"
FORM_URL = "/request/sera-leads/"


def form(email: str = "alice@example.com") -> dict[str, Any]:
    return form_fields(email=email)


def guess(client: Client, **meta: str) -> int:
    return client.get(f"/status/{make_token('status', 'DSR-AAAAAAAA')}tampered/", **meta).status_code


def test_behind_a_proxy_one_guessers_wrong_links_do_not_block_other_visitors(settings: Any) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = 1
    limit, _ = ratelimit.LIMITS["bad-link-ip"]
    client = Client()
    codes = [guess(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=GUESSER) for _ in range(limit + 1)]
    assert codes[:limit] == [400] * limit and codes[-1] == 429
    # Someone else behind the same proxy mistypes a link: told it is not valid, not "too many".
    assert guess(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=PERSON) == 400


def test_without_trusted_proxies_the_forwarded_header_cannot_dodge_the_limit(settings: Any) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = 0
    limit, _ = ratelimit.LIMITS["bad-link-ip"]
    client = Client()
    codes = [guess(client, REMOTE_ADDR=GUESSER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(limit + 1)]
    assert codes[-1] == 429


def test_the_trusted_proxy_hops_are_a_declared_setting_explained_in_env_example() -> None:
    from django.conf import settings

    assert settings.DSR_TRUSTED_PROXY_HOPS == 0  # the default: no proxy, the header is ignored
    assert "\nDSR_TRUSTED_PROXY_HOPS=" in (settings.BASE_DIR / ".env.example").read_text()


def test_wrong_link_guesses_never_lock_out_a_valid_link(settings: Any) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = 1
    request = routed()
    limit, _ = ratelimit.LIMITS["bad-link-ip"]
    client = Client()
    for _ in range(limit + 5):
        guess(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=GUESSER)
    valid = f"/status/{make_token('status', request.reference)}/"
    # Every visitor, the guesser's network included, still opens a link that is really theirs.
    for forwarded in (PERSON, GUESSER):
        response = client.get(valid, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 200, forwarded
        assert request.reference in response.content.decode()


def test_the_429_page_is_plain_and_says_when_to_come_back() -> None:
    limit, _ = ratelimit.LIMITS["submit-ip"]
    for _ in range(limit):
        ratelimit.allow_client("submit-ip", "127.0.0.1", now=timezone.now())
    response = Client().post(FORM_URL, form())
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Please try again later" in response.content.decode()


def test_ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() -> None:
    limit, _ = ratelimit.LIMITS["bad-link-ip"]
    client = Client()
    # One client walking through the addresses of its own /64 is still one client.
    codes = [guess(client, REMOTE_ADDR=f"2001:db8:1:2::{n:x}") for n in range(1, limit + 2)]
    assert codes[-1] == 429
    assert guess(client, REMOTE_ADDR="2001:db8:1:3::1") == 400  # the next /64 is someone else
    assert network("::ffff:203.0.113.66") == network("203.0.113.66") == "203.0.113.66"
    for _ in range(limit + 1):
        guess(client, REMOTE_ADDR="::ffff:192.0.2.7")
    assert guess(client, REMOTE_ADDR="192.0.2.7") == 429


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("Alice.Person+dsr@GMail.com", "aliceperson@gmail.com"),
        ("a.l.i.c.e.person@googlemail.com", "aliceperson@gmail.com"),
        ("alice+tag@outlook.com", "Alice@Outlook.com"),
        ("ALICE@Example.COM", "alice@example.com"),
    ],
)
def test_one_mailbox_however_it_is_spelled(typed: str, same_as: str) -> None:
    assert canonical_email(typed) == canonical_email(same_as)
    assert ratelimit.email_digest(typed) == ratelimit.email_digest(same_as)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice.person@example.com", "aliceperson@example.com"),  # dots may matter elsewhere
        ("alice+bob@example.com", "alice@example.com"),  # as may a plus
        ("alice@gmail.com", "alice@gmail.co"),
    ],
)
def test_different_mailboxes_stay_different(one: str, other: str) -> None:
    assert ratelimit.email_digest(one) != ratelimit.email_digest(other)


def test_the_per_address_limit_counts_spellings_of_one_mailbox_together() -> None:
    limit, _ = ratelimit.LIMITS["submit-email"]
    client = Client()
    for n in range(limit):
        assert client.post(FORM_URL, form(f"alice.person+{n}@gmail.com")).status_code == 302
    assert Request.objects.count() == limit
    client.post(FORM_URL, form("AlicePerson@googlemail.com"))
    assert Request.objects.count() == limit  # the same mailbox: dropped
    assert OutgoingEmail.objects.count() == limit


def test_past_the_address_limit_the_page_is_the_same_and_nothing_is_stored_or_sent() -> None:
    limit, _ = ratelimit.LIMITS["submit-email"]
    client = Client()
    pages = [client.post(FORM_URL, form(), follow=True) for _ in range(limit + 2)]
    assert {page.status_code for page in pages} == {200}
    assert {page.templates[0].name for page in pages} == {"dsr/sent.html"}
    assert len({page.redirect_chain[0][0] for page in pages}) == limit + 2  # a fresh reference each time
    assert Request.objects.count() == limit
    assert OutgoingEmail.objects.count() == limit


def test_a_stranger_cannot_use_up_a_persons_own_filings_for_their_address() -> None:
    limit, _ = ratelimit.LIMITS["submit-email"]
    stranger, person = Client(REMOTE_ADDR=GUESSER), Client(REMOTE_ADDR=PERSON)
    for _ in range(limit + 3):
        stranger.post(FORM_URL, form())
    assert Request.objects.count() == limit
    assert person.post(FORM_URL, form()).status_code == 302
    assert Request.objects.count() == limit + 1  # the person's own request is filed and emailed
    assert OutgoingEmail.objects.count() == limit + 1


def test_an_address_gets_a_bounded_number_of_emails_whoever_asks() -> None:
    everywhere, _ = ratelimit.LIMITS["submit-email-any"]
    per_network, _ = ratelimit.LIMITS["submit-email"]
    for n in range(everywhere // per_network + 2):
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        for _ in range(per_network):
            client.post(FORM_URL, form())
    assert OutgoingEmail.objects.count() == everywhere
    assert Throttle.objects.exists()
