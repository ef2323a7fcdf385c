"""Shared pieces of the benchmarks: one timed command with the peak memory of its process
tree, one result row, the side-by-side table and the record in bench/results.md.

Every case module returns ``Row``s; a case's first row marked ``floor`` is 1.00x and
every other row of the case is reported as a ratio of it (wall time, same run).
"""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# Every Python tool measured here (sparkdms, its worker processes, dlt) runs as installed for
# a user, with its compiled bytecode cached: a shell that sets PYTHONDONTWRITEBYTECODE would
# otherwise have each of them compile its modules again on every start
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
SPARKDMS = ROOT / ".venv" / "bin" / "sparkdms"


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Measured:
    """What one command cost: wall seconds, exit code, peak RSS of the whole process tree
    and of its largest JVM and Python processes (bytes), the tail of its output."""

    seconds: float
    returncode: int
    peak_tree: int = 0
    peak_java: int = 0
    peak_python: int = 0
    output: str = ""


@dataclass
class Row:
    case: str  # e.g. "PostgreSQL → PostgreSQL, identity"
    method: str  # e.g. "COPY pipe", "sparkdms", "pgloader 3.6.9"
    seconds: float
    rows: int
    verified: bool | None  # row count and checksum equal to the source; None: not checked
    floor: bool = False
    peak_rss: int = 0  # bytes, process tree; 0: not measured
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class _Sampler(threading.Thread):
    """Polls the RSS of a process and all its descendants every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.done = pid, every, threading.Event()
        self.tree = self.java = self.python = 0

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.is_set():
            self._sample(root)
            self.done.wait(self.every)

    def _sample(self, root: object) -> None:
        import psutil

        total = 0
        try:
            procs = [root, *root.children(recursive=True)]  # type: ignore[attr-defined]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                rss, name = proc.memory_info().rss, proc.name()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            if name.startswith("java"):
                self.java = max(self.java, rss)
            elif name.startswith("python"):
                self.python = max(self.python, rss)
        self.tree = max(self.tree, total)


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def settle(limit: float = 60.0, below: float = 0.15, window: float = 0.5) -> float:
    """Before each timed command: PostgreSQL writes its dirty pages (CHECKPOINT), then wait
    until the machine is idle (two windows under ``below`` CPU busy, at most ``limit``
    seconds), so the background work of the previous command (checkpoints, autovacuum,
    InnoDB flushing) is not timed as this one's. Returns the seconds waited."""
    started = time.perf_counter()
    try:
        import gen_orders

        with gen_orders.connect("postgres") as conn:
            conn.execute("CHECKPOINT")
    except Exception as exc:  # a bench without PostgreSQL still runs, only less settled
        log(f"  (settle: no CHECKPOINT: {exc})")
    quiet = 0
    while quiet < 2 and time.perf_counter() - started < limit:
        b0, t0 = cpu_times()
        time.sleep(window)
        b1, t1 = cpu_times()
        quiet = quiet + 1 if (b1 - b0) <= below * max(1, t1 - t0) else 0
    return time.perf_counter() - started


def measure(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
            stdin: int | None = None, shell: bool = False, settled: bool = True) -> Measured:
    """Run ``cmd`` to its end; wall time and peak memory of its process tree. ``settled``:
    first wait until the machine is idle (``settle``; not timed)."""
    if settled:
        settle()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd if not shell else " ".join(cmd), env=env, cwd=cwd, stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, shell=shell)
    sampler = _Sampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    tail = "\n".join(out.decode(errors="replace").splitlines()[-15:])
    return Measured(seconds, proc.returncode, sampler.tree, sampler.java, sampler.python, tail)


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB" if n else "-"


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine(load_before: float) -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
            f"{mem_gib:.0f} GiB RAM, load average {load_before:.1f} before the run")


def ratio(row: Row, floor: Row | None) -> str:
    if floor is None or not floor.seconds or row is floor:
        return "1.00x" if row is floor else "-"
    return f"{row.seconds / floor.seconds:.2f}x"


def table(rows: Sequence[Row]) -> str:
    """The side-by-side markdown table: per case, the floor first, then the rest by time."""
    lines = ["| Case | Method | Seconds | Rows/s | vs floor | Peak RSS | Verified | Note |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    for case in dict.fromkeys(r.case for r in rows):
        mine = [r for r in rows if r.case == case]
        floor = next((r for r in mine if r.floor), None)
        ordered = ([floor] if floor else []) + sorted((r for r in mine if r is not floor),
                                                      key=lambda r: r.seconds)
        for r in ordered:
            verified = {True: "yes", False: "**NO**", None: "-"}[r.verified]
            speed = f"{r.rows / r.seconds:,.0f}" if r.seconds and r.rows else "-"
            lines.append(f"| {case} | {r.method} | {r.seconds:.1f} | {speed} | "
                         f"{ratio(r, floor)} | {mib(r.peak_rss)} | {verified} | {r.note} |")
    return "\n".join(lines)


def section(title: str, header: str, rows: Sequence[Row], notes: Sequence[str] = ()) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"## {stamp}: {title}, commit {git_commit()}", "", header, "", table(rows)]
    if notes:
        body += ["", *[f"- {n}" for n in notes]]
    return "\n".join(body) + "\n"


def record(text: str) -> None:
    head = "# Benchmark results\n\nAppended by `make bench` (see bench/README.md). Newest last.\n\n"
    existing = RESULTS.read_text() if RESULTS.exists() else head
    RESULTS.write_text(existing.rstrip("\n") + "\n\n" + text)
    log(f"appended to {RESULTS.relative_to(ROOT)}")
