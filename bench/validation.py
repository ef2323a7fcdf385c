"""Validation benchmark: validating an unchanged table against the load it checks (the floor,
1.00x; goal <= 0.5x), beside the physical floor of reading both sides:

  (a) load        sparkdms run of the orders table into bench_dst_validate (the floor), or the
                  load time the caller measured (run_case(load=...)): then the copy is made by
                  CREATE DATABASE ... TEMPLATE
  (b) baseline    psql "COPY orders TO STDOUT" | sha256sum on both sides at once
  (c) unchanged   sparkdms validate of the identical copy
  (d) 0.01 %      sparkdms validate after changing 1 row in 10,000 on the copy: every changed
                  row must be reported, nothing else

    .venv/bin/python bench/validation.py                  # the load with sparkdms run, timed
    .venv/bin/python bench/validation.py --source-db bench_ovh_src_200000
    .venv/bin/python bench/validation.py --no-record      # print, do not append to results.md

case_rows() returns common.Row's (bench/overhead.py calls it); run_case() returns markdown.
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
import common
import gen_orders as gen
from common import Row

ROOT = common.ROOT
SPARKDMS = common.SPARKDMS
BASE_TASK = ROOT / "bench" / "pg-to-pg.yaml"
TASK = ROOT / "out" / "bench-validate.yaml"
COPY_DB = "bench_dst_validate"
CHANGE_EVERY = 10_000  # 0.01 %
CASE = "Validation of an unchanged table"
CHECKSUM_SQL = "SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM public.orders t"

log = common.log


def env() -> dict[str, str]:
    return {**os.environ, "SPARKDMS_PG_PASSWORD": gen.pg_params("postgres")["password"]}


def checksum(database: str) -> tuple[int, int]:
    """Row count and sum(hashtext(row::text)) of public.orders (type, scale, order sensitive)."""
    with gen.connect(database) as conn:
        count, total = conn.execute(CHECKSUM_SQL).fetchone()
    return int(count), int(total)


def write_task(changed: int, partition_size: int | None = None,
               source_db: str = gen.SOURCE_DB) -> Path:
    doc = yaml.safe_load(BASE_TASK.read_text())
    doc["name"] = "bench-validate"
    doc["source"]["database"] = source_db
    doc["target"]["database"] = COPY_DB
    doc.setdefault("settings", {})["ValidationSettings"] = {
        "TableFailureMaxCount": max(1000, changed + 10), "FailureMaxCount": max(10_000, changed + 10)}
    if partition_size:
        doc["settings"]["ValidationSettings"]["PartitionSize"] = partition_size
    TASK.parent.mkdir(parents=True, exist_ok=True)
    TASK.write_text(yaml.safe_dump(doc, sort_keys=False))
    return TASK


def sparkdms(command: str, task: Path, report: Path, master: str | None,
             conf: tuple[str, ...] = ()) -> tuple[common.Measured, dict]:
    """One CLI run as a user runs it (JVM start included), timed with its peak RSS."""
    report.unlink(missing_ok=True)
    cmd = [str(SPARKDMS), command, str(task), "--report", str(report)]
    if master:
        cmd += ["--master", master]
    for item in conf:
        cmd += ["--conf", item]
    log(f"$ sparkdms {' '.join(cmd[1:])}")
    measured = common.measure(cmd, env=env())
    data = json.loads(report.read_text()) if report.exists() else {}
    if measured.returncode and command == "run":
        raise RuntimeError(f"sparkdms run {task.name} failed ({measured.returncode}): "
                           f"{measured.output.splitlines()[-1:] or ''}")
    return measured, data


def copy_by_template(source_db: str = gen.SOURCE_DB) -> float:
    started = time.perf_counter()
    with gen.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{COPY_DB}" TEMPLATE "{source_db}"')
    return time.perf_counter() - started


def sha256_of_copy(database: str, out: dict[str, str]) -> None:
    p = gen.pg_params(database)
    cmd = ["psql", "-X", "-q", "-h", p["host"], "-p", str(p["port"]), "-U", p["user"], "-d",
           database, "-c", "COPY (SELECT * FROM public.orders ORDER BY order_id) TO STDOUT"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=gen.psql_env())
    digest = hashlib.sha256()
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
        digest.update(chunk)
    if proc.wait():
        raise SystemExit(f"COPY from {database} failed")
    out[database] = digest.hexdigest()


def baseline(source_db: str = gen.SOURCE_DB) -> tuple[float, bool]:
    """Both sides streamed through sha256 at once (the same order, so equal tables hash equal)."""
    digests: dict[str, str] = {}
    started = time.perf_counter()
    threads = [threading.Thread(target=sha256_of_copy, args=(db, digests))
               for db in (source_db, COPY_DB)]
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


def load_row(source_db: str, rows: int, task: Path, master: str | None,
             load: tuple[float, float] | None) -> Row:
    """The floor: the load that made the copy (timed here, or measured by the caller)."""
    if load is not None:
        log(f"copying {source_db} to {COPY_DB} (CREATE DATABASE ... TEMPLATE)")
        copy_by_template(source_db)
        return Row(CASE, "sparkdms run (the load)", load[0], rows, None, floor=True,
                   note=f"measured by the caller; table load {load[1]:.1f} s")
    gen.recreate_database(COPY_DB)
    measured, report = sparkdms("run", task, ROOT / "out" / "bench-validate-load.json", master)
    ok = checksum(COPY_DB) == checksum(source_db)
    return Row(CASE, "sparkdms run (the load)", measured.seconds, rows, ok, floor=True,
               peak_rss=measured.peak_tree,
               note=f"direct copy; table load {table_stats(report).get('ElapsedSeconds')} s")


def validate_row(label: str, changed: int, task: Path, master: str | None, rows: int) -> Row:
    measured, report = sparkdms("validate", task, ROOT / "out" / "bench-validate.json", master)
    t = table_stats(report)
    ok = (measured.returncode == 0 and t.get("ValidationState") == "Validated") if not changed else (
        t.get("ValidationState") == "Mismatched records"
        and t.get("ValidationFailedRecords") == changed)
    note = (f"{t.get('ValidationState')}, {t.get('ValidationFailedRecords')} reported of "
            f"{changed} changed; checksums {t.get('ValidationChecksumSeconds')} s, "
            f"{t.get('ValidationChecksumPasses')} passes; expectations "
            f"{t.get('ValidationExpectationsSeconds')} s; JVM {common.mib(measured.peak_java)}, "
            f"Python {common.mib(measured.peak_python)}")
    return Row(CASE, label, measured.seconds, rows, ok, peak_rss=measured.peak_tree, note=note)


def case_rows(source_db: str = gen.SOURCE_DB, master: str | None = None,
              load: tuple[float, float] | None = None,
              partition_size: int | None = None) -> list[Row]:
    """The load (floor), the sha256 floor of reading both sides, validate unchanged and
    validate with 0.01 % changed. ``verified``: the copy equals the source (load, sha256) or
    the validation verdict is right (every changed row reported, nothing else)."""
    rows, _ = checksum(source_db)
    changed_expected = sum(1 for i in range(1, rows + 1) if i % CHANGE_EVERY == 1234)
    task = write_task(changed_expected, partition_size, source_db)
    out = [load_row(source_db, rows, task, master, load)]
    seconds, same = baseline(source_db)
    out.append(Row(CASE, "COPY TO STDOUT \\| sha256sum, both sides", seconds, rows, same,
                   note="equal" if same else "DIFFERENT"))
    out.append(validate_row("sparkdms validate, unchanged", 0, task, master, rows))
    out.append(validate_row("sparkdms validate, 0.01 % changed", change_rows(), task, master, rows))
    return out


def drop_copy() -> None:
    with gen.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_DB}" WITH (FORCE)')


def run_case(load: tuple[float, float] | None = None, master: str | None = None,
             load_with_sparkdms: bool = False, partition_size: int | None = None) -> str:
    """Markdown of case_rows() on bench_src (kept for bench/run.py)."""
    if gen.source_rows() is None:
        log("bench_src.public.orders is missing: generating 2,000,000 rows")
        gen.generate(2_000_000, log)
    rows = case_rows(master=master, load=None if load_with_sparkdms else load,
                     partition_size=partition_size)
    return common.section(f"validation of {rows[0].rows:,} rows ({gen.TABLE})",
                          f"Spark master `{master or 'local[*] (task)'}`.", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-db", default=gen.SOURCE_DB, help="source database (public.orders)")
    parser.add_argument("--master", help="Spark master for sparkdms")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    parser.add_argument("--keep", action="store_true", help=f"keep {COPY_DB}")
    parser.add_argument("--partition-size", type=int, help="ValidationSettings.PartitionSize")
    args = parser.parse_args(argv)
    rows = case_rows(args.source_db, args.master, None, args.partition_size)
    log("\n" + common.table(rows))
    if not args.no_record:
        common.record(common.section(f"validation of {rows[0].rows:,} rows",
                                     f"Spark master `{args.master or 'local[*] (task)'}`.", rows))
    if not args.keep:
        drop_copy()
    return 0 if all(r.verified is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
