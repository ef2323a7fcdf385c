"""Decimals wider than a double into SQLite arrive digit for digit (DECIMAL_TEXT), and come
back out of SQLite as decimals: PostgreSQL -> SQLite -> PostgreSQL, compared with the
source values read by psycopg, and validated."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task

VALUES = [
    (1, "12345678901234567890.1234567890", "12345.67", "3.14159265358979323846264338327950288"),
    (2, "-0.0000000001", "-0.01", "1e-30"),
    (3, "99999999999999999999.9999999999", "99999999.99", "123456789012345678901234567890"),
    (4, None, None, None),
    (5, "0", "0", "0.1"),
]


def seed(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.amounts (id int PRIMARY KEY, wide numeric(30,10), "
                     "narrow numeric(10,2), free numeric)")
        for row in VALUES:
            conn.execute("INSERT INTO public.amounts VALUES (%s, %s, %s, %s)", row)


def expected() -> list[tuple]:
    return [(i, *(None if v is None else Decimal(v) for v in rest)) for i, *rest in VALUES]


def test_wide_decimals_reach_sqlite_exactly_and_come_back(pg_db, tmp_path) -> None:
    seed(pg_db)
    lite = {"engine": "sqlite", "path": str(tmp_path / "t.db")}
    settings = {"ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, pg_db, lite, [selection("public", "amounts")], settings)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tables"][0]["ValidationState"] == "Validated", report["tables"][0]
    with sqlite3.connect(lite["path"]) as conn:
        declared = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(amounts)")}
        stored = conn.execute("SELECT id, wide, narrow, free FROM amounts ORDER BY id").fetchall()
    assert declared["wide"] == "DECIMAL_TEXT(30,10)" and declared["narrow"] == "DECIMAL(10,2)"
    got = [(i, *(None if v is None else Decimal(str(v)) for v in rest)) for i, *rest in stored]
    assert got == expected()  # equal as numbers, every digit, both ways (lists of all rows)

    with pg_connect(pg_db) as conn:
        conn.execute("CREATE SCHEMA back")
    task2 = write_task(tmp_path, lite, {**pg_db, "schema": "back"},
                       [selection("main", "amounts")], settings, name="back")
    assert sparkdms(["run", str(task2), "--report", str(tmp_path / "b.json")]) == 0
    with pg_connect(pg_db) as conn:
        types = dict(fetch(conn, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'back' AND table_name = 'amounts'"))
        rows = fetch(conn, "SELECT id, wide, narrow, free FROM back.amounts ORDER BY id")
    assert types["wide"] == "numeric" and types["free"] == "numeric", types
    assert rows == expected()
