"""The relational pair cases of `make bench`, side by side in one run.

For each pair, the floor (the fastest plain path between the two servers), sparkdms, and the
peers a user would pick instead (pgloader, Sling, dlt: bench/peers.py), each into its own
empty target database, each target checked for row count and an engine-neutral checksum
(bench/checksum.py) against its source:

  1. PostgreSQL -> PostgreSQL, identity   floor: psql COPY TO STDOUT | psql COPY FROM STDIN
  2. PostgreSQL -> PostgreSQL, transformed (rename, added column, changed type)
                                          floor: the same COPY pipe of the transforming SELECT
  3. MariaDB -> PostgreSQL                floor: SELECT ... INTO OUTFILE, then psql \\copy FROM
  4. PostgreSQL -> MariaDB                floor: psql \\copy TO a file, then LOAD DATA LOCAL INFILE

Every command is timed by common.measure() (wall time, peak RSS of its process tree).
A method that fails is a row marked failed with its first error line, never dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import checksum as ck
import gen_orders as gen
import peers
import psycopg
import pymysql
from common import ROOT, SPARKDMS, Measured, Row, log, measure
from peers import End, PeerError

REPORT = ROOT / "out" / "bench-report.json"
FILES = Path(os.environ.get("SPARKDMS_BENCH_FILES", "/tmp/sparkdms-bench"))  # MariaDB writes here
# SPARKDMS_BENCH_OUTFILE=0: the MariaDB floor dumps with `mariadb --batch` (a server on another host)
OUTFILE = os.environ.get("SPARKDMS_BENCH_OUTFILE", "1") != "0"
TASKS = {
    "direct": ROOT / "bench" / "pg-to-pg.yaml",
    "dataframe": ROOT / "bench" / "pg-to-pg-dataframe.yaml",
    "transform": ROOT / "bench" / "pg-to-pg-transform.yaml",
    "my-to-pg": ROOT / "bench" / "mariadb-to-pg.yaml",
    "pg-to-my": ROOT / "bench" / "pg-to-mariadb.yaml",
    "pg-to-my-dataframe": ROOT / "bench" / "pg-to-mariadb-dataframe.yaml",
}
CASES = {
    "pg-pg": "PostgreSQL → PostgreSQL, identity",
    "pg-pg-t": "PostgreSQL → PostgreSQL, rename + added column + changed type",
    "my-pg": "MariaDB → PostgreSQL",
    "pg-my": "PostgreSQL → MariaDB",
}

# The transformation of case 2, as the task's rules do it and as SQL on the source (the view
# its target is checked against): customer renamed, order_tag added, quantity int4 -> int8.
TRANSFORM_COLUMNS = (*[(("customer_name" if c == "customer" else c), k) for c, k in ck.ORDERS_COLUMNS],
                     ("order_tag", "text"))
TRANSFORM_SELECT = ("SELECT order_id, amount, ordered_at, customer AS customer_name, note, is_paid, "
                    "quantity::bigint AS quantity, coupon_id, ('o-' || order_id)::varchar(24) AS order_tag "
                    "FROM public.orders")
TRANSFORM_DDL = """
CREATE TABLE public.orders (
    order_id bigint NOT NULL PRIMARY KEY, amount numeric(12,2) NOT NULL,
    ordered_at timestamp NOT NULL, customer_name varchar(64) NOT NULL, note text,
    is_paid boolean NOT NULL, quantity bigint, coupon_id integer, order_tag varchar(24))"""
TRANSFORM_TYPES = {"customer_name": "character varying", "quantity": "bigint",
                   "order_tag": "character varying"}
# The floors' pre-created PostgreSQL target: the source's DDL and its primary key.
PG_ORDERS_DDL = f"{gen.ORDERS_DDL};\n{gen.ORDERS_PK}"
MY_SELECT = ("SELECT order_id, amount, ordered_at, customer, note, is_paid, quantity, coupon_id "
             "FROM `orders`")


def pg(database: str) -> End:
    return End("postgres", database)


def my(database: str) -> End:
    return End("mariadb", database)


def dst_db(method: str) -> str:
    return f"bench_dst_{method.replace('-', '_')}"


# --- target preparation and verification ------------------------------------------------

def fresh(end: End, ddl: str | None = None) -> End:
    """Recreate the target database empty (and its table, for the floors)."""
    if end.engine == "postgres":
        gen.recreate_database(end.database)
        if ddl:
            with gen.connect(end.database) as conn:
                conn.execute(ddl)
    else:
        gen.my_recreate_database(end.database)
        if ddl:
            with gen.my_connect(end.database) as conn, conn.cursor() as cur:
                cur.execute(ddl)
    return end


def connect(end: End) -> Any:
    return gen.connect(end.database) if end.engine == "postgres" else gen.my_connect(end.database)


def table_checksum(end: End, columns: tuple[tuple[str, str], ...] = ck.ORDERS_COLUMNS) -> tuple[int, int]:
    with connect(end) as conn:
        return ck.checksum(conn, end.engine, ck.relation(end.engine, end.schema, end.table),
                           ck.named(end.engine, columns))


def pg_column_types(end: End) -> dict[str, str]:
    with gen.connect(end.database) as conn:
        rows = conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = %s AND table_name = %s", (end.schema, end.table))
        return {name: dtype for name, dtype in rows.fetchall()}


@dataclass
class Case:
    key: str
    source: End
    expected: tuple[int, int]
    columns: tuple[tuple[str, str], ...] = ck.ORDERS_COLUMNS
    types: dict[str, str] = field(default_factory=dict)  # PostgreSQL target column -> data_type

    def verify(self, target: End) -> tuple[bool, str]:
        try:
            got = table_checksum(target, self.columns)
            wrong = {c: t for c, t in pg_column_types(target).items()
                     if c in self.types and self.types[c] != t} if self.types else {}
        except Exception as exc:  # a target that cannot be read fails the check
            return False, f"check failed: {str(exc).splitlines()[0][:150]}"
        if got[0] != self.expected[0]:
            return False, f"{got[0]:,} rows, expected {self.expected[0]:,}"
        if got[1] != self.expected[1]:
            return False, "checksum differs"
        if wrong:
            return False, f"types {wrong}, expected {self.types}"
        return True, ""


# --- the commands -------------------------------------------------------------------------

def psql(database: str, command: str) -> list[str]:
    return gen.psql_cmd(database, command)


def mariadb(database: str, statement: str) -> list[str]:
    p = gen.my_params(database)
    return ["mariadb", "--local-infile=1", "-h", p["host"], "-P", str(p["port"]), "-u", p["user"],
            database, "-e", statement]


def my_env() -> dict[str, str]:
    return {**os.environ, "MYSQL_PWD": str(gen.my_params(None)["password"])}


def both_env() -> dict[str, str]:
    return {**gen.psql_env(), "MYSQL_PWD": str(gen.my_params(None)["password"]),
            "SPARKDMS_PG_PASSWORD": str(gen.pg_params("postgres")["password"]),
            "SPARKDMS_MY_PASSWORD": str(gen.my_params(None)["password"])}


def pipe(left: list[str], right: list[str]) -> list[str]:
    return ["bash", "-o", "pipefail", "-c", f"{shlex.join(left)} | {shlex.join(right)}"]


def steps(*runs: Callable[[], Measured]) -> Measured:
    """Run measured steps one after the other; a failed step stops the sequence."""
    total = Measured(0.0, 0)
    for one in runs:
        m = one()
        total.seconds += m.seconds
        total.peak_tree = max(total.peak_tree, m.peak_tree)
        total.returncode, total.output = m.returncode, m.output
        if m.returncode:
            break
    return total


def quote_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def floor_copy_pipe(select: str, ddl: str) -> Measured:
    target = fresh(pg(dst_db("copy")), ddl)
    return measure(pipe(psql(gen.SOURCE_DB, f"COPY ({select}) TO STDOUT"),
                        psql(target.database, "COPY public.orders FROM STDIN")), env=both_env())


FLOOR_NOTES: dict[str, str] = {}


def floor_my_to_pg() -> Measured:
    """SELECT ... INTO OUTFILE (the server writes the file; same host), then psql \\copy FROM.
    Where the server cannot write a readable file, `mariadb --batch` to a file instead."""
    target = fresh(pg(dst_db("copy")), PG_ORDERS_DDL)
    FILES.mkdir(parents=True, exist_ok=True)
    FILES.chmod(0o777)
    path = FILES / "orders-from-mariadb.tsv"
    path.unlink(missing_ok=True)
    outfile = mariadb(gen.SOURCE_DB, f"{MY_SELECT} INTO OUTFILE {quote_literal(str(path))}")
    load = psql(target.database, f"\\copy public.orders FROM {quote_literal(str(path))}")
    m = Measured(0.0, 1)
    if OUTFILE:
        m = steps(lambda: measure(outfile, env=my_env()),
                  lambda: measure(load, env=both_env(), settled=False))
        FLOOR_NOTES["my-pg"] = "SELECT … INTO OUTFILE, then psql \\copy FROM the file"
    if m.returncode and not path.exists():  # the server could not write there: client-side file
        batch = ["bash", "-o", "pipefail", "-c",
                 shlex.join(["mariadb", "--batch", "--skip-column-names", "--quick",
                             *mariadb(gen.SOURCE_DB, MY_SELECT)[1:]]) + " > " + shlex.quote(str(path))]
        load_null = psql(target.database, f"\\copy public.orders FROM {quote_literal(str(path))} "
                                          "WITH (NULL 'NULL')")
        m = steps(lambda: measure(batch, env=my_env()),
                  lambda: measure(load_null, env=both_env(), settled=False))
        FLOOR_NOTES["my-pg"] = ("`mariadb --batch` to a file (INTO OUTFILE "
                                f"{'failed' if OUTFILE else 'off'}), then psql \\copy FROM")
    path.unlink(missing_ok=True)
    return m


def floor_pg_to_my() -> Measured:
    """psql \\copy (SELECT ...) TO a file, then LOAD DATA LOCAL INFILE into a pre-created table."""
    target = fresh(my(dst_db("copy")), gen.MY_ORDERS_DDL)
    FILES.mkdir(parents=True, exist_ok=True)
    path = FILES / "orders-from-postgres.tsv"
    path.unlink(missing_ok=True)
    query = gen.COPY_FOR_MARIADB.removesuffix(" TO STDOUT").replace("COPY ", "\\copy ", 1)
    dump = psql(gen.SOURCE_DB, f"{query} TO {quote_literal(str(path))}")
    load = mariadb(target.database, f"LOAD DATA LOCAL INFILE {quote_literal(str(path))} "
                                    "INTO TABLE `orders`")
    m = steps(lambda: measure(dump, env=both_env()), lambda: measure(load, env=my_env(), settled=False))
    path.unlink(missing_ok=True)
    return m


def sparkdms(task: str, master: str | None, target: End) -> Measured:
    if not SPARKDMS.exists():
        raise PeerError(f"{SPARKDMS} not found: run `make venv`")
    fresh(target)
    REPORT.unlink(missing_ok=True)
    cmd = [str(SPARKDMS), "run", str(TASKS[task]), "--report", str(REPORT)]
    if master:
        cmd += ["--master", master]
    log(f"  $ sparkdms {' '.join(cmd[1:])}")
    return measure(cmd, env=both_env())


def report_load() -> tuple[float, int]:
    """The report's own load time of orders (no JVM start, discovery or planning)."""
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    for table in report.get("tables", []):
        if table.get("TableName") == gen.TABLE:
            return float(table.get("ElapsedSeconds") or 0.0), int(table.get("Partitions") or 0)
    return 0.0, 0


