"""Answer packages: put together, sealed into one ZIP, offered through an expiring signed link, released only
with a one-time code sent to the proven email, and deleted after DSR_PACKAGE_DAYS.

These functions write the package rows and files inside the caller's transaction; the state changes
around them (the request's lock, the transition check, the timeline) are dsr.requests.workflow's:
add_to_package, send_package_code, download_package, resend_package_link, expire_package and, when the
person is answered, the one call `seal_and_offer`. Files go through Django's storage API
(`dsr.models.package_storage`, the DSR_PACKAGE_STORAGE alias).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from ..models import Package, PackageItem, Request
from ..outbox.emails import queue_email
from ..security.tokens import make_token
from .contents import build_zip, file_sha256

# Requests answered with the person's data: the package is their copy.
PACKAGE_TYPES = frozenset({"access", "portability"})
CODE_LIFETIME = dt.timedelta(minutes=15)
CODE_ATTEMPTS = 5  # wrong tries of one code; then a new code must be sent
CODE_DIGITS = 6
FILE_MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 50_000


class PackageError(Exception):
    """What cannot be done with a package, in words for staff or the person (the workflow shows it)."""


@dataclass(frozen=True)
class Offer:
    """What the answer email tells the person about their package."""

    link: str  # the download page's path, with its signed token
    expires_at: dt.datetime


def package_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.DSR_PACKAGE_DAYS)


def draft(request: Request, *, now: dt.datetime) -> Package:
    """The request's package, made on first use; refused once it is sealed (its answer has gone out)."""
    package, _ = Package.objects.get_or_create(request=request, defaults={"created_at": now})
    if package.status != Package.Status.DRAFT:
        raise PackageError("The answer package was already sent to the person: nothing more can be added.")
    return package


def known_categories(request: Request) -> dict[str, str]:
    """{key: name} of the policy's categories about the person (what a row may be filed under): those of every
    relationship they ticked, or every category where they were not sure."""
    policy = request.policy_version.policy
    categories = policy.categories_for_any(request.relationships) if request.relationships else policy.categories
    return {c.key: c.name for c in categories}


def check_rows(rows: Any) -> list[dict[str, Any]]:
    """Data rows as JSON-able records: a list of objects, each field a name and a JSON value."""
    if isinstance(rows, str):
        try:
            rows = json.loads(rows)
        except ValueError as exc:
            raise PackageError(f"The rows are not valid JSON: {exc}.") from None
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) and row for row in rows):
        raise PackageError('Give the rows as a JSON list of records, e.g. [{"field": "value"}].')
    if len(rows) > MAX_ROWS:
        raise PackageError(f"At most {MAX_ROWS:,} rows at a time.")
    try:
        json.dumps(rows)
    except (TypeError, ValueError) as exc:
        raise PackageError(f"The rows must be plain JSON values: {exc}.") from None
    return rows


def add_rows(request: Request, *, category: str, rows: Any, added_by: str, now: dt.datetime) -> PackageItem:
    """Data rows of one of the policy's categories (inside the caller's transaction)."""
    if category not in known_categories(request):
        raise PackageError(f"{category!r} is not one of the policy's data categories for this person.")
    records = check_rows(rows)
    package = draft(request, now=now)
    return PackageItem.objects.create(
        package=package, kind=PackageItem.Kind.DATA, category=category, rows=records, added_by=added_by, added_at=now
    )


def add_file(
    request: Request, *, upload: UploadedFile, name: str, category: str, added_by: str, now: dt.datetime
) -> tuple[PackageItem, Callable[[], None]]:
    """A file for the package (`name`: already made safe), stored through the storage API. Returns the item
    and the undo that deletes the stored file if the caller's transaction fails."""
    if category and category not in known_categories(request):
        raise PackageError(f"{category!r} is not one of the policy's data categories for this person.")
    if (upload.size or 0) > FILE_MAX_BYTES:
        raise PackageError(f"A file may be at most {FILE_MAX_BYTES // (1024 * 1024)} MB.")
    package = draft(request, now=now)
    upload.seek(0)
    digest = file_sha256(upload)
    upload.seek(0)
    item = PackageItem(
        package=package,
        kind=PackageItem.Kind.FILE,
        category=category,
        name=name,
        content_type=upload.content_type or "application/octet-stream",
        size=upload.size or 0,
        sha256=digest,
        added_by=added_by,
        added_at=now,
    )
    item.file.save(name, upload, save=False)
    item.save()
    return item, partial(item.file.storage.delete, item.file.name)


def offers_package(request: Request) -> bool:
    """Whether this answer carries a package: an access or portability request with something put in it."""
    return (
        request.request_type in PACKAGE_TYPES
        and Package.objects.filter(request=request, status=Package.Status.DRAFT, items__isnull=False).exists()
    )


def download_link(request: Request) -> str:
    return f"/download/{make_token('download', request.reference)}/"


