"""Which tests can notice a mutant: those that ran the statement it changes (`make mutation`).

mutmut picks a mutant's tests by function: every test that called the mutated function at all. A test
that called the function but never ran the changed statement behaves exactly as on the unchanged code,
so it cannot kill the mutant; running it only costs time (a survivor runs all of its tests). This module
narrows each mutant's tests to those that ran the changed statement, as PIT and Stryker do with their
per-test coverage:

1. During mutmut's stats run (the whole selection, once, on the unchanged code), coverage.py records which
   lines of the mutated files each test ran (a coverage context per test). `record` writes that map to
   `mutants/mutation-lines.json`.
2. For each mutant, `reaching` compares its copy of the function with the unchanged one (a line diff), finds
   the statement holding each changed line, and keeps the tests that ran any line of that statement (for a
   compound statement, of its header; for an `except` clause, of its whole `try`).

Where it cannot tell, it keeps every test mutmut chose: a change in the signature or a decorator (run when
the module is imported), a changed line outside any statement, a test coverage saw none of the function's
lines for (code run where the tracer does not reach). A mutant no chosen test reaches is then "no tests": not
killed, since no test can notice it.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAP = "mutation-lines.json"  # in mutmut's `mutants/` directory


# -- 1. the stats run: lines per test ----------------------------------------------------------------


class PerTest:
    """pytest plugin: one coverage context per test (its setup, call and teardown)."""

    def __init__(self, coverage: Any) -> None:
        self.coverage = coverage
        self.random: set[str] = set()  # tests whose path depends on drawn examples: never narrowed

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        from hypothesis import is_hypothesis_test

        self.random |= {item.nodeid for item in items if is_hypothesis_test(getattr(item, "obj", None))}

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.coverage.switch_context(nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.coverage.switch_context("")


def start(files: Iterable[str]) -> Any:
    """A started coverage.py measuring only the given files (paths relative to `mutants/`, the cwd)."""
    import coverage

    cov = coverage.Coverage(data_file=None, include=[str(Path(f).absolute()) for f in files], config_file=False)
    cov.start()
    return cov


def record(cov: Any, random: Iterable[str] = ()) -> None:
    """Stop measuring and write {"lines": {file: {line: [test indexes]}}, "tests": [node ids], "random": [node
    ids]} to MAP (cwd: `mutants/`). `random` are tests that draw examples (hypothesis): the lines one run
    drew say nothing of another's, so they are never left out."""
    cov.stop()
    data = cov.get_data()
    tests: dict[str, int] = {}
    lines: dict[str, dict[int, list[int]]] = {}
    for measured in data.measured_files():
        name = os.path.relpath(measured)
        by_line = data.contexts_by_lineno(measured)
        lines[name] = {
            line: sorted(tests.setdefault(c, len(tests)) for c in contexts if c) for line, contexts in by_line.items()
        }
    Path(MAP).write_text(json.dumps({"tests": list(tests), "lines": lines, "random": sorted(random)}), encoding="utf-8")


# -- 2. a mutant's tests ----------------------------------------------------------------------------


class Reach:
    """The map of one run, read once: which tests reach each mutant's changed statements."""

    def __init__(self, mutants_dir: Path) -> None:
        raw = json.loads((mutants_dir / MAP).read_text(encoding="utf-8"))
        self.tests: list[str] = raw["tests"]
        self.random: set[str] = set(raw.get("random", []))
        self.index = {name: n for n, name in enumerate(self.tests)}
        self.ran: dict[str, dict[int, set[int]]] = {
            file: {int(line): set(indexes) for line, indexes in by_line.items()}
            for file, by_line in raw["lines"].items()
        }
        self.mutants_dir = mutants_dir
        self._changes: dict[str, dict[str, list[range] | None]] = {}

    def reaching(self, mutant: str, chosen: list[str]) -> list[str]:
        """The tests of `chosen` (mutmut's, by function) that can notice `mutant`, in the same order."""
        module, _, function = mutant.rpartition(".")
        file = module.replace(".", "/") + ".py"
        if file not in self._changes:
            self._changes[file] = changed_statements(self.mutants_dir / file)
        spans = self._changes[file].get(function)
        orig = self._changes[file].get(function.partition("__mutmut_")[0] + "__mutmut_orig")
        if spans is None or not orig:
            return chosen  # cannot tell which statement changed: keep them all
        ran = self.ran.get(file, {})
        body = set().union(*(ran.get(line, set()) for span in orig for line in span))
        reached = set().union(*(ran.get(line, set()) for span in spans for line in span))
        index = self.index
        # A test coverage saw nothing of this function for is kept: it reached it where coverage did not look.
        return [
            t for t in chosen if t in self.random or index.get(t) is None or index[t] in reached or index[t] not in body
        ]


