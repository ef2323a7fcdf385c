"""Items read back into Spark (validation): a parallel Scan, one Spark partition per scan
segment, each item turned back into the plan's columns in their Spark types.

A column is read from the attribute of its name, from ``_doc`` (map-record-to-document), or
from an attribute-mapping whose value is exactly ``${column}``; a column the items do not
hold as itself (excluded, or only inside a template of several columns) is not in the
frame, and validation reports it as missing on the target. An absent attribute is NULL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sparkdms.connectors.dynamodb.mapping import DOC_ATTRIBUTE, Shape


@dataclass(frozen=True)
class ScanJob:
    endpoint: Any
    table: str
    segments: int
    columns: tuple[tuple[str, str, str, str], ...]  # (column, "attr"|"doc", attribute, spark)
    schema: Any  # the frame's StructType (built on the driver: executors have no JVM to ask)
    # unique per read: Spark would otherwise take a new read for one it cached earlier (its
    # plan, this job pickled, would be equal) and show items as they were then
    read_id: str = ""


def plain(av: dict[str, Any]) -> Any:
    """An AttributeValue as a Python value (numbers as Decimal, maps as dicts)."""
    (dtype, inner), = av.items()
    if dtype == "N":
        return Decimal(inner)
    if dtype in ("M",):
        return {k: plain(v) for k, v in inner.items()}
    if dtype == "L":
        return [plain(v) for v in inner]
    if dtype == "NULL":
        return None
    if dtype in ("SS", "BS"):
        return sorted(inner)
    if dtype == "NS":
        return sorted(Decimal(v) for v in inner)
    return inner  # S, B (bytes), BOOL


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      default=lambda v: float(v) if isinstance(v, Decimal) and v % 1 else
                      int(v) if isinstance(v, Decimal) else str(v))


def _timestamp(text: str, aware: bool) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if aware:
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.replace(tzinfo=None)


CONVERT: dict[str, Callable[[Any], Any]] = {
    "tinyint": int, "smallint": int, "int": int, "bigint": int,
    "float": float, "double": float, "boolean": lambda v: v if isinstance(v, bool) else
    str(v).lower() in ("true", "1", "t"),
    "date": lambda v: dt.date.fromisoformat(str(v)),
    "timestamp": lambda v: _timestamp(str(v), True),
    "timestamp_ntz": lambda v: _timestamp(str(v), False),
    "binary": lambda v: v if isinstance(v, bytes) else str(v).encode(),
    "string": lambda v: v if isinstance(v, str) else _json(v) if isinstance(v, dict | list)
    else format(v, "f") if isinstance(v, Decimal) else str(v),
}


def convert(value: Any, spark: str) -> Any:
    if value is None:
        return None
    if spark.startswith("decimal"):
        return Decimal(str(value))
    return CONVERT[spark](value)


def row_of(item: dict[str, Any], job: ScanJob) -> list[Any]:
    doc = item.get(DOC_ATTRIBUTE, {}).get("M", {})
    out = []
    for _, where, attr, spark in job.columns:
        av = (doc if where == "doc" else item).get(attr)
        out.append(None if av is None else convert(plain(av), spark))
    return out


def arrow_batch(rows: list[list[Any]], job: ScanJob) -> Any:
    """Rows (from ``row_of``) as an Arrow batch of the frame's schema (timestamps in UTC,
    the session time zone sparkdms runs Spark in)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(job.schema, timezone="UTC")
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in job.columns]
    return pa.RecordBatch.from_arrays(
        [pa.array(list(c), type=f.type) for c, f in zip(cols, schema, strict=True)],
        schema=schema)


def scan_segments(job: ScanJob) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        from sparkdms.connectors.aws.session import client

        ddb = client(job.endpoint, "dynamodb")
        for batch in batches:
            for segment in batch.column(0).to_pylist():
                pages = ddb.get_paginator("scan").paginate(
                    TableName=job.table, Segment=int(segment), TotalSegments=job.segments,
                    ConsistentRead=True)
                for page in pages:
                    rows = [row_of(i, job) for i in page.get("Items", [])]
                    if rows:
                        yield arrow_batch(rows, job)

    return run


def scan_job(endpoint: Any, shape: Shape, plan: Any, segments: int) -> ScanJob:
    from pyspark.sql.types import StructField, StructType

    from sparkdms.types import spark_type

    cols, fields = [], []
    for c in plan.columns:
        found = shape.recovery(c.target_name)
        if found is not None:
            kind = spark_type(c.ltype)
            cols.append((c.target_name, found[0], found[1], kind.simpleString()))  # type: ignore[attr-defined]
            fields.append(StructField(c.target_name, kind, True))  # type: ignore[arg-type]
    return ScanJob(endpoint, shape.table, segments, tuple(cols), StructType(fields),
                   uuid.uuid4().hex)
