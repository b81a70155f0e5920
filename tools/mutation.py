"""`make mutation`: mutation testing of the deadline engine, the router and the request workflow.

Each area is one mutmut run in its own scratch copy of the project (var/mutation/<area>/, git-ignored),
with the tests that belong to it: the engine's pure tests for dsr/engine/, the workflow's database tests
for dsr/requests/workflow.py. Prints "<area>: killed X of Y (Z%)" per area and exits non-zero where an
area is below its target. See docs/mutation.md.

    .venv/bin/python -m tools.mutation [engine] [workflow] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "mutation"
# What a test run needs besides the code under test (mutmut imports only from its own copy).
COPIED = ("dsr", "api", "policies", "config", "templates", "locale", "tools", "tests", "manage.py")


@dataclass(frozen=True)
class Area:
    name: str
    files: tuple[str, ...]  # the files whose mutants count for this area
    tests: tuple[str, ...]  # the tests run against them (mutmut picks, per function, those that call it)
    target: float  # the least share of mutants the tests must kill
    pure: bool  # run only the tests that need no database
    # Seconds added to a mutant's expected test time before mutmut stops it as a "timeout" (a kill): the
    # limit is 15 times (tests' time + this). Large enough that a run slowed by a loaded machine is not
    # counted as a kill; small enough that a mutant that really loops does not hold a child for long.
    timeout_constant: float


AREAS = (
    Area(
        "engine",
        (
            "dsr/engine/deadlines.py",
            "dsr/engine/routing.py",
            "dsr/engine/steps.py",
            "dsr/engine/explain.py",
            "dsr/engine/explain_routing.py",
            "dsr/engine/identity.py",
        ),
        (
            "tests/dsr/test_deadlines.py",
            "tests/dsr/test_deadlines_edges.py",
            "tests/dsr/test_deadline_steps.py",
            "tests/dsr/test_explain_words.py",
            "tests/dsr/test_routing.py",
            "tests/dsr/test_routing_edges.py",
            "tests/dsr/test_routing_citations.py",
            "tests/dsr/test_explain_routing.py",
            "tests/dsr/test_explain_routing_words.py",
            "tests/dsr/test_identity_rules.py",
            "tests/dsr/test_whole_person.py",  # a request covers every relationship (routing's union)
            "tests/dsr/test_law_reach.py",  # laws by their territorial reach (routing.choose_laws)
            # The engine's rules added with the legal second pass: recipients told, fees and authorities, the
            # new request types and appeals, the person's words for the deadline.
            "tests/dsr/test_recipients_told.py",
            "tests/dsr/test_fees_authorities.py",
            "tests/dsr/test_rights_fileable.py",
            "tests/dsr/test_person_deadline_words.py",
        ),
        0.85,
        pure=True,
        timeout_constant=3.0,  # pure tests start in well under a second; the engine has loops that mutants break
    ),
    Area(
        "workflow",
        ("dsr/requests/workflow.py",),
        (
            "tests/dsr/test_workflow.py",
            "tests/dsr/test_workflow_edges.py",
            "tests/dsr/test_workflow_edges2.py",
            "tests/dsr/test_identity_gate.py",
            "tests/dsr/test_pause_clock.py",
            # The state changes added with the staff workspace: owners, spam and duplicates, notes, the
            # person's replies, the agent's permission.
            "tests/dsr/test_queue.py",
            "tests/dsr/test_notes_replies.py",
            "tests/dsr/test_agent_permission.py",
            "tests/dsr/test_workflow_commits.py",  # each change owns its transaction
            "tests/dsr/test_duplicates_spam.py",
            # The state changes added with answers with proof and the hardening: the draft answer and its
            # approval, the answer package, revocable links, real dates, people never merged.
            "tests/dsr/test_answer_approval.py",
            "tests/dsr/test_packages.py",
            "tests/dsr/test_responder_package.py",
            "tests/dsr/test_link_lifetimes.py",
            "tests/dsr/test_real_dates.py",
            "tests/dsr/test_not_merged.py",
            "tests/dsr/test_opt_out_friction.py",
            "tests/dsr/test_processor_forwarding.py",
            # The state changes of the legal second pass and of the API: recipients told, appeals denied,
            # filing on a client's or an agent's attestation, an agent's revoke.
            "tests/dsr/test_recipients_told.py",
            "tests/dsr/test_rights_fileable.py",
            "tests/dsr/test_fees_authorities.py",  # the refusal names the authority and its website
            "tests/api/test_requests_api.py",
            "tests/drp/test_exchange.py",
            # Requests routed together (route_many) against route_request, field by field.
            "tests/api/test_batch_setwise.py",
        ),
        0.75,
        pure=False,
        timeout_constant=10.0,  # a session that opens its test database; no loop a mutant could make endless
    ),
)

# mypy (strict, the project's settings, as `make lint` runs it) over the mutated files, run by mutmut in
# its copy before any test: a mutant mypy rejects is "caught by type check" and its tests are not run.
# Unused `type: ignore`s are not reported: mutmut's trampolines make some, outside any mutant. The cache
# is kept between runs (the stubs and the unmutated modules do not change), which saves minutes.
TYPE_CHECK = [
    str(ROOT / ".venv" / "bin" / "python"),
    "-m",
    "mypy",
    "--config-file",
    "../pyproject.toml",
    "--no-warn-unused-ignores",
    "--output",
    "json",
]

# mutmut's exit codes per mutant (mutmut.__main__.status_by_exit_code), grouped as this report counts them.
KILLED = {"killed", "timeout", "caught by type check"}


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(area: Area) -> Path:
    """A fresh copy of the project for one area, with mutmut's settings for it."""
    work = SCRATCH / area.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, work / name)
    tests = [t for t in area.tests if (ROOT / t).exists()]
    settings = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings += f"""
[tool.mutmut]
source_paths = ["dsr"]
only_mutate = {_toml_list(list(area.files))}
also_copy = {_toml_list([n for n in COPIED if n not in ("dsr", "tests")])}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "tools.mutation_pytest", "--reuse-db", "-W", "ignore"]
pytest_add_cli_args_test_selection = {_toml_list(tests)}
process_isolation = "forkserver"
use_git_change_detection = false
type_check_command = {_toml_list(TYPE_CHECK + ["--cache-dir", str(SCRATCH / "mypy-cache" / area.name), *area.files])}
timeout_constant = {area.timeout_constant}
"""
    (work / "pyproject.toml").write_text(settings, encoding="utf-8")
    return work


