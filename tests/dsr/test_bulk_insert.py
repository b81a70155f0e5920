"""Many new rows inserted at once (dsr.bulk.insert): by COPY on PostgreSQL, by bulk_create elsewhere. What is
read back must be what bulk_create would have stored, whatever the text holds (tabs, new lines, backslashes,
COPY's own NULL marker), and each row is saved with its own id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from dsr import bulk
from dsr.models import OutgoingEmail, Request
from dsr.outbox import emails
from tests.dsr.test_concurrency import route_some

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

WHEN = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
AWKWARD = ["plain", "tab\there", "two\nlines\r\n", "back\\slash", "\\N", "", "Ääkköset ja 漢字 😀", "'quoted' \"both\""]
STORED = ("kind", "to", "language", "subject", "body_text", "body_html", "context", "status", "urgent", "attempts")


def emails_with(prefix: str) -> list[OutgoingEmail]:
    return [
        OutgoingEmail(
            key=f"{prefix}{n}",
            kind="verify",
            to=f"p{n}@example.com",
            language="fi",
            subject=text,
            body_text=text * 2,
            body_html="" if n % 2 else f"<p>{text}</p>",
            context={"name": text, "n": n, "nested": {"list": [text, None, 1.5, True]}} if n % 3 else None,
            urgent=bool(n % 2),
            attempts=n,
            next_attempt_at=WHEN,
            created_at=WHEN,
            sent_at=None if n % 2 else WHEN,
        )
        for n, text in enumerate(AWKWARD)
    ]


def stored(prefix: str) -> list[tuple[Any, ...]]:
    rows = OutgoingEmail.objects.filter(key__startswith=prefix).order_by("key")
    return list(rows.values_list(*STORED, "next_attempt_at", "created_at", "sent_at"))


def test_rows_read_back_as_bulk_create_stores_them() -> None:
    OutgoingEmail.objects.bulk_create(emails_with("django-"))
    inserted = bulk.insert(OutgoingEmail, emails_with("copied-"))

    assert stored("copied-") == stored("django-")
    assert [row[STORED.index("subject")] for row in stored("copied-")] == AWKWARD  # "\\N" is text, not NULL
    # None is SQL NULL, not JSON null (the outbox tells an erased email by its NULL context).
    null = OutgoingEmail.objects.filter(context__isnull=True)
    assert null.filter(key__startswith="copied-").count() == null.filter(key__startswith="django-").count() > 0
    assert all(email.pk is not None and not email._state.adding for email in inserted)
    for email in inserted:
        assert OutgoingEmail.objects.get(pk=email.pk).key == email.key


def test_a_row_links_to_a_request_saved_after_it_was_set_and_refuses_one_never_saved() -> None:
    route_some(1)
    request = Request.objects.get()
    linked = OutgoingEmail(key="linked", kind="verify", to="x@example.com", subject="s", body_text="b")
    unsaved = Request(reference="DSR-NOTSAVED")
    linked.request = unsaved
    unsaved.pk = request.pk  # as a batch does: the request gets its id after its email was made
    bulk.insert(OutgoingEmail, [linked])
    assert OutgoingEmail.objects.get(key="linked").request_id == request.pk

    orphan = OutgoingEmail(key="orphan", kind="verify", to="x@example.com", subject="s", body_text="b")
    orphan.request = Request(reference="DSR-NEVER")
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk.insert(OutgoingEmail, [orphan])
    assert not OutgoingEmail.objects.filter(key="orphan").exists()


def test_nothing_is_written_in_a_transaction_already_marked_to_roll_back() -> None:
    doomed = emails_with("doomed-")
    bulk.reserve_ids(OutgoingEmail, doomed)  # with their ids already, as a batch's requests: no query first
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            bulk.insert(OutgoingEmail, doomed)


def test_rows_get_their_ids_from_the_tables_own_sequence() -> None:
    inserted = bulk.insert(OutgoingEmail, emails_with("a-"))
    after = OutgoingEmail.objects.create(key="after", kind="verify", to="x@example.com", subject="s", body_text="b")
    ids = [email.pk for email in inserted]
    assert len(set(ids)) == len(ids)
    assert after.pk not in ids
    assert after.pk > max(ids)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_on_postgresql_the_rows_go_by_copy_in_one_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        bulk.insert(OutgoingEmail, emails_with("c-"))
    statements = [query["sql"] for query in queries]
    assert [sql for sql in statements if sql.startswith(("INSERT", "COPY"))] == [
        f'COPY "dsr_outgoingemail" ({", ".join(repr_columns())}) FROM STDIN -- {len(AWKWARD)} rows'
    ]


def repr_columns() -> list[str]:
    return [f'"{field.column}"' for field in OutgoingEmail._meta.concrete_fields if not field.generated]


def test_queued_twice_an_email_is_written_once_and_the_stored_one_kept() -> None:
    """The outbox writes an email once per key: a key already stored (or twice in one call) is left as it is."""
    first = emails.queue_many([emails.Pending(key="DSR-K:ack", to="first@example.com", template="verify")])
    OutgoingEmail.objects.filter(pk__in=first).update(status=OutgoingEmail.Status.SENT)

    queued = emails.queue_many(
        [
            emails.Pending(key="DSR-K:ack", to="second@example.com", template="verify"),
            emails.Pending(key="DSR-L:ack", to="other@example.com", template="verify"),
            emails.Pending(key="DSR-L:ack", to="again@example.com", template="verify"),
        ]
    )

    rows = dict(OutgoingEmail.objects.values_list("key", "to"))
    assert rows == {"DSR-K:ack": "first@example.com", "DSR-L:ack": "other@example.com"}
    assert OutgoingEmail.objects.get(key="DSR-K:ack").status == OutgoingEmail.Status.SENT
    assert queued == [OutgoingEmail.objects.get(key="DSR-L:ack").pk]
