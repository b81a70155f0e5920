"""The secret key that signs every link: given by the environment, or generated once and kept under var/.

No key is published in the repository. A deploy gives DJANGO_SECRET_KEY (every machine of the site the
same); the embedded default generates a random key on first start and keeps it in a file readable by
its owner only, so web, worker and beat on one machine sign alike. With DEBUG off a known, placeholder
or weak key is refused at start: a forged status or responder link must never verify.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# Keys that have been published: the old development default and the placeholder in .env.example.
KNOWN_KEYS = frozenset(
    {
        "insecure-dev-only-key-do-not-use-in-production-0123456789abcdefghij",
        "change-me-to-a-long-random-string",
    }
)
# Words that mark a key someone typed as a stand-in (Django's own generated development keys included).
PLACEHOLDER_MARKS = ("change-me", "changeme", "django-insecure", "insecure", "do-not-use", "example", "placeholder")
# Django's own bar for a key (security.W009): at least 50 characters, 5 of them different.
MIN_LENGTH = 50
MIN_UNIQUE = 5


def weakness(key: str) -> str | None:
    """Why `key` must not sign links in production, or None when it may."""
    if key in KNOWN_KEYS:
        return "it is published in the repository"
    lowered = key.lower()
    for mark in PLACEHOLDER_MARKS:
        if mark in lowered:
            return f"it is a placeholder (contains {mark!r})"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE:
        return f"it is too weak (fewer than {MIN_LENGTH} characters or {MIN_UNIQUE} different ones)"
    return None


def load_or_create(path: Path) -> str:
    """The key kept in `path`, created (random, mode 0600) on first use; safe when processes start together."""
    with contextlib.suppress(FileNotFoundError):
        key = path.read_text().strip()
        if key:
            return key
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_urlsafe(64) + "\n")
    try:
        os.link(temporary, path)  # atomic: the first process to start wins, the others read its key
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
