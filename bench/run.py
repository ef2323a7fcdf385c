"""PostgreSQL -> PostgreSQL full load: sparkdms against the physical limit.

In one run, on the same server and the same source table (bench/gen_orders.py):

  (a) baseline   psql -c "COPY orders TO STDOUT" | psql -c "COPY orders FROM STDIN"
                 into a pre-created empty table (same DDL and primary key) in bench_dst_copy
  (b) sparkdms   .venv/bin/sparkdms run bench/pg-to-pg.yaml --report out/bench-report.json
                 into bench_dst_sparkdms (DROP_AND_CREATE)

Both targets must match the source in row count and checksum (sum(hashtext(row::text)),
which also catches a changed type, scale or column order). Prints the times, rows/s
and the ratio, and appends a markdown section to bench/results.md.

    .venv/bin/python bench/run.py                   # 2,000,000 rows
    .venv/bin/python bench/run.py --rows 200000 --no-record
    .venv/bin/python bench/run.py --master spark://127.0.0.1:7077

Then bench/cdc.py (change data capture under a steady write load; --skip-cdc skips it,
--cdc-only runs only it, --cdc-args "..." passes it arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gen_orders as gen

ROOT = Path(__file__).resolve().parent.parent
TASK = ROOT / "bench" / "pg-to-pg.yaml"
TASK_DATAFRAME = ROOT / "bench" / "pg-to-pg-dataframe.yaml"  # same, with Sparkdms.DirectCopy off
REPORT = ROOT / "out" / "bench-report.json"
RESULTS = ROOT / "bench" / "results.md"
SPARKDMS = ROOT / ".venv" / "bin" / "sparkdms"
COPY_DB = "bench_dst_copy"
SPARKDMS_DB = "bench_dst_sparkdms"
CHECKSUM_SQL = "SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM public.orders t"


@dataclass
class Result:
    method: str
    seconds: float
    rows: int
    checksum_ok: bool
    note: str = ""
    load_seconds: float = 0.0  # sparkdms: the report's table load time (no JVM start, planning)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def log(message: str) -> None:
    print(message, flush=True)


def checksum(database: str) -> tuple[int, int]:
    with gen.connect(database) as conn:
        count, total = conn.execute(CHECKSUM_SQL).fetchone()
    return int(count), int(total)


def psql(database: str, command: str) -> list[str]:
    p = gen.pg_params(database)
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", p["host"], "-p", str(p["port"]),
            "-U", p["user"], "-d", database, "-c", command]  # fmt: skip


def psql_env() -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": gen.pg_params("postgres")["password"]}


def run_copy_baseline() -> float:
    """COPY pipe between two psql processes; returns seconds for the COPY alone."""
    gen.recreate_database(COPY_DB)
    with gen.connect(COPY_DB) as conn:
        conn.execute(gen.ORDERS_DDL)
        conn.execute(gen.ORDERS_PK)
    env = psql_env()
    started = time.perf_counter()
    reader = subprocess.Popen(
        psql(gen.SOURCE_DB, "COPY public.orders TO STDOUT"), stdout=subprocess.PIPE, env=env
    )
    writer = subprocess.Popen(psql(COPY_DB, "COPY public.orders FROM STDIN"), stdin=reader.stdout, env=env)
    assert reader.stdout is not None
    reader.stdout.close()  # the writer holds the pipe now; reader gets SIGPIPE if writer dies
    writer_rc, reader_rc = writer.wait(), reader.wait()
    seconds = time.perf_counter() - started
    if writer_rc or reader_rc:
        raise SystemExit(f"COPY pipe failed (reader exit {reader_rc}, writer exit {writer_rc})")
    return seconds


def run_sparkdms(master: str | None, task: Path = TASK) -> tuple[float, dict[str, Any]]:
    """The CLI as a user runs it (JVM start included); returns wall seconds and the report."""
    if not SPARKDMS.exists():
        raise SystemExit(f"{SPARKDMS} not found: run `make venv` (or use --skip-sparkdms)")
    gen.recreate_database(SPARKDMS_DB)
    REPORT.unlink(missing_ok=True)
    cmd = [str(SPARKDMS), "run", str(task), "--report", str(REPORT)]
    if master:
        cmd += ["--master", master]
    env = {**os.environ, "SPARKDMS_PG_PASSWORD": gen.pg_params("postgres")["password"]}
    log(f"$ {' '.join(Path(c).name if c == str(SPARKDMS) else c for c in cmd)}")
    started = time.perf_counter()
    rc = subprocess.run(cmd, env=env, cwd=ROOT).returncode
    seconds = time.perf_counter() - started
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    if rc != 0:
        raise SystemExit(f"sparkdms run failed with exit code {rc} (report: {REPORT})")
    return seconds, report


def load_seconds(report: dict[str, Any]) -> tuple[float, int]:
    """The report's own load time for orders (no JVM start, discovery or planning)."""
    for table in report.get("tables", []):
        if table.get("TableName") == gen.TABLE:
            return float(table.get("ElapsedSeconds") or 0.0), int(table.get("Partitions") or 0)
    return 0.0, 0


def verify(name: str, database: str, expected: tuple[int, int]) -> bool:
    got = checksum(database)
    ok = got == expected
    status = "ok" if ok else f"MISMATCH: {got[0]:,} rows, checksum {got[1]} (expected {expected})"
    log(f"  verify {name}: {status}")
    return ok


