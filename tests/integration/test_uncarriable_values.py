"""PostgreSQL values Spark cannot carry (infinite dates and timestamps, dates before year 1)
stop their table with the column and value named, instead of arriving
changed; a text override loads the source's own text; the PostgreSQL direct copy carries
them exactly. Compared with the source both ways."""

from __future__ import annotations

import json

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

ROWS = [(1, "2024-05-01", "2024-05-01 10:00:00"), (2, "infinity", "2020-01-01 00:00:00"),
        (3, "0044-03-15 BC", "-infinity"), (4, None, None)]


def seed(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.events (id int PRIMARY KEY, d date, ts timestamp)")
        for row in ROWS:
            conn.execute("INSERT INTO public.events VALUES (%s, %s, %s)", row)


def test_infinite_and_gap_dates_stop_the_table_by_name(pg_db, my_db, tmp_path, capsys):
    seed(pg_db)
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "events")])
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 1
    error = json.loads((tmp_path / "r.json").read_text())["tables"][0]["Error"]
    assert "column d: 1 row(s) hold 'infinity'" in error
    assert "column d: 1 row(s) hold a date before year 1 (BC) or after 9999" in error
    assert "column ts: 1 row(s) hold '-infinity'" in error
    with my_connect(my_db) as conn:  # nothing was written
        assert fetch(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                     "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events'") == [(0,)]


def test_a_text_override_loads_the_sources_own_text(pg_db, my_db, tmp_path):
    seed(pg_db)
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "events")],
                      type_overrides={"public.events.d": "varchar(32)",
                                      "public.events.ts": "varchar(32)"})
    assert sparkdms(["run", str(task)]) == 0
    with pg_connect(pg_db) as conn:
        source = fetch(conn, "SELECT id, d::text, ts::text FROM public.events")
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT id, d, ts FROM events")
    assert sorted(source, key=lambda r: r[0]) == sorted(target, key=lambda r: r[0])
    assert (2, "infinity", "2020-01-01 00:00:00") in target


def test_the_postgres_direct_copy_carries_them_exactly(pg_db, tmp_path):
    seed(pg_db)
    dst = {**pg_db, "database": pg_db["database"] + "_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    try:
        task = write_task(tmp_path, pg_db, dst, [selection("public", "events")])
        assert sparkdms(["run", str(task)]) == 0
        query = "SELECT id, d::text, ts::text FROM public.events"
        with pg_connect(pg_db) as a, pg_connect(dst) as b:
            assert sorted(fetch(a, query)) == sorted(fetch(b, query))
    finally:
        with pg_connect(pg_db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dst["database"]}" WITH (FORCE)')
