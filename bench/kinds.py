"""The kinds a real table holds, both ways between MariaDB and PostgreSQL (`make bench`,
after the pairs; `--skip-kinds` skips it, `--kinds-rows N` sizes it, default 2,000,000).

The `orders` table of bench/pairs.py has only integers, a decimal, a timestamp, text and a
boolean. Here each source table also has a single and a double float, an instant, JSON, a
time of day, fixed-length text, an enum, a UUID and binary (MariaDB: and a year and an unsigned
bigint; PostgreSQL: json beside jsonb and inet):

- floor: the server's own file export (`SELECT … INTO OUTFILE` / psql `\\copy (SELECT …) TO`)
  loaded with the other's bulk load (psql `\\copy FROM` / `LOAD DATA LOCAL INFILE`) into a
  pre-created table of the types sparkdms creates; the SELECT writes each value exactly
  (a FLOAT as DOUBLE, instants in UTC, binary as hex for PostgreSQL, an inet with its mask
  as sparkdms writes it: `10.0.1.1/32`, PostgreSQL's `CAST(ip AS text)`);
- sparkdms as a user runs it (the direct copy), and with `Sparkdms.DirectCopy: false`
  (the DataFrame path);
- each target verified against the floor's target on the same server: row count and the sum
  of a hash of every row's text (PostgreSQL `hashtextextended`, MariaDB `md5`), in a UTC
  session with exact float digits.

    .venv/bin/python bench/kinds.py --rows 200000 --no-record     # alone
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_orders as gen
from common import ROOT, Measured, Row, log, measure, record, section
from pairs import (
    FILES,
    SPARKDMS,
    both_env,
    fresh,
    mariadb,
    my,
    my_env,
    pg,
    psql,
    quote_literal,
    steps,
)

SOURCE_DB = "bench_kinds"
TASKS = ROOT / "out" / "bench-kinds"
MY_TO_PG = "MariaDB → PostgreSQL, 13 kinds"
PG_TO_MY = "PostgreSQL → MariaDB, 12 kinds"

MY_SOURCE = """CREATE TABLE kinds (id int PRIMARY KEY, f float, d double, dt datetime(3),
  ts timestamp(6) NULL, e enum('a','b','c'), j json, t time, c char(10), y year,
  u bigint unsigned, bl blob, v varchar(40))"""
MY_FILL = """INSERT INTO kinds SELECT seq, seq / 7, seq / 3, '2024-01-01' + INTERVAL seq SECOND,
  '2024-01-01' + INTERVAL seq * 7 SECOND, ELT(1 + seq % 3, 'a', 'b', 'c'),
  JSON_OBJECT('k', seq, 's', CONCAT('x', seq % 97)), SEC_TO_TIME(seq % 86400),
  IF(seq % 10 = 0, NULL, CONCAT('c', seq % 1000)), 1990 + seq % 50, seq * 1000003,
  UNHEX(MD5(seq)), CONCAT('v-', seq) FROM seq_1_to_{rows}"""
# the PostgreSQL table sparkdms creates for it (the floor loads into the same types)
PG_TARGET = """CREATE TABLE public.kinds (id integer PRIMARY KEY, f real, d double precision,
  dt timestamp(3), ts timestamptz, e varchar(1), j jsonb, t time(0), c char(10), y smallint,
  u numeric(20,0), bl bytea, v varchar(40))"""
MY_EXPORT = ("SET time_zone = '+00:00'; SELECT id, CAST(f AS DOUBLE), d, dt, ts, e, j, t, c, y, "
             "u, CONCAT('\\\\x', HEX(bl)), v FROM kinds INTO OUTFILE {path}")
PG_ROW = "ROW(id, f, d, dt, ts, e, j, t, c, y, u, bl, v)::text"

PG_SOURCE = ["CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
             """CREATE TABLE public.kinds (id int PRIMARY KEY, r real, f8 double precision,
  tz timestamptz(6), jb jsonb, js json, u uuid, c char(8), t time(3), m mood, ip inet,
  b bytea, v varchar(20))"""]
PG_FILL = """INSERT INTO public.kinds SELECT n, n / 7.0, n / 3.0,
  timestamptz '2024-01-01 00:00:00+00' + n * interval '1.5 second',
  jsonb_build_object('k', n, 's', 'x' || n % 97), json_build_object('k', n), md5(n::text)::uuid,
  CASE WHEN n % 10 <> 0 THEN 'c' || n % 100 END, time '00:00:00.123' + n * interval '1 second',
  (ARRAY['sad', 'ok', 'happy'])[1 + n % 3]::mood, ('10.0.' || n % 256 || '.1')::inet,
  int4send(n), 'v' || n FROM generate_series(1, {rows}) n"""
MY_TARGET = """CREATE TABLE kinds (id int NOT NULL PRIMARY KEY, r float, f8 double,
  tz datetime(6), jb json, js json, u char(36), c char(8), t time(3),
  m enum('sad','ok','happy'), ip varchar(43), b longblob, v varchar(20))
  DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin"""
PG_EXPORT = ("\\copy (SELECT id, r::float8, f8, tz AT TIME ZONE 'UTC', jb, js, u, c, t, m, "
             "CAST(ip AS text), b, v FROM public.kinds) TO {path}")
MY_LOAD = ("LOAD DATA LOCAL INFILE {path} INTO TABLE kinds (id, r, f8, tz, jb, js, u, c, t, m, "
           "ip, @b, v) SET b = UNHEX(SUBSTRING(@b, 3))")
MY_ROW = ("CONCAT_WS('|', id, IFNULL(CAST(r AS DOUBLE), '-'), IFNULL(f8, '-'), IFNULL(tz, '-'), "
          "IFNULL(jb, '-'), IFNULL(js, '-'), IFNULL(u, '-'), IFNULL(c, '-'), IFNULL(t, '-'), "
          "IFNULL(m, '-'), IFNULL(ip, '-'), IFNULL(HEX(b), '-'), IFNULL(v, '-'))")


def ensure_sources(rows: int) -> None:
    """Both source tables with ``rows`` rows (rebuilt when missing or of another size)."""
    if _my_rows() != rows:
        log(f"building MariaDB {SOURCE_DB}.kinds ({rows:,} rows)")
        gen.my_recreate_database(SOURCE_DB)
        with gen.my_connect(SOURCE_DB) as conn, conn.cursor() as cur:
            cur.execute(MY_SOURCE)
            cur.execute(MY_FILL.format(rows=int(rows)))
    if _pg_rows() != rows:
        log(f"building PostgreSQL {SOURCE_DB}.public.kinds ({rows:,} rows)")
        gen.recreate_database(SOURCE_DB)
        with gen.connect(SOURCE_DB) as conn:
            for ddl in PG_SOURCE:
                conn.execute(ddl)
            conn.execute(PG_FILL.format(rows=int(rows)))
            conn.execute("VACUUM ANALYZE public.kinds")


def _my_rows() -> int | None:
    try:
        with gen.my_connect(SOURCE_DB) as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM kinds")
            return int(cur.fetchone()[0])
    except Exception:  # no database or table yet
        return None


def _pg_rows() -> int | None:
    try:
        with gen.connect(SOURCE_DB) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM public.kinds").fetchone()[0])
    except Exception:  # no database or table yet
        return None


def task_file(name: str, source: str, target: str, database: str, direct: bool) -> Path:
    """A task file as a user writes it (passwords from the environment)."""
    ends = {"postgres": {"engine": "postgres", "port": 5432, "user": "sparkdms",
                         "password": "${env:SPARKDMS_PG_PASSWORD}"},
            "mariadb": {"engine": "mariadb", "port": 3306, "user": "sparkdms",
                        "password": "${env:SPARKDMS_MY_PASSWORD}"}}
    schema = "public" if source == "postgres" else SOURCE_DB
    rules = [{"rule-type": "selection", "rule-id": "1", "rule-name": "kinds",
              "rule-action": "include",
              "object-locator": {"schema-name": schema, "table-name": "kinds"}},
             {"rule-type": "transformation", "rule-id": "2", "rule-name": "schema",
              "rule-action": "rename", "rule-target": "schema",
              "object-locator": {"schema-name": schema},
              "value": database if target == "mariadb" else "public"}]
    doc = {"name": name, "migration_type": "full-load",
           "source": {**ends[source], "host": "127.0.0.1", "database": SOURCE_DB},
           "target": {**ends[target], "host": "127.0.0.1", "database": database},
           "table_mappings": {"rules": rules},
           "settings": {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                        "Sparkdms": {"DirectCopy": direct}},
           "spark": {"master": "local[*]"}}
    TASKS.mkdir(parents=True, exist_ok=True)
    path = TASKS / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_sparkdms(task: Path) -> Measured:
    return measure([str(SPARKDMS), "run", str(task), "--no-ui"], env=both_env())


def floor_my_to_pg(database: str) -> Measured:
    fresh(pg(database), PG_TARGET)
    FILES.mkdir(parents=True, exist_ok=True)
    FILES.chmod(0o777)
    path = FILES / "kinds-from-mariadb.tsv"
    path.unlink(missing_ok=True)
    export = mariadb(SOURCE_DB, MY_EXPORT.format(path=quote_literal(str(path))))
    load = psql(database, f"\\copy public.kinds FROM {quote_literal(str(path))}")
    load[-2:-2] = ["-c", "SET TimeZone = 'UTC'"]  # same session as the \copy
    m = steps(lambda: measure(export, env=my_env()),
              lambda: measure(load, env=both_env(), settled=False))
    path.unlink(missing_ok=True)
    return m


def floor_pg_to_my(database: str) -> Measured:
    fresh(my(database), MY_TARGET)
    FILES.mkdir(parents=True, exist_ok=True)
    path = FILES / "kinds-from-postgres.tsv"
    path.unlink(missing_ok=True)
    export = psql(SOURCE_DB, PG_EXPORT.format(path=quote_literal(str(path))))
    export[-2:-2] = ["-c", "SET extra_float_digits = 3", "-c", "SET TimeZone = 'UTC'"]
    load = mariadb(database, MY_LOAD.format(path=quote_literal(str(path))))
    m = steps(lambda: measure(export, env=both_env()),
              lambda: measure(load, env=my_env(), settled=False))
    path.unlink(missing_ok=True)
    return m


def checksum(engine: str, database: str) -> tuple[int, int]:
    """(rows, sum of a hash of each row's text) on one server."""
    if engine == "postgres":
        with gen.connect(database) as conn:
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute("SET extra_float_digits = 3")
            got = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(hashtextextended({PG_ROW}, 0)), "
                               "0) FROM public.kinds").fetchone()
    else:
        with gen.my_connect(database) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*), COALESCE(SUM(CONV(LEFT(MD5({MY_ROW}), 15), 16, 10)),"
                        " 0) FROM kinds")
            got = cur.fetchone()
    return int(got[0]), int(got[1])


