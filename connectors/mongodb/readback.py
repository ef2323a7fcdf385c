"""Reading a loaded collection back as the plan's rows (validation of a MongoDB target).

The target knows how it wrote each column (``documents.Shape``), so it reads each document
back into exactly the planned columns and types: sub-documents of dotted names, Decimal128 or
decimal text, datetimes, UUIDs, JSON sub-documents (as JSON text with sorted keys), ``_doc``.
The collection is split into slices of ``_id`` order, one Spark partition each, read on the
executors with their own client.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.mongodb.connection import MongoEndpoint
from sparkdms.connectors.mongodb.documents import ID, Shape, row_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DOCS_PER_PARTITION = 50_000
BATCH_ROWS = 4096


@dataclass(frozen=True)
class ReadJob:
    endpoint: MongoEndpoint
    database: str
    collection: str
    shape: Shape
    slice_docs: int
    parts: int
    # new for every read: Spark matches cached plans by their pickled function, and a frame
    # someone cached (great-expectations persists the frames it checks) would answer a later
    # read of the changed collection with the old documents
    nonce: str = ""

    def cursor(self, coll: Any, part: int) -> Any:
        """Slice ``part`` of the collection in ``_id`` order (the last one to its end)."""
        found = coll.find({}).sort(ID, 1).skip(part * self.slice_docs)
        return found if part == self.parts - 1 else found.limit(self.slice_docs)


def read_slices(job: ReadJob, arrow_schema: Any) -> Any:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from sparkdms.connectors.mongodb.writer import codec

        client = job.endpoint.client()
        try:
            coll = client[job.database].get_collection(job.collection, codec_options=codec())
            for batch in batches:
                for part in batch.column(0).to_pylist():
                    rows: list[tuple] = []
                    for doc in job.cursor(coll, int(part)):
                        rows.append(row_of(job.shape, doc))
                        if len(rows) >= BATCH_ROWS:
                            yield _batch(pa, rows, arrow_schema)
                            rows = []
                    if rows:
                        yield _batch(pa, rows, arrow_schema)
        finally:
            client.close()

    return run


def _batch(pa: Any, rows: list[tuple], schema: Any) -> Any:
    columns = list(zip(*rows, strict=True))
    return pa.RecordBatch.from_arrays(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema)


def read_collection(spark: SparkSession, endpoint: MongoEndpoint, database: str,
                    collection: str, shape: Shape, spark_schema: Any) -> DataFrame:
    """The collection as a DataFrame of ``spark_schema`` (the shape's columns)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    with endpoint.client() as client:
        docs = client[database][collection].estimated_document_count()
    parts = max(1, math.ceil(docs / DOCS_PER_PARTITION))
    job = ReadJob(endpoint, database, collection, shape, DOCS_PER_PARTITION, parts,
                  uuid.uuid4().hex)
    arrow = to_arrow_schema(spark_schema, timezone="UTC")
    return spark.range(parts, numPartitions=parts).mapInArrow(read_slices(job, arrow),
                                                              spark_schema)