# --- running a case -----------------------------------------------------------------------

@dataclass
class Method:
    name: str
    run: Callable[[], Measured]
    target: End
    floor: bool = False
    kind: str = "floor"  # floor | sparkdms | peer


def execute(case: Case, method: Method) -> Row:
    log(f"\n[{CASES[case.key]}] {method.name}")
    note, extra = "", {}
    try:
        m = method.run()
        if m.returncode:
            raise PeerError(f"exit {m.returncode}: "
                            f"{peers.first_error(m.output, peers.secrets(case.source, method.target))}", m)
    except (PeerError, OSError, psycopg.Error, pymysql.err.Error) as exc:
        m = getattr(exc, "measured", None) or Measured(0.0, 1)
        log(f"  FAILED: {exc}")
        return Row(CASES[case.key], method.name, m.seconds, 0, None, method.floor, m.peak_tree,
                   "**failed**: " + str(exc)[:220].replace("|", "\\|"))
    ok, why = case.verify(method.target)
    if method.kind == "sparkdms":
        load, parts = report_load()
        extra = {"load": f"{load:.1f}"}
        note = f"table load {load:.1f} s, {parts} partitions"
    note = "; ".join(x for x in (FLOOR_NOTES.get(case.key, "") if method.floor else "", note, why) if x)
    note = note.replace("|", "\\|")
    log(f"  {m.seconds:.1f} s, peak RSS {m.peak_tree / 2**20:,.0f} MiB, verified: "
        f"{'yes' if ok else 'NO ' + why}")
    return Row(CASES[case.key], method.name, m.seconds, case.expected[0], ok, method.floor,
               m.peak_tree, note, extra)


