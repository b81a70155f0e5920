"""`make mutation` runs, for each mutant, only the tests that ran the statement it changes
(tools/mutation_lines.py). These tests pin what "ran the statement" means, since a test wrongly left out
would let a mutant survive that the suite kills."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tools import mutation_lines

# A file as mutmut writes it: the unchanged function under `__mutmut_orig`, one copy per mutant.
ORIG = """
def x_f__mutmut_orig(a, b):
    if a > 1:
        return b + 1
    try:
        x = int(
            b,
            10,
        )
    except ValueError:
        return 0
    return x
"""
MUTANTS = {
    "1": ("if a > 1:", "if a >= 1:"),  # the condition: every test that reached the `if`
    "2": ("return b + 1", "return b - 1"),  # the branch: only the tests that took it
    "3": ("except ValueError:", "except TypeError:"),  # the handler: the tests that ran the `try`
    "4": ("            10,\n", ""),  # an argument dropped from a call over several lines
    "5": ("def x_f__mutmut_5(a, b):", "def x_f__mutmut_5(a, b=2):"),  # the signature: every test
}


def _write(tmp_path: Path) -> Path:
    orig = text = textwrap.dedent(ORIG)
    for name, (old, new) in MUTANTS.items():
        copy = orig.replace("x_f__mutmut_orig", f"x_f__mutmut_{name}")
        assert old in copy
        text += "\n" + copy.replace(old, new)
    text += "\n\ndef x_g__mutmut_orig():\n    return 1\n"
    path = tmp_path / "mod.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_mutant_maps_to_the_lines_of_the_statement_it_changes(tmp_path: Path) -> None:
    spans = mutation_lines.changed_statements(_write(tmp_path))
    assert spans["x_f__mutmut_orig"] == [range(3, 13)]  # the whole body
    assert spans["x_f__mutmut_1"] == [range(3, 4)]  # the `if` line, not its body
    assert spans["x_f__mutmut_2"] == [range(4, 5)]
    assert spans["x_f__mutmut_3"] == [range(5, 12)]  # the whole `try`: `except` lines are not always traced
    assert spans["x_f__mutmut_4"] == [range(6, 10)]  # the whole call
    assert spans["x_f__mutmut_5"] is None  # a default runs at import: cannot tell


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_lines_sample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> mutation_lines.Reach:
    """Four 'tests' run under the recorder: one takes the branch, one does not, one calls only g of the same
    file, one calls nothing there."""
    path = _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    module = _import(path)
    cov = mutation_lines.start(["mod.py"])
    plugin = mutation_lines.PerTest(cov)
    for nodeid, call in (
        ("t::branch", lambda: module.x_f__mutmut_orig(2, 3)),
        ("t::parse", lambda: module.x_f__mutmut_orig(0, "7")),
        ("t::g", module.x_g__mutmut_orig),
        ("t::other", lambda: None),
    ):
        plugin.pytest_runtest_logstart(nodeid, None)
        call()
        plugin.pytest_runtest_logfinish(nodeid, None)
    mutation_lines.record(cov)
    assert set(json.loads((tmp_path / mutation_lines.MAP).read_text())["tests"]) == {"t::branch", "t::parse", "t::g"}
    (tmp_path / "mod").mkdir()
    return mutation_lines.Reach(tmp_path)


ALL = ["t::branch", "t::parse", "t::other"]


def test_a_mutant_runs_only_the_tests_that_ran_its_statement(recorded: mutation_lines.Reach) -> None:
    assert recorded.reaching("mod.x_f__mutmut_1", ALL) == ALL  # both reached the `if`; 'other' is kept (below)
    assert recorded.reaching("mod.x_f__mutmut_2", ALL) == ["t::branch", "t::other"]
    assert recorded.reaching("mod.x_f__mutmut_3", ALL) == ["t::parse", "t::other"]
    assert recorded.reaching("mod.x_f__mutmut_4", ALL) == ["t::parse", "t::other"]


def test_where_it_cannot_tell_every_test_mutmut_chose_is_kept(recorded: mutation_lines.Reach) -> None:
    # The signature changed; and 'g' and 'other', which mutmut says called f, left no line of f with
    # coverage (code run where the tracer does not look), so they are never dropped.
    assert recorded.reaching("mod.x_f__mutmut_5", ALL) == ALL
    assert recorded.reaching("mod.x_f__mutmut_2", ["t::g", "t::other"]) == ["t::g", "t::other"]


def test_a_line_shared_by_a_condition_and_its_body_counts_the_condition(tmp_path: Path) -> None:
    """`if (a\\n and b): return 2`: a change of `and` runs whenever the `if` does, though the line also holds
    the `return` (a test with `a` false never runs that line, and may still see the mutant return 2)."""
    source = "\ndef x_h__mutmut_orig(a, b):\n    if (a\n        and b): return 2\n    return 0\n"
    path = tmp_path / "shared.py"
    path.write_text(source + source.replace("mutmut_orig", "mutmut_1").replace("and b", "or b"), encoding="utf-8")
    spans = mutation_lines.changed_statements(path)["x_h__mutmut_1"]
    assert spans is not None and any(3 in span for span in spans)  # the `if` line


def test_tests_that_draw_examples_are_never_left_out(tmp_path: Path) -> None:
    """A hypothesis test's lines in the stats run are those of the examples it drew then, not of the next."""
    path = _write(tmp_path)
    (tmp_path / mutation_lines.MAP).write_text(
        json.dumps(
            {
                "tests": ["t::branch", "t::property"],
                "lines": {path.name: {"3": [0, 1], "4": [0]}},
                "random": ["t::property"],
            }
        ),
        encoding="utf-8",
    )
    reach = mutation_lines.Reach(tmp_path)
    assert reach.reaching("mod.x_f__mutmut_2", ["t::branch", "t::property"]) == ["t::branch", "t::property"]
    assert mutation_lines.Reach(tmp_path).reaching("mod.x_f__mutmut_2", ["t::property"]) == ["t::property"]
