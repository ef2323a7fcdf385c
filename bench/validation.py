"""Validation benchmark on bench_src.public.orders (bench/gen_orders.py), side by side with
the load it checks and with the physical floor of reading both sides:

  (a) load        sparkdms run of the orders table into bench_dst_validate (--load), or the
                  load time bench/run.py measured (run_case(load=...))
  (b) baseline    psql "COPY orders TO STDOUT" | sha256sum on both sides at once
  (c) unchanged   sparkdms validate of the identical copy
  (d) 0.01 %      sparkdms validate after changing 1 row in 10,000 on the copy: every changed
                  row must be reported, nothing else

    .venv/bin/python bench/validation.py                  # copy by CREATE DATABASE ... TEMPLATE
    .venv/bin/python bench/validation.py --load           # copy with sparkdms run, timed
    .venv/bin/python bench/validation.py --no-record      # print, do not append to results.md

bench/run.py calls run_case() after its own load and appends the returned markdown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_orders as gen

ROOT = Path(__file__).resolve().parent.parent
SPARKDMS = ROOT / ".venv" / "bin" / "sparkdms"
BASE_TASK = ROOT / "bench" / "pg-to-pg.yaml"
TASK = ROOT / "out" / "bench-validate.yaml"
RESULTS = ROOT / "bench" / "results.md"
COPY_DB = "bench_dst_validate"
CHANGE_EVERY = 10_000  # 0.01 %


def log(message: str) -> None:
    print(message, flush=True)


def env() -> dict[str, str]:
    return {**os.environ, "SPARKDMS_PG_PASSWORD": gen.pg_params("postgres")["password"]}


def write_task(changed: int, partition_size: int | None = None) -> Path:
    doc = yaml.safe_load(BASE_TASK.read_text())
    doc["name"] = "bench-validate"
    doc["target"]["database"] = COPY_DB
    doc.setdefault("settings", {})["ValidationSettings"] = {
        "TableFailureMaxCount": max(1000, changed + 10), "FailureMaxCount": max(10_000, changed + 10)}
    if partition_size:
        doc["settings"]["ValidationSettings"]["PartitionSize"] = partition_size
    TASK.parent.mkdir(parents=True, exist_ok=True)
    TASK.write_text(yaml.safe_dump(doc, sort_keys=False))
    return TASK


def sparkdms(command: str, task: Path, report: Path, master: str | None) -> tuple[float, int, dict]:
    report.unlink(missing_ok=True)
    cmd = [str(SPARKDMS), command, str(task), "--report", str(report)]
    if master:
        cmd += ["--master", master]
    log(f"$ sparkdms {command} {task.relative_to(ROOT)}")
    started = time.perf_counter()
    rc = subprocess.run(cmd, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - started
    data = json.loads(report.read_text()) if report.exists() else {}
    return seconds, rc, data


def copy_by_template() -> float:
    started = time.perf_counter()
    with gen.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{COPY_DB}" TEMPLATE "{gen.SOURCE_DB}"')
    return time.perf_counter() - started


def sha256_of_copy(database: str, out: dict[str, str]) -> None:
    p = gen.pg_params(database)
    cmd = ["psql", "-X", "-q", "-h", p["host"], "-p", str(p["port"]), "-U", p["user"], "-d",
           database, "-c", "COPY (SELECT * FROM public.orders ORDER BY order_id) TO STDOUT"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env={**os.environ, "PGPASSWORD": p["password"]})
    digest = hashlib.sha256()
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
        digest.update(chunk)
    if proc.wait():
        raise SystemExit(f"COPY from {database} failed")
    out[database] = digest.hexdigest()


def baseline() -> tuple[float, bool]:
    """Both sides streamed through sha256 at once (the same order, so equal tables hash equal)."""
    digests: dict[str, str] = {}
    started = time.perf_counter()
    threads = [threading.Thread(target=sha256_of_copy, args=(db, digests))
               for db in (gen.SOURCE_DB, COPY_DB)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, len(set(digests.values())) == 1


def change_rows() -> int:
    with gen.connect(COPY_DB) as conn:
        cur = conn.execute(f"UPDATE public.orders SET amount = amount + 0.01 "
                           f"WHERE order_id % {CHANGE_EVERY} = 1234")
        return cur.rowcount


def table_stats(report: dict) -> dict[str, Any]:
    return next((t for t in report.get("tables", []) if t.get("TableName") == gen.TABLE), {})


def run_case(load: tuple[float, float] | None = None, master: str | None = None,
             load_with_sparkdms: bool = False, partition_size: int | None = None) -> str:
    """Returns the markdown section. ``load``: (wall seconds, table load seconds) measured by
    the caller; else the copy is made with sparkdms run (timed) or by a template copy."""
    rows = gen.source_rows()
    if rows is None:
        log("bench_src.public.orders is missing: generating 2,000,000 rows")
        gen.generate(2_000_000, log)
        rows = gen.source_rows() or 0
    changed_expected = sum(1 for i in range(1, rows + 1) if i % CHANGE_EVERY == 1234)
    task = write_task(changed_expected, partition_size)
    lines: list[tuple[str, float, str]] = []
    if load_with_sparkdms:
        gen.recreate_database(COPY_DB)
        wall, rc, report = sparkdms("run", task, ROOT / "out" / "bench-validate-load.json", master)
        if rc:
            raise SystemExit(f"sparkdms run failed ({rc})")
        load = (wall, float(table_stats(report).get("ElapsedSeconds") or 0.0))
    else:
        log(f"copying {gen.SOURCE_DB} to {COPY_DB} (CREATE DATABASE ... TEMPLATE)")
        copy_by_template()
    if load is not None:
        lines.append(("sparkdms run (the load)", load[0], f"table load {load[1]:.1f} s"))
    seconds, same = baseline()
    lines.append(("COPY TO STDOUT \\| sha256sum, both sides", seconds,
                  "equal" if same else "DIFFERENT"))
    for label, prepare in (("sparkdms validate, unchanged", None),
                           ("sparkdms validate, 0.01 % changed", change_rows)):
        changed = prepare() if prepare else 0
        wall, rc, report = sparkdms("validate", task, ROOT / "out" / "bench-validate.json", master)
        t = table_stats(report)
        ok = (rc == 0 and t.get("ValidationState") == "Validated") if not changed else (
            t.get("ValidationState") == "Mismatched records"
            and t.get("ValidationFailedRecords") == changed)
        lines.append((label, wall,
                      f"{t.get('ValidationState')}, {t.get('ValidationFailedRecords')} failed "
                      f"of {changed} changed; checksums {t.get('ValidationChecksumSeconds')} s, "
                      f"{t.get('ValidationChecksumPasses')} passes; expectations "
                      f"{t.get('ValidationExpectationsSeconds')} s; {'ok' if ok else 'WRONG'}"))
    head = (f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC: validation of "
            f"{rows:,} rows ({gen.TABLE})\n\n| Method | Seconds | Note |\n|---|---:|---|\n")
    return head + "".join(f"| {m} | {s:.1f} | {n} |\n" for m, s, n in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="make the copy with sparkdms run, timed")
    parser.add_argument("--master", help="Spark master for sparkdms")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    parser.add_argument("--keep", action="store_true", help=f"keep {COPY_DB}")
    parser.add_argument("--partition-size", type=int, help="ValidationSettings.PartitionSize")
    args = parser.parse_args(argv)
    section = run_case(master=args.master, load_with_sparkdms=args.load,
                       partition_size=args.partition_size)
    log("\n" + section)
    if not args.no_record:
        with RESULTS.open("a") as fh:
            fh.write("\n" + section)
    if not args.keep:
        with gen.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{COPY_DB}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
