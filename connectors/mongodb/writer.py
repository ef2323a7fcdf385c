"""Executor side of the MongoDB / DocumentDB target: one Spark task attempt writes its
partition's rows as documents into the load's staging collection with pymongo bulk writes.

Batches are sized by the server's own limits (``hello``: ``maxWriteBatchSize`` operations,
``maxMessageSizeBytes`` bytes, never more than ``FullLoadSettings.CommitRate`` documents);
each document is encoded once, its size checked against ``maxBsonObjectSize`` (16 MiB, and
DocumentDB's limits for ``docdb``), and sent as raw BSON.

Idempotent, with inserts only (FerretDB takes ~0.1 s per upsert, 1000x an insert): the
staging collection is new for each load, so an ``_id`` already there was written by an
earlier attempt of the same partition: the server's duplicate-key error for it is checked
(same document: nothing to do; another one: replaced, the later attempt wins). Generated
ObjectIds hold their attempt (``documents.attempt_ids``) and the commit removes those of
attempts Spark did not report successful. An attempt writes only when its input ended with the source's
end-of-partition marker (``IncompletePartitionError`` otherwise, and Spark retries it).

A document the server refuses (a write error of its own, with its index in the batch) or that
cannot be built (bad JSON, over the size limit) is a reject: it goes to the driver in the
attempt's result and the task's ``ErrorBehavior`` decides (``sparkdms.load.rejects``).
Any other error (connection, authentication) fails the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sparkdms.connectors.mongodb.connection import MongoEndpoint
from sparkdms.connectors.mongodb.documents import (
    ID,
    MAX_DEPTH,
    RowError,
    Shape,
    attempt_ids,
    depth,
    key_of,
    to_document,
)

from sparkdms.load.rejects import DATA, Policy, Reject

RESULT_SCHEMA = "part INT, attempt LONG, rows LONG, again LONG, rejects STRING"
DUPLICATE_KEY = 11000
MESSAGE_MARGIN = 64 * 1024  # the bulk command's own bytes around the documents
ID_KEY_BYTES_DOCDB = 2048  # DocumentDB's index key limit: the _id index too
SHOWN_VALUE = 200


@dataclass(frozen=True)
class WriteJob:
    """What every task attempt of one table's write needs (picklable)."""

    endpoint: MongoEndpoint
    database: str
    collection: str  # the staging collection
    table: str  # the target label, for messages
    shape: Shape
    policy: Policy
    stamp: int  # the load's time (seconds): the first 4 bytes of generated ObjectIds
    ordered: bool = False
    batch_rows: int = 10_000
    end_marker: bool = False

    @property
    def table_key(self) -> str:  # the name sparkdms.connectors.sql.writer.until_marker shows
        return self.table


@dataclass(frozen=True)
class Limits:
    max_doc: int
    max_ops: int
    max_bytes: int
    max_id: int | None = None  # bytes of an encoded _id (DocumentDB's index key limit)


def server_limits(client: Any, docdb: bool) -> Limits:
    hello = client.admin.command("hello")
    return Limits(int(hello.get("maxBsonObjectSize", 16 * 1024 * 1024)),
                  int(hello.get("maxWriteBatchSize", 100_000)),
                  int(hello.get("maxMessageSizeBytes", 48_000_000)) - MESSAGE_MARGIN,
                  ID_KEY_BYTES_DOCDB if docdb else None)


def codec() -> Any:
    from bson.binary import UuidRepresentation
    from bson.codec_options import CodecOptions

    return CodecOptions(tz_aware=True, uuid_representation=UuidRepresentation.STANDARD)


@dataclass
class Pending:
    """One bulk batch being filled: raw documents, the rows they came from, their bytes."""

    ops: list[Any]
    rows: list[Sequence[Any]]
    size: int = 0


