"""Where a run's CPU went: the CPU seconds each part of the deployment used (web, each Celery queue's
worker, PostgreSQL, Redis, the bench itself), read from /proc while the run goes on. On a machine of few
cores every part takes from the same cores, so this says what a figure costs and who pays for it."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, str] | None:
    """(parent pid, CPU seconds used so far, command name) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, name


class CpuMeter:
    """Samples every process of the named trees (a root pid and its descendants) and every process named
    as in `by_name`, keeping each one's latest CPU time; a process that ends loses at most one interval."""

    def __init__(self, roots: dict[str, int], by_name: dict[str, str], interval: float = 0.25) -> None:
        self.roots, self.by_name, self.interval = roots, by_name, interval
        self.used: dict[int, tuple[str, float]] = {}
        self.before: dict[int, float] = {}
        self._stop = threading.Event()

    def _sample(self, first: bool = False) -> None:
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _stat(int(entry.name))
                if stat is not None:
                    stats[int(entry.name)] = stat
        label_of = {pid: label for label, pid in self.roots.items()}

        def label(pid: int) -> str | None:
            seen = set()
            while pid in stats and pid not in seen:
                seen.add(pid)
                if pid in label_of:
                    return label_of[pid]
                pid = stats[pid][0]
            return None

        for pid, (_, seconds, name) in stats.items():
            found = label(pid) or self.by_name.get(name)
            if found is None:
                continue
            if first:
                self.before[pid] = seconds
            self.used[pid] = (found, seconds)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def totals(self) -> dict[str, float]:
        """CPU seconds per part since the meter started, largest first."""
        sums: dict[str, float] = {}
        for pid, (label, seconds) in self.used.items():
            sums[label] = sums.get(label, 0.0) + seconds - self.before.get(pid, 0.0)
        return dict(sorted(sums.items(), key=lambda item: -item[1]))


@contextlib.contextmanager
def metered(roots: dict[str, int], by_name: dict[str, str]) -> Iterator[CpuMeter]:
    meter = CpuMeter(roots, by_name)
    meter._sample(first=True)
    thread = threading.Thread(target=meter._run, daemon=True)
    thread.start()
    try:
        yield meter
    finally:
        meter._stop.set()
        thread.join()
        meter._sample()


def describe(totals: dict[str, float], *, requests: int, seconds: float) -> str:
    """One line: each part's CPU seconds and milliseconds per request, and all of it."""
    parts = ", ".join(f"{label} {used:.1f} s ({1000 * used / requests:.1f} ms)" for label, used in totals.items())
    whole = sum(totals.values())
    return (
        f"CPU in {seconds:.1f} s of wall time: {parts}; all {whole:.1f} s "
        f"({1000 * whole / requests:.1f} ms a request, {whole / seconds:.2f} cores busy on average)"
    )