def peer_methods(names: tuple[str, ...], source: End, versions: dict[str, str | None],
                 target_engine: str) -> list[Method]:
    build = pg if target_engine == "postgres" else my
    out = []
    for name in names:
        target = build(dst_db(name))
        label = f"{name} {versions.get(name) or '(not installed)'}"
        out.append(Method(label, lambda n=name, t=target: peers.run(n, source, fresh(t)), target,
                          kind="peer"))
    return out


def ensure_sources(rows: int, regenerate: bool) -> None:
    """Generate the PostgreSQL source, and its MariaDB copy, when missing or of another size."""
    have = gen.source_rows()
    if regenerate or have != rows:
        log(f"Source: generating {rows:,} rows in PostgreSQL (found {have if have is not None else 'none'})")
        gen.generate(rows, log=log)
    have_my = gen.my_source_rows()
    if regenerate or have != rows or have_my != rows:
        log(f"Source: copying {rows:,} rows to MariaDB (found {have_my if have_my is not None else 'none'})")
        gen.generate_mariadb(log=log)


def cases(args: argparse.Namespace, versions: dict[str, str | None]) -> list[tuple[Case, list[Method]]]:
    src_pg, src_my = pg(gen.SOURCE_DB), my(gen.SOURCE_DB)
    log("Checksums of the sources (engine-neutral, bench/checksum.py)")
    expected = table_checksum(src_pg)
    expected_my = table_checksum(src_my)
    with gen.connect(gen.SOURCE_DB) as conn:
        expected_t = ck.checksum(conn, "postgres", f"({TRANSFORM_SELECT}) AS s",
                                 ck.named("postgres", TRANSFORM_COLUMNS))
    log(f"  PostgreSQL {expected}, MariaDB {expected_my}, transformed view {expected_t}")
    if expected != expected_my:
        raise SystemExit("the MariaDB source differs from the PostgreSQL source: rerun with --regenerate")
    ours, m = pg(dst_db("sparkdms")), args.master
    selected = set(args.peers)
    to_postgres = tuple(p for p in ("pgloader", "sling", "dlt", "spark-jdbc") if p in selected)
    return [
        (Case("pg-pg", src_pg, expected), [
            Method("COPY pipe, psql → psql",
                   lambda: floor_copy_pipe("SELECT * FROM public.orders", PG_ORDERS_DDL),
                   pg(dst_db("copy")), floor=True),
            Method("sparkdms (direct copy)", lambda: sparkdms("direct", m, ours), ours, kind="sparkdms"),
            Method("sparkdms (DataFrame path)", lambda: sparkdms("dataframe", m, ours), ours,
                   kind="sparkdms"),
            *peer_methods(to_postgres, src_pg, versions, "postgres")]),
        (Case("pg-pg-t", src_pg, expected_t, TRANSFORM_COLUMNS, TRANSFORM_TYPES), [
            Method("COPY pipe of the transforming SELECT", lambda: floor_copy_pipe(TRANSFORM_SELECT,
                                                                                  TRANSFORM_DDL),
                   pg(dst_db("copy")), floor=True),
            Method("sparkdms (DMS transformation rules)", lambda: sparkdms("transform", m, ours), ours,
                   kind="sparkdms")]),
        (Case("my-pg", src_my, expected), [
            Method("INTO OUTFILE + COPY FROM", floor_my_to_pg, pg(dst_db("copy")), floor=True),
            Method("sparkdms", lambda: sparkdms("my-to-pg", m, ours), ours, kind="sparkdms"),
            *peer_methods(to_postgres, src_my, versions, "postgres")]),
        (Case("pg-my", src_pg, expected), [
            Method("COPY TO + LOAD DATA LOCAL INFILE", floor_pg_to_my, my(dst_db("copy")), floor=True),
            Method("sparkdms (direct copy)", lambda: sparkdms("pg-to-my", m, my(dst_db("sparkdms"))),
                   my(dst_db("sparkdms")), kind="sparkdms"),
            Method("sparkdms (DataFrame path)",
                   lambda: sparkdms("pg-to-my-dataframe", m, my(dst_db("sparkdms"))),
                   my(dst_db("sparkdms")), kind="sparkdms"),
            *peer_methods(tuple(p for p in ("sling", "dlt", "spark-jdbc") if p in selected), src_pg, versions,
                          "mariadb")]),
    ]


