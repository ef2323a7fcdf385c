"""The MongoDB / Amazon DocumentDB target: rows -> documents (``documents.py``), written from
each Spark partition on its executor (``writer.py``) into a staging collection of the load,
made the target collection on commit.

A table plan's ``target_schema`` is the database (AWS DMS maps a schema to a database; the
source's default schema lands in the endpoint's database) and its name the collection.

Load protocol (``prepare`` / ``write`` / ``commit`` / ``abort``):

* ``prepare`` creates ``_sdms_stage_<collection>_<load id>`` (and drops what earlier,
  unfinished loads of the collection left);
* ``write`` fills it with inserts (``writer.py``): a retried partition's ``_id``s are there
  already and are kept once; rows without a key get ObjectIds that hold their attempt;
* ``commit``: generated-id documents of attempts Spark did not report successful are
  removed; then by ``TargetTablePrepMode``:
  DROP_AND_CREATE the staging collection is renamed over the target (``renameCollection``
  with ``dropTarget``: atomic on MongoDB; FerretDB 1.x lacks ``dropTarget``, so there the
  target is dropped then the staging renamed: for that moment the collection is absent,
  never half-written);
  TRUNCATE_BEFORE_LOAD the same, the target's indexes re-created on the new collection first;
  DO_NOTHING the documents are merged into the existing target by ``_id`` (``$merge``, or
  batched inserts, replacing the ``_id``s already there, where the server lacks it): not
  atomic, as AWS DMS's DO_NOTHING;
* ``abort`` drops the staging collection: the target is as it was.

Indexes and unique keys of the plan are created after the load (``post_load``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import Capabilities, PreLoad, Target, WriteResult
from sparkdms.connectors.mongodb.documents import ID, Shape, foreign_ranges, shape_of

from sparkdms.errors import SparkDmsError, TableLoadError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from sparkdms.connectors.base import FailureStore, ReadResult, RejectStore
    from sparkdms.connectors.mongodb.connection import MongoEndpoint

    from sparkdms.catalog import Column, Table
    from sparkdms.plan import TablePlan
    from sparkdms.plan.typemap.resolve import Resolved
    from sparkdms.task.settings import Settings

STAGE_PREFIX = "_sdms_stage_"
NOT_IMPLEMENTED = 238  # the server's code for an option it lacks (FerretDB: dropTarget, $merge)
TS_DIGITS = 3  # BSON datetimes keep milliseconds
COPY_BATCH = 1000


class MongoTarget(Target):
    """Writes each Spark partition on its executor with pymongo bulk writes."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        transactional_staging=True, upsert=True, creates_objects_after_load=True)
    wants_end_marker: ClassVar[bool] = True
    docdb: ClassVar[bool] = False

    # -- the endpoint ----------------------------------------------------------------------
    def target_endpoint(self) -> MongoEndpoint:
        found = self.__dict__.get("_t_mongo")
        if found is None:
            from sparkdms.connectors.mongodb.connection import mongo_endpoint

            found = self.__dict__["_t_mongo"] = mongo_endpoint(self.endpoint, docdb=self.docdb)
        return found

    def default_schema(self) -> str:
        return self.target_endpoint().database

    def place(self, plan: TablePlan, load_id: str | None = None) -> tuple[str, str]:
        """(database, collection): the target's, or with ``load_id`` its staging's."""
        database = plan.target_schema or self.target_endpoint().database
        if load_id is None:
            return database, plan.target_name
        return database, f"{STAGE_PREFIX}{plan.target_name}_{load_id}"

    def decimal128(self, settings: Settings) -> bool:
        """Decimals as Decimal128 (``Sparkdms.MongoDecimal``; auto: unless FerretDB 1.x,
        which has no Decimal128 and drops the connection on one)."""
        mode = settings["Sparkdms.MongoDecimal"]
        if mode != "auto":
            return mode == "decimal128"
        found = self.__dict__.get("_t_dec128")
        if found is None:
            with self.target_endpoint().client() as client:
                info = client.admin.command("buildInfo")
            version = str(info.get("ferretdbVersion", ""))
            found = self.__dict__["_t_dec128"] = not version.lstrip("v").startswith("1.")
        return bool(found)

    def doc_shape(self, plan: TablePlan, settings: Settings | None = None) -> Shape:
        nest = True if settings is None else settings["Sparkdms.MongoNestDottedNames"]
        dec = True if settings is None else self.decimal128(settings)
        cols = [(c.target_name, c.ltype, c.source.native_type if c.source else "")
                for c in plan.columns]
        return shape_of(plan.target_label, cols, plan.primary_key, nest, dec)

    # -- planning --------------------------------------------------------------------------
    def adapt_column(self, resolved: Resolved, table: Table, column: Column,
                     same_family: bool) -> Resolved:
        """Timestamps are BSON datetimes: milliseconds (validation compares at 3 digits)."""
        t = resolved.ltype
        if t.kind in ("timestamp", "timestamptz") and (t.precision is None or
                                                       t.precision > TS_DIGITS):
            return replace(resolved, ltype=replace(t, precision=TS_DIGITS))
        return resolved

    def target_ddl(self, plan: TablePlan) -> list[str]:
        database, collection = self.place(plan)
        shape = self.doc_shape(plan)
        ids = {"column": "the _id column", "doc": "the _doc document's _id",
               "generated": "a new ObjectId (no primary key)",
               "key": f"primary key {', '.join(plan.primary_key)}",
               "composite": f"{{{', '.join(plan.primary_key)}}} (composite primary key)"}
        fields = ", ".join(".".join(f.path) for f in shape.fields if f.name != ID)
        return [f"-- collection {database}.{collection}; _id: {ids[shape.id_mode]}; "
                f"fields: {fields}"]

    # -- the load --------------------------------------------------------------------------
    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str] | None:
        self.doc_shape(plan, settings)  # a name no document can hold stops here
        database, stage = self.place(plan, load_id)
        prefix = f"{STAGE_PREFIX}{plan.target_name}_"
        notes = []
        with self.target_endpoint().client() as client:
            db = client[database]
            for name in db.list_collection_names():
                if name.startswith(prefix) and name != stage:
                    db.drop_collection(name)
                    notes.append(f"dropped {database}.{name}, left by an unfinished load")
            if stage not in db.list_collection_names():
                db.create_collection(stage)
        return notes

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        from sparkdms.connectors.base import END_MARKER
        from sparkdms.connectors.mongodb.writer import RESULT_SCHEMA, WriteJob, partition_writer

        from sparkdms.load.rejects import Policy
        from sparkdms.types import positional

        database, stage = self.place(plan, load_id)
        stamp = self.__dict__.setdefault(f"_t_stamp_{load_id}", int(time.time()))
        job = WriteJob(self.target_endpoint(), database, stage, plan.target_label,
                       self.doc_shape(plan, settings), Policy.from_settings(settings), stamp,
                       settings["Sparkdms.MongoOrderedWrites"],
                       settings["FullLoadSettings.CommitRate"], END_MARKER in df.columns)
        results = positional(df).mapInArrow(partition_writer(job), RESULT_SCHEMA).collect()
        rejects = tuple(r for row in results if row["rejects"] for r in json.loads(row["rejects"]))
        return WriteResult(rows=sum(int(r["rows"]) for r in results), partitions=len(results),
                           receipt={"stamp": stamp,
                                    "attempts": sorted(int(r["attempt"]) for r in results)},
                           error_rows=len(rejects), rejects=rejects,
                           stats={"DocumentIdFrom": job.shape.id_mode,
                                  "DocumentsOfFailedAttempts": sum(int(r["again"])
                                                                   for r in results)})

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        database, stage = self.place(plan, load_id)
        target = plan.target_name
        with self.target_endpoint().client() as client:
            db = client[database]
            if stage not in db.list_collection_names():
                raise TableLoadError(plan.source_label, "commit",
                                     f"staging collection {database}.{stage} is gone")
            if not self.doc_shape(plan, settings).keyed:
                _keep_attempts(db[stage], result)
            mode = settings["FullLoadSettings.TargetTablePrepMode"]
            exists = target in db.list_collection_names()
            if mode == "DO_NOTHING" and exists:
                _merge(db, stage, target)
                return
            if mode == "TRUNCATE_BEFORE_LOAD" and exists:
                _copy_indexes(db[target], db[stage])
            _swap(client, database, stage, target)

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            database, stage = self.place(plan, load_id)
            with self.target_endpoint().client() as client:
                client[database].drop_collection(stage)
        except Exception:  # never raises: the first error is the one reported
            pass

    def count_rows(self, schema: str, table: str) -> int:
        with self.target_endpoint().client() as client:
            return int(client[schema or self.target_endpoint().database][table]
                       .count_documents({}))

    # -- after the load ----------------------------------------------------------------------
    def post_load(self, plans: Sequence[TablePlan], settings: Settings,
                  before: PreLoad) -> list[str]:
        """The plan's indexes and unique keys (the primary key is the ``_id``)."""
        notes: list[str] = []
        failed: list[str] = []
        nest = settings["Sparkdms.MongoNestDottedNames"]
        with self.target_endpoint().client() as client:
            for plan in plans:
                database, collection = self.place(plan)
                for index in plan.indexes:
                    if tuple(index.columns) == tuple(plan.primary_key) or not index.columns:
                        continue
                    if not nest and any("." in c for c in index.columns):
                        notes.append(f"index {index.name} on {plan.target_label} not created: "
                                     "dotted field names are paths to MongoDB")
                        continue
                    try:
                        client[database][collection].create_index(
                            [(c, 1) for c in index.columns], unique=index.unique,
                            name=index.name)
                        notes.append(f"created {'unique ' if index.unique else ''}index "
                                     f"{index.name} on {plan.target_label}")
                    except Exception as err:
                        failed.append(f"index {index.name} on {plan.target_label}: "
                                      f"{str(err).splitlines()[0][:300]}")
        if failed:
            error = SparkDmsError("; ".join(failed))
            error.notes = notes  # type: ignore[attr-defined]
            raise error
        return notes

    def reject_store(self, settings: Settings) -> RejectStore | None:
        from sparkdms.connectors.mongodb.stores import MongoRejects

        return MongoRejects(self.target_endpoint())

    def failure_store(self, settings: Settings) -> FailureStore | None:
        from sparkdms.connectors.mongodb.stores import MongoFailures

        return MongoFailures(self.target_endpoint())

    # -- validation: the collection read back as the plan's rows -----------------------------
    def read_written(self, spark: SparkSession, plan: TablePlan) -> ReadResult:
        from pyspark.sql import types as T
        from sparkdms.connectors.base import ReadResult
        from sparkdms.connectors.mongodb.readback import read_collection

        from sparkdms.types import spark_type

        shape = self.doc_shape(plan)
        schema = T.StructType([T.StructField(c.target_name, spark_type(c.ltype))  # type: ignore[arg-type]
                               for c in plan.columns])
        database, collection = self.place(plan)
        with self.target_endpoint().client() as client:
            if collection not in client[database].list_collection_names():
                raise TableLoadError(plan.source_label, "validation",
                                     f"collection {database}.{collection} does not exist")
        return ReadResult(read_collection(spark, self.target_endpoint(), database, collection,
                                          shape, schema))


