"""Who counts as the same sender: an email address and a network address in their canonical form.

Rate limits and the matching of repeated requests count a person once however they spell their
address: `Alice.Person+dsr@GMail.com` is `aliceperson@gmail.com`, because Gmail delivers both to the
same mailbox. Only what a provider is known to ignore is folded (PROVIDERS): elsewhere a dot or a
plus may name another mailbox, and two people must never be merged. A network is what one client
controls: an IPv4 address, an IPv6 /64 (one customer's prefix), an IPv4-mapped IPv6 address as the
IPv4 address it maps.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    """How a mail provider reads the local part: what it ignores, and the domain its aliases mean."""

    domain: str
    ignores_dots: bool = False
    plus_tags: bool = True


# Providers whose help pages say `name+tag@` reaches `name@` (Gmail also ignores dots in the name, and
# googlemail.com is gmail.com). Others are left as typed: a dot or plus may be part of the mailbox.
PROVIDERS: dict[str, Provider] = {
    "gmail.com": Provider("gmail.com", ignores_dots=True),
    "googlemail.com": Provider("gmail.com", ignores_dots=True),
    "outlook.com": Provider("outlook.com"),
    "hotmail.com": Provider("hotmail.com"),
    "live.com": Provider("live.com"),
    "fastmail.com": Provider("fastmail.com"),
    "fastmail.fm": Provider("fastmail.fm"),
    "proton.me": Provider("proton.me"),
    "protonmail.com": Provider("protonmail.com"),
    "pm.me": Provider("pm.me"),
}


def canonical_email(address: str) -> str:
    """The mailbox an address reaches: lower case, and what its provider ignores taken out."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address.strip().lower()
    domain = domain.rstrip(".").lower()
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")  # one spelling of an internationalised domain
    local = local.lower()
    provider = PROVIDERS.get(domain)
    if provider is not None:
        if provider.plus_tags:
            local = local.split("+", 1)[0]
        if provider.ignores_dots:
            local = local.replace(".", "")
        domain = provider.domain
    return f"{local}@{domain}"


def network(address: str) -> str:
    """The network one client controls: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 as its /64
    (written as the /64's first address, so it still reads as an address)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Address(int(ip) >> 64 << 64))  # the /64, named by its first address
    return str(ip)
