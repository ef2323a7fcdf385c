"""The fake engine: tables as Parquet segments in a directory (see ``store.py``).

Source: discovery from each table's ``table.json``; partitions are groups of segment files
(``FakeSegments``, which only this engine interprets); pushed filters become Spark SQL text
of the engine's own; ``between`` and ``notbetween`` are refused, so the core applies them.
Target: each Spark partition writes ``part-<n>.parquet`` into the load's staging
directory (a retried partition replaces its own file: it adds nothing); commit moves the
staged files into the table; abort deletes the staging directory.
"""

from __future__ import annotations

import functools
import math
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import (
    Capabilities,
    Connector,
    ReadResult,
    Sampler,
    TableFilter,
    WriteResult,
)

from sparkdms.catalog import Catalog, Column, Table
from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.plan import Condition, Filter, Partition, Partitioning, TablePlan
from sparkdms.types import INTEGER_KINDS, spark_quote, spark_type
from tests.fake_engine import store
from tests.fake_engine.types import FAKE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

INTERNAL = ("sparkdms_", "awsdms_", "_sdms_")
REFUSED = ("between", "notbetween")  # operators this engine cannot push down
NUMERIC = (*INTEGER_KINDS, "decimal", "float32", "float64")
TEMPLATES = {"lte": "{c} <= {v0}", "gte": "{c} >= {v0}", "eq": "{c} = {v0}",
             "noteq": "{c} <> {v0}", "null": "{c} IS NULL", "notnull": "{c} IS NOT NULL"}


@dataclass(frozen=True)
class FakeSegments(Partition):
    """Some segment files of one table, read together as one Spark partition."""

    files: tuple[str, ...]
    rows: int = 0

    def describe(self) -> str:
        if not self.files:
            return "no segments"
        return f"{len(self.files)} segment(s) {Path(self.files[0]).name}.. ({self.rows} rows)"


def _literal(value: str, dtype: Any) -> str:
    text = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"CAST({text} AS {dtype.simpleString()})"


def filter_text(f: Filter, table: Table) -> str:
    """One filter as Spark SQL text: the fake engine's own rendering of neutral filters."""
    col = table.column(f.column)
    ref = spark_quote(col.name)
    dtype = spark_type(col.ltype)

    def one(cond: Condition) -> str:
        values = {f"v{i}": _literal(v, dtype) for i, v in enumerate(cond.values)}
        return TEMPLATES[cond.operator].format(c=ref, **values)

    return " OR ".join(f"({one(c)})" for c in f.conditions)


