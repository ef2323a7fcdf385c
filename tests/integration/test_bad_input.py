"""Bad input as a new user meets it: one clear message, non-zero exit, no password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.helpers import selection, write_task

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Wr0ng-Pa55w0rd-xyz"


def cli(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sparkdms.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, env={**os.environ, **(env or {})})


def seed(pg_db: dict) -> None:
    from tests.integration.conftest import pg_connect

    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO public.t VALUES (1, 'a'), (2, NULL)")


@pytest.mark.parametrize(("role", "fault", "words"), [
    ("source", {"password": SECRET}, "wrong user or password"),
    ("target", {"password": SECRET}, "wrong user or password"),
    ("source", {"port": 1, "password": SECRET}, "not reachable"),
    ("target", {"database": "no_such_db_here"}, "does not exist"),
])
def test_connection_faults(role, fault, words, pg_db, tmp_path):
    seed(pg_db)
    src = {**pg_db, **fault} if role == "source" else pg_db
    dst = {**pg_db, **fault} if role == "target" else pg_db
    task = write_task(tmp_path, src, dst, [selection("public")])
    proc = cli("run", str(task), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr and f"{role} endpoint" in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


def test_selection_matching_nothing(pg_db, tmp_path):
    seed(pg_db)
    task = write_task(tmp_path, pg_db, pg_db, [selection("public", "nope%")])
    proc = cli("plan", str(task), timeout=60)
    assert proc.returncode == 2
    assert "match no table" in proc.stderr and "public.t" in proc.stderr
    assert pg_db["password"] not in proc.stdout + proc.stderr


def test_missing_jdbc_driver_is_named(pg_db, spark, tmp_path):  # spark: fills the Ivy cache
    seed(pg_db)
    jars = tmp_path / "jars"
    jars.mkdir()
    sqlite_jar = next(Path.home().glob(".ivy2*/jars/org.xerial_sqlite-jdbc-*.jar"), None)
    if sqlite_jar is None:
        pytest.fail("sqlite-jdbc jar not found in the Ivy cache")
    (jars / sqlite_jar.name).write_bytes(sqlite_jar.read_bytes())
    task = write_task(tmp_path, pg_db, {"engine": "parquet", "path": str(tmp_path / "lake")},
                      [selection("public")])
    proc = cli("run", str(task), env={"SPARKDMS_JARS_DIR": str(jars)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "JDBC driver class org.postgresql.Driver is not on the Spark classpath" in proc.stdout
    assert pg_db["password"] not in proc.stdout + proc.stderr
