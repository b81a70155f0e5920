"""pytest plugin for `make mutation`: each test process gets a PostgreSQL test database of its own.

mutmut runs the tests of several mutants at once, each in a forked process that starts a fresh pytest
session. Sharing one test database would let those sessions create, flush or drop it under each other.
Here each session takes a free slot (an exclusive lock on a file, released when the process ends) and
uses the test database of that slot, kept between sessions (`--reuse-db`), so a database is built once
per slot and not once per mutant. Once a session has migrated a slot's database and loaded the
policies into it, the slot is marked ready and later sessions skip both (the mutated code is neither
the migrations nor the loader, and each test rolls its writes back).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any

import pytest

SLOTS = 8
_held: IO[str] | None = None
_ready_file: Path | None = None
_done = {"ready": False, "migrated": False, "loaded": False}


def _lock_dir() -> Path:
    return Path(os.environ["DSR_MUTATION_LOCKS"])  # set by tools.mutation


def _take_slot(lock_dir: Path) -> int:
    global _held
    lock_dir.mkdir(parents=True, exist_ok=True)
    for slot in range(SLOTS):
        handle = (lock_dir / f"slot-{slot}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _held = handle  # held until this process exits
        return slot
    raise pytest.UsageError(f"All {SLOTS} mutation test databases are in use.")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("DSR_MUTATION_SLOT_LATER") != "1":
        take_slot()
    # else: the session of tools.mutation_session's fork server, whose children each take a slot.


def take_slot() -> None:
    """Point this process's test database at a free slot's (nothing for a pure area)."""
    from django.db import connections

    settings = connections["default"].settings_dict
    if settings["ENGINE"] != "django.db.backends.postgresql":
        return  # SQLite test databases live in memory, one per process already
    if os.environ.get("DSR_MUTATION_PURE") == "1":
        return  # no test of this run touches the database: leave the slots to an area that does
    lock_dir = _lock_dir()
    slot = _take_slot(lock_dir)
    settings.setdefault("TEST", {})["NAME"] = f"test_{settings['NAME']}_slot{slot}"
    global _ready_file
    _ready_file = lock_dir / f"slot-{slot}.ready"
    _skip_set_up_when_ready(_ready_file.exists())


def _skip_set_up_when_ready(ready: bool) -> None:
    """Patch, once per process, the test database creation and the policy loader to skip a ready slot."""
    from django.conf import settings
    from django.db.backends.base.creation import BaseDatabaseCreation

    from policies.management.commands.load_policies import Command
    from policies.models import Vendor

    _done.update(ready=ready, migrated=False, loaded=False)
    if getattr(BaseDatabaseCreation, "_dsr_mutation_patched", False):
        return  # a later session in the same process (mutmut forks from one that ran the suite)
    create_test_db = BaseDatabaseCreation.create_test_db
    load = Command.handle

    def create_or_reuse(self: BaseDatabaseCreation, *args: Any, **kwargs: Any) -> str:
        try:
            if not _done["ready"]:
                name = create_test_db(self, *args, **kwargs)
                _done["migrated"] = True
                return name
            name = self._get_test_db_name()
            self.connection.close()
            settings.DATABASES[self.connection.alias]["NAME"] = name
            self.connection.settings_dict["NAME"] = name
            self.connection.ensure_connection()
            return name
        except Exception as exc:
            # Every test of this session fails, which mutmut would count as a kill: say so (tools.mutation checks).
            with (_lock_dir() / "set-up-errors.log").open("a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {self._get_test_db_name()}: {exc!r}\n")
            raise

    def load_unless_loaded(self: Command, *args: Any, **options: Any) -> None:
        if _done["ready"] and Vendor.objects.exists():
            return
        load(self, *args, **options)
        _done["loaded"] = True

    BaseDatabaseCreation.create_test_db = create_or_reuse  # type: ignore[method-assign]
    BaseDatabaseCreation._dsr_mutation_patched = True  # type: ignore[attr-defined]
    Command.handle = load_unless_loaded  # type: ignore[method-assign]


def build_slots() -> None:
    """Build every slot's test database before mutmut starts: one migrated and loaded, the others copied.

    Without this, the first session on each slot migrates it, which takes longer than mutmut allows a
    mutant of a fast function: those mutants would be counted as killed by a timeout.
    """
    import django
    import psycopg

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    base = connection.settings_dict["NAME"]
    names = [f"test_{base}_slot{slot}" for slot in range(SLOTS)]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = names[0]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    with open(os.devnull, "w") as quiet:
        call_command("load_policies", verbosity=0, stdout=quiet)
    connection.close()
    admin = {**connection.settings_dict, "NAME": "postgres"}
    conninfo = psycopg.conninfo.make_conninfo(
        dbname="postgres",
        host=admin["HOST"] or None,
        port=str(admin["PORT"]) if admin["PORT"] else None,
        user=admin["USER"] or None,
        password=admin["PASSWORD"] or None,
    )
    with psycopg.connect(conninfo, autocommit=True) as server:
        for name in names[1:]:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}" STRATEGY FILE_COPY')
    lock_dir = _lock_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    for slot in range(SLOTS):
        (lock_dir / f"slot-{slot}.ready").touch()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _ready_file is not None and _done["migrated"] and _done["loaded"]:
        _ready_file.touch()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With DSR_MUTATION_PURE=1 (the engine's run), leave out the tests that need a database.

    The engine is pure; its tests that touch the database exercise the management commands around it.
    Leaving them out spares every mutant's test process a database set-up.
    """
    if os.environ.get("DSR_MUTATION_PURE") != "1":
        return
    pure, needs_db = [], []
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        uses_db = item.get_closest_marker("django_db") or {"db", "transactional_db", "policies"} & set(fixtures)
        (needs_db if uses_db else pure).append(item)
    if needs_db:
        config.hook.pytest_deselected(items=needs_db)
        items[:] = pure


if __name__ == "__main__":  # `python -m tools.mutation_pytest`, run by tools.mutation in an area's copy
    build_slots()
