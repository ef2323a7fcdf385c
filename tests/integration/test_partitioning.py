"""Tables without an integer key are still split, and every row lands exactly once:
PostgreSQL by block (ctid) ranges, MariaDB by CRC32 buckets, SQLite by rowid buckets."""

from __future__ import annotations

import json
import sqlite3

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

ROWS = 4000
SETTINGS = {"Sparkdms": {"RowsPerPartition": 500}}


def report_of(path) -> dict:
    return json.loads(path.read_text())["tables"][0]


def test_postgres_without_key_uses_block_ranges(pg_db, my_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.log (k text, v int, note text)")
        conn.execute("INSERT INTO public.log SELECT md5(g::text), g, CASE WHEN g %% 3 = 0 THEN NULL "
                     "ELSE repeat('x', g %% 50) END FROM generate_series(1, %s) g", (ROWS,))
        conn.execute("INSERT INTO public.log SELECT k, v, note FROM public.log LIMIT 10")  # duplicates
        conn.execute("ANALYZE public.log")
        source = fetch(conn, "SELECT k, v, note FROM public.log")
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "log")], SETTINGS)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    table = report_of(tmp_path / "r.json")
    # the direct copy between engines (connectors/mysql/textin.py) reads the same ranges
    assert table["PartitionMethod"].removesuffix(" (direct copy)") == "ctid"
    assert table["Partitions"] > 1
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT k, v, note FROM log")
    assert_same_rows(normalise(source), normalise(target))


def test_mariadb_without_key_uses_crc32_buckets(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE log (k varchar(40), v int, note text)")
        cur.executemany("INSERT INTO log VALUES (%s, %s, %s)",
                        [(None if i % 7 == 0 else f"key-{i}", None if i % 5 == 0 else i,
                          None if i % 3 == 0 else "ü" * (i % 20)) for i in range(ROWS)])
        cur.execute("ANALYZE TABLE log")
        cur.fetchall()
        conn.commit()
        source = fetch(conn, "SELECT k, v, note FROM log")
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"], "log")], SETTINGS)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    table = report_of(tmp_path / "r.json")
    # the direct copy between engines (connectors/mysql/textout.py) reads the same buckets
    assert table["PartitionMethod"].removesuffix(" (direct copy)") == "hash"
    assert table["Partitions"] > 1
    with pg_connect(pg_db) as conn:
        target = fetch(conn, "SELECT k, v, note FROM public.log")
    assert_same_rows(normalise(source), normalise(target))


def test_sqlite_without_integer_key_uses_rowid_buckets(pg_db, spark, tmp_path):
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v REAL)")
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [(f"k{i:05d}", i / 3) for i in range(ROWS)])
        source = conn.execute("SELECT k, v FROM kv").fetchall()
    task = write_task(tmp_path, {"engine": "sqlite", "path": str(db)}, pg_db, [selection("main")],
                      SETTINGS)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    table = report_of(tmp_path / "r.json")
    assert table["PartitionMethod"] == "hash" and table["Partitions"] == 8
    with pg_connect(pg_db) as conn:
        target = fetch(conn, "SELECT k, v FROM public.kv")
    assert_same_rows(normalise(source), normalise(target))
