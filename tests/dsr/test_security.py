"""Who is asking: the client address behind trusted proxies, and rate-limit counters that never store
an address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client, RequestFactory

from dsr.models import Request, Throttle
from dsr.security import ratelimit
from dsr.security.clients import client_ip

NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)
ATTACKER = "6.6.6.6"  # typed into X-Forwarded-For by the client itself
CLIENT = "198.51.100.23"  # the address the outermost trusted proxy saw
PROXY_1 = "10.0.0.1"  # the outermost trusted proxy, as the next one saw it
PROXY_2 = "10.0.0.2"  # the innermost proxy: the peer of this server


# Each trusted proxy appends the address it received the connection from; the client may send any
# X-Forwarded-For it likes to the first one.
@pytest.mark.parametrize(
    ("hops", "forwarded", "remote", "expected"),
    [
        (0, f"{ATTACKER}", CLIENT, CLIENT),  # no proxy: the header is the client's own words
        (1, f"{ATTACKER}, {CLIENT}", PROXY_1, CLIENT),
        (2, f"{ATTACKER}, {CLIENT}, {PROXY_1}", PROXY_2, CLIENT),
        (2, f"{ATTACKER},{CLIENT} ,{PROXY_1}", PROXY_2, CLIENT),
    ],
)
def test_the_address_is_the_one_the_outermost_trusted_proxy_saw(
    settings: Any, hops: int, forwarded: str, remote: str, expected: str
) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


def test_without_the_proxies_header_the_peer_address_is_used(settings: Any) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = 1
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY_1)) == PROXY_1


@pytest.mark.django_db
def test_the_form_counts_the_client_behind_two_proxies_not_the_spoofed_address(settings: Any, policies: None) -> None:
    settings.DSR_TRUSTED_PROXY_HOPS = 2
    Client().post(
        "/request/sera-leads/",
        {"request_type": "access"},
        HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {CLIENT}, {PROXY_1}",
        REMOTE_ADDR=PROXY_2,
    )
    keys = set(Throttle.objects.values_list("key", flat=True))
    assert keys == {ratelimit.digest("submit-ip", CLIENT)}


@pytest.mark.django_db
def test_rate_limit_counters_and_duplicate_keys_hold_keyed_hashes_never_the_address(
    settings: Any, policies: None
) -> None:
    email = "Alice.Person@Example.com"
    Client().post(
        "/request/sera-leads/",
        {
            "request_type": "access",
            "relationship": "account_user",
            "country": "EE",
            "state": "",
            "subject_name": "Alice Person",
            "email": email,
            "details": "",
            "website": "",
        },
        REMOTE_ADDR=CLIENT,
    )
    ratelimit.allow_client("bad-link-ip", CLIENT, now=NOW)
    assert Throttle.objects.count() == 4  # submit-ip, submit-email (from here, from anywhere), bad-link-ip
    stored = list(Throttle.objects.values_list("key", flat=True)) + [Request.objects.get().email_digest]
    for plain in (CLIENT, email, email.lower(), "alice.person", "198.51.100"):
        assert not [key for key in stored if plain in key]
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in stored)

    before = ratelimit.digest("submit-ip", CLIENT)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert ratelimit.digest("submit-ip", CLIENT) != before  # keyed: not a plain hash anyone can recompute
    assert ratelimit.digest("submit-email", email) != ratelimit.digest("bad-link-ip", email)
