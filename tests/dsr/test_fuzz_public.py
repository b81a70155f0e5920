"""Property-based fuzzing of the public form, the status page and every signed link (issue #12).

Whatever is posted or put in a link: no server error; a rejected submission stores nothing; a link that
is not a valid signed token for its page changes nothing; an oversized body is refused before it is read.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr.models import Assignment, Event, OutgoingEmail, Request, Throttle
from dsr.public.limits import FORM_MAX_BYTES, UPLOAD_MAX_BYTES
from dsr.security.tokens import BadToken, make_token, read_token
from tests.dsr.test_intake_views import valid
from tests.factories import routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SERVER_ERRORS = range(500, 600)

# Text as a hostile client sends it: any character (control, format, combining, astral), short or long.
anything = st.text(max_size=300) | st.sampled_from(
    ["", " ", "\x00", "\u202e", "a" * 6000, "<script>x</script>", "' OR 1=1 --", "%00", "..\\..", "ä@ö.fi", "@", "a@b"]
)
FIELDS = [
    "request_type",
    "relationship",
    "country",
    "state",
    "subject_name",
    "email",
    "details",
    "acting_as_agent",
    "agent_name",
    "customer_name",
    "customer_email",
    "website",
]
client_ips = st.ip_addresses(v=4).map(str)


def snapshot() -> tuple[int, int, int, list[tuple[str, str]]]:
    return (
        Request.objects.count(),
        Event.objects.count(),
        OutgoingEmail.objects.count(),
        list(Request.objects.order_by("pk").values_list("reference", "status")),
    )


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), anything, max_size=6),
    extra=st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=10), anything, max_size=2),
    ip=client_ips,
)
def test_the_public_form_never_fails_and_a_rejected_submission_stores_nothing(
    changes: dict[str, str], extra: dict[str, str], ip: str
) -> None:
    # Each example starts with fresh counters: past an address's limit a valid submission is dropped on
    # purpose (the same page, nothing stored; tests/dsr/test_rate_limits.py), which is not what this tests.
    Throttle.objects.all().delete()
    before = snapshot()
    response = Client(REMOTE_ADDR=ip).post("/request/sera-leads/", {**valid(**changes), **extra})
    assert response.status_code in (200, 302, 429)
    after = snapshot()
    if response.status_code != 302 or changes.get("website", "").strip():
        assert after == before  # refused, rate limited, or a robot told "sent": nothing kept
    else:
        assert after[0] == before[0] + 1  # one request, and only one


@pytest.fixture
def live() -> dict[str, Any]:
    """A routed request with a responder task: the links a hostile client tries to twist."""
    request = routed(agent_name="Agent Oy", email="agent@example.com", vendor_slug="sera-leads", country="EE")
    assignment = request.assignments.filter(status=Assignment.Status.OPEN).first()
    assert assignment is not None
    return {"request": request, "assignment": assignment}


PAGES = {"verify": "verify", "status": "status", "respond": "responder", "authority": "authority"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["r", "a", "g", "x"]), inner),
    max_leaves=8,
)


def mutated(token: str, data: st.DataObject) -> str:
    index = data.draw(st.integers(0, len(token) - 1))
    how = data.draw(st.sampled_from(["replace", "cut", "append", "swap-case"]))
    if how == "replace":
        return (
            token[:index]
            + data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_:"))
            + token[index + 1 :]
        )
    if how == "cut":
        return token[:index]
    if how == "append":
        return token + data.draw(st.text(string.printable.replace("/", ""), min_size=1, max_size=5))
    return token[:index] + token[index:].swapcase()


@FUZZ
@given(data=st.data(), page=st.sampled_from(sorted(PAGES)), method=st.sampled_from(["GET", "POST"]), ip=client_ips)
def test_every_signed_link_refuses_what_is_not_its_own_valid_token_and_never_fails(
    live: dict[str, Any], data: st.DataObject, page: str, method: str, ip: str
) -> None:
    request, assignment = live["request"], live["assignment"]
    purpose = PAGES[page]
    genuine = make_token(purpose, request.reference, assignment_id=assignment.pk if purpose == "responder" else None)
    other_purpose = data.draw(st.sampled_from(sorted(set(PAGES.values()) - {purpose})))
    token = data.draw(
        st.one_of(
            st.text(min_size=1, max_size=200).filter(lambda t: t not in (".", "..")),
            st.just(genuine).map(lambda t: mutated(t, data)),
            st.just(make_token(other_purpose, request.reference, assignment_id=assignment.pk)),
            json_values.map(lambda payload: signing.dumps(payload, salt=f"dsr.{purpose}", compress=False)),
        )
    )
    before = snapshot()
    form = data.draw(st.dictionaries(st.sampled_from(["confirm", "outcome", "csrfmiddlewaretoken"]), anything))
    client = Client(REMOTE_ADDR=ip)
    path = f"/{page}/{quote(token, safe='')}/"
    response = client.get(path) if method == "GET" else client.post(path, form)
    assert response.status_code not in SERVER_ERRORS
    try:
        reads = read_token(purpose, token)
    except BadToken:
        reads = None
    genuine_reference = reads is not None and reads.reference == request.reference
    if not genuine_reference:
        assert response.status_code in (400, 404, 410, 429)
        assert snapshot() == before


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(["confirm"]), anything, max_size=1), ip=client_ips)
def test_the_status_page_answers_any_post_without_failing(
    live: dict[str, Any], changes: dict[str, str], ip: str
) -> None:
    link = f"/status/{make_token('status', live['request'].reference)}/"
    response = Client(REMOTE_ADDR=ip).post(link, changes)
    assert response.status_code in (200, 302, 409, 429)


@FUZZ
@given(
    page=st.sampled_from(["/request/sera-leads/", "/status/x/", "/verify/x/", "/respond/x/", "/authority/x/", "/"]),
    excess=st.integers(min_value=1, max_value=10**12),
)
def test_an_oversized_body_is_refused_before_it_is_read(page: str, excess: int) -> None:
    limit = UPLOAD_MAX_BYTES if page.startswith(("/authority/", "/respond/")) else FORM_MAX_BYTES
    before = snapshot()
    # The declared length is refused unread: the test payload holds 5 bytes, and reading more would fail.
    response = Client().post(
        page, data=b"a=b&c", content_type="application/x-www-form-urlencoded", CONTENT_LENGTH=str(limit + excess)
    )
    assert response.status_code == 413
    assert snapshot() == before


def test_a_real_oversized_form_is_refused_and_stores_nothing() -> None:
    response = Client().post("/request/sera-leads/", valid(details="x" * (FORM_MAX_BYTES + 1)))
    assert response.status_code == 413
    assert not Request.objects.exists() and not OutgoingEmail.objects.exists()


def test_a_form_within_the_limit_is_not_refused() -> None:
    response = Client().post("/request/sera-leads/", valid(details="x" * 5000))
    assert response.status_code == 302