def seal(package: Package, *, now: dt.datetime) -> Package:
    """Build the ZIP, store it and start the package's life (inside the caller's transaction; a ZIP stored
    by a transaction that then fails is only orphaned, never offered)."""
    out, manifest = build_zip(package, now=now)
    try:
        out.seek(0)
        digest = file_sha256(out)
        out.seek(0)
        package.archive.save(f"{package.request.reference}.zip", File(out), save=False)
    finally:
        out.close()
    package.manifest = manifest
    package.archive_sha256 = digest
    package.status = Package.Status.SEALED
    package.sealed_at = now
    package.expires_at = now + package_lifetime()
    package.save()
    return package


def seal_and_offer(request: Request, *, now: dt.datetime) -> Offer | None:
    """When the person is answered: seal the request's package, if it has one, and return what the answer
    email says about it (the link and until when it works). None: the answer has no package."""
    if not offers_package(request):
        return None
    package = seal(Package.objects.get(request=request), now=now)
    assert package.expires_at is not None
    return Offer(link=download_link(request), expires_at=package.expires_at)


def live_package(request: Request, *, now: dt.datetime) -> Package:
    """The request's package as the person may still download it; PackageError saying why not."""
    package = Package.objects.filter(request=request).first()
    if package is None or package.status == Package.Status.DRAFT:
        raise PackageError("There is no package to download for this request.")
    if package.status == Package.Status.EXPIRED_DELETED or (package.expires_at and package.expires_at <= now):
        raise PackageError("The package has expired and its files are deleted.")
    return package


def code_digest(package: Package, code: str) -> str:
    """The keyed hash of a code, bound to its package: the code itself is never stored."""
    message = f"package-code:{package.pk}:{code.strip()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def issue_code(package: Package, *, now: dt.datetime) -> str:
    """A new one-time code (the previous one stops working); only its hash is kept."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    package.code_hash = code_digest(package, code)
    package.code_expires_at = now + CODE_LIFETIME
    package.code_attempts = 0
    package.save(update_fields=["code_hash", "code_expires_at", "code_attempts"])
    return code


# What checking a code found.
CODE_OK, CODE_WRONG, CODE_EXPIRED, CODE_USED_UP, CODE_NONE = "ok", "wrong", "expired", "used_up", "none"


def check_code(package: Package, code: str, *, now: dt.datetime) -> str:
    """Compare a code with the package's; a wrong try counts (saved), the right one is used up."""
    if not package.code_hash:
        return CODE_NONE
    if package.code_attempts >= CODE_ATTEMPTS:
        return CODE_USED_UP
    if package.code_expires_at is None or package.code_expires_at <= now:
        return CODE_EXPIRED
    if not hmac.compare_digest(package.code_hash, code_digest(package, code)):
        package.code_attempts += 1
        package.save(update_fields=["code_attempts"])
        return CODE_USED_UP if package.code_attempts >= CODE_ATTEMPTS else CODE_WRONG
    package.code_hash = ""
    package.code_expires_at = None
    package.save(update_fields=["code_hash", "code_expires_at"])
    return CODE_OK


def mark_downloaded(package: Package, *, now: dt.datetime) -> Package:
    package.first_downloaded_at = package.first_downloaded_at or now
    package.last_downloaded_at = now
    package.download_count += 1
    package.status = Package.Status.DELIVERED
    package.save(update_fields=["first_downloaded_at", "last_downloaded_at", "download_count", "status"])
    return package


def masked(email: str) -> str:
    """a***@example.com: the person recognises their address; a stranger holding the link learns little."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def email_code(request: Request, code: str, *, key: str) -> None:
    """The code, to the proven email only (the person's, or the agent's whose authority is recorded)."""
    queue_email(
        key=key,
        to=request.subject_email,
        template="package_code",
        context={
            "reference": request.reference,
            "vendor": request.vendor.name,
            "name": request.agent_name or request.subject_name,
            "code": code,
            "minutes": int(CODE_LIFETIME.total_seconds() // 60),
        },
        language=request.language,
        request=request,
        urgent=True,
    )


def email_link(request: Request, package: Package, *, key: str, context: dict[str, Any]) -> None:
    """The download link again (staff resend it), to the proven email."""
    assert package.expires_at is not None
    queue_email(
        key=key,
        to=request.subject_email,
        template="package_link",
        context={**context, "package_link": download_link(request), "package_expires": package.expires_at.date()},
        language=request.language,
        request=request,
        urgent=True,
    )


def delete_files(package: Package) -> None:
    """Delete the package's ZIP and item files through the storage API once the caller's transaction commits;
    the rows stay (their names and hashes go with the person's data, dsr.privacy.shredder)."""
    names = []
    if package.archive:
        names.append((package.archive.storage, package.archive.name))
    for item in package.items.exclude(file=""):
        names.append((item.file.storage, item.file.name))
    package.items.exclude(file="").update(file="")
    Package.objects.filter(pk=package.pk).update(archive="", code_hash="", code_expires_at=None)
    package.archive.name = ""
    for storage, name in names:
        transaction.on_commit(partial(storage.delete, name))
