"""Executor side of a Kinesis write: one Spark partition's (partition key, ``data`` JSON)
rows wrapped in AWS DMS's record and sent with PutRecords. Opened inside the task.

Batches hold at most 500 records and 5 MiB (data plus partition keys), as PutRecords
allows; a record over 1 MiB stops the partition naming the table and the key. Records a
call reports failed (``FailedRecordCount``, a per-record ``ErrorCode``: throughput exceeded,
internal failure) are sent again, alone, with exponential backoff; after ``ATTEMPTS`` tries
the partition fails naming the table, the count and the first error.

Delivery is at least once: a stream cannot take records back, so a Spark task that fails
after sending some records and is retried sends them again. Every record carries its row's
stable partition key (and, with ``IncludePartitionValue``, the key in its metadata), so a
consumer can drop the duplicates.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sparkdms.connectors.kinesis.settings import KinesisSettings

from sparkdms.errors import TransientError
from sparkdms.task import Endpoint

MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024
MAX_RECORD = 1024 * 1024  # data + partition key of one record
ATTEMPTS = 8
BASE_DELAY, MAX_DELAY = 0.1, 5.0
RESULT_SCHEMA = "rows LONG, calls LONG, retried LONG"


class KinesisWriteError(TransientError):
    """Records the stream would not take (Spark retries the task; see at-least-once)."""


@dataclass(frozen=True)
class PutSpec:
    """What an executor needs for one table (picklable)."""

    endpoint: Endpoint
    cfg: KinesisSettings
    schema: str
    table: str
    key_type: str  # primary-key | schema-table
    marked: bool = False  # the rows carry the source's END_MARKER (third column)

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.table}"


def metadata(spec: PutSpec, key: str, now: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"timestamp": now, "record-type": "data", "operation": "load",
                            "partition-key-type": spec.key_type, "schema-name": spec.schema,
                            "table-name": spec.table}
    if spec.cfg.include_partition_value and spec.key_type != "schema-table":
        meta["partition-key-value"] = key
    return meta


def envelope(spec: PutSpec, key: str, data: str, now: str) -> bytes:
    """AWS DMS's record: ``{"data": {...}, "metadata": {...}}``; ``json`` indented,
    ``json-unformatted`` one line ended by a newline (for Firehose to S3)."""
    meta = json.dumps(metadata(spec, key, now), ensure_ascii=False, separators=(",", ":"))
    if spec.cfg.message_format == "json-unformatted":
        return f'{{"data":{data},"metadata":{meta}}}\n'.encode()
    doc = {"data": json.loads(data), "metadata": json.loads(meta)}
    return json.dumps(doc, ensure_ascii=False, indent=4).encode()


def batches(records: Iterator[tuple[str, bytes]], spec: PutSpec) -> Iterator[list[dict]]:
    """PutRecords entries in batches of at most MAX_RECORDS and MAX_BYTES."""
    batch: list[dict] = []
    size = 0
    for key, data in records:
        one = len(data) + len(key.encode())
        if one > MAX_RECORD:
            raise ValueError(f"table {spec.label}, partition key {key!r}: the record is "
                             f"{one:,} bytes; Kinesis takes at most {MAX_RECORD:,} per record")
        if batch and (len(batch) == MAX_RECORDS or size + one > MAX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append({"Data": data, "PartitionKey": key})
        size += one
    if batch:
        yield batch


def put_all(call: Callable[[list[dict]], dict], entries: list[dict], spec: PutSpec,
            sleep: Callable[[float], None] = time.sleep) -> tuple[int, int]:
    """Send ``entries``; re-send the failed ones with exponential backoff and jitter.
    (calls made, records re-sent)."""
    pending, calls, retried = entries, 0, 0
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(min(MAX_DELAY, BASE_DELAY * 2 ** attempt) * (0.5 + random.random() / 2))
        response = call(pending)
        calls += 1
        if not response.get("FailedRecordCount"):
            return calls, retried
        failed = [(e, r) for e, r in zip(pending, response["Records"], strict=True)
                  if r.get("ErrorCode")]
        pending = [e for e, _ in failed]
        retried += len(pending)
        first = failed[0][1]
    raise KinesisWriteError(
        f"table {spec.label}: Kinesis stream {spec.cfg.stream} refused {len(pending):,} "
        f"record(s) after {ATTEMPTS} attempts; first: {first.get('ErrorCode')}: "
        f"{first.get('ErrorMessage')}")


def send_partition(spec: PutSpec, rows: Iterator[tuple[str, str]],
                   call: Callable[[list[dict]], dict]) -> tuple[int, int, int]:
    """(records sent, PutRecords calls, records re-sent) of one partition."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    records = ((key, envelope(spec, key, data, now)) for key, data in rows)
    sent = calls = retried = 0
    for batch in batches(records, spec):
        c, r = put_all(call, batch, spec)
        sent, calls, retried = sent + len(batch), calls + c, retried + r
    return sent, calls, retried


def _rows(arrow_batches: Iterator[Any], spec: PutSpec) -> Iterator[tuple[str, str]]:
    """(key, data) of each row. With the source's END_MARKER (``spec.marked``: a third
    column), the marker row is dropped and must come last: a partition whose input ends
    without it (the read failed part-way and the Python worker saw a clean end) raises, and
    Spark retries the task, re-sending its records (at least once, never fewer)."""
    ended = False
    for b in arrow_batches:
        marks = b.column(2).to_pylist() if spec.marked else [False] * b.num_rows
        for key, data, mark in zip(b.column(0).to_pylist(), b.column(1).to_pylist(), marks,
                                   strict=True):
            if ended:
                raise KinesisWriteError(f"table {spec.label}: rows arrived after the "
                                        "partition's end-of-partition marker")
            if mark:
                ended = True
            else:
                yield key, data
    if spec.marked and not ended:
        raise KinesisWriteError(f"table {spec.label}: the source rows stopped without the "
                                "end-of-partition marker (the read failed part-way); Spark "
                                "retries the partition, re-sending its records")


def partition_writer(spec: PutSpec) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The mapInArrow function: sends the partition, yields one row of counts."""
    def run(arrow_batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from sparkdms.connectors.aws.session import aws_error, client

        kinesis = client(spec.endpoint, "kinesis")

        def call(entries: Sequence[dict]) -> dict:
            try:
                return kinesis.put_records(StreamName=spec.cfg.stream, Records=list(entries))
            except Exception as err:
                if hasattr(err, "response"):
                    raise aws_error(spec.endpoint, err,
                                    f"table {spec.label}: PutRecords to stream "
                                    f"{spec.cfg.stream}") from None
                raise

        sent, calls, retried = send_partition(spec, _rows(arrow_batches, spec), call)
        yield pa.RecordBatch.from_pydict({"rows": [sent], "calls": [calls],
                                          "retried": [retried]},
                                         schema=pa.schema([("rows", pa.int64()),
                                                           ("calls", pa.int64()),
                                                           ("retried", pa.int64())]))
    return run