def drop_test_databases(env: dict[str, str]) -> None:
    """Drop the per-slot test databases, so each run builds them from the current migrations."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"test_{name}_slot%",))
        for (db,) in rows.fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def results(work: Path, area: Area) -> dict[str, Counter[str]]:
    """The status of every mutant, per file of the area, from mutmut's own records."""
    from mutmut.stats import status_by_exit_code

    out: dict[str, Counter[str]] = {}
    for file in area.files:
        meta = work / "mutants" / f"{file}.meta"
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"] if meta.exists() else {}
        out[file] = Counter(status_by_exit_code[code] for code in codes.values())
    return out


def survivors(work: Path, area: Area) -> list[str]:
    """Every mutant the tests did not kill, with its status."""
    from mutmut.stats import status_by_exit_code

    names = []
    for file in area.files:
        meta = work / "mutants" / f"{file}.meta"
        if meta.exists():
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                if status_by_exit_code[code] not in KILLED:
                    names.append(f"{name}: {status_by_exit_code[code]}")
    return names


def line(label: str, counts: Counter[str]) -> str:
    """'killed X of Y (Z%)', then how many of those mypy caught and the tests' own rate on the rest."""
    total = sum(counts.values())
    killed = sum(n for status, n in counts.items() if status in KILLED)
    rate = killed / total if total else 0.0
    typed = counts["caught by type check"]
    tested = total - typed
    by_tests = (killed - typed) / tested if tested else 0.0
    others = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status not in KILLED)
    return (
        f"{label}: killed {killed} of {total} ({rate:.1%}); {typed} by mypy, the tests kill "
        f"{killed - typed} of the {tested} mypy accepts ({by_tests:.1%}"
        + (f", {counts['timeout']} of them by a timeout)" if counts["timeout"] else ")")
        + (f" — not killed: {others}" if others else "")
    )