# -- commit steps ------------------------------------------------------------------------------

def _keep_attempts(coll: Any, result: WriteResult | None) -> None:
    """Documents with generated ids: remove those of attempts Spark did not report
    successful (none, when the write's result is not given)."""
    receipt = result.receipt if result is not None else None
    if not isinstance(receipt, dict):
        return
    for found in foreign_ranges(receipt["stamp"], receipt["attempts"]):
        coll.delete_many(found)


def _swap(client: Any, database: str, stage: str, target: str) -> None:
    from pymongo.errors import OperationFailure

    source, dest = f"{database}.{stage}", f"{database}.{target}"
    try:
        client.admin.command("renameCollection", source, to=dest, dropTarget=True)
    except OperationFailure as err:
        if err.code != NOT_IMPLEMENTED:
            raise
        client[database].drop_collection(target)  # FerretDB 1.x: no dropTarget
        client.admin.command("renameCollection", source, to=dest)


def _copy_indexes(old: Any, new: Any) -> None:
    for spec in old.list_indexes():
        if spec["name"] == "_id_":
            continue
        opts = {k: v for k, v in spec.items() if k not in ("key", "v", "ns")}
        new.create_index(list(spec["key"].items()), **opts)


def _merge(db: Any, stage: str, target: str) -> None:
    """DO_NOTHING onto an existing collection: the staging documents upserted by _id."""
    from pymongo.errors import OperationFailure

    try:
        list(db[stage].aggregate([{"$merge": {"into": target, "on": ID,
                                              "whenMatched": "replace",
                                              "whenNotMatched": "insert"}}]))
    except OperationFailure as err:
        if err.code != NOT_IMPLEMENTED:
            raise
        _copy_by_batches(db, stage, target)
    db.drop_collection(stage)


def _copy_by_batches(db: Any, stage: str, target: str) -> None:
    """Inserts in batches; an ``_id`` the target has already is replaced."""
    from bson.raw_bson import RawBSONDocument
    from pymongo.errors import BulkWriteError

    source = db.get_collection(stage, codec_options=db.codec_options.with_options(
        document_class=RawBSONDocument))
    batch: list[Any] = []

    def flush() -> None:
        try:
            db[target].insert_many(batch, ordered=False)
        except BulkWriteError as err:
            errors = (err.details or {}).get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            for e in errors:
                doc = batch[e["index"]]
                db[target].replace_one({ID: doc[ID]}, doc, upsert=True)
        batch.clear()

    for doc in source.find({}, batch_size=COPY_BATCH):
        batch.append(doc)
        if len(batch) >= COPY_BATCH:
            flush()
    if batch:
        flush()
