"""What a sealed package holds: one ZIP with the cover letter (HTML and text, in the person's language),
the data as JSON (data.json) and as one CSV per category (data/<category>.csv, machine-readable for
portability), the files (files/<name>), and manifest.json: the name, size and SHA-256 of every other member.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import translation

from ..models import Package, PackageItem, Request
from ..security import spreadsheets
from . import letter

CHUNK = 1024 * 1024


def category_name(request: Request, key: str) -> str:
    policy = request.policy_version.policy
    return next((c.name for c in policy.categories if c.key == key), key)


def data_by_category(package: Package) -> dict[str, list[dict[str, Any]]]:
    """Every data row of the package, by category key, in the order they were added."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for item in package.items.filter(kind=PackageItem.Kind.DATA).order_by("added_at", "id"):
        rows.setdefault(item.category or "other", []).extend(item.rows)
    return rows


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return spreadsheets.cell(text)


def rows_as_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as CSV (UTF-8 with a BOM, which spreadsheets read): one column per field, in order of first use."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) if c in row else "" for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def cover_letter(request: Request, *, now: dt.datetime) -> tuple[str, str]:
    """The cover letter, HTML and text, in the person's language, from the policy in force at receipt."""
    policy = request.policy_version.policy
    categories = letter.covered_categories(request)
    with translation.override(request.language):
        context = {
            "req": request,
            "vendor": policy.vendor_name,
            "policy_title": policy.policy.title,
            "policy_date": policy.policy.effective_date,
            "name": request.agent_name or request.subject_name,
            "request_type": translation.gettext(request.get_request_type_display()),
            "sections": letter.sections(policy, categories, letter.authority_for(request)),
            "date": now.date(),
            "language": request.language,
        }
        return (
            render_to_string("packages/cover_letter.html", context),
            render_to_string("packages/cover_letter.txt", context),
        )


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
    taken.add(candidate)
    return candidate


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _write(archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name, "w", force_zip64=True) as member:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            member.write(chunk)
    return {"name": name, "bytes": size, "sha256": digest.hexdigest()}


def build_zip(package: Package, *, now: dt.datetime) -> tuple[IO[bytes], list[dict[str, Any]]]:
    """The package's ZIP (a temporary file, rewound) and its manifest: each member's name, bytes and SHA-256."""
    request = package.request
    html, text = cover_letter(request, now=now)
    data = data_by_category(package)
    out = tempfile.SpooledTemporaryFile(max_size=16 * CHUNK)  # noqa: SIM115 (returned to the caller, who closes it)
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest.append(_write(archive, "cover-letter.html", [html.encode()]))
        manifest.append(_write(archive, "cover-letter.txt", [text.encode()]))
        document = {
            "reference": request.reference,
            "vendor": request.vendor.name,
            "generated_at": now.isoformat(),
            "categories": [
                {"category": key, "name": category_name(request, key), "rows": rows} for key, rows in data.items()
            ],
        }
        payload = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
        manifest.append(_write(archive, "data.json", [payload]))
        for key, rows in data.items():
            manifest.append(_write(archive, f"data/{key}.csv", [rows_as_csv(rows)]))
        taken: set[str] = set()
        for item in package.items.filter(kind=PackageItem.Kind.FILE).exclude(file="").order_by("added_at", "id"):
            with item.file.open("rb") as source:
                manifest.append(_write(archive, "files/" + _unique(item.name, taken), _chunks(source)))
        listing = json.dumps({"reference": request.reference, "files": manifest}, indent=2).encode()
        archive.writestr("manifest.json", listing)
    out.seek(0)
    return out, manifest


def file_sha256(source: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(source):
        digest.update(chunk)
    return digest.hexdigest()


def package_manifest(request: Request) -> list[dict[str, Any]]:
    """What the person was given, for the evidence export: each member of the sealed ZIP (name, bytes,
    SHA-256), then the ZIP itself; for a package not sealed yet, its items; [] without a package."""
    package = Package.objects.filter(request=request).first()
    if package is None:
        return []
    if package.sealed_at is not None:
        size = package.archive.size if package.archive else None  # None once deleted after expiry
        archive = {"name": "package.zip", "bytes": size, "sha256": package.archive_sha256}
        return [*package.manifest, archive]
    return [
        {"name": item.name or f"{item.category}: {len(item.rows)} rows", "bytes": item.size, "sha256": item.sha256}
        for item in package.items.order_by("added_at", "id")
    ]
