"""Change data capture from PostgreSQL (logical decoding, test_decoding): full-load-and-cdc
under a concurrent write load, a run killed mid-apply and rerun, PostgreSQL -> MariaDB;
targets compared row by row with the source, both ways."""

from __future__ import annotations

import json
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import (
    WriteLoad,
    assert_same_rows,
    fetch,
    normalise,
    selection,
    write_task,
)
from tests.integration.test_faults_more import finish_run, kill_tree, start_run, wait_until

SCHEMA = """
CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text, amount numeric(12,2),
  seen timestamptz, payload bytea, hits integer NOT NULL DEFAULT 0);
CREATE TABLE public.ledger (id bigint PRIMARY KEY, account_id bigint, note varchar(80),
  created timestamp(6), amount numeric(12,2));
INSERT INTO public.accounts SELECT g, 'acct ' || g || ' Zoë 李', g * 1.25,
  '2024-02-29 23:59:59.5+05:30'::timestamptz + g * interval '1 hour', decode(md5(g::text), 'hex'), 0
  FROM generate_series(1, 400) g;
INSERT INTO public.ledger SELECT g, g % 400 + 1, 'seed ''' || g,
  '2024-01-01'::timestamp + g * interval '1 minute', g FROM generate_series(1, 400) g;
"""
TABLES = ("accounts", "ledger")
FAST = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
        "ChangeProcessingTuning": {"MinTransactionSize": 1000}}


class Writer(WriteLoad):
    """Inserts, updates, deletes and a transaction over both tables, until stopped."""

    def __init__(self, endpoint: dict) -> None:
        super().__init__(lambda: pg_connect(endpoint, autocommit=True), pause=0.02)

    @staticmethod
    def step(conn: Any, n: int) -> None:
        kind = n % 5
        if kind == 0:
            conn.execute("INSERT INTO accounts VALUES (%s, %s, %s, now(), %s, 0)",
                         (n, f"new {n} 'q' ✓", Decimal(n) / 100, bytes([n % 256, 0, 255])))
        elif kind == 1:
            conn.execute("UPDATE accounts SET amount = amount + 1, hits = hits + 1, "
                         "name = name || '!' WHERE id = %s", (n % 400 + 1,))
        elif kind == 2:
            conn.execute("DELETE FROM ledger WHERE id = %s", (n % 400 + 1,))
        elif kind == 3:
            with conn.transaction():  # one transaction over both tables
                conn.execute("INSERT INTO ledger VALUES (%s, %s, %s, now()::timestamp, %s)",
                             (n, n % 400 + 1, f"tx {n}", Decimal("0.01") * n))
                conn.execute("UPDATE accounts SET hits = hits + 1, seen = now() WHERE id = %s",
                             (n % 400 + 1,))
                conn.execute("DELETE FROM accounts WHERE id = %s", (n - 3,))
        else:
            conn.execute("UPDATE ledger SET id = id + 100000 WHERE id = %s", (n % 400 + 1,))


def rows(endpoint: dict, table: str, mysql: bool = False) -> Any:
    if mysql:
        with my_connect(endpoint) as conn:
            return normalise(fetch(conn, f"SELECT * FROM `{table}`"), bool_as_int=True)
    with pg_connect(endpoint) as conn:
        return normalise(fetch(conn, f'SELECT * FROM public."{table}"'))


def assert_equal(source: dict, target: dict, mysql: bool = False) -> None:
    for table in TABLES:
        assert_same_rows(rows(source, table), rows(target, table, mysql))


def run_ok(task: Path, report: Path, *extra: str) -> dict:
    code = sparkdms(["run", str(task), "--report", str(report), *extra])
    data = json.loads(report.read_text())
    assert code == 0, data
    return data


def cdc_task(tmp_path: Path, source: dict, target: dict, **settings: Any) -> Path:
    return write_task(tmp_path, source, target, [selection("public")],
                      settings={**FAST, **settings}, migration_type="full-load-and-cdc",
                      name="cdc_it")


