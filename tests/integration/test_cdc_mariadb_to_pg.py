"""Change data capture from MariaDB's binlog (connectors/mysql/changes.py) to PostgreSQL:
full-load-and-cdc under a concurrent write load, then a restart that resumes from the
checkpoint; every MariaDB type through change processing. Targets compared row by row with
the source, both ways."""

from __future__ import annotations

import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import (
    WriteLoad,
    assert_same_rows,
    fetch,
    normalise,
    selection,
    write_task,
)
from tests.integration.test_cdc_postgres import run_ok
from tests.integration.test_faults_more import finish_run, kill_tree, start_run, wait_until
from tests.integration.test_types_mariadb_to_pg import (
    COLUMNS,
    INSERT_COLUMNS,
    ROWS,
    SCHEMA,
    TARGET_SQL,
    normal,
    source_rows,
)

LOAD_SCHEMA = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(100), amount decimal(12,2), "
    "seen timestamp(6) NULL, payload varbinary(16), hits int NOT NULL DEFAULT 0)",
    "CREATE TABLE ledger (id bigint PRIMARY KEY, account_id bigint, note varchar(80), "
    "created datetime(6), amount decimal(12,2))",
)
TABLES = ("accounts", "ledger")
FAST = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
        "ChangeProcessingTuning": {"MinTransactionSize": 100}}


def seed_load(endpoint: dict) -> None:
    with my_connect(endpoint) as conn, conn.cursor() as cur:
        for ddl in LOAD_SCHEMA:
            cur.execute(ddl)
        cur.executemany("INSERT INTO accounts VALUES (%s, %s, %s, %s, %s, 0)",
                        [(g, f"acct {g} Zoë 李", Decimal(g) * Decimal("1.25"),
                          f"2024-02-29 23:59:{g % 60:02d}.5", bytes([g % 256, 0, 255]))
                         for g in range(1, 401)])
        cur.executemany("INSERT INTO ledger VALUES (%s, %s, %s, %s, %s)",
                        [(g, g % 400 + 1, f"seed '{g}", f"2024-01-01 00:{g % 60:02d}:00", g)
                         for g in range(1, 401)])
        conn.commit()


class Writer(WriteLoad):
    """Inserts, updates, deletes, a key change and a transaction over both tables, until
    stopped."""

    def __init__(self, endpoint: dict) -> None:
        super().__init__(lambda: my_connect(endpoint, autocommit=True), pause=0.005)

    @staticmethod
    def step(conn: Any, n: int) -> None:
        kind = n % 5
        with conn.cursor() as cur:
            if kind == 0:
                cur.execute("INSERT INTO accounts VALUES (%s, %s, %s, UTC_TIMESTAMP(6), %s, 0)",
                            (n, f"new {n} 'q' ✓", Decimal(n) / 100, bytes([n % 256, 0, 255])))
            elif kind == 1:
                cur.execute("UPDATE accounts SET amount = amount + 1, hits = hits + 1, "
                            "name = CONCAT(name, '!') WHERE id = %s", (n % 400 + 1,))
            elif kind == 2:
                cur.execute("DELETE FROM ledger WHERE id = %s", (n % 400 + 1,))
            elif kind == 3:  # one transaction over both tables
                cur.execute("BEGIN")
                cur.execute("INSERT INTO ledger VALUES (%s, %s, %s, UTC_TIMESTAMP(6), %s)",
                            (n, n % 400 + 1, f"tx {n}", Decimal("0.01") * n))
                cur.execute("UPDATE accounts SET hits = hits + 1, seen = UTC_TIMESTAMP(6) "
                            "WHERE id = %s", (n % 400 + 1,))
                cur.execute("DELETE FROM accounts WHERE id = %s", (n - 3,))
                cur.execute("COMMIT")
            else:  # the key changes: a delete of the old key, an upsert of the new
                cur.execute("UPDATE ledger SET id = id + 100000 WHERE id = %s", (n % 400 + 1,))


def my_rows(endpoint: dict, table: str) -> Any:
    with my_connect(endpoint) as conn:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
        return normalise(fetch(conn, f"SELECT * FROM `{table}`"))


def pg_rows(endpoint: dict, table: str) -> Any:
    with pg_connect(endpoint) as conn:
        return normalise(fetch(conn, f'SELECT * FROM public."{table}"'))


def cdc_task(tmp_path: Path, source: dict, target: dict, name: str) -> Path:
    return write_task(tmp_path, source, target, [selection(source["database"])],
                      settings=FAST, migration_type="full-load-and-cdc", name=name)