def one_case(title: str, source: str, target: str, floor: Any, rows: int) -> list[Row]:
    methods = [("floor", "file export + bulk load"), ("direct", "sparkdms (direct copy)"),
               ("dataframe", "sparkdms (DataFrame path)")]
    out, expected = [], None
    for key, name in methods:
        database = f"bench_dst_kinds_{key}"
        log(f"\n[{title}] {name}")
        if key == "floor":
            m = floor(database)
        else:
            fresh(pg(database) if target == "postgres" else my(database))
            m = run_sparkdms(task_file(f"kinds-{source}-{target}-{key}", source, target,
                                       database, key == "direct"))
        got = checksum(target, database) if not m.returncode else (0, 0)
        expected = got if key == "floor" else expected
        ok = not m.returncode and got[0] == rows and got == expected
        note = "" if ok else (f"exit {m.returncode}: {m.output[-200:]}" if m.returncode
                              else f"{got[0]:,} rows; checksum {'equal' if got == expected else 'differs'}")
        log(f"  {m.seconds:.1f} s, verified: {'yes' if ok else 'NO ' + note}")
        out.append(Row(title, name, m.seconds, rows, ok, key == "floor", m.peak_tree,
                       note.replace("|", "\\|").replace("\n", " ")))
    return out


def run(rows: int) -> list[Row]:
    ensure_sources(rows)
    return (one_case(MY_TO_PG, "mariadb", "postgres", floor_my_to_pg, rows)
            + one_case(PG_TO_MY, "postgres", "mariadb", floor_pg_to_my, rows))


def drop_targets() -> None:
    for key in ("floor", "direct", "dataframe"):
        name = f"bench_dst_kinds_{key}"
        with gen.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with gen.my_connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the target databases")
    args = parser.parse_args(argv)
    rows = run(args.rows)
    text = section(f"real-world kinds, {args.rows:,} rows", "bench/kinds.py", rows)
    log("\n" + text)
    if not args.no_record:
        record(text)
    if not args.keep:
        drop_targets()
    return 0 if all(r.verified for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
