"""Dates and timestamps from year 1 to 9999 (the Gregorian reform, microseconds, the last
microsecond of 9999) arrive exactly on every pair of PostgreSQL, MariaDB and SQLite, and
MySQL TIME durations (838:59:59, negative values) reach PostgreSQL as ``interval`` or stop
their table with one line. Every comparison reads both sides with the native Python
drivers (psycopg, PyMySQL, sqlite3), never through Spark, and goes both ways.

Documented normalisation: SQLite holds ISO text, parsed here into dates and timestamps;
``timestamptz``/MariaDB ``timestamp`` compare as UTC wall clocks (a MariaDB or SQLite
target keeps the UTC wall clock without zone).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, utc_naive, write_task

DATES = ["0001-01-01", "0100-03-01", "0999-12-31", "1000-01-01", "1582-10-04", "1582-10-10",
         "1582-10-15", "1752-09-08", "1899-12-31", "1969-12-31", "1970-01-01", "2000-02-29",
         "9999-12-31"]
STAMPS = ["0001-01-01 00:00:00", "0001-01-01 00:00:00.000001", "1000-01-01 00:00:00",
          "1582-10-04 23:59:59.999999", "1582-10-10 12:00:00", "1582-10-15 00:00:00.000001",
          "1900-01-01 00:00:00", "1969-12-31 23:59:59.999999", "1970-01-01 00:00:00",
          "2024-02-29 12:34:56.789012", "9999-12-31 23:59:59", "9999-12-31 23:59:59.999999",
          "1000-06-15 06:07:08.5"]
# rows: id, date, timestamp(6); one row of NULLs
ROWS = [(i + 1, DATES[i % len(DATES)], STAMPS[i % len(STAMPS)])
        for i in range(max(len(DATES), len(STAMPS)))] + [(99, None, None)]
# MariaDB timestamp (an instant) holds 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC
INSTANTS = {1: "1970-01-01 00:00:01", 2: "2038-01-19 03:14:07.999999",
            3: "2000-02-29 23:59:59.000001"}
# PostgreSQL timestamptz: the whole range
PG_INSTANTS = {1: "0001-01-01 00:00:00+00", 2: "9999-12-31 23:59:59.999999+00",
               3: "1582-10-10 12:00:00.5+00", 4: "1000-01-01 00:00:00+00"}


def _value(v: Any) -> Any:
    """A value as Python sees it: ISO text (SQLite) parsed; aware timestamps as UTC."""
    if isinstance(v, str):
        v = dt.date.fromisoformat(v) if len(v) == 10 else dt.datetime.fromisoformat(v)
    return utc_naive(v)


def _rows(rows: list[tuple]) -> Counter:
    return Counter(tuple(_value(v) for v in row) for row in rows)


# -- sources -------------------------------------------------------------------------------

def seed_mariadb(ep: dict, tmp: Path) -> tuple[dict, str]:
    with my_connect(ep) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE moments (id int PRIMARY KEY, d date, ts datetime(6), "
                    "t0 datetime, tz timestamp(6) NULL DEFAULT NULL)")
        cur.executemany("INSERT INTO moments VALUES (%s, %s, %s, %s, %s)",
                        [(i, d, s, s and s[:19], INSTANTS.get(i)) for i, d, s in ROWS])
        conn.commit()
    return ep, ep["database"]


def seed_postgres(ep: dict, tmp: Path) -> tuple[dict, str]:
    with pg_connect(ep) as conn:
        conn.execute("CREATE TABLE public.moments (id int PRIMARY KEY, d date, ts timestamp(6), "
                     "t0 timestamp(0), tz timestamptz)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO public.moments VALUES (%s, %s, %s, %s, %s)",
                            [(i, d, s, s and s[:19], PG_INSTANTS.get(i)) for i, d, s in ROWS])
    return ep, "public"


def seed_sqlite(_ep: dict, tmp: Path) -> tuple[dict, str]:
    path = tmp / "source.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE moments (id INTEGER PRIMARY KEY, d DATE, ts DATETIME, "
                     "t0 DATETIME, tz DATETIME)")
        conn.executemany("INSERT INTO moments VALUES (?, ?, ?, ?, ?)",
                         [(i, d, s, s and s[:19], INSTANTS.get(i)) for i, d, s in ROWS])
    return {"engine": "sqlite", "path": str(path)}, "main"


# -- reading either side with the native drivers -------------------------------------------

QUERY = "SELECT id, d, ts, t0, tz FROM {table}"


def read_mariadb(ep: dict, table: str = "moments") -> list[tuple]:
    with my_connect(ep) as conn:
        return fetch(conn, QUERY.format(table=f"`{table}`"))


def read_postgres(ep: dict, table: str = "moments") -> list[tuple]:
    with pg_connect(ep) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return fetch(conn, QUERY.format(table=f'public."{table}"'))


def read_sqlite(ep: dict, table: str = "moments") -> list[tuple]:
    with sqlite3.connect(ep["path"]) as conn:
        return [tuple(r) for r in conn.execute(QUERY.format(table=f'"{table}"'))]


SEED: dict[str, Callable[[dict, Path], tuple[dict, str]]] = {
    "mariadb": seed_mariadb, "postgres": seed_postgres, "sqlite": seed_sqlite}
READ: dict[str, Callable[..., list[tuple]]] = {
    "mariadb": read_mariadb, "postgres": read_postgres, "sqlite": read_sqlite}


def _endpoint(engine: str, pg_db: dict, my_db: dict, tmp: Path, role: str) -> dict:
    if engine == "sqlite":
        return {"engine": "sqlite", "path": str(tmp / f"{role}.db")}
    if engine == "mariadb":
        return my_db
    if role == "source":
        return pg_db
    dst = {**pg_db, "database": pg_db["database"] + "_dst"}  # dropped with pg_db
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    return dst


SETTINGS = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True}}
PAIRS = [("mariadb", "postgres"), ("postgres", "mariadb"), ("sqlite", "postgres"),
         ("postgres", "sqlite"), ("mariadb", "sqlite"), ("sqlite", "mariadb")]


@pytest.mark.parametrize(("src", "dst"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_dates_and_timestamps_arrive_exactly(src, dst, pg_db, my_db, spark, tmp_path):
    source, schema = SEED[src](_endpoint(src, pg_db, my_db, tmp_path, "source"), tmp_path)
    target = _endpoint(dst, pg_db, my_db, tmp_path, "target")
    task = write_task(tmp_path, source, target, [selection(schema, "moments")], SETTINGS)
    code = sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0, [(t["ValidationState"], t.get("Error")) for t in report["tables"]]
    assert report["tables"][0]["ValidationState"] == "Validated", report["tables"]
    expected, got = _rows(READ[src](source)), _rows(READ[dst](target))
    assert len(expected) == len(ROWS)
    assert_same_rows(expected, got)


# -- validation sees a shift of one day ----------------------------------------------------

SHIFT = {"postgres": ["UPDATE public.moments SET d = d + 1 WHERE id = 4",
                      "UPDATE public.moments SET ts = ts + interval '1 day' WHERE id = 2"],
         "mariadb": ["UPDATE moments SET d = d + INTERVAL 1 DAY WHERE id = 4",
                     "UPDATE moments SET ts = ts + INTERVAL 1 DAY WHERE id = 2"]}


def _execute(engine: str, ep: dict, statements: list[str]) -> None:
    if engine == "postgres":
        with pg_connect(ep) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    with my_connect(ep, autocommit=True) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


@pytest.mark.parametrize(("src", "dst"), [("mariadb", "postgres"), ("postgres", "mariadb")],
                         ids=["mariadb-to-postgres", "postgres-to-mariadb"])
def test_validation_finds_a_date_moved_by_one_day(src, dst, pg_db, my_db, spark, tmp_path):
    source, schema = SEED[src](_endpoint(src, pg_db, my_db, tmp_path, "source"), tmp_path)
    target = _endpoint(dst, pg_db, my_db, tmp_path, "target")
    task = write_task(tmp_path, source, target, [selection(schema, "moments")], SETTINGS)
    assert sparkdms(["run", str(task)]) == 0
    _execute(dst, target, SHIFT[dst])  # 1000-01-01 -> 1000-01-02, 0001-01-01 00:00:00.000001 + 1d
    code = sparkdms(["validate", str(task), "--report", str(tmp_path / "v.json")])
    stats = json.loads((tmp_path / "v.json").read_text())["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    assert stats["ValidationFailedRecords"] == 2


# -- MySQL TIME durations --------------------------------------------------------------------

SPANS = [(1, "838:59:59", "-00:00:01.5", "23:59:59"), (2, "-838:59:59", "100:00:00.25", "00:00:00"),
         (3, "-00:00:01", "-00:00:00.000001", "12:34:56"), (4, "25:00:00", "00:00:00", None),
         (5, "00:00:00", None, "07:00:00"), (6, None, "838:59:59", "08:00:00")]


def seed_spans(my_db: dict) -> None:
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE spans (id int PRIMARY KEY, dur time, dur6 time(6), tod time)")
        cur.executemany("INSERT INTO spans VALUES (%s, %s, %s, %s)", SPANS)
        conn.commit()


def _span(v: Any) -> Any:
    """PostgreSQL time of day as the duration since midnight, as PyMySQL reads TIME."""
    if isinstance(v, dt.time):
        return dt.timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                            microseconds=v.microsecond)
    return v


def test_time_durations_reach_postgres_as_interval(pg_db, my_db, spark, tmp_path):
    seed_spans(my_db)
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"], "spans")], SETTINGS)
    code = sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")])
    stats = json.loads((tmp_path / "r.json").read_text())["tables"][0]
    assert code == 0 and stats["ValidationState"] == "Validated", stats
    with pg_connect(pg_db) as conn:
        types = dict(fetch(conn, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'spans'"))
        got = fetch(conn, "SELECT id, dur, dur6, tod FROM public.spans")
    assert types == {"id": "integer", "dur": "interval", "dur6": "interval",
                     "tod": "time without time zone"}
    with my_connect(my_db) as conn:
        expected = fetch(conn, "SELECT id, dur, dur6, tod FROM spans")
    assert_same_rows(Counter(expected), Counter(tuple(_span(v) for v in r) for r in got))


def test_a_duration_meeting_a_time_override_stops_the_table_in_one_line(pg_db, my_db, spark,
                                                                         tmp_path):
    seed_spans(my_db)
    key = f"{my_db['database']}.spans.dur"
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"], "spans")], SETTINGS,
                      type_overrides={key: "time"})
    from sparkdms.assess import assess

    found = assess(task)
    items = [i for t in found.tables for i in t.items if i.category == "data"]
    assert [(i.column, i.level) for i in items if "TIME" in i.message] == [("dur", "error")]
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 1
    error = json.loads((tmp_path / "r.json").read_text())["tables"][0]["Error"]
    assert "\n" not in error and "Python worker" not in error
    assert f"table {my_db['database']}.spans, column dur: 4 TIME value(s)" in error
    assert "-00:00:01" in error and f'"{key}": "interval"' in error
    with pg_connect(pg_db) as conn:  # nothing was written
        assert fetch(conn, "SELECT to_regclass('public.spans') IS NULL") == [(True,)]
