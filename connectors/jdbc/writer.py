"""Executor side of the relational load: Arrow batches in, one transaction per
Spark partition out. Opened inside the task, never on the driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.jdbc.base import WriteSpec

RESULT_SCHEMA = "part INT, attempt INT, rows LONG, skipped BOOLEAN"


def _rebatch(batches: Iterator[Any], size: int) -> Iterator[Any]:
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def write_partition(spec: WriteSpec, batches: Iterator[Any]) -> tuple[int, int, int, bool]:
    from pyspark import TaskContext

    from sparkdms.registry import connector_class

    ctx = TaskContext.get()
    part = ctx.partitionId() if ctx else 0
    attempt = ctx.attemptNumber() if ctx else 0
    connector = connector_class(spec.connector_engine)(spec.endpoint)
    key = f"{spec.load_id}/{spec.table_key}/{part}"
    conn = connector.connect()
    try:
        cur = conn.cursor()
        connector.lock_partition(cur, key)
        done = connector.partition_done(cur, spec, part)
        if done is not None:
            conn.rollback()
            for _ in batches:  # drain: the partition was committed by an earlier attempt
                pass
            return part, attempt, done, True
        rows = sum(connector.insert_batch(cur, spec, b) for b in _rebatch(batches, spec.commit_rate))
        connector.record_partition(cur, spec, part, rows)
        conn.commit()
        connector.unlock_partition(cur, key)
        return part, attempt, rows, False
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def partition_writer(spec: WriteSpec) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        part, attempt, rows, skipped = write_partition(spec, batches)
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows], "skipped": [skipped]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int32()),
                              ("rows", pa.int64()), ("skipped", pa.bool_())]))

    return run
