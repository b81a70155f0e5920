"""Signed, expiring, single-purpose links.

Each purpose has its own salt, so a status link cannot be replayed as a verification link, and its own
lifetime. The token carries only the request reference (and an assignment id for responders): never an
email address.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

# How long each kind of link works. The verification lifetime is also how long an unconfirmed request
# is kept before it expires and its personal data is deleted (dsr.sweeps.expire_unverified).
LIFETIMES: dict[str, dt.timedelta] = {
    "verify": dt.timedelta(days=7),
    "status": dt.timedelta(days=400),
    "responder": dt.timedelta(days=180),
    # The agent's link to send the person's signed permission (dsr.public.views.authority).
    "authority": dt.timedelta(days=60),
}


def lifetime(purpose: str) -> dt.timedelta:
    """How long a link of this purpose works. The person's link to their answer package works as long as
    the package is kept (DSR_PACKAGE_DAYS, read when asked: this module is imported before the settings
    are, by the Celery command line through config.celery)."""
    if purpose == "download":
        return dt.timedelta(days=settings.DSR_PACKAGE_DAYS)
    return LIFETIMES[purpose]


# The paths of signed links, wherever they appear in a text: the token is a bearer secret.
LINK_PATH = re.compile(r"/(verify|status|respond|download|authority)/[^/\s?'\"<>]+")


def hide_links(text: str, mask: str = "[link hidden]") -> str:
    """`/status/<token>/` → `/status/[link hidden]/`: a text staff read keeps where a link went, not the link."""
    return LINK_PATH.sub(rf"/\1/{mask}", text)


class BadToken(Exception):
    """The link is tampered with, for another purpose, or expired. `expired` tells which, for the page."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class TokenData:
    reference: str
    assignment_id: int | None = None
    # The responder link's generation (dsr.models.Assignment.link_generation): revoking a link raises it.
    generation: int = 0


def make_token(purpose: str, reference: str, *, assignment_id: int | None = None, generation: int = 0) -> str:
    payload: dict[str, object] = {"r": reference}
    if assignment_id is not None:
        payload["a"] = assignment_id
    if generation:
        payload["g"] = generation
    return signing.dumps(payload, salt=f"dsr.{purpose}", compress=False)


def read_token(purpose: str, token: str) -> TokenData:
    try:
        payload = signing.loads(token, salt=f"dsr.{purpose}", max_age=lifetime(purpose))
    except signing.SignatureExpired:
        raise BadToken(expired=True) from None
    except signing.BadSignature:
        raise BadToken(expired=False) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), str):
        raise BadToken(expired=False)
    assignment = payload.get("a")
    generation = payload.get("g", 0)
    return TokenData(
        reference=payload["r"],
        assignment_id=assignment if isinstance(assignment, int) else None,
        generation=generation if isinstance(generation, int) else -1,
    )