def server_version() -> str:
    with gen.connect("postgres") as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine(load_before: float) -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # Other work on the box skews both timings: record the 1-minute load before we started.
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, "
            f"load average {load_before:.1f} before the run")  # fmt: skip


def markdown(results: list[Result], rows: int, master: str, load_before: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        import pyspark

        spark = pyspark.__version__
    except ImportError:
        spark = "?"
    lines = [
        f"## {stamp}: {rows:,} rows, commit {git_commit()}",
        "",
        f"{machine(load_before)}; PostgreSQL {server_version()}; Spark {spark}, master `{master}`"
        + (f"; PYSPARK_PYTHON={os.environ['PYSPARK_PYTHON']}." if "PYSPARK_PYTHON" in os.environ else "."),
        "",
        "| Method | Seconds | Rows/s | Verified | Note |",
        "|---|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.method} | {r.seconds:.1f} | {r.rows_per_second:,.0f} | "
                     f"{'yes' if r.checksum_ok else '**NO**'} | {r.note} |")  # fmt: skip
    base = results[0].seconds
    for ours in results[1:] if base else []:
        lines += ["", f"{ours.method} / COPY: **{ours.seconds / base:.2f}x** wall time"]
        if ours.load_seconds:
            lines[-1] += f", {ours.load_seconds / base:.2f}x table load only"
    return "\n".join(lines) + "\n"


def record(section: str) -> None:
    header = "# Benchmark results\n\nAppended by `bench/run.py` (see bench/README.md). Newest last.\n\n"
    existing = RESULTS.read_text() if RESULTS.exists() else header
    RESULTS.write_text(existing.rstrip("\n") + "\n\n" + section)
    log(f"appended to {RESULTS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="source rows (default 2M)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the source table")
    parser.add_argument("--master", help="Spark master for sparkdms (default: the task's local[*])")
    parser.add_argument("--skip-sparkdms", action="store_true", help="run only the COPY baseline")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    parser.add_argument("--skip-validation", action="store_true", help="skip the validation case")
    parser.add_argument("--keep", action="store_true", help="keep the target databases")
    parser.add_argument("--skip-cdc", action="store_true", help="skip bench/cdc.py")
    parser.add_argument("--cdc-only", action="store_true", help="run only bench/cdc.py")
    parser.add_argument("--cdc-args", default="", help='arguments for bench/cdc.py, e.g. "--seconds 30"')
    args = parser.parse_args(argv)
    if args.cdc_only:
        return run_cdc(args)
    code = full_load(args)
    return code if args.skip_cdc else max(code, run_cdc(args))


def run_cdc(args: argparse.Namespace) -> int:
    """bench/cdc.py: changes/s applied and source-to-target latency under a write load."""
    import cdc

    extra = ["--no-record"] if args.no_record else []
    return cdc.main([*args.cdc_args.split(), *extra])


def full_load(args: argparse.Namespace) -> int:
    if shutil.which("psql") is None:
        raise SystemExit("psql not found: run `make services` (installs PostgreSQL)")
    load_before = os.getloadavg()[0]

    have = gen.source_rows()
    if args.regenerate or have != args.rows:
        log(f"Source: generating {args.rows:,} rows (found {have if have is not None else 'none'})")
        gen.generate(args.rows, log=log)
    expected = checksum(gen.SOURCE_DB)
    log(f"Source {gen.SOURCE_DB}.public.orders: {expected[0]:,} rows, checksum {expected[1]}")

    results: list[Result] = []
    log("\n(a) COPY pipe: psql COPY TO STDOUT | psql COPY FROM STDIN")
    seconds = run_copy_baseline()
    ok = verify("COPY", COPY_DB, expected)
    results.append(Result("COPY pipe, psql → psql", seconds, expected[0], ok, "pre-created table"))
    log(f"  {seconds:.1f} s, {results[-1].rows_per_second:,.0f} rows/s")

    master = args.master or "local[*] (task)"
    if not args.skip_sparkdms:
        for label, task in (("sparkdms run (direct copy)", TASK),
                            ("sparkdms run (DataFrame path)", TASK_DATAFRAME)):
            log(f"\n(b) {label}")
            seconds, report = run_sparkdms(args.master, task)
            ok = verify("sparkdms", SPARKDMS_DB, expected)
            load, parts = load_seconds(report)
            note = f"wall time incl. JVM start; table load {load:.1f} s, {parts} partitions"
            results.append(Result(label, seconds, expected[0], ok, note, load))
            log(f"  {seconds:.1f} s wall ({load:.1f} s table load), "
                f"{results[-1].rows_per_second:,.0f} rows/s")  # fmt: skip

    section = markdown(results, expected[0], master, load_before)
    if not args.skip_sparkdms and not args.skip_validation:
        import validation  # bench/validation.py: validate unchanged and 0.01 % changed copies

        direct = results[1]
        section += "\n" + validation.run_case(load=(direct.seconds, direct.load_seconds),
                                              master=args.master)
    log("\n" + section)
    if not args.no_record:
        record(section)
    if not args.keep:
        with gen.connect("postgres") as conn:
            for db in (COPY_DB, SPARKDMS_DB):
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return 0 if all(r.checksum_ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
