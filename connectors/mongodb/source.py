"""The MongoDB / DocumentDB source: collections as tables, read in ``_id`` ranges.

``discover`` lists the database's collections (schema = the database name, as AWS DMS) and
infers each one's columns from ``DocsToInvestigate`` sampled documents (``schema.py``).
``partitions`` splits a collection into ``_id`` ranges (``partitions.py``); ``read`` opens
one pymongo cursor per Spark partition on the executor and turns documents into Arrow
batches (``rows.py``) through ``mapInArrow``. Source filters are applied by the core in
Spark; each partition can end with the END_MARKER row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import END_MARKER, ReadResult, Sampler, Source, TableFilter
from sparkdms.connectors.mongodb import connection
from sparkdms.connectors.mongodb.connection import MongoEndpoint, mongo_endpoint
from sparkdms.connectors.mongodb.partitions import MongoRange, plan_partitions
from sparkdms.connectors.mongodb.rows import RowSpec, batches, row_spec
from sparkdms.connectors.mongodb.schema import ID, Shape, infer
from sparkdms.connectors.mongodb.types import MONGODB

from sparkdms.catalog import Catalog, Table
from sparkdms.errors import TableLoadError
from sparkdms.types import spark_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from sparkdms.connectors.base import AssessmentHooks

    from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

MODES = {"none": "document", "one": "table"}
CURSOR_BATCH = 2000
# pymongo client options for reads: dates outside Python's range arrive as DatetimeMS
READ_OPTIONS = {"datetime_conversion": "DATETIME_AUTO"}


# never tables to migrate: the server's own collections, and those sparkdms (or AWS DMS)
# keeps: control, rejects, validation failures and a target's staging collections
HIDDEN = ("system.", "sparkdms_", "awsdms_", "_sdms_")


class MongoSource(Source):
    engine: ClassVar[str] = "mongodb"
    dialect = MONGODB
    endpoint_keys: ClassVar[tuple[str, ...]] = connection.ENDPOINT_KEYS
    marks_partition_end: ClassVar[bool] = True
    docdb: ClassVar[bool] = False

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        mongo_endpoint(endpoint, cls.docdb)

    @property
    def mongo(self) -> MongoEndpoint:
        cached = self.__dict__.get("_mongo")
        if cached is None:
            cached = self.__dict__["_mongo"] = mongo_endpoint(self.endpoint, self.docdb)
        return cached

    @property
    def shapes(self) -> dict[tuple[str, str], Shape]:
        return self.__dict__.setdefault("_shapes", {})

    def check_connection(self) -> None:
        connection.check_connection(self.endpoint, self.mongo)

    def default_schema(self) -> str:
        """As a source none: a collection lands in a target schema named after its database,
        as AWS DMS does (TargetMetadata.TargetSchema or a rename rule change that)."""
        return "" if self.endpoint.role == "source" else super().default_schema()

    # -- discovery ------------------------------------------------------------------------------
    def discover(self, wanted: TableFilter, sampler: Sampler) -> Catalog:
        """Collections (and views) of the endpoint's database, columns from sampling."""
        db_name = self.mongo.database
        tables = []
        with self.mongo.client(**READ_OPTIONS) as client:
            db = client[db_name]
            for info in sorted(db.list_collections(), key=lambda i: i["name"]):
                name = info["name"]
                kind = "view" if info.get("type") == "view" else "table"
                if name.startswith(HIDDEN) or not wanted(db_name, name, kind):
                    continue
                shape = self._sample(db, name)
                tables.append(Table(db_name, name, shape.columns(), primary_key=(ID,),
                                    row_estimate=_estimate(db[name], kind), kind=kind,
                                    engine=self.engine, notes=shape.notes()))
        return Catalog(self.engine, tuple(tables))

    def _sample(self, db: Any, name: str) -> Shape:
        rows = int(self.mongo.settings["DocsToInvestigate"])
        mode = MODES[self.mongo.nesting]
        shape = infer(_sample_docs(db[name], rows), db.name, name, mode)
        self.shapes[(db.name, name)] = shape
        return shape

    def shape(self, schema: str, table: str) -> Shape:
        """The sampled shape of a collection (sampled now if discovery did not)."""
        found = self.shapes.get((schema, table))
        if found is None:
            with self.mongo.client(**READ_OPTIONS) as client:
                self._require(client[schema], table)
                found = self._sample(client[schema], table)
        return found

    def _require(self, db: Any, table: str) -> None:
        if table not in db.list_collection_names():
            raise TableLoadError(f"{db.name}.{table}", "read",
                                 f"collection {table!r} does not exist in database {db.name!r} "
                                 f"on {self.mongo.describe()}")

    # -- partitions and read --------------------------------------------------------------------
    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        """``_id`` ranges (the parallel-load rule's, or RowsPerPartition-sized from sampled
        boundaries); stops on a field NestingLevel one cannot flatten, before any read."""
        table = plan.source
        self.shape(table.schema, table.name).check()
        with self.mongo.client(**READ_OPTIONS) as client:
            db = client[table.schema]
            self._require(db, table.name)
            return plan_partitions(db[table.name], plan, settings)

    def unpushable(self, plan: TablePlan, filters: Sequence[Filter]) -> tuple[Filter, ...]:
        return tuple(filters)  # applied in Spark after the read

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter], end_marker: bool = False) -> ReadResult:
        from pyspark.sql import types as T
        from pyspark.sql.pandas.types import to_arrow_type

        table = plan.source
        shape = self.shape(table.schema, table.name)
        shape.check()
        wanted = plan.source_names
        cols = [c for c in table.columns if c.name in wanted]
        fields = [T.StructField(c.name, spark_type(c.ltype), True) for c in cols]  # type: ignore[arg-type]
        if end_marker:
            fields.append(T.StructField(END_MARKER, T.BooleanType(), True))
        schema = T.StructType(fields)
        spec = _spec(shape, cols, all_read=len(cols) == len(shape.fields))
        parts = tuple(p for p in partitions if isinstance(p, MongoRange)) or (MongoRange(0),)
        reader = PartitionReader(self.mongo, table.name, parts, spec, _projection(shape, cols),
                                 tuple(to_arrow_type(f.dataType, timezone="UTC")
                                       for f in schema.fields[:len(cols)]),
                                 tuple(schema.names), end_marker)
        frame = spark.range(0, len(parts), 1, len(parts)).mapInArrow(reader, schema)
        return ReadResult(frame)

    def count_rows(self, schema: str, table: str) -> int:
        if self.endpoint.role != "source":  # one method for both roles: the target's
            return super().count_rows(schema, table)
        with self.mongo.client() as client:
            self._require(client[schema], table)
            return int(client[schema][table].count_documents({}))

    def partition_counts(self, plan: TablePlan, partitions: Sequence[Partition],
                         pushed: Sequence[Filter]) -> list[int] | None:
        parts = [p for p in partitions if isinstance(p, MongoRange)] or [MongoRange(0)]
        with self.mongo.client() as client:
            coll = client[plan.source.schema][plan.source.name]
            return [int(coll.count_documents(p.query())) for p in parts]

    def assessment(self) -> AssessmentHooks | None:
        from sparkdms.connectors.mongodb.assess import MongoSourceHooks

        return MongoSourceHooks(self, super().assessment())


