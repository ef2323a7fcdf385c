"""The per-partition commit protocol on the real servers: a retried or speculative
task that writes a partition again replaces the earlier attempt, and only the attempts
Spark accepted land; a concurrent load of the same table is refused; leftovers of a killed
run are removed; abort leaves no staging table;
TRUNCATE_BEFORE_LOAD and DO_NOTHING keep the existing table."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from sparkdms.connectors.sql.writer import write_partition

from sparkdms.app import prepare
from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

SEED = "CREATE TABLE {t} (id int PRIMARY KEY, v varchar(20))"


def seed_source(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        conn.execute(SEED.format(t="public.items"))
        conn.execute("INSERT INTO public.items VALUES (1, 'one'), (2, 'two'), (3, NULL)")


def connect(endpoint: dict):
    return pg_connect(endpoint) if endpoint["engine"] == "postgres" else my_connect(endpoint)


def target_rows(endpoint: dict, table: str) -> list[tuple]:
    name = f"public.{table}" if endpoint["engine"] == "postgres" else table
    with connect(endpoint) as conn:
        return sorted(fetch(conn, f"SELECT id, v FROM {name}"), key=lambda r: r[0])


def prepared(pg_db: dict, target: dict, tmp_path, load_id: str) -> tuple:
    """(plan, settings, target connector) of public.items, its load ``load_id`` prepared."""
    seed_source(pg_db)
    prep = prepare(write_task(tmp_path, pg_db, target, [selection("public", "items")]))
    plan, settings, tgt = prep.plan.tables[0], prep.task.settings, prep.target
    tgt.prepare_task(prep.plan.tables, settings)
    tgt.prepare(plan, settings, load_id)
    return plan, settings, tgt


def test_a_retried_partition_replaces_the_earlier_attempt(pg_db, target, tmp_path):
    """Attempt 1 of partition 0 commits only part of its rows (its source read failed after
    the writer's input ended); attempt 2 rewrites the whole partition. Whichever attempt
    Spark reports as the successful one is what lands: never both, never the partial one."""
    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "load1")
    spec = tgt.write_spec(plan, settings, "load1")
    partial = pa.RecordBatch.from_pydict({"id": [10], "v": ["x"]})
    whole = pa.RecordBatch.from_pydict({"id": [10, 11, 12], "v": ["x", None, "z"]})
    other = pa.RecordBatch.from_pydict({"id": [20], "v": ["p1"]})
    first = write_partition(spec, iter([partial]), where=(0, 101))
    retry = write_partition(spec, iter([whole]), where=(0, 102))
    part1 = write_partition(spec, iter([other]), where=(1, 103))
    assert (first, retry, part1) == ((0, 101, 1, 0), (0, 102, 3, 1), (1, 103, 1, 0))
    results = [{"part": p, "attempt": a, "rows": n, "replaced": r} for p, a, n, r in (retry, part1)]
    tgt.commit(plan, settings, "load1", written(results))
    assert target_rows(target, "items") == [(10, "x"), (11, None), (12, "z"), (20, "p1")]


def test_an_attempt_spark_did_not_accept_is_removed_at_commit(pg_db, target, tmp_path):
    """A speculative attempt that committed after the accepted one of another partition."""
    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "load9")
    spec = tgt.write_spec(plan, settings, "load9")
    kept = write_partition(spec, iter([pa.RecordBatch.from_pydict({"id": [1], "v": ["a"]})]),
                           where=(0, 7))
    write_partition(spec, iter([pa.RecordBatch.from_pydict({"id": [2], "v": ["b"]})]),
                    where=(1, 8))  # Spark reports no success for partition 1's attempt 8
    tgt.commit(plan, settings, "load9",
               written([{"part": 0, "attempt": 7, "rows": kept[2], "replaced": 0}]))
    assert target_rows(target, "items") == [(1, "a")]


def test_a_second_load_of_the_same_table_is_refused_while_one_runs(pg_db, target, tmp_path):
    from sparkdms.errors import LoadConflictError

    seed_source(pg_db)
    first = prepare(write_task(tmp_path, pg_db, target, [selection("public", "items")]))
    second = prepare(write_task(tmp_path, pg_db, target, [selection("public", "items")],
                                name="again"))
    plan, settings = first.plan.tables[0], first.task.settings
    first.target.prepare_task(first.plan.tables, settings)
    first.target.prepare(plan, settings, "loadA")
    with pytest.raises(LoadConflictError) as err:
        second.target.prepare(second.plan.tables[0], settings, "loadB")
    assert "another sparkdms run is loading it now" in str(err.value)
    second.target.abort(second.plan.tables[0], settings, "loadB")  # must not touch loadA's
    assert first.target.table_exists(plan.target_schema,
                                     first.target.stage_name(plan.target_name, "loadA"))
    first.target.abort(plan, settings, "loadA")
    second.target.prepare(second.plan.tables[0], settings, "loadB")  # free again
    second.target.abort(second.plan.tables[0], settings, "loadB")


def test_leftovers_of_a_killed_run_are_removed_and_reported(pg_db, target, tmp_path):
    plan, settings, tgt = prepared(pg_db, target, tmp_path, "killed1")
    spec = tgt.write_spec(plan, settings, "killed1")
    write_partition(spec, iter([pa.RecordBatch.from_pydict({"id": [5], "v": ["k"]})]),
                    where=(0, 1))
    tgt._release(plan)  # the driver died: its lock is gone, staging and ledger rows stay
    again = prepare(write_task(tmp_path, pg_db, target, [selection("public", "items")]))
    notes = again.target.prepare(plan, settings, "next1")
    assert any("dropped 1 staging table" in n for n in notes), notes
    assert any("removed 1 ledger row" in n for n in notes), notes
    assert not again.target.table_exists(plan.target_schema, tgt.stage_name(plan.target_name,
                                                                            "killed1"))
    again.target.abort(plan, settings, "next1")


def test_abort_drops_staging(pg_db, target, tmp_path):
    plan, settings, tgt = prepared(pg_db, target, tmp_path, "load2")
    assert tgt.table_exists(plan.target_schema, tgt.stage_name(plan.target_name, "load2"))
    tgt.abort(plan, settings, "load2")
    assert not tgt.table_exists(plan.target_schema, tgt.stage_name(plan.target_name, "load2"))
    assert not tgt.table_exists(plan.target_schema, plan.target_name)


@pytest.mark.parametrize(("mode", "expected"), [
    ("TRUNCATE_BEFORE_LOAD", [(1, "one"), (2, "two"), (3, None)]),
    ("DO_NOTHING", [(1, "one"), (2, "two"), (3, None), (50, "kept")]),
])
def test_existing_table_modes(mode, expected, pg_db, my_db, spark, tmp_path):
    seed_source(pg_db)
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE items (id int PRIMARY KEY, v varchar(20), extra int DEFAULT 7)")
        cur.execute("INSERT INTO items (id, v) VALUES (50, 'kept')")
        conn.commit()
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "items")],
                      {"FullLoadSettings": {"TargetTablePrepMode": mode}})
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    assert target_rows(my_db, "items") == expected
    with my_connect(my_db) as conn:  # the existing table's own shape is kept
        cols = [r[0] for r in fetch(conn, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                                    "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' "
                                    "ORDER BY ORDINAL_POSITION")]
        extra = fetch(conn, "SELECT DISTINCT extra FROM items")
    assert cols == ["id", "v", "extra"] and extra == [(7,)]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tables"][0]["FullLoadRows"] == 3


def test_sqlite_source_to_postgres_and_parquet(pg_db, spark, tmp_path):
    import sqlite3

    db = tmp_path / "src.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, price DECIMAL(10,2), at DATETIME, "
                     "ok BOOLEAN, name VARCHAR(10), data BLOB)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [
            (1, "12.50", "2024-05-01 10:20:30", 1, "ä", b"\x00\x01"),
            (2, None, None, None, None, None), (3, "0.01", "1999-01-01 00:00:00.5", 0, "", b"")])
    src = {"engine": "sqlite", "path": str(db)}
    task = write_task(tmp_path, src, pg_db, [selection("main")])
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    with pg_connect(pg_db) as conn:
        rows = fetch(conn, "SELECT id, price::text, at::text, ok, name, data FROM public.t ORDER BY id")
    assert [(r[0], r[1], r[2], r[3], r[4], bytes(r[5]) if r[5] is not None else None) for r in rows] \
        == [(1, "12.50", "2024-05-01 10:20:30", True, "ä", b"\x00\x01"),
            (2, None, None, None, None, None), (3, "0.01", "1999-01-01 00:00:00.5", False, "", b"")]
    lake = tmp_path / "lake"
    task = write_task(tmp_path, src, {"engine": "parquet", "path": str(lake)}, [selection("main")],
                      name="to-parquet")
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "p.json")]) == 0
    got = sorted(spark.read.parquet(str(lake / "t")).collect(), key=lambda r: r["id"])
    assert [r["id"] for r in got] == [1, 2, 3] and str(got[0]["price"]) == "12.50"
    assert not list(lake.glob("_sdms_stage*"))




def test_a_ledger_of_an_older_shape_is_recreated(pg_db, target, tmp_path):
    seed_source(pg_db)
    prep = prepare(write_task(tmp_path, pg_db, target, [selection("public", "items")]))
    tgt, settings = prep.target, prep.task.settings
    ctl = tgt.control_schema(prep.plan.tables[0], settings)
    tgt.prepare_task(prep.plan.tables, settings)  # schemas exist; then an old ledger in place
    tgt.execute_all([f"DROP TABLE {tgt.qualify(ctl, 'sparkdms_load_attempts')}",
                     f"CREATE TABLE {tgt.qualify(ctl, 'sparkdms_load_attempts')} "
                     "(load_id varchar(64), table_name varchar(512), part_id int)"])
    tgt.prepare_task(prep.plan.tables, settings)
    assert tgt.query(f"SELECT row_tag FROM {tgt.qualify(ctl, 'sparkdms_load_attempts')}") == []
    assert sparkdms(["run", str(write_task(tmp_path, pg_db, target, [selection("public", "items")],
                                           name="after"))]) == 0
    assert target_rows(target, "items") == [(1, "one"), (2, "two"), (3, None)]


def _one(ids: list[int], v: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"id": ids, "v": [v] * len(ids)})


def test_an_attempt_after_the_commit_writes_nothing(pg_db, target, tmp_path):
    """A worker that outlived its executor starts its attempt after the table committed."""
    from sparkdms.connectors.sql.gate import LateAttemptError
    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "gate1")
    spec = tgt.write_spec(plan, settings, "gate1")
    done = write_partition(spec, iter([_one([1, 2], "a")]), where=(0, 1))
    tgt.commit(plan, settings, "gate1",
               written([{"part": 0, "attempt": 1, "rows": done[2], "replaced": 0}]))
    with pytest.raises(LateAttemptError, match="started after its load gate1 was committed"):
        write_partition(spec, iter([_one([3], "late")]), where=(1, 2))
    assert target_rows(target, "items") == [(1, "a"), (2, "a")]


def _waiting_on_gate(endpoint: dict) -> bool:
    """The committer's DELETE of the gate row is blocked by an attempt's shared lock."""
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
           "query LIKE 'DELETE FROM %%sparkdms_load_gates%%'"
           if endpoint["engine"] == "postgres" else
           "SELECT count(*) FROM information_schema.processlist WHERE "
           "info LIKE 'DELETE FROM %%sparkdms_load_gates%%'")
    with connect(endpoint) as conn:
        return fetch(conn, sql)[0][0] > 0


def test_the_commit_waits_for_an_attempt_in_flight_then_removes_it(pg_db, target, tmp_path):
    """An unaccepted attempt still writing when the driver commits: the commit waits for it
    (the gate), then deletes its rows; the table never holds them, and no row is doubled."""
    import threading

    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "gate2")
    spec = tgt.write_spec(plan, settings, "gate2")
    done = write_partition(spec, iter([_one([1, 2], "a")]), where=(0, 1))
    release, errors = threading.Event(), []

    def held() -> object:  # the orphan's input: one batch, then it waits for the test
        yield _one([10, 11], "orphan")
        release.wait(60)

    orphan = threading.Thread(target=lambda: write_partition(spec, held(), where=(1, 9)))
    orphan.start()
    commit = threading.Thread(target=lambda: _run(errors, tgt.commit, plan, settings, "gate2",
                                                  written([{"part": 0, "attempt": 1,
                                                            "rows": done[2], "replaced": 0}])))
    for _ in range(600):  # the orphan must hold the gate before the commit starts
        if _holds_gate(target):
            break
        threading.Event().wait(0.05)
    commit.start()
    for _ in range(600):
        if _waiting_on_gate(target):
            break
        threading.Event().wait(0.05)
    assert _waiting_on_gate(target), "the commit did not wait for the attempt in flight"
    assert commit.is_alive()
    release.set()
    orphan.join(60)
    commit.join(60)
    assert not errors, errors
    assert target_rows(target, "items") == [(1, "a"), (2, "a")]


def _run(errors: list, fn, *args) -> None:
    try:
        fn(*args)
    except Exception as err:  # reported by the test
        errors.append(err)


def _holds_gate(endpoint: dict) -> bool:
    """An attempt's transaction is open (it passed the gate and is writing)."""
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND "
           "datname = current_database()"
           if endpoint["engine"] == "postgres" else
           "SELECT count(*) FROM information_schema.innodb_trx")
    with connect(endpoint) as conn:
        return fetch(conn, sql)[0][0] > 0


