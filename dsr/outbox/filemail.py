"""The embedded default's email: each message written as a file a person can read, filed by request.

`var/mail/<reference>/<time>-<random>.eml` (the request's own folder; `var/mail/office/` for email about
no request), readable by its owner only, so the shredder can delete a person's emails with the rest of
their data (`delete_files_of`). The outbox names the request in the X-DSR-Reference header.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

REFERENCE_HEADER = "X-DSR-Reference"
REFERENCE = re.compile(r"DSR-[A-HJ-NP-Z2-9]{8}")
NO_REQUEST = "office"


def mail_dir() -> Path:
    return Path(str(getattr(settings, "EMAIL_FILE_PATH", settings.VAR_DIR / "mail")))


def folder_of(reference: str) -> Path | None:
    """The folder of a request's emails; None for anything that is not a reference (no path tricks)."""
    return mail_dir() / reference if REFERENCE.fullmatch(reference) else None


class EmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            reference = str(message.extra_headers.get(REFERENCE_HEADER, ""))
            folder = folder_of(reference) or mail_dir() / NO_REQUEST
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            name = f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(6)}.eml"
            descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(message.message().as_bytes())
            sent += 1
        return sent


def delete_files_of(reference: str) -> None:
    """Delete the email files written for this request (nothing happens when email goes by SMTP)."""
    folder = folder_of(reference)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