def test_full_load_and_cdc_under_a_write_load_then_a_restart(
        tmp_path: Path, src: dict, dst: dict, every_driver: Any) -> None:
    task = cdc_task(tmp_path, src, dst)
    writer = Writer(src)
    first, during = writer.during(lambda: run_ok(task, tmp_path / "r1.json"))
    assert during >= 10, f"only {during} writes happened while the task ran"
    assert first["status"] == "succeeded"
    with pg_connect(src, autocommit=True) as conn:  # a few more; run again: it resumes
        for n in range(writer.done, writer.done + 20):
            Writer.step(conn, 1000 + n)
    second = run_ok(task, tmp_path / "r2.json")
    assert any("resumed from checkpoint" in n for n in second["notes"]), second["notes"]
    assert_equal(src, dst)
    assert sparkdms(["validate", str(task)]) == 0  # ordinary tables: validation as usual
    applied = sum(t.get("Inserts", 0) + t.get("Updates", 0) + t.get("Deletes", 0)
                  for t in second["tables"])
    assert applied >= 20
    with pg_connect(dst) as conn:  # the checkpoint is on the target, in AWS DMS's table
        status = fetch(conn, 'SELECT "TASK_STATUS", "RECOVERY_CHECKPOINT" FROM '
                             'public.awsdms_status WHERE "TASK_NAME" = %s', ("cdc_it",))
    assert status and status[0][0] == "CHANGE PROCESSING"
    with pg_connect(src) as conn:
        slot = fetch(conn, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                           "WHERE database = current_database()")
    assert slot == [(status[0][1],)]  # the slot was advanced to what the target committed


GATE = 7171  # advisory lock a target trigger waits for: holds the apply mid-transaction
TRIGGER = f"""
CREATE FUNCTION public.gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id BETWEEN 5000 AND 9999 THEN PERFORM pg_advisory_xact_lock({GATE}); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER gate BEFORE INSERT OR UPDATE ON public.ledger FOR EACH ROW
  EXECUTE FUNCTION public.gate();
"""


def test_a_run_killed_mid_apply_resumes_with_nothing_lost_or_doubled(
        tmp_path: Path, src: dict, dst: dict, every_driver: Any) -> None:
    task = cdc_task(tmp_path, src, dst, ChangeProcessingTuning={"MinTransactionSize": 40})
    run_ok(task, tmp_path / "r1.json")  # the full load; no change yet
    with pg_connect(dst) as conn:
        loaded_at = fetch(conn, 'SELECT "RECOVERY_CHECKPOINT" FROM public.awsdms_status')
    with pg_connect(src, autocommit=True) as conn:
        for n in range(4000, 4200):  # 200 transactions, the last 100 reach the gate
            Writer.step(conn, n if n < 4100 else n + 1000)
    with pg_connect(dst, autocommit=True) as conn:
        conn.execute(TRIGGER)
    holder = pg_connect(dst, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (GATE,))

    def waiting() -> bool:
        with pg_connect(dst) as conn:
            return bool(fetch(conn, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND "
                                    "objid = %s AND NOT granted", (GATE,)))

    proc = start_run(task, master="local[2]")
    try:
        wait_until(waiting, proc, what="the apply reached the gate")
        with pg_connect(dst) as conn:
            before = fetch(conn, 'SELECT "RECOVERY_CHECKPOINT" FROM public.awsdms_status')
            blocked = fetch(conn, "SELECT left(query, 200) FROM pg_stat_activity WHERE "
                                  "wait_event_type = 'Lock' AND wait_event = 'advisory'")
        kill_tree(proc.pid)
        _, out = finish_run(proc)
    finally:
        with pg_connect(dst, autocommit=True) as conn:  # the killed run's backend too
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE "
                         "locktype = 'advisory' AND objid = %s AND NOT granted", (GATE,))
        holder.close()
    with pg_connect(src) as conn:  # batches before the gate were committed and confirmed
        slot = fetch(conn, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                           "WHERE database = current_database()")
    assert slot == before != loaded_at, (blocked, out[-2000:])  # batches applied before it
    run_ok(task, tmp_path / "r3.json")
    assert_equal(src, dst)


