"""Validation against the real servers: a correct migration validates with no false
positive both ways between PostgreSQL and MariaDB, and faults injected directly on the
target are each found with the right key, failure type and column, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

VALIDATE = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True}}

PG_KINDS = """
CREATE TABLE public.kinds (
  id integer PRIMARY KEY, small smallint, big bigint, amount numeric(12,2),
  precise numeric(38,18), r real, d double precision, flag boolean, code char(5),
  name varchar(40), body text, day date, at timestamp(6), at3 timestamp(3), tz timestamptz,
  tod time(6), uid uuid, doc jsonb, raw bytea
)"""
PG_ROWS = r"""
INSERT INTO public.kinds VALUES
 (1, -32768, 9223372036854775807, 9999999999.99, 12345678901234567890.123456789012345678,
  3.4028235e38, 1.7976931348623157e308, true, 'ab', 'Zoë 李雷 🚀', repeat('Lorem ✓ ', 20000),
  '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999',
  '2024-02-29 23:59:59.999999+05:30', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"b": [1, 2.50, {"z": null}], "a": "x"}', '\x00ff10'),
 (2, 0, 0, 0.00, 0, 0, -0.0, false, '', '', '', '1970-01-01', '1970-01-01 00:00:00',
  '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '00:00:00',
  '00000000-0000-0000-0000-000000000000', '{}', ''),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL),
 (4, 7, -1, -0.01, -0.000000000000000001, 0.1, 0.30000000000000004, true, 'x  ', '  padded  ',
  E'line1\nline2\ttab "q" ''a'' \\ ,|#', '0999-06-15', '1999-12-31 23:59:59.5',
  '2038-01-19 03:14:07.123', '2038-01-19 03:14:08.123456+00', '12:34:56.5',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '[1, "two", {"k": true}]',
  decode(repeat('ab', 4000), 'hex'));
INSERT INTO public.kinds (id, small, amount, name, at, d, r)
SELECT g, g % 100, g / 7.0, 'row ' || g, timestamp '2020-01-01' + g * interval '1.000001 second',
       g / 3.0, g / 3.0
