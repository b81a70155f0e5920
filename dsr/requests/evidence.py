"""A request's evidence for a regulator: one ZIP with what was done, when, by whom, and the proof it is whole.

The ZIP holds the timeline (JSON and CSV, with each event's hashes and salt, so anyone can recompute the
chain from the JSON: dsr.requests.timeline.content_digest and link_hash), the emails (metadata and bodies,
signed links masked), the deadlines (the engine's stored answer and its explanation in words), the chain's
verification, and `manifest.json` with the SHA-256 of every other file (also as `SHA256SUMS`, for
`sha256sum -c`). A CSV cell that a spreadsheet would run as a formula has a quote in front
(dsr.security.spreadsheets); the JSON keeps the exact text. Handing it over is a disclosure: the export is
put on the request's timeline with who asked and the SHA-256 of the ZIP, so the copy a regulator holds can
be matched to the record.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from policies import vocabulary

from ..models import Event, OutgoingEmail, Request
from ..packages.contents import package_manifest
from ..security import spreadsheets
from ..security.tokens import hide_links
from . import audit
from .timeline import Actor, record

TIMELINE_COLUMNS = audit.EVENT_FIELDS
EMAIL_COLUMNS = ("id", "kind", "to", "language", "subject", "status", "attempts", "created_at", "sent_at")

README = """Evidence for request {reference} ({vendor}), exported {exported} UTC by {actor}.

request.json       the request: type, laws, status and its dates
timeline.json/.csv every event in the order written, with its hash chain: content_digest is the SHA-256
                   of ["dsr-event-content/1", salt, message, data], hash the SHA-256 of ["dsr-event/1",
                   prev_hash, request id, time (UTC ISO), kind, actor, actor user id, content_digest,
                   policy version id], each as JSON with sorted keys and no spaces; redacted events
                   lost their message, data and salt when the person's data was deleted
