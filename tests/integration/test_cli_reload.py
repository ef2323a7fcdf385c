"""Re-running part of a task against the real PostgreSQL: `run --tables` and
`run --retry-failed REPORT.json` reload only the chosen tables (the others keep their rows
and their physical table, pg_class oid); `test-connection` names a wrong password in one
line without printing it; `tables` shows the selection with row estimates.

Source ``c`` is a view whose read fails while ``src.broken`` holds a row and c's staging
table exists (so during the load, not while planning): a real load failure, which a retry
after the repair clears."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("a", "b", "c")
SOURCE = {"a": "src.a", "b": "src.b", "c": "src.c_data"}  # c: a view over c_data
BREAKABLE_VIEW = [
    "CREATE TABLE src.broken (why text)",
    """CREATE FUNCTION src.gate(i int) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF i = 20 AND EXISTS (SELECT 1 FROM src.broken) AND EXISTS (SELECT 1 FROM pg_tables
      WHERE schemaname = 'dst' AND starts_with(tablename, 'c__sdms_')) THEN
    RAISE EXCEPTION 'c is broken at row %', i;
  END IF;
  RETURN true;
END $$""",
    "CREATE VIEW src.c AS SELECT * FROM src.c_data WHERE src.gate(id)",
]
VIEW_RULE = {"rule-type": "selection", "rule-id": "4", "rule-name": "4", "rule-action": "include",
             "object-locator": {"schema-name": "src", "table-name": "c", "table-type": "view"}}
RENAME = {"rule-type": "transformation", "rule-id": "2", "rule-name": "2",
          "rule-target": "schema", "object-locator": {"schema-name": "src"},
          "rule-action": "rename", "value": "dst"}


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SPARKDMS_JARS_DIR"}
    return subprocess.run([sys.executable, "-m", "sparkdms.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=600, env=env)


def seed(conn, version: int) -> None:
    """Each table's rows, different for each version: NULLs, unicode, decimals, timestamps,
    binary."""
    for t in TABLES:
        conn.execute(f"DELETE FROM {SOURCE[t]}")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {SOURCE[t]} VALUES (%s, %s, %s, %s, %s)",
                [(i, f"{t}-v{version}-zoë-日本-{i}" if i % 5 else None,
                  f"{version}{i}.1234" if i % 7 else None,
                  f"2024-02-29 12:{i % 60:02d}:0{version}.123456",
                  bytes([version, i % 256, 0, 255]) if i % 3 else None)
                 for i in range(1, 41)])


def source_rows(conn, table: str):
    return normalise(fetch(conn, f"SELECT * FROM {SOURCE[table]}"))


def target_rows(conn, table: str):
    return normalise(fetch(conn, f"SELECT * FROM dst.{table}"))


def oids(conn) -> dict[str, int]:
    return dict(fetch(conn, "SELECT c.relname, c.oid::bigint FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = 'dst' AND c.relkind = 'r' "
                            "AND c.relname = ANY(%s)", (list(TABLES),)))


def reported(path: Path) -> dict[str, str]:
    return {t["TableName"]: t["TableState"] for t in json.loads(path.read_text())["tables"]}


def test_tables_and_retry_failed_reload_only_those_tables(pg_db, tmp_path):
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA src")
        for t in TABLES:
            conn.execute(f"CREATE TABLE {SOURCE[t]} (id int PRIMARY KEY, name text, "
                         "amount numeric(14,4), at timestamp(6), data bytea)")
        for sql in BREAKABLE_VIEW:
            conn.execute(sql)
        seed(conn, 1)
        conn.execute("ANALYZE")
    task = write_task(tmp_path, pg_db, pg_db, [selection("src", "a"), RENAME,
                                               selection("src", "b", rule_id="3"), VIEW_RULE])

    # `tables`: the selection with row estimates (exact after ANALYZE)
    listed = cli("tables", str(task), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    estimates = {t["source"]: t["row_estimate"] for t in json.loads(listed.stdout)["tables"]}
    assert set(estimates) == {"src.a", "src.b", "src.c"}
    assert (estimates["src.a"], estimates["src.b"]) == (40, 40)

    first = cli("run", str(task), "--report", str(tmp_path / "r1.json"))
    assert first.returncode == 0, first.stdout + first.stderr
    with pg_connect(pg_db, autocommit=True) as conn:
        for t in TABLES:
            assert_same_rows(source_rows(conn, t), target_rows(conn, t))
        loaded1 = {t: target_rows(conn, t) for t in TABLES}
        oids1 = oids(conn)
        conn.execute("INSERT INTO src.broken VALUES ('reading src.c fails now')")
        seed(conn, 2)

    # --tables a,c: a reloaded, c fails (its read raises), b is not touched
    second = cli("run", str(task), "--tables", "a, src.c", "--report", str(tmp_path / "r2.json"))
    assert second.returncode == 1, second.stdout + second.stderr
    assert (tmp_path / "r2.json").exists(), second.stdout + second.stderr
    assert reported(tmp_path / "r2.json") == {"a": "Table completed", "c": "Table error"}
    with pg_connect(pg_db, autocommit=True) as conn:
        oids2 = oids(conn)
        assert_same_rows(source_rows(conn, "a"), target_rows(conn, "a"))  # version 2
        assert oids2["a"] != oids1["a"]
        for t in ("b", "c"):  # b: not chosen; c: failed, left as it was
            assert oids2[t] == oids1[t]
            assert_same_rows(loaded1[t], target_rows(conn, t))
            assert target_rows(conn, t) != source_rows(conn, t)
        conn.execute("DELETE FROM src.broken")  # repaired

    # --retry-failed r2.json: only c
    third = cli("run", str(task), "--retry-failed", str(tmp_path / "r2.json"), "--report",
                str(tmp_path / "r3.json"))
    assert third.returncode == 0, third.stdout + third.stderr
    assert "\nTask itest: 1 tables from postgres" in third.stdout
    assert reported(tmp_path / "r3.json") == {"c": "Table completed"}
    with pg_connect(pg_db, autocommit=True) as conn:
        oids3 = oids(conn)
        assert oids3["c"] != oids2["c"]
        assert (oids3["a"], oids3["b"]) == (oids2["a"], oids2["b"])
        for t in ("a", "c"):
            assert_same_rows(source_rows(conn, t), target_rows(conn, t))
        assert_same_rows(loaded1["b"], target_rows(conn, "b"))  # still version 1


def test_test_connection_names_a_wrong_password_in_one_line(pg_db, tmp_path):
    wrong = "not-the-pw-x9q"
    task = write_task(tmp_path, {**pg_db, "password": wrong}, pg_db, [selection("public")])
    proc = cli("test-connection", str(task))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and wrong not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("sparkdms: error: source endpoint (postgres): ")
    assert "password" in proc.stderr
    assert proc.stdout.startswith("target: ok, postgres at ") and proc.stdout.count("\n") == 1

    good = cli("test-connection", str(write_task(tmp_path, pg_db, pg_db, [selection("public")],
                                                 name="good")))
    assert (good.returncode, good.stderr) == (0, "")
    assert [line.split(":")[0] for line in good.stdout.splitlines()] == ["source", "target"]


def test_init_then_tables_on_a_real_database(pg_db, tmp_path):
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.items (id int PRIMARY KEY, label text)")
        conn.execute("INSERT INTO public.items SELECT g, 'x' || g FROM generate_series(1, 25) g")
        conn.execute("ANALYZE public.items")
    url = f"postgresql://{pg_db['user']}@{pg_db['host']}:{pg_db['port']}/{pg_db['database']}"
    out = tmp_path / "mine.yaml"
    made = cli("init", url, f"parquet:///{tmp_path}/lake", "-o", str(out))
    assert made.returncode == 0, made.stderr
    assert pg_db["password"] not in out.read_text()
    assert yaml.safe_load(out.read_text())["source"]["password"] == \
        "${env:SPARKDMS_SOURCE_PASSWORD}"
    env_pw = {"SPARKDMS_SOURCE_PASSWORD": pg_db["password"]}
    os.environ.update(env_pw)
    try:
        listed = cli("tables", str(out), "--format", "json")
    finally:
        os.environ.pop("SPARKDMS_SOURCE_PASSWORD")
    assert listed.returncode == 0, listed.stderr
    assert [(t["source"], t["row_estimate"]) for t in json.loads(listed.stdout)["tables"]] == [
        ("public.items", 25)]