FROM generate_series(100, 3000) g;
"""

# (statement run on the MariaDB target, {id: columns it changes}); None = a semantically
# equal rewrite that must NOT be reported
MY_FAULTS = [
    ("UPDATE kinds SET small = small + 1 WHERE id = 100", {100: {"small"}}),
    ("UPDATE kinds SET big = big - 1 WHERE id = 1", {1: {"big"}}),
    ("UPDATE kinds SET amount = ROUND(amount, 1) WHERE id = 101", {101: {"amount"}}),  # rounded
    ("UPDATE kinds SET precise = precise + 0.000000000000000001 WHERE id = 1", {1: {"precise"}}),
    ("UPDATE kinds SET r = r * 2 WHERE id = 102", {102: {"r"}}),
    ("UPDATE kinds SET d = d + 1 WHERE id = 103", {103: {"d"}}),
    ("UPDATE kinds SET flag = 1 WHERE id = 2", {2: {"flag"}}),
    ("UPDATE kinds SET code = 'ac' WHERE id = 1", {1: {"code"}}),
    ("UPDATE kinds SET name = CONCAT(name, ' ') WHERE id = 104", {104: {"name"}}),  # trailing space
    ("UPDATE kinds SET name = NULL WHERE id = 2", {2: {"name"}}),  # '' became NULL
    ("UPDATE kinds SET body = REPLACE(body, 'line1', 'line0') WHERE id = 4", {4: {"body"}}),
    ("UPDATE kinds SET body = CONCAT(body, '.') WHERE id = 1", {1: {"body"}}),  # 160 kB text
    ("UPDATE kinds SET day = '0999-06-16' WHERE id = 4", {4: {"day"}}),
    ("UPDATE kinds SET at = at + INTERVAL 1 MICROSECOND WHERE id = 106", {106: {"at"}}),
    ("UPDATE kinds SET at3 = '1970-01-01 00:00:00.001' WHERE id = 2", {2: {"at3"}}),
    ("UPDATE kinds SET tz = tz + INTERVAL 1 MICROSECOND WHERE id = 4", {4: {"tz"}}),
    ("UPDATE kinds SET tod = '23:59:58.999999' WHERE id = 1", {1: {"tod"}}),
    ("UPDATE kinds SET uid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13' WHERE id = 4", {4: {"uid"}}),
    ("""UPDATE kinds SET doc = '{"a":"x","b":[1,2.5,{"z":null}]}' WHERE id = 1""", None),
    ("""UPDATE kinds SET doc = '[1, "two", {"k": false}]' WHERE id = 4""", {4: {"doc"}}),
    ("UPDATE kinds SET raw = CONCAT(raw, 'x') WHERE id = 4", {4: {"raw"}}),
    ("UPDATE kinds SET raw = X'00ff11' WHERE id = 1", {1: {"raw"}}),
]


def run(command: str, task: Path, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    report = tmp_path / f"{command}-{task.stem}.json"
    code = sparkdms([command, str(task), "--report", str(report), *extra])
    return code, json.loads(report.read_text())


def failures(report: dict, table: int = 0) -> list[dict]:
    return report["tables"][table].get("ValidationFailures", [])


def found(conn, task: str) -> dict[tuple[str, str], set[str]]:
    """The failures table as {(failure type, key): differing columns}."""
    rows = fetch(conn, 'SELECT "FAILURE_TYPE", "KEY", "DETAILS" FROM '
                       'awsdms_validation_failures_v1 WHERE "TASK_NAME" = %s', (task,)) \
        if hasattr(conn, "info") else fetch(conn, "SELECT FAILURE_TYPE, `KEY`, DETAILS FROM "
                                                  "awsdms_validation_failures_v1 WHERE TASK_NAME = %s",
                                            (task,))
    out: dict[tuple[str, str], set[str]] = {}
    for kind, key, details in rows:
        cols = set(json.loads(details)) if kind == "RECORD_DIFF" else set()
        out[(kind, ",".join(str(v) for v in json.loads(key).values()))] = cols
    return out


def test_pg_to_mariadb_validates_then_finds_every_injected_fault(pg_db, my_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_KINDS)
        conn.execute(PG_ROWS)
    task = write_task(tmp_path, pg_db, my_db, [selection("public")], VALIDATE, name="kinds")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated" and stats["ValidationFailedRecords"] == 0
    assert stats["ValidationSourceRows"] == stats["ValidationTargetRows"] == 2905
    assert stats["ValidationMethod"].startswith("checksums: source in sql, target in sql")
    assert stats["ValidationExpectations"]["success"], stats["ValidationExpectations"]

    expected: dict[tuple[str, str], set[str]] = {}
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        for sql, changes in MY_FAULTS:
            cur.execute(sql)
            for key, cols in (changes or {}).items():
                expected.setdefault(("RECORD_DIFF", str(key)), set()).update(cols)
        cur.execute("DELETE FROM kinds WHERE id = 3000")
        cur.execute("INSERT INTO kinds (id, name) VALUES (5000, 'extra')")
    expected[("MISSING_TARGET", "3000")] = set()
    expected[("MISSING_SOURCE", "5000")] = set()

    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records"
    assert stats["ValidationFailedRecords"] == len(expected)
    with my_connect(my_db) as conn:
        assert found(conn, "kinds") == expected
        details = fetch(conn, "SELECT DETAILS FROM awsdms_validation_failures_v1 WHERE `KEY` = %s",
                        ('{"id": "100"}',))
    assert json.loads(details[0][0]) == {"small": {"source": "0", "target": "1"}}
    sample = failures(report)  # the report carries the first few with their values
    assert len(sample) == 5
    assert all((f["FAILURE_TYPE"], f["KEY"]["id"]) in expected for f in sample)
    # the row count still matches (one missing, one extra), which great-expectations confirms
    assert stats["ValidationExpectations"]["success"]


MY_KINDS = """
CREATE TABLE kinds (
  id bigint PRIMARY KEY, amount decimal(12,2), big decimal(38,18), ratio double, f float,
  name varchar(64), note longtext, created datetime(6), created_tz timestamp(6) NULL DEFAULT NULL,
  day date, tod time(6), payload longblob, flag tinyint(1), qty int, u int unsigned,
  ub bigint unsigned, doc json, code char(4)
) DEFAULT CHARSET=utf8mb4"""
MY_ROWS = [
    (1, "9999999999.99", "12345678901234567890.123456789012345678", 0.1, 0.1, "Zoë 李雷 🚀", "",
     "2024-02-29 23:59:59.999999", "2024-02-29 18:29:59.999999", "2024-02-29", "23:59:59.999999",
     b"\x00\x01\xff" * 50, 1, 42, 4294967295, 18446744073709551615, '{"b": 1, "a": [true, null]}',
     "ab"),
    (2, "-0.01", "-0.000000000000000001", -1.5e300, -3.4e38, "", "x" * 100_000,
     "1970-01-01 00:00:00", "1970-01-01 00:00:01", "1970-01-01", "00:00:00", b"", 0, -7, 0, 0,
     "[]", ""),
    (3, *([None] * 17)),
]


def test_mariadb_to_pg_validates_then_finds_faults(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(MY_KINDS)
        cur.executemany(f"INSERT INTO kinds VALUES ({', '.join(['%s'] * 18)})", MY_ROWS)
        cur.execute("INSERT INTO kinds (id, amount, name, created, ratio) SELECT seq, seq / 7, "
                    "CONCAT('row ', seq), '2020-01-01' + INTERVAL seq SECOND, seq / 3 "
                    "FROM seq_10_to_2000")
        conn.commit()
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])], VALIDATE, name="back")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated" and stats["ValidationSourceRows"] == 1994
    # JSON cannot be compared in SQL across these engines (PostgreSQL reorders keys): Spark
    assert "source in spark, target in spark" in stats["ValidationMethod"]

    with pg_connect(pg_db) as conn:
        conn.execute("UPDATE public.kinds SET flag = NOT flag WHERE id = 1")
        conn.execute("UPDATE public.kinds SET ub = ub - 1 WHERE id = 1")
        conn.execute("UPDATE public.kinds SET created_tz = created_tz + interval '1 microsecond' "
                     "WHERE id = 2")
        conn.execute("UPDATE public.kinds SET payload = '\\x00' WHERE id = 2")
        conn.execute("""UPDATE public.kinds SET doc = '{"a": [true, null], "b": 2}' WHERE id = 1""")
        conn.execute("UPDATE public.kinds SET f = 0.2 WHERE id = 2")
        conn.execute("UPDATE public.kinds SET code = NULL WHERE id = 2")
        conn.execute("DELETE FROM public.kinds WHERE id = 1000")
    code, report = run("validate", task, tmp_path)
    with pg_connect(pg_db) as conn:
        got = found(conn, "back")
    assert got == {("RECORD_DIFF", "1"): {"flag", "ub", "doc"},
                   ("RECORD_DIFF", "2"): {"created_tz", "payload", "f", "code"},
                   ("MISSING_TARGET", "1000"): set()}
    assert code == 1 and report["tables"][0]["ValidationFailedRecords"] == 3