def load() -> str:
    """The machine's load averages (1, 5 and 15 minutes), printed beside the times they explain."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f}, {five:.1f}, {fifteen:.1f} on {os.cpu_count()} cores"


def run_area(area: Area, env: dict[str, str], max_children: int) -> tuple[bool, str]:
    """One area's mutmut run; its success (at or above target) and its report."""
    work = prepare(area)
    env = {**env, "DSR_MUTATION_PURE": "1" if area.pure else "0", "DSR_MUTATION_TIMINGS": str(work / "timings.tsv")}
    started = time.monotonic()
    python = str(ROOT / ".venv" / "bin" / "python")
    if not area.pure:  # every slot's test database built before the first mutant (tools/mutation_pytest.py)
        subprocess.run([python, "-m", "tools.mutation_pytest"], cwd=work, env=env, check=True)  # noqa: S603
    # mutmut's command line, with a faster matching of mypy's errors to mutants (tools/mutation_mutmut.py).
    log = work / "mutmut.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(  # noqa: S603 - our own venv's mutmut, fixed arguments
            [python, "-m", "tools.mutation_mutmut", "run", "--max-children", str(max_children)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=out,
        )
    minutes = (time.monotonic() - started) / 60
    if done.returncode != 0:
        return False, f"{area.name}: mutmut failed (exit {done.returncode}); see {log.relative_to(ROOT)}"
    set_up_errors = SCRATCH / "locks" / "set-up-errors.log"
    if set_up_errors.exists():
        return False, f"{area.name}: test databases failed to set up, so some kills are false; see {set_up_errors}"
    per_file = results(work, area)
    total: Counter[str] = Counter()
    for counts in per_file.values():
        total += counts
    killed = sum(n for status, n in total.items() if status in KILLED)
    rate = killed / sum(total.values()) if total else 0.0
    report = [line(area.name, total) + f" in {minutes:.1f} min ({load()} at its end); target {area.target:.0%}"]
    report += ["  " + line(file, counts) for file, counts in per_file.items()]
    listing = work / "survivors.txt"
    listing.write_text("\n".join(survivors(work, area)) + "\n", encoding="utf-8")
    report.append(
        f"  survivors: {listing.relative_to(ROOT)} (show one: cd {work.relative_to(ROOT)} && mutmut show NAME)"
    )
    return rate >= area.target, "\n".join(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # No `choices` here: argparse checks an empty `nargs="*"` list against them and refuses it.
    parser.add_argument("areas", nargs="*", help=f"any of {', '.join(a.name for a in AREAS)}; default: all")
    # Most of a mutant's time is spent waiting (process start, database round trips), so more children than cores.
    parser.add_argument("--max-children", type=int, default=4, help="test processes per area at a time")
    parser.add_argument("--one-by-one", action="store_true", help="run the areas one after the other")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.areas) - {a.name for a in AREAS})
    if unknown:
        parser.error(f"unknown area {', '.join(unknown)}; use {', '.join(a.name for a in AREAS)}")
    chosen = [a for a in AREAS if not args.areas or a.name in args.areas]
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dsr_mutation")
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
    env["DSR_VAR_DIR"] = str(SCRATCH / "var")
    env["DSR_MUTATION_LOCKS"] = str(SCRATCH / "locks")
    env.pop("CI", None)
    shutil.rmtree(SCRATCH / "locks", ignore_errors=True)
    drop_test_databases(env)
    print(f"mutation testing of {', '.join(a.name for a in chosen)}; {load()}", flush=True)
    started = time.monotonic()
    # The areas side by side: much of each run is one process at a time (generating the mutants, mypy,
    # the tests' first run), which leaves the other core to the other area.
    with ThreadPoolExecutor(max_workers=1 if args.one_by_one else len(chosen)) as pool:
        runs = [pool.submit(run_area, area, env, args.max_children) for area in chosen]
        outcomes = []
        for run in runs:
            ok, report = run.result()
            print(report, flush=True)
            outcomes.append(ok)
    drop_test_databases(env)
    print(f"mutation testing took {(time.monotonic() - started) / 60:.1f} min; {load()}")
    return 0 if all(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
