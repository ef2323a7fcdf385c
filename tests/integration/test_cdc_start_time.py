"""CdcStartTime of a ``cdc`` task without a checkpoint (ChangeStream.position_at): MariaDB
reads its binlog from that time on, applying the changes committed after it and none
before; PostgreSQL refuses (a slot cannot start in the past)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, write_task
from tests.integration.test_cdc_mariadb_to_pg import TABLES, my_rows, pg_rows, seed_load
from tests.integration.test_cdc_postgres import run_ok

BEFORE = ("INSERT INTO accounts VALUES (5001, 'before T', 1.50, NULL, NULL, 0)",
          "UPDATE accounts SET name = 'changed before T', hits = 7 WHERE id = 1",
          "DELETE FROM ledger WHERE id = 3")
AFTER = ("INSERT INTO accounts VALUES (5002, 'after T ✓', 2.50, '2024-05-05 05:05:05.5', "
         "x'00ff', 1)",
         "UPDATE accounts SET name = 'changed after T', amount = NULL WHERE id = 2",
         "DELETE FROM ledger WHERE id = 4",
         "UPDATE ledger SET note = 'after T ''q''' WHERE id = 5")
BEFORE_KEYS = {"accounts": (5001, 1), "ledger": (3,)}


def execute(endpoint: dict, statements: tuple[str, ...]) -> None:
    with my_connect(endpoint, autocommit=True) as conn, conn.cursor() as cur:
        for stmt in statements:
            cur.execute(stmt)


def by_id(rows: Counter) -> dict[Any, tuple]:
    return {r[0]: r for r in rows}


def test_mariadb_cdc_start_time_applies_changes_after_it_and_none_before(
        tmp_path: Path, my_db: dict, pg_db: dict, every_driver: Any) -> None:
    seed_load(my_db)
    load = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])], name="st_load")
    run_ok(load, tmp_path / "load.json")  # the target tables, as the source was
    loaded = {t: by_id(my_rows(my_db, t)) for t in TABLES}
    execute(my_db, BEFORE)
    time.sleep(1.5)  # binlog commit times have whole seconds
    start = dt.datetime.now(dt.UTC)
    time.sleep(1.5)
    execute(my_db, AFTER)
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])],
                      migration_type="cdc", CdcStartTime=start.isoformat(), name="st_cdc")
    report = run_ok(task, tmp_path / "cdc.json")
    assert sum(t.get("Inserts", 0) + t.get("Updates", 0) + t.get("Deletes", 0)
               for t in report["tables"]) == len(AFTER), report["tables"]
    for table in TABLES:  # the source with the changes before T undone
        want = by_id(my_rows(my_db, table))
        for key in BEFORE_KEYS[table]:
            want.pop(key, None)
            if key in loaded[table]:
                want[key] = loaded[table][key]
        assert_same_rows(Counter(want.values()), pg_rows(pg_db, table))
    with pg_connect(pg_db) as conn:  # the checkpoint: a binlog position after the changes
        status = fetch(conn, 'SELECT "TASK_STATUS", "RECOVERY_CHECKPOINT" FROM '
                             'public.awsdms_status WHERE "TASK_NAME" = %s', ("st_cdc",))
    assert status and status[0][0] == "CHANGE PROCESSING", status


def test_postgres_cdc_start_time_without_a_slot_is_refused(
        tmp_path: Path, pg_db: dict, every_driver: Any, capsys: Any) -> None:
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)")
        conn.execute(f'CREATE DATABASE "{pg_db["database"]}_dst"')
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    with pg_connect(dst, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)")
    task = write_task(tmp_path, pg_db, dst, [selection("public")], migration_type="cdc",
                      CdcStartTime="2024-01-01T00:00:00", name="st_pg")
    code = sparkdms(["run", str(task)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "CdcStartTime 2024-01-01T00:00:00" in err and "cannot start in the past" in err, err
    with pg_connect(pg_db) as conn:  # and no slot was left behind
        slots = fetch(conn, "SELECT slot_name FROM pg_replication_slots "
                            "WHERE database = current_database()")
    assert slots == []