def changed_statements(path: Path) -> dict[str, list[range] | None]:
    """For each mutant function of a file of mutmut's copy, the lines (of the unchanged function) whose
    running means the changed statement ran; None where that cannot be told. Under the unchanged
    function's own name (`..__mutmut_orig`): all of its body's lines."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    functions = {
        node.name: node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name
    }
    out: dict[str, list[range] | None] = {}
    for name, node in functions.items():
        if name.endswith("__mutmut_orig"):
            out[name] = [range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1)]
            continue
        orig = functions.get(name.partition("__mutmut_")[0] + "__mutmut_orig")
        out[name] = None if orig is None else _spans(node, orig, lines)
    return out


def _spans(
    mutant: ast.FunctionDef | ast.AsyncFunctionDef, orig: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]
) -> list[range] | None:
    first, last = mutant.body[0].lineno, mutant.end_lineno or mutant.lineno
    orig_first, orig_last = orig.body[0].lineno, orig.end_lineno or orig.lineno
    # The signature (defaults, annotations) runs when the module is imported: any test may notice it.
    if lines[mutant.lineno - 1 : first - 1] != [
        line.replace(orig.name, mutant.name) for line in lines[orig.lineno - 1 : orig_first - 1]
    ]:
        return None
    before, after = lines[orig_first - 1 : orig_last], lines[first - 1 : last]
    changed: set[int] = set()  # lines of the unchanged function the mutant changes, drops or adds beside
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(orig_first + i1, orig_first + i2))
        elif tag == "insert":
            changed.update(line for line in (orig_first + i1 - 1, orig_first + i1) if orig_first <= line <= orig_last)
    if not changed:
        return None
    spans: list[range] = []
    for line in sorted(changed):
        found = _statement_lines(orig, line)
        if not found:
            return None
        spans.extend(found)
    return spans


def _statement_lines(function: ast.FunctionDef | ast.AsyncFunctionDef, line: int) -> list[range]:
    """Lines of `function` one of which runs whenever the statement holding `line` runs. A line can hold
    the end of a compound statement's header and the start of its body (`if (a\n and b): return 2`): then
    it is every such statement's lines, since a test that ran any of them is kept."""
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(function):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    spans = []
    for node in ast.walk(function):
        if node is function or not isinstance(node, ast.stmt | ast.excepthandler | ast.match_case):
            continue
        header = _header(node)
        if header is None or line not in header:
            continue
        if isinstance(node, ast.excepthandler | ast.match_case):
            # An `except` or `case` line runs only when it is matched: count the whole `try` or `match`.
            outer = parents[node]
            assert isinstance(outer, ast.stmt)
            spans.append(range(outer.lineno, (outer.end_lineno or outer.lineno) + 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # A nested definition's header (defaults, decorators) runs where it is defined.
            spans.append(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        else:
            spans.append(header)
    return spans


BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _header(node: ast.AST) -> range | None:
    """A statement's own lines: the whole of a simple one; for a compound one, from its first line (or
    decorator) to the last line of what it evaluates itself (the condition, the items, the signature)."""
    start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if start is None or end is None:
        return None  # a `case` (no position of its own): its `match` stands for it
    start = min([start, *(d.lineno for d in getattr(node, "decorator_list", None) or [])])
    if not any(isinstance(getattr(node, field, None), list) and getattr(node, field) for field in BODIES):
        return range(start, end + 1)  # a simple statement
    own_end = start
    for field, value in ast.iter_fields(node):
        if field in BODIES:
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                own_end = max(own_end, getattr(child, "end_lineno", None) or own_end)
    return range(start, own_end + 1)
