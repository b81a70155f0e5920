"""`make mutation` tries first, on each mutant, the tests that killed the function's earlier mutants
(tools/mutation_session.KillOrder): the order changes which test runs first, never which tests run."""

from __future__ import annotations

from pathlib import Path

from tools.mutation_session import KillOrder

DURATIONS = {"t::fast": 0.01, "t::medium": 0.1, "t::slow": 2.0}
TESTS = ["t::slow", "t::fast", "t::medium"]


def test_with_no_kill_yet_the_fastest_run_first(tmp_path: Path) -> None:
    order = KillOrder(str(tmp_path / "timings.tsv"))  # no file yet: no child has finished
    assert order.order("m.x_f__mutmut_1", TESTS, DURATIONS) == ["t::fast", "t::medium", "t::slow"]


def test_the_tests_that_killed_this_functions_mutants_run_first(tmp_path: Path) -> None:
    timings = tmp_path / "timings.tsv"
    order = KillOrder(str(timings))
    with timings.open("a", encoding="utf-8") as out:
        out.write("m.x_f__mutmut_1\t3\t3\t2.2\t1\tt::slow\n")
        out.write("m.x_f__mutmut_2\t3\t3\t2.2\t1\tt::slow\n")
        out.write("m.x_f__mutmut_3\t2\t3\t0.2\t1\tt::medium\n")
        out.write("m.x_f__mutmut_4\t3\t3\t2.2\t0\t\n")  # a survivor names no test
        out.write("m.x_g__mutmut_1\t1\t3\t0.1\t1\tt::fast\n")  # another function's kill
    assert order.order("m.x_f__mutmut_5", TESTS, DURATIONS) == ["t::slow", "t::medium", "t::fast"]
    assert order.order("m.x_g__mutmut_2", TESTS, DURATIONS) == ["t::fast", "t::medium", "t::slow"]
    # Lines added later are read on the next call; a line still being written waits for its end.
    with timings.open("a", encoding="utf-8") as out:
        out.write("m.x_f__mutmut_6\t1\t3\t0.1\t1\tt::fast\nm.x_f__mutmut_7\t1\t3\t0.1\t1\tt::fa")
    assert order.order("m.x_f__mutmut_8", TESTS, DURATIONS) == ["t::slow", "t::fast", "t::medium"]
    with timings.open("a", encoding="utf-8") as out:
        out.write("st\n")
    assert order.order("m.x_f__mutmut_9", TESTS, DURATIONS) == ["t::fast", "t::slow", "t::medium"]  # a tie: faster
    assert order.kills["m.x_f"] == {"t::slow": 2, "t::medium": 1, "t::fast": 2}
