"""The writer commits a partition only when its end-of-partition marker row came last
(connectors/sql/writer.py ``until_marker``): a truncated input raises before anything
commits. Real SQLite target (a file), real Arrow batches; no Spark."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pytest
from sparkdms.connectors.sql import gate
from sparkdms.connectors.sql.spec import CONTROL_TABLE, WriteSpec
from sparkdms.connectors.sql.writer import IncompletePartitionError, write_partition
from sparkdms.connectors.sqlite.connector import SQLiteConnector

from sparkdms.task import Endpoint

STAGE = "t__sdms_load1"


def batch(ids: list[int | None], marks: list[bool]) -> pa.RecordBatch:
    """Rows as the writer receives them: positional columns, END_MARKER last."""
    values = [None if i is None else f"v{i} é" for i in ids]
    return pa.RecordBatch.from_arrays(
        [pa.array(ids, pa.int64()), pa.array(values, pa.string()), pa.array(marks, pa.bool_())],
        names=["_c0", "_c1", "_c2"])


def rows(n: int, start: int = 1) -> pa.RecordBatch:
    return batch(list(range(start, start + n)), [False] * n)


MARKER = batch([None], [True])


@pytest.fixture
def spec(tmp_path) -> WriteSpec:
    path = tmp_path / "target.db"
    target = SQLiteConnector(Endpoint("target", "sqlite", path=str(path)))
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE {STAGE} (id INTEGER, v TEXT, _sdms_attempt INTEGER)")
    conn.execute(target.control_table_sql("main"))
    conn.execute(gate.gate_ddl(target, "main"))  # the load is open: attempts may commit
    for sql, values in gate.open_gate_sql(target, "main", "load1", "main.t"):
        conn.execute(sql, values)
    conn.commit()
    conn.close()
    return WriteSpec(SQLiteConnector, target.endpoint, "main", STAGE, ("id", "v"), "load1",
                     "main.t", 1000, "main", gate=gate.gate_id(target, "load1", "main.t"))


def stored(spec: WriteSpec) -> tuple[list[tuple], list[tuple]]:
    conn = sqlite3.connect(spec.endpoint.path)
    try:
        staged = conn.execute(f"SELECT id, v, _sdms_attempt FROM {STAGE} ORDER BY id").fetchall()
        ledger = conn.execute(f"SELECT part_id, attempt_id, row_count FROM {CONTROL_TABLE}"
                              ).fetchall()
    finally:
        conn.close()
    return staged, ledger


COMPLETE = [
    # (case, batches, ids committed)
    ("marker at the end of the last batch", [rows(3), batch([4, None], [False, True])], [1, 2, 3, 4]),
    ("marker alone in the last batch", [rows(2), MARKER], [1, 2]),
    ("empty partition: only the marker", [MARKER], []),
    ("empty batches around", [rows(0), rows(2), rows(0), MARKER, rows(0)], [1, 2]),
]


@pytest.mark.parametrize(("case", "batches", "ids"), COMPLETE, ids=[c[0] for c in COMPLETE])
def test_a_partition_ending_with_its_marker_commits_without_it(spec, case, batches, ids):
    part, attempt, count, replaced = write_partition(spec, iter(batches), (0, 7), end_marker=True)
    staged, ledger = stored(spec)
    assert (part, attempt, count, replaced) == (0, 7, len(ids), 0)
    assert staged == [(i, f"v{i} é", 7) for i in ids]  # the marker row is not stored
    assert ledger == [(0, 7, len(ids))]


TRUNCATED = [
    ("one whole batch, then the stream ended", [rows(10_000)], r"stopped after 10,000 row\(s\)"),
    ("no rows at all", [], r"stopped after 0 row\(s\)"),
    ("marker in the middle of a batch", [batch([1, None, 2], [False, True, False])],
     "after the partition's end-of-partition marker"),
    ("rows in a batch after the marker", [rows(2), MARKER, rows(1, 5)],
     "after the partition's end-of-partition marker"),
    ("two markers", [batch([1, None, None], [False, True, True])],
     "after the partition's end-of-partition marker"),
]


@pytest.mark.parametrize(("case", "batches", "message"), TRUNCATED, ids=[c[0] for c in TRUNCATED])
def test_a_partition_without_its_marker_last_raises_and_commits_nothing(spec, case, batches,
                                                                       message):
    with pytest.raises(IncompletePartitionError, match=message) as err:
        write_partition(spec, iter(batches), (3, 8), end_marker=True)
    assert "table main.t, partition 3" in str(err.value)
    assert stored(spec) == ([], [])


def test_a_failed_attempt_leaves_the_partitions_earlier_commit_in_place(spec):
    write_partition(spec, iter([rows(2), MARKER]), (0, 1), end_marker=True)
    with pytest.raises(IncompletePartitionError):  # the retry's input was cut short
        write_partition(spec, iter([rows(5, 10)]), (0, 2), end_marker=True)
    assert stored(spec) == ([(1, "v1 é", 1), (2, "v2 é", 1)], [(0, 1, 2)])
    # and the next attempt that ends properly replaces it
    write_partition(spec, iter([rows(3, 10), MARKER]), (0, 3), end_marker=True)
    assert stored(spec) == ([(i, f"v{i} é", 3) for i in (10, 11, 12)], [(0, 3, 3)])


def test_without_the_marker_flag_the_batches_are_written_as_they_are(spec):
    plain = pa.RecordBatch.from_arrays([pa.array([1]), pa.array(["v1 é"])], names=["_c0", "_c1"])
    assert write_partition(spec, iter([plain]), (0, 4))[2] == 1
    assert stored(spec) == ([(1, "v1 é", 4)], [(0, 4, 1)])
