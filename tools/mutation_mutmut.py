"""`mutmut` for `make mutation`, with a faster way to match mypy's errors to mutants.

mutmut (3.8) finds the mutant behind each mypy error by parsing the mutated copy of the file with
libcst and its position metadata. The engine's mutated deadlines.py is several megabytes, and that
step alone took over ten minutes here. The standard library's `ast` gives the same function spans
(start and end lines) in seconds, so this runs mutmut's own command line with that one step replaced;
the result (which mutants mypy rejects) is the same.

mypy's own cache does not help with the mutated files (a module with errors is never cached, and every
mutated file has errors), so its report is kept too, in var/mutation/mypy-reports/, keyed by a hash of
everything mypy reads in the copy (every Python file, the settings, the command): a run over unchanged
code skips mypy altogether; any change to the code runs it again.

It also replaces how mutmut runs the tests (docs/mutation.md, "What makes it faster"): one pytest
session per area (tools/mutation_session.py), each mutant's tests narrowed to those that ran the
statement it changes (tools/mutation_lines.py, recorded during the stats run), and ordered with the
tests that killed the function's earlier mutants first.

    .venv/bin/python -m tools.mutation_mutmut run --max-children 4
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mutmut.__main__ as mutmut_main
from mutmut.configuration import config
from mutmut.mutation.file_mutation import FailedTypeCheckMutant, MutatedMethodLocation, group_by_path
from mutmut.runners.harness import PytestRunner
from mutmut.state import state
from mutmut.type_checking import TypeCheckingError, run_type_checker
from mutmut.utils.file_utils import change_cwd
from mutmut.utils.format_utils import get_mutant_name, is_mutated_method_name
from mutmut.workers.isolation import ForkServerRunner

from tools import mutation_lines, mutation_session


def mutated_methods(path: Path) -> list[MutatedMethodLocation]:
    """The mutated copies of functions in one file of mutmut's copy, with their first and last lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_mutated_method_name(node.name):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append(MutatedMethodLocation(path, node.name, start, node.end_lineno or node.lineno))
    return found


def _report_key(command: list[str]) -> str:
    """A hash of mypy's command and of every file it may read in mutmut's copy (the current directory)."""
    digest = hashlib.sha256(json.dumps(command).encode())
    for path in sorted([*Path(".").rglob("*.py"), *Path(".").rglob("*.pyi")]):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    # The project's settings, without mutmut's section (the tests chosen do not change what mypy says).
    digest.update(Path("../pyproject.toml").read_text(encoding="utf-8").split("\n[tool.mutmut]")[0].encode())
    return digest.hexdigest()


def type_check(command: list[str]) -> list[TypeCheckingError]:
    """mypy's errors over mutmut's copy, from the kept report when nothing it reads has changed."""
    reports = Path("..", "..", "mypy-reports").resolve()  # var/mutation/mypy-reports (cwd: <area>/mutants)
    kept = reports / f"{_report_key(command)}.json"
    if kept.exists():
        return [
            TypeCheckingError(Path(e["file"]).absolute(), e["line"], e["description"])
            for e in json.loads(kept.read_text(encoding="utf-8"))
        ]
    errors = run_type_checker(command)
    if not errors:
        # A mutated copy always has errors (many mutants change a type); none means mypy did not run
        # (a broken environment prints nothing): use it for this run, never keep it for the next.
        return errors
    reports.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "file": str(e.file_path.absolute().relative_to(Path.cwd())),
            "line": e.line_number,
            "description": e.error_description,
        }
        for e in errors
    ]
    kept.write_text(json.dumps(rows), encoding="utf-8")
    return errors


def filter_mutants_with_type_checker() -> dict[str, FailedTypeCheckMutant]:
    """mutmut.mutation.file_mutation.filter_mutants_with_type_checker, with `ast` in place of libcst."""
    with change_cwd(Path("mutants")):
        errors = type_check(config().type_check_command)
        rejected: dict[str, FailedTypeCheckMutant] = {}
        for path, errors_of_file in group_by_path(errors).items():
            methods = mutated_methods(path)
            if not methods:
                continue
            for error in errors_of_file:
                method = next(
                    (m for m in methods if m.line_number_start <= error.line_number <= m.line_number_end), None
                )
                if method is None:
                    raise RuntimeError(
                        f"mypy reports {error.file_path}:{error.line_number} ({error.error_description}) outside "
                        "any mutant: the unmutated code must type-check."
                    )
                name = get_mutant_name(path.relative_to(Path(".").absolute()), method.function_name)
                rejected[name] = FailedTypeCheckMutant(method_location=method, name=name, error=error)
        return rejected


_reach: list[mutation_lines.Reach] = []
_order = mutation_session.KillOrder(os.environ.get("DSR_MUTATION_TIMINGS"))


def submit_in_order(
    self: ForkServerRunner, mutant_name: str, tests: list[str], cpu_time_limit: int, estimated_time: float
) -> None:
    """ForkServerRunner.submit with only the tests that ran the changed statement (tools/mutation_lines.py),
    those that killed the function's earlier mutants first, then the fastest (mutmut runs them with `-x`, so
    a killed mutant stops at its first failing test; its fork server passes them in no order)."""
    if not _reach:
        _reach.append(mutation_lines.Reach(Path("mutants")))
    reaching = _reach[0].reaching(mutant_name, tests)
    ordered = _order.order(mutant_name, reaching, state().duration_by_test)
    _submit(self, mutant_name, ordered, cpu_time_limit, estimated_time)


def run_stats_with_lines(self: PytestRunner, *, tests: Iterable[str]) -> int:
    """mutmut's stats run (which tests call which function), also recording which lines each test ran."""
    with change_cwd(Path("mutants")):
        cov = mutation_lines.start(config().only_mutate)
    plugin = mutation_lines.PerTest(cov)
    execute = self.execute_pytest

    def with_plugin(params: list[str], **kwargs: Any) -> int:
        return execute(params, **{**kwargs, "plugins": [*kwargs.get("plugins", []), plugin]})

    self.execute_pytest = with_plugin  # type: ignore[method-assign]
    try:
        return _run_stats(self, tests=tests)
    finally:
        with change_cwd(Path("mutants")):
            mutation_lines.record(cov, plugin.random)


_submit = ForkServerRunner.submit
_run_stats = PytestRunner.run_stats

if __name__ == "__main__":
    mutmut_main.filter_mutants_with_type_checker = filter_mutants_with_type_checker
    ForkServerRunner.submit = submit_in_order  # type: ignore[method-assign]
    PytestRunner.run_stats = run_stats_with_lines  # type: ignore[method-assign]
    mutation_session.install()
    sys.exit(mutmut_main.cli())