def test_a_retry_replaces_rows_written_inside_savepoints(pg_db, target, tmp_path):
    """The reject guard writes each batch inside a savepoint (a refused batch is retried row
    by row): on PostgreSQL those rows carry the subtransaction's id, not the attempt's; a
    retry must still find and replace every one of them, and a refused row is not doubled."""
    from dataclasses import replace

    from sparkdms.connectors.sql.rejects import guard_for
    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "sp1")
    spec = replace(tgt.write_spec(plan, settings, "sp1"), guard=guard_for(tgt, plan, settings))
    batches = [_one([1, 2], "a"), _one([3, 4], "b")]
    first = write_partition(spec, iter(batches), where=(0, 31))
    retry = write_partition(spec, iter(batches), where=(0, 32))
    assert first[2:] == (4, 0) and retry[2:] == (4, 4)
    tgt.commit(plan, settings, "sp1",
               written([{"part": 0, "attempt": 32, "rows": 4, "replaced": 4}]))
    assert target_rows(target, "items") == [(1, "a"), (2, "a"), (3, "b"), (4, "b")]


def _restart_by_store(tgt, plan, settings, load_id) -> None:
    tgt.resume_store().restart(plan, settings, load_id)


def _restart_by_abort(tgt, plan, settings, load_id) -> None:
    tgt.abort(plan, settings, load_id)
    tgt.prepare(plan, settings, load_id)


