"""Look-alikes and hidden characters (issue #12, item 7).

An impostor's request from `alice@exаmple.com` (Cyrillic "а") or for "Аlice" must look different to
staff; invisible format characters that reverse or split text are refused in one-line fields; an
address mail cannot be delivered to is refused at the form, with nothing stored.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import OutgoingEmail, Request, StaffMembership
from dsr.security.lookalike import Shown, email_for_staff, mixed_script_words, name_for_staff
from policies.models import Vendor
from tests.dsr.test_intake_views import FORM_URL, field_error, valid
from tests.factories import routed, verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

HIDDEN = {
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "left-to-right mark": "\u200e",
}


def nothing_stored() -> bool:
    return not Request.objects.exists() and not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize("field", ["subject_name", "agent_name", "email"])
def test_an_invisible_format_character_in_a_one_line_field_is_refused(field: str, char: str) -> None:
    value = {
        "subject_name": f"Alice{char} Example",
        "agent_name": f"Agent{char} Oy",
        "email": f"alice{char}@example.com",
    }
    extra: dict[str, Any] = {"acting_as_agent": "on", "agent_name": "Agent Oy"} if field == "agent_name" else {}
    response = Client().post(FORM_URL, valid(**{**extra, field: value[field]}))
    assert response.status_code == 200
    assert "invisible formatting characters" in field_error(response, field)
    assert nothing_stored()


@pytest.mark.parametrize(
    "address",
    ["a" * 65 + "@example.com", "jürgen@example.com", "алиса@example.com"],
    ids=["65-character local part", "accented local part", "Cyrillic local part"],
)
def test_an_address_mail_cannot_reach_is_refused(address: str) -> None:
    response = Client().post(FORM_URL, valid(email=address))
    assert response.status_code == 200
    assert field_error(response, "email")
    assert nothing_stored()


def test_a_64_character_local_part_and_an_internationalised_domain_are_accepted() -> None:
    assert Client().post(FORM_URL, valid(email="a" * 64 + "@example.com")).status_code == 302
    assert Client().post(FORM_URL, valid(email="juergen@bücher.de")).status_code == 302


def test_staff_see_a_look_alike_domain_in_punycode_and_flagged() -> None:
    shown = email_for_staff("alice@exаmple.com")  # Cyrillic а
    assert shown.text == "alice@xn--exmple-4nf.com"
    assert "exаmple.com" in shown.warning and "Cyrillic/Latin" in shown.warning
    assert email_for_staff("alice@example.com").warning == ""
    assert email_for_staff("juergen@bücher.de").text == "juergen@xn--bcher-kva.de"


def test_a_name_mixing_scripts_is_flagged_but_a_name_in_one_script_is_not() -> None:
    assert mixed_script_words("Аlice Smith") == ["Аlice"]  # Cyrillic А
    assert name_for_staff("Алиса Иванова").warning == ""
    assert name_for_staff("Jürgen Müller-Lüdenscheidt").warning == ""
    assert name_for_staff("山田たろう").warning == ""


def test_the_request_page_shows_staff_the_punycode_and_the_flag() -> None:
    request = verified(vendor_slug="sera-leads", country="EE", email="alice@exаmple.com", subject_name="Аlice Smith")
    user = get_user_model().objects.create_user("sera-staff", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"), role="lead")
    client = Client()
    client.force_login(user)
    page = html.unescape(client.get(f"/admin/dsr/request/{request.pk}/change/").content.decode())
    assert "alice@xn--exmple-4nf.com" in page
    assert "look-alike? internationalised domain" in page
    assert "mixes scripts in Аlice (Cyrillic/Latin)" in page
    identity = html.unescape(client.get(f"/admin/dsr/request/{request.pk}/act/record_identity/").content.decode())
    assert "alice@xn--exmple-4nf.com" in identity


@pytest.mark.parametrize(
    ("typed", "reaches"),
    [("aIice@gmail.com", "aiice@gmail.com"), ("alice@exampIe.com", "alice@exampie.com")],
    ids=["capital I in the local part", "capital I in the domain"],
)
def test_a_capital_i_passing_for_an_l_is_shown_as_the_mailbox_it_reaches_and_flagged(typed: str, reaches: str) -> None:
    """The impostor registers `aiice@gmail.com` and files as `aIice@gmail.com`: in the admin's sans-serif font it
    reads as alice@gmail.com. Staff matching the proven email against the vendor's records see the mailbox the
    mail reached, in lower case, and a warning; an address typed with ordinary capitals is shown in lower case."""
    request = verified(vendor_slug="sera-leads", country="EE", email=typed)
    user = get_user_model().objects.create_user("sera-staff", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"), role="lead")
    client = Client()
    client.force_login(user)
    identity = html.unescape(client.get(f"/admin/dsr/request/{request.pk}/act/record_identity/").content.decode())
    words = " ".join(re.sub(r"<[^>]+>", " ", identity).split())
    assert f"The proven email is {reaches} ⚠ look-alike? typed as {typed}: a capital I reads as a lower-case l" in words
    page = html.unescape(client.get(f"/admin/dsr/request/{request.pk}/change/").content.decode())
    assert reaches in page and "a capital I reads as a lower-case l" in page
    assert email_for_staff("Alice.Smith@Example.com") == Shown("alice.smith@example.com")


def test_the_outbox_and_the_responders_email_show_the_mailbox_and_flag_a_capital_i() -> None:
    """Staff reading the outbox, and the responder matching the proven email against their records, see
    `aiice@gmail.com` and the warning, not `aIice@gmail.com` passing for alice@gmail.com."""
    request = routed(vendor_slug="sera-leads", country="EE", email="aIice@gmail.com")
    flag = "a capital I reads as a lower-case l"
    (told,) = OutgoingEmail.objects.filter(request=request, kind="assignment")[:1]
    words = " ".join(told.body_text.split())
    assert "Proven email: aiice@gmail.com (the requester proved control of this address) ⚠ look-alike?" in words
    assert flag in words and flag in told.body_html
    user = get_user_model().objects.create_user("sera-staff", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"), role="lead")
    client = Client()
    client.force_login(user)
    listing = html.unescape(client.get("/admin/dsr/outgoingemail/").content.decode())
    assert "aiice@gmail.com" in listing and flag in listing and "aIice@gmail.com ⚠" not in listing
    ack = OutgoingEmail.objects.filter(request=request, to="aIice@gmail.com").first()
    assert ack is not None
    page = html.unescape(client.get(f"/admin/dsr/outgoingemail/{ack.pk}/change/").content.decode())
    assert "aiice@gmail.com" in page and flag in page