class PartitionWriter:
    """One task attempt's writer (on the executor)."""

    def __init__(self, job: WriteJob, coll: Any, limits: Limits, attempt: int) -> None:

        self.job, self.coll, self.limits, self.attempt = job, coll, limits, attempt
        from bson.raw_bson import RawBSONDocument

        self.opts = codec()
        self.raw_opts = self.opts.with_options(document_class=RawBSONDocument)
        self.new_id = attempt_ids(job.stamp, attempt)
        self.sink: list[Reject] = []
        self.rows = 0
        self.again = 0  # documents an earlier attempt of the partition had written
        self.pending = Pending([], [])

    # -- rows in ----------------------------------------------------------------------------
    def add(self, values: Sequence[Any]) -> None:
        if self.job.policy.stops(self.sink):
            return  # the table fails anyway: read on, write no more
        try:
            op, size = self.operation(values)
        except RowError as err:
            self.reject(values, err.column, err.value, err.reason)
            return
        if self.pending.ops and (len(self.pending.ops) >= self.batch_ops
                                 or self.pending.size + size > self.limits.max_bytes):
            self.flush()
        self.pending.ops.append(op)
        self.pending.rows.append(values)
        self.pending.size += size

    @property
    def batch_ops(self) -> int:
        return max(1, min(self.limits.max_ops, self.job.batch_rows))

    def operation(self, values: Sequence[Any]) -> tuple[Any, int]:
        import bson
        from bson.raw_bson import RawBSONDocument

        doc = to_document(self.job.shape, values, self.new_id)
        try:
            data = bson.encode(doc, codec_options=self.opts)
        except (bson.errors.InvalidDocument, OverflowError) as err:
            raise RowError(None, None, f"not a valid BSON document: {err}") from None
        self.check_limits(doc, len(data))
        return RawBSONDocument(data, codec_options=self.raw_opts), len(data)

    def check_limits(self, doc: dict[str, Any], size: int) -> None:
        import bson

        lim = self.limits
        if size > lim.max_doc:
            raise RowError(None, None, f"document of {size:,} bytes is over the server's "
                                       f"{lim.max_doc:,}-byte limit (maxBsonObjectSize)")
        if lim.max_id is not None:
            id_size = len(bson.encode({ID: doc[ID]}, codec_options=self.opts))
            if id_size > lim.max_id:
                raise RowError(ID, None, f"_id of {id_size:,} bytes is over DocumentDB's "
                                         f"{lim.max_id:,}-byte index key limit")
        if self.job.shape.doc_field is not None or any(
                f.conversion == "json" for f in self.job.shape.fields):
            levels = depth(doc)
            if levels > MAX_DEPTH:
                raise RowError(None, None, f"document nested {levels} levels deep; the server "
                                           f"stores at most {MAX_DEPTH}")

    # -- batches out ------------------------------------------------------------------------
    def flush(self) -> None:
        batch, self.pending = self.pending, Pending([], [])
        ops, rows = batch.ops, batch.rows
        while ops:
            written, stopped = self.bulk(ops, rows)
            self.rows += written
            if stopped is None:
                return
            ops, rows = ops[stopped + 1:], rows[stopped + 1:]  # ordered: go on after it

    def bulk(self, ops: list[Any], rows: list[Sequence[Any]]) -> tuple[int, int | None]:
        """Insert ``ops`` (raw documents): (documents written, index where an ordered batch
        stopped)."""
        from pymongo import InsertOne
        from pymongo.errors import BulkWriteError

        try:
            res = self.coll.bulk_write([InsertOne(d) for d in ops], ordered=self.job.ordered)
        except BulkWriteError as err:
            details = err.details or {}
            if details.get("writeConcernErrors"):
                raise
            errors = sorted(details.get("writeErrors", []), key=lambda e: e["index"])
            again = [e for e in errors if e.get("code") == DUPLICATE_KEY]
            for e in errors:
                if e.get("code") != DUPLICATE_KEY:
                    self.reject(rows[e["index"]], None, None,
                                f"the server refused the document: {e.get('errmsg', '')} "
                                f"(code {e.get('code')})")
            rewritten = self.rewrite([ops[e["index"]] for e in again])
            if self.job.ordered and errors:
                return errors[0]["index"] + rewritten, errors[0]["index"]
            return len(ops) - len(errors) + rewritten, None
        return res.inserted_count, None

    def rewrite(self, ops: list[Any]) -> int:  # raw documents
        """Documents an earlier attempt of the partition wrote already: the same ones stay,
        others are replaced (the later attempt wins)."""
        if not ops:
            return 0
        docs = {_key(d[ID]): d for d in ops}
        found = {_key(d[ID]): d for d in self.coll.find({ID: {"$in": [d[ID] for d in
                                                                        docs.values()]}})}
        self.again += len(docs)
        for key, doc in docs.items():
            have = found.get(key)
            if have is None or _decoded(doc, self.opts) != have:
                self.coll.replace_one({ID: doc[ID]}, doc, upsert=True)
        return len(docs)

    def reject(self, values: Sequence[Any], column: str | None, value: Any, reason: str) -> None:
        shape = self.job.shape
        from sparkdms.connectors.sql.rejects import _plain

        row = {n: _plain(v) for n, v in zip(shape.names, values, strict=True)}
        self.sink.append({
            "key": {k: _plain(v) for k, v in key_of(shape, values).items()},
            "column": column, "value": _short(_plain(value)), "reason": reason, "kind": DATA,
            "row": row, "statement": f"write to collection {self.job.database}."
                                     f"{self.job.table.split('.')[-1]}"})


def _key(value: Any) -> str:
    from bson import json_util

    return json_util.dumps(value)


def _decoded(raw: Any, opts: Any) -> dict[str, Any]:
    import bson

    return bson.decode(raw.raw, codec_options=opts)


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else None
    return text[:SHOWN_VALUE] + "..." if text is not None and len(text) > SHOWN_VALUE else value


# -- one task attempt --------------------------------------------------------------------------

def write_partition(job: WriteJob,
                    batches: Iterator[Any]) -> tuple[int, int, int, int, list[Reject]]:
    """Write one partition's Arrow batches as one attempt: (partition, attempt id, documents
    written, documents an earlier attempt had written, rejects)."""
    from sparkdms.connectors.sql.writer import task_attempt, until_marker

    part, attempt = task_attempt()
    if job.end_marker:
        batches = until_marker(batches, job, part)  # type: ignore[arg-type]
    client = job.endpoint.client()
    try:
        coll = client[job.database].get_collection(job.collection, codec_options=codec())
        writer = PartitionWriter(job, coll, server_limits(client, job.endpoint.docdb), attempt)
        for batch in batches:
            columns = [c.to_pylist() for c in batch.columns]
            for values in zip(*columns, strict=True):
                writer.add(values)
        writer.flush()
        return part, attempt, writer.rows, writer.again, writer.sink
    finally:
        client.close()


def partition_writer(job: WriteJob) -> Any:
    """The function ``mapInArrow`` runs: one result row per attempt."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        part, attempt, rows, again, sink = write_partition(job, batches)
        yield pa.RecordBatch.from_pydict(
            {"part": [part], "attempt": [attempt], "rows": [rows], "again": [again],
             "rejects": [json.dumps(sink, default=str, ensure_ascii=False) if sink else None]},
            schema=pa.schema([("part", pa.int32()), ("attempt", pa.int64()),
                              ("rows", pa.int64()), ("again", pa.int64()),
                              ("rejects", pa.string())]))

    return run
