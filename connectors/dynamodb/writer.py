"""Executor side of the DynamoDB load: each Spark partition's rows become items, written with
BatchWriteItem in requests of 25 by ``threads`` threads (``ParallelLoadThreads``; one when 0).

``UnprocessedItems`` are sent again after an exponential backoff with full jitter (botocore
itself retries throttled and failed requests). A request DynamoDB refuses as invalid
(``ValidationException``) is sent again one item at a time (PutItem), so that only the items
it refuses become rejects, with DynamoDB's reason.

Idempotence: every item is a put by its key, so a retried Spark task (or partition) writes
the same items again over themselves: the table ends with exactly one item per source key.
Two rows with the same key in one partition (a partition-key-name that is not unique) are
written in order, the later one wins, as in AWS DMS.

End of input: with the source's end-of-partition marker, the attempt fails (and Spark
retries it) when the marker row did not come last; what it wrote before is overwritten by
the retry (sparkdms/connectors/sql/writer.py explains the marker).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sparkdms.connectors.dynamodb.items import Refused, build_item, key_of
from sparkdms.connectors.dynamodb.mapping import Shape

from sparkdms.errors import TransientError

BATCH = 25  # BatchWriteItem's limit
RESULT_SCHEMA = "part INT, attempt LONG, rows LONG, rejects STRING"
RETRYABLE = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                       "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"})


@dataclass(frozen=True)
class WriteJob:
    """Everything a partition writer needs (picklable: no client, no session)."""

    endpoint: Any  # sparkdms.task.Endpoint
    shape: Shape
    policy: Any  # sparkdms.load.rejects.Policy
    threads: int = 1
    attempts: int = 12  # BatchWriteItem calls for one request's unprocessed items
    base_delay: float = 0.05  # seconds; doubled per attempt, capped, full jitter
    max_delay: float = 5.0

    @property
    def table_key(self) -> str:  # for until_marker's messages
        return self.shape.label


def backoff(job: WriteJob, attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(job.max_delay, job.base_delay * 2 ** attempt))


def _code(err: BaseException) -> str:
    return str(getattr(err, "response", {}).get("Error", {}).get("Code", ""))


@dataclass
class Pending:
    item: dict[str, Any]
    row: tuple


def send(client: Any, job: WriteJob, chunk: Sequence[Pending],
         sleep: Callable[[float], None] = time.sleep) -> list[dict[str, Any]]:
    """Write one chunk (<= 25 items); returns the rejects of items DynamoDB refused."""
    table = job.shape.table
    requests = [{"PutRequest": {"Item": p.item}} for p in chunk]
    for attempt in range(job.attempts):
        try:
            resp = client.batch_write_item(RequestItems={table: requests})
        except Exception as err:
            code = _code(err)
            if code == "ValidationException":
                return one_by_one(client, job, chunk)
            if code in RETRYABLE:
                sleep(backoff(job, attempt))
                continue
            raise
        requests = (resp.get("UnprocessedItems") or {}).get(table) or []
        if not requests:
            return []
        sleep(backoff(job, attempt))
    raise TransientError(f"DynamoDB table {table}: {len(requests)} item(s) still unprocessed "
                         f"after {job.attempts} BatchWriteItem attempts with backoff")


def one_by_one(client: Any, job: WriteJob, chunk: Sequence[Pending]) -> list[dict[str, Any]]:
    rejects = []
    for p in chunk:
        try:
            client.put_item(TableName=job.shape.table, Item=p.item)
        except Exception as err:
            if _code(err) != "ValidationException":
                raise
            message = getattr(err, "response", {}).get("Error", {}).get("Message", str(err))
            rejects.append(reject(job.shape, p.row, None, None,
                                  f"DynamoDB refused the item: {message}"))
    return rejects


def reject(shape: Shape, row: tuple, column: str | None, value: Any,
           reason: str) -> dict[str, Any]:
    from sparkdms.connectors.sql.rejects import _plain

    named = dict(zip(shape.columns, row, strict=True))
    key_cols = [k for k in shape.keys if k in named] or list(shape.columns[:1])
    return {"key": {k: _plain(named[k]) for k in key_cols}, "column": column,
            "value": _plain(value), "reason": reason, "kind": "data",
            "row": {k: _plain(v) for k, v in named.items()},
            "statement": f"PutItem into DynamoDB table {shape.table}"}


def chunks(rows: Iterator[tuple], job: WriteJob, sink: list) -> Iterator[list[Pending]]:
    """Items in requests of at most 25, a repeated key starting a new request (BatchWriteItem
    refuses two puts of one key); refused rows go to ``sink``."""
    chunk: list[Pending] = []
    keys: set[tuple] = set()
    for row in rows:
        try:
            item = build_item(row, job.shape)
        except Refused as err:
            sink.append(reject(job.shape, row, err.column, err.value, err.reason))
            continue
        key = key_of(item, job.shape)
        if len(chunk) == BATCH or key in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(Pending(item, row))
        keys.add(key)
    if chunk:
        yield chunk


def arrow_rows(batches: Iterator[Any]) -> Iterator[tuple]:
    for batch in batches:
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield from zip(*columns, strict=True)


def write_rows(client: Any, job: WriteJob, rows: Iterator[tuple], sink: list) -> int:
    """Every row's item written (rejects to ``sink``); returns the items written."""
    written = 0
    threads = max(1, job.threads)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        running: dict[Future, int] = {}

        def settle(done: set[Future]) -> None:
            nonlocal written
            for f in done:
                refused = f.result()
                sink.extend(refused)
                written += running.pop(f) - len(refused)

        for chunk in chunks(rows, job, sink):
            if job.policy.stops(sink):
                break  # the table fails anyway
            if len(running) >= threads * 2:
                settle(wait(running, return_when=FIRST_COMPLETED).done)
            running[pool.submit(send, client, job, chunk)] = len(chunk)
        settle(wait(running).done if running else set())
    return written


def partition_writer(job: WriteJob, marked: bool) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from sparkdms.connectors.aws.session import client
        from sparkdms.connectors.sql.writer import task_attempt, until_marker

        part, attempt = task_attempt()
        if marked:
            batches = until_marker(batches, job, part)  # type: ignore[arg-type]
        sink: list = []
        ddb = client(job.endpoint, "dynamodb", max_pool_connections=max(10, job.threads * 2))
        rows = write_rows(ddb, job, arrow_rows(batches), sink)  # KeyNullError fails it
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows],
             "rejects": [json.dumps(sink, default=str) if sink else None]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int64()),
                              ("rows", pa.int64()), ("rejects", pa.string())]))

    return run
