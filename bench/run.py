"""`make bench`: every relational pair side by side in one run, then change data capture.

  bench/pairs.py     PostgreSQL -> PostgreSQL (identity, and with a rename, an added column and
                     a changed type), MariaDB -> PostgreSQL, PostgreSQL -> MariaDB: the floor of
                     each pair, sparkdms and the peers (pgloader, Sling, dlt: bench/peers.py,
                     installed by scripts/bench-peers.sh), each target verified (count + checksum)
  bench/overhead.py  fixed cost, demo, validation ratio, 1 -> 2 workers, RSS 1M -> 10M
                     (--skip-overhead skips it; skipped with a note while the module is absent)
  bench/kinds.py     MariaDB <-> PostgreSQL with the kinds real tables hold (floats, instants, JSON,
                     time, char(n), enum, UUID, inet, binary): floor, direct copy, DataFrame path
                     (--skip-kinds; --kinds-rows N, default --rows)
  bench/validation.py  validation of an unchanged and a 0.01 % changed copy (--skip-validation)
  bench/cdc.py       change data capture under a steady write load (--skip-cdc, --cdc-only)

One markdown section with all cases in one table (ratios to each case's floor, peak RSS of
each command's process tree) is printed and appended to bench/results.md (--no-record skips).

    .venv/bin/python bench/run.py                      # 2,000,000 rows (quick)
    .venv/bin/python bench/run.py --rows 10000000      # the size of issue 11
    .venv/bin/python bench/run.py --rows 100000 --no-record --skip-cdc --skip-overhead
    .venv/bin/python bench/run.py --master spark://127.0.0.1:7077
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import gen_orders as gen
import pairs

PEERS = ("pgloader", "sling", "dlt", "spark-jdbc")


def log(message: str) -> None:
    print(message, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000,
                        help="source rows (default 2M; issue 11 measures 10M)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the source tables")
    parser.add_argument("--master", help="Spark master for sparkdms (default: the task's local[*])")
    parser.add_argument("--cases", help=f"comma-separated subset of {','.join(pairs.CASES)}")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated peers to run (default {','.join(PEERS)}; '' for none)")
    parser.add_argument("--skip-sparkdms", action="store_true", help="floors and peers only")
    parser.add_argument("--skip-overhead", action="store_true", help="skip bench/overhead.py")
    parser.add_argument("--skip-kinds", action="store_true", help="skip bench/kinds.py")
    parser.add_argument("--kinds-rows", type=int, help="rows of bench/kinds.py (default --rows)")
    parser.add_argument("--skip-validation", action="store_true", help="skip the validation case")
    parser.add_argument("--overhead-cases", help="subset of fixed,demo,validation,workers,rss "
                                                 "(bench/overhead.py; default all)")
    parser.add_argument("--rss-rows", default="1000000,10000000",
                        help="source sizes of the peak-RSS case (default 1000000,10000000)")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    parser.add_argument("--keep", action="store_true", help="keep the target databases")
    parser.add_argument("--skip-cdc", action="store_true", help="skip bench/cdc.py")
    parser.add_argument("--cdc-only", action="store_true", help="run only bench/cdc.py")
    parser.add_argument("--cdc-args", default="", help='arguments for bench/cdc.py, e.g. "--seconds 30"')
    args = parser.parse_args(argv)
    args.peers = [p for p in args.peers.split(",") if p]
    if unknown := set(args.peers) - set(PEERS):
        parser.error(f"unknown peers {sorted(unknown)}; known: {', '.join(PEERS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.cdc_only:
        return run_cdc(args)
    code = full_load(args)
    return code if args.skip_cdc else max(code, run_cdc(args))


def run_cdc(args: argparse.Namespace) -> int:
    """bench/cdc.py: changes/s applied and source-to-target latency under a write load."""
    import cdc

    extra = ["--no-record"] if args.no_record else []
    return cdc.main([*args.cdc_args.split(), *extra])


def kinds_rows(args: argparse.Namespace) -> list[common.Row]:
    """bench/kinds.py's rows: both ways between MariaDB and PostgreSQL with many kinds."""
    if args.skip_kinds or args.skip_sparkdms:
        return []
    import kinds

    out = kinds.run(args.kinds_rows or args.rows)
    if not args.keep:
        kinds.drop_targets()
    return out


def overhead_rows(args: argparse.Namespace) -> list[common.Row]:
    """bench/overhead.py's rows (another module; absent: skipped with a log line)."""
    if args.skip_overhead:
        return []
    try:
        import overhead
    except ImportError:
        log("bench/overhead.py not present yet: skipping the overhead cases")
        return []
    return list(overhead.run(args))


def server_versions() -> str:
    with gen.connect("postgres") as conn:
        pg = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]
    with gen.my_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT version()")
        my = str(cur.fetchone()[0]).split("-")[0]
    try:
        import pyspark

        spark = pyspark.__version__
    except ImportError:
        spark = "?"
    return f"PostgreSQL {pg}, MariaDB {my}, Spark {spark}"


def full_load(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    rows, notes = pairs.run(args)
    rows += kinds_rows(args)
    rows += overhead_rows(args)
    master = args.master or "local[*] (task)"
    header = (f"{common.machine(load_before)}; {server_versions()}, master `{master}`; "
              f"{args.rows:,} rows per source; wall time per command incl. JVM start, "
              "peak RSS of its process tree.")
    section = common.section(f"relational pairs side by side, {args.rows:,} rows", header, rows, notes)
    direct = next((r for r in rows if r.method == "sparkdms (direct copy)" and r.verified), None)
    validated = any(r.case.startswith("Validation") for r in rows)  # overhead.py's own case
    if direct and not args.skip_validation and not validated:
        import validation  # bench/validation.py: validate unchanged and 0.01 % changed copies

        section += "\n" + validation.run_case(load=(direct.seconds, float(direct.extra.get("load", 0))),
                                              master=args.master)
    log("\n" + section)
    if not args.no_record:
        common.record(section)
    failed = [r for r in rows if r.verified is False or (r.verified is None and r.floor)]
    ours = [r for r in rows if r.method.startswith("sparkdms") and r.verified is not True]
    return 1 if failed or ours else 0


if __name__ == "__main__":
    sys.exit(main())
