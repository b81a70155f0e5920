"""Emails and names as staff read them: look-alikes made visible (dsr.security.lookalike)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..security.lookalike import Shown, email_for_staff, name_for_staff

register = template.Library()


def _html(shown: Shown) -> SafeString:
    if not shown.warning:
        return format_html("{}", shown.text)
    return format_html('{} <span class="dsr-missing dsr-lookalike">⚠ look-alike? {}</span>', shown.text, shown.warning)


@register.filter
def staff_email(address: str | None) -> SafeString:
    """{{ r.subject_email|staff_email }}: punycode for an internationalised domain, mixed scripts flagged."""
    return _html(email_for_staff(address or "")) if address else SafeString("")


@register.filter
def staff_name(name: str | None) -> SafeString:
    """{{ r.subject_name|staff_name }}: a word that mixes scripts flagged."""
    return _html(name_for_staff(name or "")) if name else SafeString("")
