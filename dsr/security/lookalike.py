"""Look-alike addresses and names, made visible to staff (issue #12, item 7).

An impostor writes from `alice@exаmple.com` (a Cyrillic "а"), `аlice@example.com` or `aIice@gmail.com` (a
capital I) to pass for the account holder. Staff matching the proven email against the vendor's records must
see the difference: an address is shown as the mail system reads it, in lower case, with an internationalised
domain in its ASCII (punycode) form; a capital I and a word that mixes scripts (Latin and Cyrillic letters in
one word) are flagged. Plain functions, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD_BREAKS = re.compile(r"[\s.@+_\-]+")


# Scripts written together in one word by the languages that use them (Japanese, Korean).
_SAME_WRITING = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def script(char: str) -> str:
    """The script a letter belongs to, by its Unicode name's first word (LATIN, CYRILLIC, GREEK, ...)."""
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0] if name else "UNKNOWN"
    return _SAME_WRITING.get(first, first)


def mixed_script_words(text: str) -> list[str]:
    """The words of `text` whose letters come from more than one script: the look-alike's mark."""
    return [word for word in _WORD_BREAKS.split(text) if len({script(char) for char in word if char.isalpha()}) > 1]


def ascii_domain(domain: str) -> str:
    """The domain as the mail system resolves it: each non-ASCII label in punycode (IDNA); unchanged if not valid."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


@dataclass(frozen=True)
class Shown:
    """How staff see a value: the text to show, and a warning to show beside it ("" when none)."""

    text: str
    warning: str = ""


def email_for_staff(address: str) -> Shown:
    """An email address for staff, as the mail system reads it: in lower case, a non-ASCII domain in punycode
    (and as typed), mixed scripts and a capital I (which passes for an l) flagged."""
    local, at, domain = address.rpartition("@")
    if not at:
        return name_for_staff(address)
    warnings = []
    shown = address
    if not domain.isascii():
        ascii_form = ascii_domain(domain)
        shown = f"{local}@{ascii_form}"
        warnings.append(f"internationalised domain: it reads as {domain} but is {ascii_form}")
    mixed = mixed_script_words(address)
    if mixed:
        warnings.append(_mixed(mixed))
    if shown != shown.lower():
        # The product reads an address case-blind, as mail providers do in practice (dsr.security.identities.
        # canonical_email), and in lower case a capital I no longer passes for an l: `aIice@gmail.com` is shown
        # as `aiice@gmail.com`. Any capital I is flagged: `Ian@` reads as `lan@` too.
        if "I" in shown:
            warnings.append(f"typed as {address}: a capital I reads as a lower-case l")
        shown = shown.lower()
    return Shown(shown, "; ".join(warnings))


def name_for_staff(name: str) -> Shown:
    """A name for staff: flagged when a word mixes scripts."""
    mixed = mixed_script_words(name)
    return Shown(name, _mixed(mixed) if mixed else "")


def _mixed(words: list[str]) -> str:
    return "mixes scripts in " + ", ".join(
        f"{word} ({'/'.join(sorted({script(c).title() for c in word if c.isalpha()}))})" for word in words
    )
