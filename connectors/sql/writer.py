"""Executor side of the relational load: Arrow batches in, one transaction per
Spark partition out. Opened inside the task, never on the driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sparkdms.connectors.sql.spec import WriteSpec

RESULT_SCHEMA = "part INT, attempt INT, rows LONG, skipped BOOLEAN"


def _rebatch(batches: Iterator[Any], size: int) -> Iterator[Any]:
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


Fill = Callable[[Any, Any], int]  # (connector, cursor) -> rows written in the open transaction


def commit_partition(spec: WriteSpec, fill: Fill, drain: Callable[[], None]) -> tuple[int, int, int, bool]:
    """One Spark partition, one target transaction: lock, skip if an earlier attempt
    committed it, else fill the staging table and record the partition; commit."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    part = ctx.partitionId() if ctx else 0
    attempt = ctx.attemptNumber() if ctx else 0
    connector = spec.connector(spec.endpoint)
    key = f"{spec.load_id}/{spec.table_key}/{part}"
    conn = connector.connect()
    try:
        cur = conn.cursor()
        connector.lock_partition(cur, key)
        done = connector.partition_done(cur, spec, part)
        if done is not None:
            conn.rollback()
            drain()
            return part, attempt, done, True
        rows = fill(connector, cur)
        connector.record_partition(cur, spec, part, rows)
        conn.commit()
        connector.unlock_partition(cur, key)
        return part, attempt, rows, False
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def write_partition(spec: WriteSpec, batches: Iterator[Any]) -> tuple[int, int, int, bool]:
    def fill(connector: Any, cur: Any) -> int:
        return sum(connector.insert_batch(cur, spec, b) for b in _rebatch(batches, spec.commit_rate))

    def drain() -> None:  # the partition was committed by an earlier attempt
        for _ in batches:
            pass

    return commit_partition(spec, fill, drain)


def copy_partition(spec: WriteSpec, source_class: type, source: Any,
                   query: str) -> tuple[int, int, int, bool]:
    """Same-engine fast path: the source's COPY stream goes straight into the target's."""

    def fill(connector: Any, cur: Any) -> int:
        return connector.copy_stream(cur, spec, source_class(source), query)

    return commit_partition(spec, fill, lambda: None)


def partition_writer(spec: WriteSpec) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        part, attempt, rows, skipped = write_partition(spec, batches)
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows], "skipped": [skipped]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int32()),
                              ("rows", pa.int64()), ("skipped", pa.bool_())]))

    return run
