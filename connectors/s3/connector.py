"""Amazon S3 (MinIO, LocalStack, moto through ``endpoint_url``) as a source and a target.

Target: Spark writes each table through ``s3a://`` to a staging prefix; the commit
copies the finished files (server side, boto3) to AWS DMS's layout
``BucketFolder/schema/table/[date/]LOAD00000001.<ext>`` and removes the staging prefix,
so a failed or killed write leaves nothing in the table's folder; abort removes the
staging prefix and any object the commit had copied. ``DataFormat: delta`` writes a Delta
table in place (one atomic Delta commit). ``post-processing`` ``add-tag`` rules tag the
table's objects. Validation reads the files back through Spark (``can_source`` is off on
the target side, so the core reads it as a lake: the plan gives the CSV columns).

Source: Parquet (or Delta) tables under ``BucketFolder/schema/table/``, discovered from the
bucket; CSV tables as AWS DMS's external table definition describes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.aws.session import AWS_KEYS, aws_options, check_aws
from sparkdms.connectors.base import Capabilities, Connector, ReadResult, WriteResult
from sparkdms.connectors.lake.commits import save_counted
from sparkdms.connectors.lake.connector import DELTA_PACKAGE, DeltaConnector
from sparkdms.connectors.s3 import frames, layout
from sparkdms.connectors.s3.definition import KEY as DEFINITION_KEY
from sparkdms.connectors.s3.definition import TableDef, parse_definition
from sparkdms.connectors.s3.hadoop import HADOOP_AWS_PACKAGE, configure_s3a, s3a_uri
from sparkdms.connectors.s3.settings import S3Options, options_of
from sparkdms.connectors.s3.store import Store
from sparkdms.connectors.s3.tags import table_tags
from sparkdms.connectors.s3.types import S3

from sparkdms.catalog import Catalog, Column, Table
from sparkdms.errors import EndpointError, TableLoadError, TaskConfigError
from sparkdms.types import spark_quote, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType
    from sparkdms.connectors.base import Sampler, TableFilter

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

PREP = "FullLoadSettings.TargetTablePrepMode"


class S3Connector(Connector):
    engine = "s3"
    dialect = S3
    packages = (HADOOP_AWS_PACKAGE, DELTA_PACKAGE)
    endpoint_keys = (*AWS_KEYS, "S3Settings")
    secret_options = ("secret_access_key", "session_token")
    mapping_rules: ClassVar[frozenset[str]] = frozenset({"post-processing"})
    capabilities = Capabilities(transactional_staging=True)

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.opts: S3Options = options_of(endpoint)
        self.store = Store(endpoint, self.opts.bucket_name)
        self.spark: SparkSession | None = None
        self.started: dict[str, dt.datetime] = {}  # table -> its load's start (UTC)
        self.copied: dict[str, list[str]] = {}  # table -> final keys the commit copied
        self.defs: dict[tuple[str, str], TableDef] = {}
        if self.opts.data_format == "delta":
            self.spark_conf = dict(DeltaConnector.spark_conf)
        if endpoint.role == "target":
            self.can_source = False  # validation reads back what the plan wrote (lake-like)

    # -- both roles ---------------------------------------------------------------------------
    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        check_aws(endpoint)
        opts = options_of(endpoint)
        if endpoint.role != "source":
            return
        if opts.data_format == "csv" and opts.external_table_definition is None:
            raise TaskConfigError(f"source.{DEFINITION_KEY}",
                                  "missing; a CSV source needs AWS DMS's external table "
                                  "definition (the JSON, inline or a file path)")
        if opts.ignore_header_rows > 1:
            raise TaskConfigError("source.S3Settings.IgnoreHeaderRows", "0 or 1")
        if opts.external_table_definition is not None:
            parse_definition(opts.external_table_definition, endpoint.role)

    def check_connection(self) -> None:
        self.store.check_bucket(f"cannot use S3 bucket as {self.endpoint.role}")

    def describe(self) -> dict[str, Any]:
        return {"engine": self.engine, "endpoint": self.endpoint.describe(),
                "location": f"s3://{self.opts.bucket_name}/{self.opts.folder}",
                "format": self.opts.data_format}

    def bind(self, spark: SparkSession) -> None:
        self.spark = spark
        self._configure(spark)

    def _configure(self, spark: SparkSession) -> None:
        configure_s3a(spark, aws_options(self.endpoint), self.opts.bucket_name)
        spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        spark.conf.set("spark.sql.chunkBase64String.enabled", "false")  # CSV: one-line base64

    def uri(self, key: str) -> str:
        return s3a_uri(self.opts.bucket_name, key)

    def failure(self, table: str, stage: str, err: Exception) -> Exception:
        """One line for a failed S3 call: the bucket, the table, the first cause."""
        if isinstance(err, EndpointError | TaskConfigError):
            return err
        if getattr(err, "response", None):
            return TableLoadError(table, stage, str(self.store.fail(err, stage)))
        return TableLoadError(table, stage, f"{type(err).__name__}: {err}".splitlines()[0])

    # -- target -------------------------------------------------------------------------------
    def folder_schema(self, plan: TablePlan) -> str:
        """AWS's layout keeps the schema level: the source's schema when the plan maps it
        to the target's default ('')."""
        return plan.target_schema or plan.source.schema

    def table_prefix(self, plan: TablePlan) -> str:
        return layout.table_prefix(self.opts, self.folder_schema(plan), plan.target_name)

    def staging(self, plan: TablePlan, load_id: str) -> str:
        return layout.staging_prefix(self.opts, self.folder_schema(plan), plan.target_name,
                                     load_id)

    def target_ddl(self, plan: TablePlan) -> list[str]:
        cols = ", ".join(f"{spark_quote(c.target_name)} {c.target_type}" for c in plan.columns)
        return [f"-- {self.opts.data_format} objects at "
                f"s3://{self.opts.bucket_name}/{self.table_prefix(plan)}\n-- columns: {cols}"]

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str] | None:
        table_tags(plan.target_rules, plan.source.schema, plan.source.name)  # rules checked now
        try:
            self.store.check_bucket(f"table {plan.source_label}: cannot write")
            root = layout.staging_root(self.opts, self.folder_schema(plan), plan.target_name)
            removed = self.store.delete_prefix(root)
        except Exception as err:
            raise self.failure(plan.source_label, "prepare", err) from None
        self.started[plan.target_label] = dt.datetime.now(dt.UTC)
        return [f"removed {removed} staged objects of an earlier unfinished load"] if removed \
            else None

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        assert self.spark is not None, "bind() first"
        self._configure(self.spark)
        started = self.started.setdefault(plan.target_label, dt.datetime.now(dt.UTC))
        stamp = started.strftime("%Y-%m-%d %H:%M:%S.%f")
        frame = frames.output_frame(df, self.opts, stamp)
        options = frames.write_options(self.opts, frames.records_per_file(frame, self.opts))
        if self.opts.data_format == "delta":
            return self._write_delta(frame, plan, settings, load_id)
        stage = self.uri(self.staging(plan, load_id))
        frame.write.mode("overwrite").format(self.opts.data_format).options(**options).save(stage)
        schema = frame.schema if self.opts.data_format == "csv" else None
        rows = frames.read_any(self.spark, [stage], self.opts, schema,
                               self.opts.add_column_name).count()
        return WriteResult(rows=rows, partitions=plan.partitioning.count)

    def _write_delta(self, frame: DataFrame, plan: TablePlan, settings: Settings,
                     load_id: str) -> WriteResult:
        mode = "append" if settings[PREP] == "DO_NOTHING" else "overwrite"
        writer = frame.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        rows = save_counted(self.spark, writer, self.uri(self.table_prefix(plan)), load_id)
        return WriteResult(rows=rows, partitions=plan.partitioning.count)

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        tags = table_tags(plan.target_rules, plan.source.schema, plan.source.name)
        try:
            if self.opts.data_format == "delta":
                self._tag(list(self.store.keys(self.table_prefix(plan))), tags)
                return
            self._publish(plan, settings, load_id, tags)
        except Exception as err:
            raise self.failure(plan.source_label, "commit", err) from None

    def _publish(self, plan: TablePlan, settings: Settings, load_id: str,
                 tags: dict[str, str]) -> None:
        stage = self.staging(plan, load_id)
        staged = sorted(k for k in self.store.keys(stage) if layout.is_data_file(k))
        final = self.table_prefix(plan)
        existing = list(self.store.keys(final))
        if settings[PREP] == "DO_NOTHING":
            first = layout.next_load_number(existing)
        else:  # DROP_AND_CREATE / TRUNCATE_BEFORE_LOAD: the table's objects are replaced
            self.store.delete(existing)
            first = 1
        started = self.started.get(plan.target_label, dt.datetime.now(dt.UTC))
        folder = layout.join(final, layout.date_folder(self.opts, started))
        copied = self.copied.setdefault(plan.target_label, [])
        for number, key in enumerate(staged, start=first):
            dest = layout.join(folder, layout.load_name(number, self.opts))
            self.store.copy(key, dest)
            copied.append(dest)
        self._tag(copied, tags)
        self.store.delete_prefix(stage)
        self.copied.pop(plan.target_label, None)

    def _tag(self, keys: Sequence[str], tags: dict[str, str]) -> None:
        for key in keys if tags else ():
            self.store.tag(key, tags)

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            self.store.delete(self.copied.pop(plan.target_label, []))
            self.store.delete_prefix(self.staging(plan, load_id))
        except Exception:
            pass

    # -- reading (source, and the target's own files for validation) --------------------------
    def default_schema(self) -> str:
        return self.endpoint.schema or ""

    def discover(self, wanted: TableFilter, sampler: Sampler) -> Catalog:
        try:
            if self.opts.external_table_definition is not None:
                tables = self._defined(wanted)
            else:
                tables = self._found(wanted, sampler)
        except Exception as err:
            raise self.failure("*", "discover", err) from None
        return Catalog(self.engine, tuple(tables))

    def _defined(self, wanted: TableFilter) -> list[Table]:
        defs = parse_definition(self.opts.external_table_definition or "", self.endpoint.role)
        self.defs = {(d.table.schema, d.table.name): d for d in defs}
        return [d.table for d in defs if wanted(d.table.schema, d.table.name, "table")]

    def _found(self, wanted: TableFilter, sampler: Sampler) -> list[Table]:
        """Parquet/Delta tables: every ``schema/table/`` folder under BucketFolder."""
        self.store.check_bucket("cannot list S3 bucket")
        spark = sampler.spark()
        self._configure(spark)
        out = []
        for schema in self._folders(layout.join(self.opts.folder) + "/" if self.opts.folder
                                    else ""):
            for name in self._folders(layout.table_prefix(self.opts, schema, "")):
                if not wanted(schema, name, "table"):
                    continue
                path = self.uri(layout.table_prefix(self.opts, schema, name))
                frame = frames.read_any(spark, [path], self.opts, None, False)
                cols = tuple(Column(f.name, f.dataType.simpleString(),
                                    S3.to_logical(f.dataType.simpleString()), True, ordinal=i + 1)
                             for i, f in enumerate(frame.schema.fields))
                out.append(Table(schema, name, cols, engine=self.engine))
        return out

    def _folders(self, prefix: str) -> list[str]:
        pages = self.store.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.opts.bucket_name, Prefix=prefix, Delimiter="/")
        names = [p["Prefix"][len(prefix):].strip("/") for page in pages
                 for p in page.get("CommonPrefixes", ())]
        return [n for n in names if n and not n.startswith(("_", "."))]

    def source_path(self, schema: str, table: str) -> str:
        d = self.defs.get((schema, table))
        key = layout.join(self.opts.folder, d.path) if d else \
            layout.table_prefix(self.opts, schema, table)
        return self.uri(key.rstrip("/") + "/")

    def unpushable(self, plan: TablePlan, filters: Sequence[Filter]) -> tuple[Filter, ...]:
        return tuple(filters)  # the core filters the frame in Spark

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        self._configure(spark)
        if self.endpoint.role == "target":
            return ReadResult(self._written(spark, plan))
        table = plan.source
        if self.opts.external_table_definition is not None and not self.defs:
            self._defined(lambda *_: True)
        schema = _struct([(c.name, c.ltype) for c in table.columns])
        frame = frames.read_any(spark, [self.source_path(table.schema, table.name)], self.opts,
                                schema, self.opts.ignore_header_rows > 0)
        wanted = plan.source_names
        return ReadResult(frame.select(*[spark_quote(c.name) for c in table.columns
                                         if c.name in wanted]))

    def _written(self, spark: SparkSession, plan: TablePlan) -> DataFrame:
        """The table's objects as this target wrote them, AWS's extra columns dropped."""
        from pyspark.sql.types import StringType, StructField, StructType

        extra = frames.extra_columns(self.opts)
        data = _struct([(c.target_name, c.ltype) for c in plan.columns])
        schema = StructType([StructField(c, StringType()) for c in extra] + data.fields)
        frame = frames.read_any(spark, [self.uri(self.table_prefix(plan))], self.opts, schema,
                                self.opts.add_column_name)
        return frame.drop(*extra)

    def count_rows(self, schema: str, table: str) -> int:
        assert self.spark is not None, "bind() first"
        if self.opts.data_format == "csv" and self.endpoint.role == "source":
            t = self.defs[(schema, table)].table
            frame = frames.read_any(self.spark, [self.source_path(schema, table)], self.opts,
                                    _struct([(c.name, c.ltype) for c in t.columns]),
                                    self.opts.ignore_header_rows > 0)
            return frame.count()
        path = self.source_path(schema, table)
        return frames.read_any(self.spark, [path], self.opts, None, False).count()


def _struct(columns: Sequence[tuple[str, Any]]) -> StructType:
    from pyspark.sql.types import StructField, StructType

    return StructType([StructField(name, spark_type(ltype), True)  # type: ignore[arg-type]
                       for name, ltype in columns])