class FakeConnector(Connector):
    engine = "fake"
    dialect = FAKE
    capabilities: ClassVar[Capabilities] = Capabilities(transactional_staging=True)
    internal_prefixes: ClassVar[tuple[str, ...]] = INTERNAL  # tables discovery never shows
    spark: SparkSession | None = None

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if not endpoint.path:
            raise TaskConfigError(f"{endpoint.role}.path", "missing; the fake engine needs a "
                                                           "directory")

    @property
    def root(self) -> Path:
        return Path(str(self.endpoint.path))

    def check_connection(self) -> None:
        if self.endpoint.role == "source" and not self.root.is_dir():
            raise EndpointError(self.endpoint.role, self.engine, f"no directory {self.root}")

    def default_schema(self) -> str:
        return self.endpoint.schema or "data"

    def bind(self, spark: SparkSession) -> None:
        self.spark = spark

    # -- source ---------------------------------------------------------------------------------
    def discover(self, wanted: TableFilter, sampler: Sampler) -> Catalog:
        found = []
        for schema, name in store.tables(self.root):
            if name.lower().startswith(self.internal_prefixes) or not wanted(schema, name, "table"):
                continue
            folder = store.table_dir(self.root, schema, name)
            meta = store.read_meta(folder)
            cols = tuple(Column(c["name"], c["type"], self.to_logical(c["type"]), c["nullable"],
                                ordinal=i + 1) for i, c in enumerate(meta["columns"]))
            found.append(Table(schema, name, cols, tuple(meta["primary_key"]),
                               row_estimate=store.row_count(folder), engine=self.engine))
        return Catalog(self.engine, tuple(found))

    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        folder = store.table_dir(self.root, plan.source.schema, plan.source.name)
        import pyarrow.parquet as pq

        files = [(str(p), pq.read_metadata(p).num_rows) for p in store.segments(folder)]
        rows = sum(n for _, n in files)
        req = plan.parallel_load
        if req is not None and req.type == "none":
            return Partitioning("single", parts=(FakeSegments(tuple(f for f, _ in files), rows),))
        notes: tuple[str, ...] = ()
        if req is not None:
            notes = (f"{req.label}: parallel-load {req.type}: the fake engine reads whole "
                     "segments; it is split the default way",)
        per = settings["Sparkdms.FakeFilesPerPartition"]
        if per:
            wanted = math.ceil(len(files) / per)
        else:
            wanted = min(math.ceil(rows / settings["Sparkdms.RowsPerPartition"]),
                         settings["Sparkdms.MaxPartitionsPerTable"])
        wanted = max(1, min(wanted, len(files)))
        groups: list[list[tuple[str, int]]] = [[] for _ in range(wanted)]
        for i, item in enumerate(files):  # contiguous groups of segments
            groups[i * wanted // max(len(files), 1)].append(item)
        parts = tuple(FakeSegments(tuple(f for f, _ in g), sum(n for _, n in g)) for g in groups)
        return Partitioning("segments", None, parts, notes)

    def unpushable(self, plan: TablePlan, filters: Sequence[Filter]) -> tuple[Filter, ...]:
        return tuple(f for f in filters if any(c.operator in REFUSED for c in f.conditions))

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        from pyspark.sql import types as T

        table = plan.source
        schema = T.StructType([T.StructField(c.name, spark_type(c.ltype), c.nullable)  # type: ignore[arg-type]
                               for c in table.columns])
        if not partitions:
            folder = store.table_dir(self.root, table.schema, table.name)
            partitions = (FakeSegments(tuple(str(p) for p in store.segments(folder))),)
        frames = []
        for part in partitions:
            if not isinstance(part, FakeSegments):
                raise TypeError(f"the fake engine cannot read {part!r}")
            frames.append(spark.read.schema(schema).parquet(*part.files) if part.files
                          else spark.createDataFrame([], schema))
        frame = functools.reduce(lambda a, b: a.union(b), frames)
        for f in pushed:  # applied before the projection: a filter may name any column
            frame = frame.where(filter_text(f, table))
        names = [spark_quote(c.name) for c in table.columns if c.name in plan.source_names]
        files = sum(len(p.files) for p in partitions if isinstance(p, FakeSegments))
        return ReadResult(frame.select(*names), {"FakeSegmentsRead": files})

    def count_rows(self, schema: str, table: str) -> int:
        return store.row_count(store.table_dir(self.root, schema, table))

    # -- target ---------------------------------------------------------------------------------
    def staging(self, plan: TablePlan, load_id: str) -> Path:
        return self.root / store.STAGING / load_id / plan.target_schema / plan.target_name

    def target_ddl(self, plan: TablePlan) -> list[str]:
        cols = ", ".join(f"{c.target_name} {c.target_type}" for c in plan.columns)
        return [f"-- fake table {plan.target_label}: {cols}"]

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        stage = self.staging(plan, load_id)
        store.remove(stage, self.root)
        stage.mkdir(parents=True)

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        stage = str(self.staging(plan, load_id))

        def write_partition(batches: Any) -> Any:  # runs on executors; pickled by value
            import os as _os
            import uuid as _uuid

            import pyarrow as pa
            import pyarrow.parquet as pq
            from pyspark import TaskContext

            ctx = TaskContext.get()
            part = ctx.partitionId() if ctx else 0
            batches = [b for b in batches if b.num_rows]
            rows = sum(b.num_rows for b in batches)
            if rows:
                tmp = f"{stage}/.part-{part:05d}.{_uuid.uuid4().hex}.tmp"
                pq.write_table(pa.Table.from_batches(batches), tmp)
                _os.replace(tmp, f"{stage}/part-{part:05d}.parquet")  # a retry replaces it
            yield pa.RecordBatch.from_pydict({"part": [part], "rows": [rows]},
                                             schema=pa.schema([("part", pa.int32()),
                                                               ("rows", pa.int64())]))

        results = df.mapInArrow(write_partition, "part INT, rows LONG").collect()
        return WriteResult(rows=sum(r["rows"] for r in results), partitions=len(results))

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        stage = self.staging(plan, load_id)
        dest = store.table_dir(self.root, plan.target_schema, plan.target_name)
        staged = sorted(stage.glob("part-*.parquet"))
        if mode == "DO_NOTHING" and dest.is_dir():  # append: move the segments in
            for i, path in enumerate(staged):
                os.replace(path, dest / f"seg-{load_id}-{i:05d}.parquet")
        else:  # a new table directory, swapped in place of the old one
            fresh = self.root / store.STAGING / load_id / f"new-{uuid.uuid4().hex}"
            if mode == "TRUNCATE_BEFORE_LOAD" and dest.is_dir():
                fresh.mkdir(parents=True)
                (fresh / store.META).write_text((dest / store.META).read_text())
            else:
                store.write_meta(fresh, [(c.target_name, c.target_type, c.nullable)
                                         for c in plan.columns], plan.primary_key)
            for i, path in enumerate(staged):
                os.replace(path, fresh / f"seg-{i:05d}.parquet")
            dest.parent.mkdir(parents=True, exist_ok=True)
            old = self.root / store.STAGING / load_id / f"old-{uuid.uuid4().hex}"
            if dest.is_dir():
                os.replace(dest, old)
            os.replace(fresh, dest)
            store.remove(old, self.root)
        store.remove(stage, self.root)

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        store.remove(self.staging(plan, load_id), self.root)
