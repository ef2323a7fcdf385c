"""lob-settings mode limited: values over bulk-max-size are never cut in silence. Each
ErrorBehavior.DataTruncationErrorPolicy against the real servers: LOG_ERROR loads them cut
(at a whole UTF-8 character) and counts them with their keys, IGNORE_RECORD skips and counts
the rows, STOP_TASK writes nothing and stops the task."""

from __future__ import annotations

import json
from pathlib import Path

import sparkdms.validate.runner  # imported first: its default stdout must not be capsys
from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, write_task

LIMIT = 1024  # bulk-max-size 1 (KB)


def docs() -> list[tuple]:
    rows = [
        (1, "short ✓", b"\x00\x01", "fits"),
        (2, "a" * 1023 + "€", bytes(range(256)) * 8, "cut inside a 3-byte character"),
        (3, "é" * 600, b"\xff" * 1024, "1200 bytes of text; binary exactly at the limit"),
        (4, None, None, "nulls"),
        (5, "b" * 1024, b"x" * 1025, "text at the limit, binary one over"),
        (6, "🚀" * 300, b"", "4-byte characters"),
    ]
    rows += [(i, f"row {i} " + "z" * (i % 50), bytes([i % 256]) * (i % 40), None)
             for i in range(7, 400)]
    return rows


def cut(row: tuple) -> tuple:
    """The documented cut, computed independently: bytes, then the whole characters."""
    i, body, data, title = row
    body = body.encode()[:LIMIT].decode("utf-8", errors="ignore") if body is not None else None
    return i, body, data[:LIMIT] if data is not None else None, title


def over(row: tuple) -> bool:
    return (row[1] is not None and len(row[1].encode()) > LIMIT) or \
        (row[2] is not None and len(row[2]) > LIMIT)


def lob_rules(schema: str) -> list[dict]:
    return [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
             "rule-action": "include", "object-locator": {"schema-name": schema, "table-name": "%"}},
            {"rule-type": "table-settings", "rule-id": "2", "rule-name": "small-lobs",
             "object-locator": {"schema-name": schema, "table-name": "docs"},
             "lob-settings": {"mode": "limited", "bulk-max-size": "1"}}]


def settings(policy: str) -> dict:
    return {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                 "MaxFullLoadSubTasks": 1},
            "ErrorBehavior": {"DataTruncationErrorPolicy": policy}}


def run(task: Path, report: Path) -> tuple[int, dict]:
    code = sparkdms(["run", str(task), "--report", str(report)])
    return code, {t["TableName"]: t for t in json.loads(report.read_text())["tables"]}


def seed_pg(endpoint: dict) -> None:
    with pg_connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE public.docs (id int PRIMARY KEY, body text, data bytea, "
                    "title varchar(60))")
        cur.executemany("INSERT INTO public.docs VALUES (%s, %s, %s, %s)", docs())
        cur.execute("CREATE TABLE public.other (id int PRIMARY KEY)")
        cur.execute("INSERT INTO public.other SELECT generate_series(1, 10)")


def test_log_error_loads_cut_values_and_counts_them(pg_db, my_db, spark, tmp_path, capsys):
    seed_pg(pg_db)
    task = write_task(tmp_path, pg_db, my_db, lob_rules("public"), settings("LOG_ERROR"))
    code, stats = run(task, tmp_path / "r.json")
    assert code == 0
    expected_over = [r for r in docs() if over(r)]
    assert [r[0] for r in expected_over] == [2, 3, 5, 6]
    table = stats["docs"]
    assert table["FullLoadErrorRows"] == table["LobTruncatedRows"] == 4
    assert table["LobTruncatedValues"] == {"body": 3, "data": 2}
    assert sorted(table["LobTruncatedKeys"]) == ["id=2", "id=3", "id=5", "id=6"]
    assert "4 row(s) with a value over 1,024 bytes" in capsys.readouterr().out
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT id, body, data, title FROM docs")
    assert_same_rows(normalise([cut(r) for r in docs()]), normalise(target))


def test_ignore_record_skips_rows_mariadb_to_pg(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE docs (id int PRIMARY KEY, body longtext, data longblob, "
                    "title varchar(60))")
        cur.executemany("INSERT INTO docs VALUES (%s, %s, %s, %s)", docs())
        conn.commit()
    task = write_task(tmp_path, my_db, pg_db, lob_rules(my_db["database"]),
                      settings("IGNORE_RECORD"))
    code, stats = run(task, tmp_path / "r.json")
    assert code == 0
    assert stats["docs"]["FullLoadErrorRows"] == stats["docs"]["LobSkippedRows"] == 4
    assert stats["docs"]["FullLoadRows"] == len(docs()) - 4
    with pg_connect(pg_db) as conn:
        target = fetch(conn, "SELECT id, body, data, title FROM public.docs")
    assert_same_rows(normalise([r for r in docs() if not over(r)]), normalise(target))


def test_stop_task_writes_nothing_and_starts_no_other_table(pg_db, my_db, spark, tmp_path):
    seed_pg(pg_db)
    rules = lob_rules("public")
    rules[0]["rule-id"], rules[0]["load-order"] = "1", "1"  # docs first, then other
    rules.append({"rule-type": "selection", "rule-id": "3", "rule-name": "docs-first",
                  "rule-action": "include", "load-order": "2",
                  "object-locator": {"schema-name": "public", "table-name": "docs"}})
    task = write_task(tmp_path, pg_db, my_db, rules, settings("STOP_TASK"))
    code, stats = run(task, tmp_path / "r.json")
    assert code != 0
    error = stats["docs"]["Error"]
    assert "over the LOB limit of 1,024 bytes" in error and "rule 2 ('small-lobs')" in error
    assert "id=2" in error and "DataTruncationErrorPolicy is STOP_TASK" in error
    assert "not started" in stats["other"]["Error"]
    with my_connect(my_db) as conn:
        assert fetch(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                           "TABLE_SCHEMA = %s AND TABLE_NAME IN ('docs', 'other')",
                     (my_db["database"],)) == [(0,)]
