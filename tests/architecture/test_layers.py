"""The architecture holds: entry points call services and never write models themselves.

The import contracts (pyproject.toml, `make lint`) keep imports one way; this test reads the source
of the entry points (public views, admin, Celery tasks, management commands) and refuses any direct
model write there: `.save()`, `.delete()`, `.update()`, `.create()`, `.bulk_create()`,
`.get_or_create()`, `.update_or_create()`. The services under dsr/requests, dsr/outbox and
dsr/privacy are where writes live.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = [
    *sorted((ROOT / "dsr" / "public").glob("*.py")),
    *sorted((ROOT / "dsr" / "admin").glob("*.py")),
    ROOT / "dsr" / "tasks.py",
    *sorted((ROOT / "dsr" / "management" / "commands").glob("*.py")),
    ROOT / "api" / "drp" / "views.py",
    ROOT / "api" / "drp" / "admin.py",
    ROOT / "api" / "drp" / "tasks.py",
    ROOT / "api" / "drp" / "receivers.py",
    *sorted((ROOT / "api" / "drp" / "management" / "commands").glob("*.py")),
    *(ROOT / "api" / name for name in ("views.py", "admin.py", "auth.py", "receivers.py", "serializers.py")),
]
WRITES = {"save", "delete", "update", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
# Deliberate exceptions, each with its reason.
ALLOWED: dict[str, str] = {
    # The demo login is set-up data for `make run`, not a request's state.
    "create_demo_staff.py": "creates the demo staff user and its team membership",
}


def writes_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            found.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    return found


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_entry_points_write_no_model_directly(path: Path) -> None:
    if path.name in ALLOWED:
        pytest.skip(ALLOWED[path.name])
    assert writes_in(path) == []


def test_the_check_finds_a_write(tmp_path: Path) -> None:
    """The detector itself works: a view that saves a model, or updates a queryset, is caught."""
    view = tmp_path / "views.py"
    view.write_text("def v(request, obj):\n    obj.status = 'x'\n    obj.save()\n    M.objects.all().update(x=1)\n")
    assert writes_in(view) == ["views.py:3 .save()", "views.py:4 .update()"]
