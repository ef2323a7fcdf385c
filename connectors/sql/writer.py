"""Executor side of the relational load: Arrow batches in, one transaction per Spark
task attempt out. Opened inside the task, never on the driver.

Every row a task attempt writes carries the attempt's id (Spark's ``taskAttemptId``, unique
in the application) in the staging table's ``_sdms_attempt`` column, and the attempt is
recorded in the ledger (``sparkdms_load_attempts``) in the same transaction. An attempt
first removes what earlier attempts of its partition committed, so a retry rewrites the
whole partition. The driver keeps only the attempts Spark reports as successful: an
attempt whose input ended early because its source read failed (Spark then fails and
retries the task) never counts, even though its rows were committed.

End of input: the Python worker has been seen to take a JVM-side read failure for a clean
end of its Arrow stream, and Spark then to report the attempt successful, half its rows
committed. So when the source adds it (``END_MARKER``, the last column), an attempt commits
only when the partition's marker row came last (``until_marker``); else it raises
``IncompletePartitionError`` and Spark retries the attempt.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from sparkdms.connectors.sql.refusal import Held, named_refusal
from sparkdms.connectors.sql.spec import ATTEMPT_COLUMN, WriteSpec

from sparkdms.errors import TransientError

# rejects: the attempt's rejected rows as a JSON list (sparkdms.connectors.sql.rejects)
RESULT_SCHEMA = "part INT, attempt LONG, rows LONG, replaced LONG, rejects STRING"


def _rebatch(batches: Iterator[Any], size: int) -> Iterator[Any]:
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


Fill = Callable[[Any, Any], int]  # (connector, cursor) -> rows written in the open transaction


def task_attempt() -> tuple[int, int]:
    """(partition, attempt id) of the running Spark task; outside Spark, a fresh id."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is None:  # a local worker process (sparkdms/localrun.py), else a fresh id
        from sparkdms.localrun import current_task

        return current_task() or (0, uuid.uuid4().int >> 65)
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
        with contextlib.suppress(Exception):  # a lost connection: the first error is the one
            conn.rollback()
        raise
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def tagged(batches: Iterator[Any], attempt: int) -> Iterator[Any]:
    import pyarrow as pa

    for batch in batches:
        yield batch.append_column(ATTEMPT_COLUMN, pa.array([attempt] * batch.num_rows, pa.int64()))


class IncompletePartitionError(TransientError):
    """A partition's input did not end with its end-of-partition marker: nothing of the
    attempt is committed, and Spark retries it."""


def until_marker(batches: Iterator[Any], spec: WriteSpec, part: int) -> Iterator[Any]:
    """The batches without their last column (END_MARKER) and without the marker row, which
    must be the very last row: raises IncompletePartitionError (before anything commits)
    when the input ends without it or goes on after it. Vectorized: one sum per batch."""
    import pyarrow.compute as pc

    ended, rows = False, 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        marks = batch.column(batch.num_columns - 1)
        found = pc.sum(marks).as_py() or 0
        if ended or found > 1 or (found and not marks[batch.num_rows - 1].as_py()):
            raise IncompletePartitionError(
                f"table {spec.table_key}, partition {part}: rows arrived after the partition's "
                "end-of-partition marker (the source returned them out of order); nothing of "
                "this attempt is committed")
        if found:
            ended, batch = True, batch.slice(0, batch.num_rows - 1)
        rows += batch.num_rows
        yield batch.remove_column(batch.num_columns - 1)
    if not ended:
        raise IncompletePartitionError(
            f"table {spec.table_key}, partition {part}: the source rows stopped after {rows:,} "
            "row(s) without the end-of-partition marker (the read failed part-way and the "
            "Python worker saw a clean end); nothing of this attempt is committed, Spark "
            "retries it")


def write_partition(spec: WriteSpec, batches: Iterator[Any],
                    where: tuple[int, int] | None = None,
                    end_marker: bool = False,
                    sink: list | None = None) -> tuple[int, int, int, int]:
    """Write one partition's batches as one attempt; (partition, attempt id, rows,
    rows of earlier attempts replaced). ``end_marker``: the batches' last column is
    END_MARKER, and the attempt commits only if its marker row came last. With
    ``spec.guard``, rows the target refuses go to ``sink`` instead of failing the attempt."""
    part, attempt = where or spec.placed(task_attempt())
    if end_marker:
        batches = until_marker(batches, spec, part)
    if spec.connector.tags_rows:
        spec_in, batches = replace(spec, columns=(*spec.columns, ATTEMPT_COLUMN)), \
            tagged(batches, attempt)
    else:
        spec_in = spec

    def fill(connector: Any, cur: Any) -> int:
        held = Held(_rebatch(batches, spec.commit_rate))
        with named_refusal(held, spec_in):  # a failed insert names its column and value
            if spec.guard is not None:
                return spec.guard.fill(connector, cur, spec_in, held,
                                       [] if sink is None else sink)
            return sum(connector.insert_batch(cur, spec_in, b) for b in held)

    return commit_partition(spec, fill, part, attempt)


def partition_writer(spec: WriteSpec,
                     end_marker: bool = False) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        sink: list = []
        part, attempt, rows, replaced = write_partition(spec, batches, end_marker=end_marker,
                                                        sink=sink)
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows], "replaced": [replaced],
             "rejects": [json.dumps(sink, default=str) if sink else None]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int64()),
                              ("rows", pa.int64()), ("replaced", pa.int64()),
                              ("rejects", pa.string())]))

    return run
