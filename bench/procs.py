"""The bench's own services: its database and Redis db, gunicorn and Celery workers as deployed, and
the memory each process reached (VmHWM from /proc)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recreate_database(url: str) -> None:
    """Drop and create the bench's own database (its name must say "bench": nothing else is touched)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate {name!r}: the bench database's name must contain 'bench'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]).fetchone()
    return row is not None


def flush_redis(url: str) -> None:
    """Empty the bench's own Redis database (the db number in the URL; never db 0 by accident)."""
    import redis

    if urlsplit(url).path.strip("/") in ("", "0"):
        raise SystemExit("give the bench its own Redis database number, e.g. redis://127.0.0.1:6379/7")
    redis.Redis.from_url(url).flushdb()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def shared_and_private_mib(pid: int) -> tuple[float, float]:
    """(PSS, USS) now, in MiB: the proportional set (each shared page divided among the processes that map
    it) and the unique set (private pages only: what the process costs beyond what it shares)."""
    pss = uss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == "Pss":
            pss = int(rest.split()[0])
        elif name in ("Private_Clean", "Private_Dirty"):
            uss += int(rest.split()[0])
    return pss / 1024, uss / 1024


def current_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_http(url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answers (e.g. 503 before the workers' heartbeats): up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn with config/gunicorn.py (4 sync workers unless WEB_CONCURRENCY says otherwise)."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [str(VENV / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/health/")
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def celery_workers(env: dict[str, str], concurrency: dict[str, int], log: Path) -> Iterator[dict[str, int]]:
    """One Celery worker per queue, as bin/serve starts them (the bulk queue's at a lower CPU priority).
    Yields {queue: main pid}."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    nice = {"bulk": env.get("DSR_WORKER_NICE_BULK", "10")}
    with log.open("ab") as out:
        for queue, count in concurrency.items():
            processes[queue] = subprocess.Popen(  # noqa: S603
                [
                    *(["nice", "-n", nice[queue]] if queue in nice else []),
                    str(VENV / "celery"),
                    "-A",
                    "config",
                    "worker",
                    f"--queues={queue}",
                    f"--concurrency={count}",
                    f"--hostname=bench-{queue}@%h",
                    "--max-memory-per-child=200000",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    try:
        yield {queue: p.pid for queue, p in processes.items()}
    finally:
        for process in processes.values():
            stop(process)