verification.json  the chain checked when this file was made
deadlines.json     the deadline engine's stored answer; deadlines.txt the same in words
emails.json/.csv   every email about the request (links to the person's pages masked); bodies in emails/
manifest.json      the SHA-256 of every other file (SHA256SUMS: the same, for `sha256sum -c`)

The .json files hold the exact record (the hash chain is computed over the events' exact text). In the
.csv files, a cell that starts with =, +, -, @, a tab or a carriage return has a single quote (') put in
front, so a spreadsheet shows what a person or an agent typed instead of running it as a formula; without
that first quote, the cell is the exact text.
"""


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    sha256: str


def answer_package_files(request: Request) -> list[EvidenceFile]:
    """The answer package's manifest: each file the person was given (or is being given) with its SHA-256."""
    manifest = package_manifest(request)
    return [EvidenceFile("answer-package-manifest.json", _json(manifest))] if manifest else []


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return spreadsheets.cell(value) if isinstance(value, str) else value


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """The rows as CSV for a spreadsheet: text a spreadsheet would run as a formula gets a quote in front
    (dsr.security.spreadsheets); the JSON files keep the exact text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in columns])
    return out.getvalue().encode()


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def timeline_rows(request: Request) -> list[dict[str, Any]]:
    rows = list(Event.objects.filter(request=request).order_by("id").values(*TIMELINE_COLUMNS))
    for row in rows:
        row["at"] = row["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return rows


def email_files(request: Request) -> tuple[list[dict[str, Any]], list[EvidenceFile]]:
    """Each email's metadata, and its bodies as files; signed links to the person's pages are masked."""
    rows: list[dict[str, Any]] = []
    files: list[EvidenceFile] = []
    for email in OutgoingEmail.objects.filter(request=request).order_by("created_at", "id"):
        row = {c: getattr(email, c) for c in EMAIL_COLUMNS}
        row["created_at"], row["sent_at"] = _iso(email.created_at), _iso(email.sent_at)
        row["subject"] = hide_links(email.subject)
        rows.append(row)
        stem = f"emails/{email.pk}-{email.kind}"
        files.append(EvidenceFile(f"{stem}.txt", hide_links(email.body_text).encode()))
        if email.body_html:
            files.append(EvidenceFile(f"{stem}.html", hide_links(email.body_html).encode()))
    return rows, files


def deadline_words(request: Request) -> str:
    """The deadlines as the engine explained them when it computed them (dsr.engine.explain, stored)."""
    stored = request.deadlines or {}
    lines = [stored.get("summary") or "No deadlines computed (the email was never confirmed)."]
    for entry in stored.get("deadlines", []):
        source = (entry.get("source") or {}).get("cite", "")
        lines += ["", f"{entry.get('title') or entry.get('rule')}: {entry.get('due_date') or 'no fixed date'}"]
        lines += [entry.get("explanation", ""), f"Source: {source}" if source else ""]
    return "\n".join(lines).rstrip() + "\n"


def request_facts(request: Request) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "policy_version": request.policy_version.number,
        "request_type": request.request_type,
        "relationships": request.relationships or [vocabulary.NOT_SURE],
        "laws": request.law_codes,
        "status": request.status,
        "received_at": _iso(request.received_at),
        "verified_at": _iso(request.verified_at),
        "due_at": _iso(request.due_at),
        "extended": request.extended,
        "closed_at": _iso(request.closed_at),
        "purged_at": _iso(request.purged_at),
        "last_event_hash": request.last_event_hash,
    }


def evidence_files(request: Request, *, actor: Actor, now: dt.datetime) -> list[EvidenceFile]:
    """Every file of the evidence ZIP but the manifest, for the request as it stands."""
    report = audit.verify_request(request.reference)
    emails, bodies = email_files(request)
    timeline = timeline_rows(request)
    readme = README.format(
        reference=request.reference, vendor=request.vendor.name, exported=_iso(now), actor=actor.label
    )
    return [
        EvidenceFile("README.txt", readme.encode()),
        EvidenceFile("request.json", _json(request_facts(request))),
        EvidenceFile("timeline.json", _json(timeline)),
        EvidenceFile("timeline.csv", _csv(TIMELINE_COLUMNS, timeline)),
        EvidenceFile("verification.json", _json({"checked_at": _iso(now), **report.as_dict()})),
        EvidenceFile("deadlines.json", _json(request.deadlines or {})),
        EvidenceFile("deadlines.txt", deadline_words(request).encode()),
        EvidenceFile("emails.json", _json(emails)),
        EvidenceFile("emails.csv", _csv(EMAIL_COLUMNS, emails)),
        *bodies,
        *answer_package_files(request),
    ]


def manifest(files: list[EvidenceFile], *, request: Request, now: dt.datetime) -> list[EvidenceFile]:
    digests = [
        {"name": f.name, "sha256": hashlib.sha256(f.content).hexdigest(), "bytes": len(f.content)} for f in files
    ]
    sums = "".join(f"{d['sha256']}  {d['name']}\n" for d in digests)
    head = {"reference": request.reference, "created_at": _iso(now), "last_event_hash": request.last_event_hash}
    return [EvidenceFile("manifest.json", _json({**head, "files": digests})), EvidenceFile("SHA256SUMS", sums.encode())]


def export(request: Request, *, actor: Actor, now: dt.datetime) -> Export:
    """The request's evidence ZIP, its export recorded on the timeline (with the ZIP's SHA-256).

    The request's row is locked while the ZIP is made, so the timeline it holds is the whole of it.
    """
    with transaction.atomic(durable=True):
        request = (
            Request.objects.select_for_update(of=("self",))
            .select_related("vendor", "policy_version")
            .get(pk=request.pk)
        )
        files = evidence_files(request, actor=actor, now=now)
        files += manifest(files, request=request, now=now)
        stamp = now.astimezone(dt.UTC)
        folder = f"{request.reference}-evidence"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                info = zipfile.ZipInfo(f"{folder}/{file.name}", date_time=stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, file.content)
        content = buffer.getvalue()
        digest = hashlib.sha256(content).hexdigest()
        record(
            request,
            "evidence_exported",
            f"Evidence exported by {actor.label} (ZIP SHA-256 {digest}).",
            actor=actor,
            now=now,
            data={"sha256": digest, "files": len(files), "head": request.last_event_hash},
        )
    return Export(f"{folder}.zip", content, digest)