class PartitionReader:
    """The function ``mapInArrow`` runs on an executor: for each partition index it gets,
    one cursor over that ``_id`` range, its documents as Arrow batches."""

    def __init__(self, mongo: MongoEndpoint, collection: str, parts: tuple[MongoRange, ...],
                 spec: RowSpec, projection: dict[str, int] | None, arrow_types: tuple[Any, ...],
                 names: tuple[str, ...], end_marker: bool) -> None:
        self.mongo, self.collection, self.parts, self.spec = mongo, collection, parts, spec
        self.projection, self.arrow_types, self.names = projection, arrow_types, names
        self.end_marker = end_marker

    def __call__(self, inputs: Any) -> Any:
        for batch in inputs:
            for index in batch.column(0).to_pylist():
                yield from self.read_part(self.parts[index])

    def read_part(self, part: MongoRange) -> Any:
        with self.mongo.client(**READ_OPTIONS) as client:
            coll = client[self.mongo.database][self.collection]
            cursor = coll.find(part.query(), self.projection, batch_size=CURSOR_BATCH)
            try:
                yield from batches(self.spec, cursor, self.arrow_types, self.names,
                                   self.end_marker)
            finally:
                cursor.close()


def _spec(shape: Shape, cols: Sequence[Any], all_read: bool) -> RowSpec:
    paths = {f.name: f.path for f in shape.fields}
    columns = [(c.name, paths.get(c.name, (c.name,)), c.ltype, c.native_type) for c in cols]
    return row_spec(shape.label, columns, (f.path for f in shape.fields if f.path),
                    shape.mode == "table", strict=all_read and shape.mode == "table")


def _projection(shape: Shape, cols: Sequence[Any]) -> dict[str, int] | None:
    """Top-level fields the read needs, or None (the whole document)."""
    paths = {f.name: f.path for f in shape.fields}
    needed = [paths.get(c.name, (c.name,)) for c in cols]
    if len(cols) == len(shape.fields) or any(not p for p in needed):
        return None
    tops = {p[0] for p in needed}
    if any("." in t or t.startswith("$") for t in tops):
        return None
    return {ID: 1, **{t: 1 for t in sorted(tops)}}


def _sample_docs(coll: Any, rows: int) -> list[Any]:
    """``rows`` documents: random ones ($sample) where the server has it, else the first."""
    import pymongo.errors

    try:
        if coll.estimated_document_count() > rows:
            return list(coll.aggregate([{"$sample": {"size": rows}}]))
    except pymongo.errors.OperationFailure:
        pass  # FerretDB 1.x has no $sample; views have no estimated count
    return list(coll.find({}, limit=rows))


def _estimate(coll: Any, kind: str) -> int:
    import pymongo.errors

    try:
        return int(coll.estimated_document_count() if kind == "table"
                   else coll.count_documents({}))
    except pymongo.errors.OperationFailure:
        return 0