@pytest.mark.parametrize("restart", [_restart_by_store, _restart_by_abort], ids=["store", "abort"])
def test_a_straggler_of_a_restarted_load_writes_nothing(restart, pg_db, target, tmp_path):
    """A refused direct copy is redone through Spark rows under the same load id
    (sparkdms.load.fallback): a task of the first write that starts its attempt after the
    restart (Spark does not wait for a failed job's other tasks) must not replace the
    partition the second write committed. Before each restart opened a gate of its own, it
    did, and the commit failed the table ('replaced by another attempt')."""
    from sparkdms.connectors.sql.gate import LateAttemptError
    from sparkdms.connectors.sql.staging import written

    plan, settings, tgt = prepared(pg_db, target, tmp_path, "redo1")
    first = tgt.write_spec(plan, settings, "redo1")
    write_partition(first, iter([_one([1], "first")]), where=(0, 10))
    restart(tgt, plan, settings, "redo1")
    second = tgt.write_spec(plan, settings, "redo1")
    done = write_partition(second, iter([_one([1, 2], "second")]), where=(0, 20))
    with pytest.raises(LateAttemptError, match="started after its load redo1 was"):
        write_partition(first, iter([_one([1, 9], "straggler")]), where=(0, 11))
    tgt.commit(plan, settings, "redo1",
               written([{"part": 0, "attempt": 20, "rows": done[2], "replaced": 0}]))
    assert target_rows(target, "items") == [(1, "second"), (2, "second")]
