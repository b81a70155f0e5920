"""One pytest session per area for `make mutation`: tests collected once, each mutant's run forks from it.

mutmut's fork server forks a child per mutant, and the child calls `pytest.main` with that mutant's
tests: a whole pytest session each time (reading the settings, loading the plugins, collecting the test
modules, setting up Django's test database): on the workflow, a large part of each mutant's time.

Here the fork server builds one session and collects the area's tests once (`warm_up`). Each mutant's
child, forked from it, runs only the chosen items through pytest's own test protocol (fixtures, setup,
teardown; `-x`: it stops at the first failure) and exits 1 if any failed, 0 if all passed, as
`pytest.main` would. A child of the workflow takes a test database of its own first
(`tools.mutation_pytest.take_slot`), since children run side by side.

The stats run, the clean run and the forced-fail run are not children of the fork server: they keep
mutmut's own `pytest.main`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from mutmut.configuration import config
from mutmut.runners.harness import PytestRunner
from mutmut.utils.file_utils import change_cwd

# Set in the fork server once its session has collected the tests; children inherit it by the fork.
_session: Any = None
_items: dict[str, Any] = {}

_run_tests = PytestRunner.run_tests


def warm_up(self: PytestRunner) -> None:
    """In the fork server: one pytest session, configured and collected, kept for the children."""
    global _session
    from _pytest.config import _prepareconfig
    from _pytest.main import Session

    args = [
        "--rootdir=.",
        "--tb=native",
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:random-order",
        *config().pytest_add_cli_args_test_selection,
        *config().pytest_add_cli_args,
    ]
    os.environ["DSR_MUTATION_SLOT_LATER"] = "1"  # the children take their test databases, not this process
    with change_cwd("mutants"):
        pytest_config = _prepareconfig(args)
        pytest_config._do_configure()
        session = Session.from_config(pytest_config)
        pytest_config.hook.pytest_sessionstart(session=session)
        pytest_config.hook.pytest_collection(session=session)
    if session.testsfailed or not session.items:
        raise RuntimeError(f"collecting the tests failed ({session.testsfailed} errors, {len(session.items)} tests)")
    _items.update((item.nodeid, item) for item in session.items)
    _session = session


def run_tests(self: PytestRunner, *, mutant_name: str | None, tests: Any) -> int:
    """In a mutant's child: its tests, in the given order, from the session collected in the fork server."""
    if _session is None:  # the stats, clean and forced-fail runs: mutmut's own pytest.main
        return _run_tests(self, mutant_name=mutant_name, tests=tests)
    started = time.monotonic()
    names = list(tests)
    chosen = [_items[name] for name in names if name in _items]
    if len(chosen) != len(names):
        return 35  # a test mutmut named that this session did not collect: "suspicious", neither kill nor pass
    ran, code = _run(chosen)
    timings = os.environ.get("DSR_MUTATION_TIMINGS")
    if timings:
        # One line per mutant: docs/mutation.md's "where the time goes", and which test killed it, which
        # the parent reads to try that test first on the next mutants of the function (`order`).
        killer = names[ran - 1] if code else ""
        with open(timings, "a", encoding="utf-8") as out:
            out.write(f"{mutant_name}\t{ran}\t{len(chosen)}\t{time.monotonic() - started:.3f}\t{code}\t{killer}\n")
    return code


def _run(chosen: list[Any]) -> tuple[int, int]:
    """How many of the items ran, and 1 if one failed (the rest not run), else 0."""
    from _pytest.runner import runtestprotocol

    from tools import mutation_pytest

    with change_cwd("mutants"):
        mutation_pytest.take_slot()
        for index, item in enumerate(chosen):
            last = index == len(chosen) - 1
            reports = runtestprotocol(item, nextitem=None if last else chosen[index + 1], log=False)
            if any(report.failed for report in reports):
                if not last:  # tear down what the next test would have reused (a transaction, a flush)
                    _session._setupstate.teardown_exact(None)
                return index + 1, 1
    return len(chosen), 0


def install() -> None:
    PytestRunner.warm_up = warm_up  # type: ignore[method-assign]
    PytestRunner.run_tests = run_tests  # type: ignore[method-assign]


class KillOrder:
    """In mutmut's parent: the order to run a mutant's tests in. First the tests that killed earlier mutants
    of the same function (most kills first), then the fastest. A killed mutant stops at its first failing
    test (`-x`), and the test that notices one change of a function often notices the next: a slow test
    that alone kills a function's mutants (comparing whole results, say) would otherwise run last, after
    every faster test, for each of them. The order changes no outcome: every chosen test still runs on a
    survivor."""

    def __init__(self, timings: str | None) -> None:
        self.timings = timings
        self.offset = 0
        self.kills: dict[str, dict[str, int]] = {}

    def order(self, mutant_name: str, tests: list[str], durations: dict[str, float]) -> list[str]:
        self._read()
        kills = self.kills.get(mutant_name.partition("__mutmut_")[0], {})
        return sorted(tests, key=lambda test: (-kills.get(test, 0), durations.get(test, 0.0)))

    def _read(self) -> None:
        """The lines the children added since the last call."""
        if not self.timings or not os.path.exists(self.timings):
            return
        with open(self.timings, encoding="utf-8") as lines:
            lines.seek(self.offset)
            for line in lines:
                if not line.endswith("\n"):
                    break  # a child is still writing it: read it next time
                self.offset += len(line.encode())
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 6 and fields[5]:
                    by_test = self.kills.setdefault(fields[0].partition("__mutmut_")[0], {})
                    by_test[fields[5]] = by_test.get(fields[5], 0) + 1
