"""SQLite -> PostgreSQL with SQLite's loose typing: columns without a type, numbers
stored in text columns and text in NUMERIC ones, dates as ISO text, booleans as 0/1.

Documented normalisation: a column without a declared type is text (its values as
SQLite's CAST(x AS TEXT) prints them); NUMERIC/DECIMAL values as exact decimals of
SQLite's text form; booleans 0/1 as false/true; DATE/DATETIME ISO text as date/timestamp.
Values that do not fit (text in an INTEGER column, 'A1' in a NUMERIC column, 50
characters in a VARCHAR(3)) are found by ``sparkdms assess`` and stop the load of
their table -- never silently changed.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from sparkdms.assess import assess
from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task

SCHEMA = """
CREATE TABLE people (
  id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, nick, age INT, score NUMERIC,
  born DATE, seen DATETIME DEFAULT CURRENT_TIMESTAMP, active BOOLEAN DEFAULT 1, photo BLOB,
  meta JSON, weight REAL, code STRING, CHECK (age >= 0)
);
CREATE UNIQUE INDEX people_name ON people (name);
CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people (id), kind TEXT);
CREATE INDEX pets_owner ON pets (owner);
CREATE TABLE bad (id INTEGER PRIMARY KEY, short VARCHAR(3), n INTEGER, at DATETIME);
"""

PEOPLE = [
    (1, "Ann", 42, 30, "12.50", "2024-02-29", "2024-02-29 23:59:59.5", 1, b"\x00\xff",
     '{"a": [1, 2]}', 1.5, "A1"),
    (2, "Zoë ✓", "x", 0, 7, "1999-12-31", "1970-01-01 00:00:00", 0, b"", "[]", -0.25, "007"),
    (3, "Bob", 3.5, None, None, None, None, None, None, None, None, None),
]
PETS = [(1, 1, "cat"), (2, 1, "dog"), (3, None, "fish")]
BAD = [(1, "toolong", "abc", 1700000000), (2, "ok", 5, "2024-01-01 00:00:00")]


def build(path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", PEOPLE)
        conn.executemany("INSERT INTO pets VALUES (?,?,?)", PETS)
        conn.executemany("INSERT INTO bad VALUES (?,?,?,?)", BAD)


def expected_people(path) -> list[tuple]:
    """Computed from SQLite itself, independently of sparkdms."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, name, CAST(nick AS TEXT), age, CAST(score AS TEXT), born, "
                            "seen, active, photo, meta, weight, CAST(code AS TEXT) FROM people "
                            "ORDER BY id").fetchall()
    return [(i, name, nick, age, None if score is None else Decimal(score), born, seen,
             None if active is None else bool(active), photo, None if meta is None else
             json.loads(meta), weight, code) for (i, name, nick, age, score, born, seen, active,
                                                  photo, meta, weight, code) in rows]


def test_sqlite_loose_typing_to_postgres(pg_db, spark, tmp_path):
    db = tmp_path / "loose.db"
    build(db)
    source = {"engine": "sqlite", "path": str(db)}
    rules = [selection("main"), selection("main", "bad", "exclude", rule_id="2")]
    # 'A1' cannot be a NUMERIC (STRING has numeric affinity in SQLite): load it as text
    task = write_task(tmp_path, source, pg_db, rules,
                      type_overrides={"main.people.code": "text"})
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    with pg_connect(pg_db) as pg:
        got = fetch(pg, "SELECT id, name, nick, age, score, born::text, seen::text, active, photo, "
                        "meta, weight, code FROM public.people ORDER BY id")
        types = dict(fetch(pg, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                               "WHERE attrelid = 'public.people'::regclass AND attnum > 0"))
        constraints = {r[0]: r[1] for r in fetch(
            pg, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace")}
        indexes = {r[0] for r in fetch(pg, "SELECT indexname FROM pg_indexes "
                                           "WHERE schemaname = 'public'")}
        new_id = fetch(pg, "INSERT INTO public.people (name) VALUES ('Cy') RETURNING id, active")
        pg.rollback()
    got = [(*r[:8], None if r[8] is None else bytes(r[8]), *r[9:]) for r in got]
    assert got == expected_people(db)
    assert types["nick"] == "text" and types["score"] == "numeric" and types["code"] == "text"
    assert types["name"] == "character varying(20)" and types["seen"] == "timestamp without time zone"
    assert types["active"] == "boolean" and types["meta"] == "jsonb" and types["id"] == "bigint"
    assert any(d == "CHECK ((age >= 0))" for d in constraints.values()), constraints
    assert any(d == "FOREIGN KEY (owner) REFERENCES people(id)" for d in constraints.values())
    assert {"people_name", "pets_owner"} <= indexes
    assert new_id == [(4, True)]  # identity past the loaded max, boolean default carried
    assert {t["TableName"]: t["FullLoadRows"] for t in report["tables"]} == {"people": 3, "pets": 3}


def test_loose_values_are_found_by_assess_and_stop_their_table(pg_db, spark, tmp_path):
    db = tmp_path / "loose.db"
    build(db)
    source = {"engine": "sqlite", "path": str(db)}
    task = write_task(tmp_path, source, pg_db, [selection("main", "bad")])
    found = assess(task)
    items = {(i.column, i.level): i for t in found.tables for i in t.items if i.category == "data"}
    assert "longer than 3 characters" in items[("short", "error")].message
    assert "'toolong'" in items[("short", "error")].example
    assert "do not match the declared type INTEGER" in items[("n", "error")].message
    assert "DATETIME" in items[("at", "error")].message  # a unix epoch is not a datetime
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tables"][0]["TableState"] == "Table error"