def test_full_load_and_cdc_under_a_write_load_then_a_restart(
        tmp_path: Path, my_db: dict, pg_db: dict, every_driver: Any) -> None:
    seed_load(my_db)
    task = cdc_task(tmp_path, my_db, pg_db, "cdc_my_it")
    writer = Writer(my_db)
    first, during = writer.during(lambda: run_ok(task, tmp_path / "r1.json"))
    assert during >= 10, f"only {during} writes happened while the task ran"
    assert first["status"] == "succeeded"
    with my_connect(my_db, autocommit=True) as conn:  # more, then the task runs again
        for n in range(writer.done, writer.done + 25):
            Writer.step(conn, 1000 + n)
    second = run_ok(task, tmp_path / "r2.json")
    assert any("resumed from checkpoint" in n for n in second["notes"]), second["notes"]
    for table in TABLES:
        assert_same_rows(my_rows(my_db, table), pg_rows(pg_db, table))
    applied = sum(t.get("Inserts", 0) + t.get("Updates", 0) + t.get("Deletes", 0)
                  for t in second["tables"])
    assert applied >= 25
    with pg_connect(pg_db) as conn:  # the checkpoint: a binlog position on the target
        status = fetch(conn, 'SELECT "TASK_STATUS", "RECOVERY_CHECKPOINT" FROM '
                             'public.awsdms_status WHERE "TASK_NAME" = %s', ("cdc_my_it",))
    assert status and status[0][0] == "CHANGE PROCESSING"
    assert status[0][1].startswith("mariadb-bin.") and ":" in status[0][1]


def test_every_mariadb_type_through_change_processing(
        tmp_path: Path, my_db: dict, pg_db: dict, every_driver: Any) -> None:
    marks = ", ".join("ST_GeomFromText(%s)" if c in ("geo", "pt") else "%s"
                      for c in INSERT_COLUMNS.split(", "))
    insert = f"INSERT INTO everything ({INSERT_COLUMNS}) VALUES ({marks})"
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        for ddl in SCHEMA:
            cur.execute(ddl)
        cur.execute("INSERT INTO owners (email) VALUES ('ann@example.org'), ('bob@example.org')")
        cur.execute(insert, ROWS[0])
        conn.commit()
    task = cdc_task(tmp_path, my_db, pg_db, "cdc_my_types")
    run_ok(task, tmp_path / "r1.json")  # the full load of row 1
    with my_connect(my_db) as conn, conn.cursor() as cur:  # every other row by the binlog
        cur.execute("SET time_zone = '+00:00'")
        cur.execute("SET SESSION sql_mode = ''")  # row 2 holds zero dates
        cur.executemany(insert, ROWS[1:])
        conn.commit()
        cur.execute(insert, (9, *ROWS[0][1:22], "gone", *ROWS[0][23:]))
        cur.execute("UPDATE everything SET vc = 'upd ✓ 🚀', dbig = -dbig, ts = NULL, "
                    "js = '{\"z\": [true]}', bl = x'00ff', tm6 = '00:00:00.000001', st = '', "
                    "b64 = b'1', fl = -0.25 WHERE id = 1")
        conn.commit()
        cur.execute("DELETE FROM everything WHERE id = 9")
        cur.execute("UPDATE everything SET id = 7, owner_id = 2 WHERE id = 3")  # a key change
        conn.commit()
    second = run_ok(task, tmp_path / "r2.json")
    assert second["status"] == "succeeded"
    source = source_rows(my_db)
    with pg_connect(pg_db) as pg:
        target = [normal(r, "target") for r in fetch(pg, TARGET_SQL)]
    # both ways: the same keys (nothing missing, nothing extra), then every column
    assert [r[0] for r in target] == [r[0] for r in source] == [1, 2, 7]
    for got, want in zip(target, source, strict=True):
        for name, a, b in zip(COLUMNS.split(", "), got, want, strict=True):
            assert a == b, f"row {want[0]} column {name}: target {a!r} != source {b!r}"


def test_follow_stopped_mid_stream_then_resumed(
        tmp_path: Path, my_db: dict, pg_db: dict, every_driver: Any) -> None:
    seed_load(my_db)
    task = cdc_task(tmp_path, my_db, pg_db, "cdc_my_follow")
    writer = Writer(my_db)
    writer.start()
    proc = start_run(task, "--follow", master="local[2]")
    try:
        seen: dict[str, str] = {}

        def applied_some() -> bool:  # a batch committed after the load: the loop is running
            try:
                with pg_connect(pg_db) as conn:
                    rows = fetch(conn, 'SELECT "TASK_STATUS", "RECOVERY_CHECKPOINT" FROM '
                                       'public.awsdms_status')
            except Exception:  # the table is not there yet
                return False
            for phase, position in rows:
                seen.setdefault(phase, position)
            base = seen.get("FULL LOAD", seen.get("CHANGE PROCESSING"))
            return bool(rows) and rows[0][0] == "CHANGE PROCESSING" and rows[0][1] != base

        wait_until(applied_some, proc, what="changes applied while following")
        proc.send_signal(signal.SIGTERM)  # stops at a checkpoint, writes still coming
        code, out = finish_run(proc)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    assert code == 0, out[-3000:]
    with pg_connect(pg_db) as conn:
        stopped_at = fetch(conn, 'SELECT "RECOVERY_CHECKPOINT" FROM public.awsdms_status '
                                 'WHERE "TASK_NAME" = %s', ("cdc_my_follow",))[0][0]
    final = run_ok(task, tmp_path / "r2.json")  # resumes, applies the rest
    assert any(stopped_at in n for n in final["notes"]), final["notes"]
    for table in TABLES:
        assert_same_rows(my_rows(my_db, table), pg_rows(pg_db, table))