def test_follow_applies_until_sigterm_and_stops_at_a_checkpoint(
        tmp_path: Path, src: dict, dst: dict) -> None:
    task = cdc_task(tmp_path, src, dst)
    proc = start_run(task, "--follow", master="local[2]")

    def has(table: str, key: int) -> Any:
        def check() -> bool:
            try:
                with pg_connect(dst) as conn:
                    return bool(fetch(conn, f"SELECT 1 FROM public.{table} WHERE id = %s",
                                      (key,)))
            except Exception:  # the table is not there yet
                return False
        return check

    try:
        with pg_connect(src, autocommit=True) as conn:  # after the snapshot: --follow
            wait_until(has("accounts", 400), proc, what="the full load")
            for n in range(8000, 8060):
                Writer.step(conn, n)
            conn.execute("INSERT INTO ledger VALUES (999999, 1, 'last', NULL, 1)")
        wait_until(has("ledger", 999999), proc, what="the last change applied")
        proc.send_signal(signal.SIGTERM)
        code, out = finish_run(proc)
    finally:
        if proc.poll() is None:  # the test failed before the run ended
            kill_tree(proc.pid)
    assert code == 0, out[-3000:]
    assert "changes applied" in out
    assert_equal(src, dst)


def test_pg_to_mariadb_apply_with_renames_and_change_headers(
        tmp_path: Path, src: dict, my_db: dict, every_driver: Any) -> None:
    rules = [selection("public"),
             {"rule-type": "transformation", "rule-id": "2", "rule-name": "op",
              "rule-target": "column", "rule-action": "add-column", "value": "last_op",
              "object-locator": {"schema-name": "public", "table-name": "ledger"},
              "expression": "$AR_H_OPERATION",
              "data-type": {"type": "string", "length": 10}},
             {"rule-type": "transformation", "rule-id": "3", "rule-name": "ren",
              "rule-target": "column", "rule-action": "rename", "value": "label",
              "object-locator": {"schema-name": "public", "table-name": "accounts",
                                 "column-name": "name"}}]
    task = write_task(tmp_path, src, my_db, rules, settings={**FAST, "TargetMetadata": {
        "BatchApplyEnabled": True}}, migration_type="full-load-and-cdc", name="cdc_my")
    run_ok(task, tmp_path / "r1.json")
    with pg_connect(src) as conn:
        for n in range(6000, 6060):
            Writer.step(conn, n)
        conn.execute("UPDATE ledger SET note = 'upd ✓' WHERE id = 7")
    run_ok(task, tmp_path / "r2.json")
    with my_connect(my_db) as conn:
        got = dict(fetch(conn, "SELECT id, last_op FROM ledger WHERE id IN (1, 7, 6003)"))
        accounts = fetch(conn, "SELECT id, label, amount, seen, payload, hits FROM accounts")
    assert got == {1: "INSERT", 7: "UPDATE", 6003: "INSERT"}
    with pg_connect(src) as conn:
        want = fetch(conn, "SELECT id, name, amount, seen, payload, hits FROM accounts")
        ledger = fetch(conn, "SELECT id, account_id, note, created, amount FROM ledger")
    with my_connect(my_db) as conn:
        ledger_my = fetch(conn, "SELECT id, account_id, note, created, amount FROM ledger")
    assert_same_rows(normalise(want), normalise(accounts))
    assert_same_rows(normalise(ledger), normalise(ledger_my))


def test_pg_to_delta_merge(tmp_path: Path, src: dict, every_driver: Any) -> None:
    lake = {"engine": "delta", "path": str(tmp_path / "lake")}
    task = write_task(tmp_path, src, lake, [selection("public")], settings=FAST,
                      migration_type="full-load-and-cdc", name="cdc_delta")
    run_ok(task, tmp_path / "r1.json")
    with pg_connect(src) as conn:
        for n in range(7000, 7040):
            Writer.step(conn, n)
        conn.execute("TRUNCATE ledger")
        conn.execute("INSERT INTO ledger VALUES (1, 2, 'after truncate', NULL, 0.5)")
    run_ok(task, tmp_path / "r2.json")
    for table in TABLES:
        path = next((tmp_path / "lake").rglob(f"{table}/_delta_log")).parent
        got = [tuple(r) for r in every_driver.read.format("delta").load(str(path)).collect()]
        assert_same_rows(rows(src, table), normalise(got))