def run(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """All pair cases; returns the rows and the notes (peer versions, floors) for the section."""
    for tool in ("psql", "mariadb"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: run `make services` (installs the servers and clients)")
    ensure_sources(args.rows, args.regenerate)
    versions = {p: peers.version(p) for p in ("pgloader", "sling", "dlt", "spark-jdbc")}
    log("Peers: " + ", ".join(f"{p} {v or 'NOT INSTALLED (scripts/bench-peers.sh)'}"
                              for p, v in versions.items()))
    rows: list[Row] = []
    only = set(args.cases.split(",")) if args.cases else set(CASES)
    for case, methods in cases(args, versions):
        if case.key in only:
            rows += [execute(case, method) for method in methods
                     if not (args.skip_sparkdms and method.kind == "sparkdms")]
    listed = ", ".join(f"{p} {v or '(not installed)'}" for p, v in versions.items())
    notes = [f"Peers: {listed}"
             " (scripts/bench-peers.sh: pgloader from Debian, Sling's binary wheel and dlt from PyPI "
             "in ~/.cache/sparkdms/bench-venv; spark-jdbc: plain `spark.read.jdbc` split on the key, "
             "`.write.jdbc`, bench/spark_jdbc.py).",
             "Verified: row count and an engine-neutral checksum (bench/checksum.py: one canonical "
             "text per row, md5, summed on the server) equal to the source's; for the transformed "
             "case, equal to a SQL view of the source with the same rename, cast and added value, "
             "and the target's column types checked.",
             "Every target is a fresh database; the floors load a pre-created table with its primary key, "
             "sparkdms and the peers create theirs."]
    if not args.keep:
        drop_targets()
    return rows, notes


def drop_targets() -> None:
    names = [dst_db(n) for n in ("copy", "sparkdms", "pgloader", "sling", "dlt",
                                             "spark-jdbc")]
    with gen.connect("postgres") as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with gen.my_connect() as conn, conn.cursor() as cur:
        for name in names:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
