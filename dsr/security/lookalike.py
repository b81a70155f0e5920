"""Look-alike addresses and names, made visible to staff (issue #12, item 7).

An impostor writes from `alice@exаmple.com` (a Cyrillic "а") or `аlice@example.com` to pass for the
account holder. Staff matching the proven email against the vendor's records must see the difference:
an internationalised domain is shown in its ASCII (punycode) form, the one the mail system uses, and a
word that mixes scripts (Latin and Cyrillic letters in one word) is flagged. Plain functions, no Django.
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
    """An email address for staff: a non-ASCII domain in punycode (and as typed), mixed scripts flagged."""
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
    return Shown(shown, "; ".join(warnings))


def name_for_staff(name: str) -> Shown:
    """A name for staff: flagged when a word mixes scripts."""
    mixed = mixed_script_words(name)
    return Shown(name, _mixed(mixed) if mixed else "")


def _mixed(words: list[str]) -> str:
    return "mixes scripts in " + ", ".join(
        f"{word} ({'/'.join(sorted({script(c).title() for c in word if c.isalpha()}))})" for word in words
    )
