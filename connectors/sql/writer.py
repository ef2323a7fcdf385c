"""Executor side of the relational load: Arrow batches in, one transaction per Spark
task attempt out. Opened inside the task, never on the driver.

Every row a task attempt writes carries the attempt's id (Spark's ``taskAttemptId``, unique
in the application) in the staging table's ``_sdms_attempt`` column, and the attempt is
recorded in the ledger (``sparkdms_load_attempts``) in the same transaction. An attempt
first removes what earlier attempts of its partition committed, so a retry rewrites the
whole partition. The driver keeps only the attempts Spark reports as successful: an
attempt whose input ended early because its source read failed (Spark then fails and
retries the task) never counts, even though its rows were committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from sparkdms.connectors.sql.spec import ATTEMPT_COLUMN, WriteSpec

RESULT_SCHEMA = "part INT, attempt LONG, rows LONG, replaced LONG"


def _rebatch(batches: Iterator[Any], size: int) -> Iterator[Any]:
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


Fill = Callable[[Any, Any], int]  # (connector, cursor) -> rows written in the open transaction


def task_attempt() -> tuple[int, int]:
    """(partition, attempt id) of the running Spark task; outside Spark, a fresh id."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is None:
        return 0, uuid.uuid4().int >> 65
    return ctx.partitionId(), ctx.taskAttemptId()


def commit_partition(spec: WriteSpec, fill: Fill, part: int,
                     attempt: int) -> tuple[int, int, int, int]:
    """One task attempt, one target transaction: lock the partition, remove what earlier
    attempts of it committed, write the rows tagged with this attempt, record it; commit.
    (partition, attempt id, rows written, rows of earlier attempts replaced)."""
    connector = spec.connector(spec.endpoint)
    conn = connector.connect()
    try:
        cur = conn.cursor()
        replaced = connector.begin_attempt(cur, spec, part, attempt)
        rows = fill(connector, cur)
        connector.record_attempt(cur, spec, part, attempt, rows)
        conn.commit()
        connector.end_attempt(cur, spec, part)
        return part, attempt, rows, replaced
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def tagged(batches: Iterator[Any], attempt: int) -> Iterator[Any]:
    import pyarrow as pa

    for batch in batches:
        yield batch.append_column(ATTEMPT_COLUMN, pa.array([attempt] * batch.num_rows, pa.int64()))


def write_partition(spec: WriteSpec, batches: Iterator[Any],
                    where: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """Write one partition's batches as one attempt; (partition, attempt id, rows,
    rows of earlier attempts replaced)."""
    part, attempt = where or task_attempt()
    if spec.connector.tags_rows:
        spec_in, batches = replace(spec, columns=(*spec.columns, ATTEMPT_COLUMN)), \
            tagged(batches, attempt)
    else:
        spec_in = spec

    def fill(connector: Any, cur: Any) -> int:
        return sum(connector.insert_batch(cur, spec_in, b)
                   for b in _rebatch(batches, spec.commit_rate))

    return commit_partition(spec, fill, part, attempt)


def copy_partition(spec: WriteSpec, source_class: type, source: Any,
                   query: str) -> tuple[int, int, int, int]:
    """Same-engine fast path: the source's COPY stream goes straight into the target's."""
    part, attempt = task_attempt()

    def fill(connector: Any, cur: Any) -> int:
        return connector.copy_stream(cur, spec, source_class(source), query)

    return commit_partition(spec, fill, part, attempt)


def partition_writer(spec: WriteSpec) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        part, attempt, rows, replaced = write_partition(spec, batches)
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows], "replaced": [replaced]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int64()),
                              ("rows", pa.int64()), ("replaced", pa.int64())]))

    return run
