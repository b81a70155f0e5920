"""The form's own notice (GDPR Art 13): the intake collects personal data itself, so it says who is
responsible, what is kept, why, for how long and where to turn, in the person's language. The facts come
from the vendor's policy and the retention rules the purge applies."""

from __future__ import annotations

import pytest
from django.test import Client

from dsr.privacy.retention import CLOSED_RETENTION, UNVERIFIED_RETENTION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


def notice(slug: str, language: str) -> str:
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/request/{slug}/").content.decode()
    start = page.index('id="privacy-notice"')
    return page[start : page.index("</section>", start)]


def test_the_form_says_who_is_responsible_what_is_kept_why_and_for_how_long() -> None:
    text = notice("leadsment", "en")
    assert "Leadsment is responsible for it (the controller)" in text
    assert "Contact: " in text and "@leadsment.com" in text.lower()
    assert "GDPR Art 6(1)(c)" in text
    assert f"within {UNVERIFIED_RETENTION.days} days, everything you wrote is deleted" in text
    assert f"deleted {CLOSED_RETENTION.days // 365} years after the request is closed" in text
    assert "complain to" in text


def test_the_notice_is_in_the_persons_language() -> None:
    text = notice("leadsment", "de")
    assert "ist dafür verantwortlich (der Verantwortliche)" in text
    assert f"innerhalb von {UNVERIFIED_RETENTION.days} Tagen bestätigen" in text
    assert "Leadsment is responsible" not in text
    assert "Mitä tänne kirjoittamillesi tiedoille tapahtuu" in notice("leadsment", "fi")
    assert "Mis juhtub sellega, mida siia kirjutate" in notice("leadsment", "et")


def test_a_vendor_with_no_named_authority_points_to_the_one_where_the_person_lives() -> None:
    text = notice("leadoro", "en")  # Leadoro's policy names no authority and no privacy address (placeholders)
    assert "complain to the data-protection authority where you live" in text
    assert "Contact:" not in text
