"""Delta Lake and Parquet targets on a local or Hadoop-compatible path
(``file:``, ``s3a://``, ``abfss://``, ``dbfs:/`` ...).

A table lands at ``<path>/<schema>/<table>``. Delta commits are atomic, so an
overwrite either happens whole or not at all. Parquet has no transaction log:
it is written to a staging directory and moved into place on commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import (
    Capabilities,
    Connector,
    ReadResult,
    Sampler,
    TableFilter,
    WriteResult,
)
from sparkdms.connectors.lake.commits import save_counted, size_snapshots
from sparkdms.connectors.lake.types import DELTA, PARQUET

from sparkdms.catalog import Catalog
from sparkdms.errors import TaskConfigError
from sparkdms.task import Endpoint
from sparkdms.types import LType, spark_quote, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from sparkdms.connectors.base import FailureStore

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task.settings import Settings

DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
MODES = {"DROP_AND_CREATE": "overwrite", "TRUNCATE_BEFORE_LOAD": "overwrite",
         "DO_NOTHING": "append"}


class LakeConnector(Connector):
    """A table per directory. As a source it only reads back what it wrote (validation)."""

    format: ClassVar[str]
    can_source = False
    spark: SparkSession | None = None

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if not endpoint.path:
            raise TaskConfigError(f"{endpoint.role}.path",
                                  f"missing; {endpoint.engine} needs a base path or URI")
        if endpoint.role == "source":
            raise TaskConfigError(f"{endpoint.role}.engine",
                                  f"{endpoint.engine} is supported as a target only for now")

    def bind(self, spark: SparkSession) -> None:
        self.spark = spark

    def location(self, schema: str, table: str) -> str:
        base = str(self.endpoint.path).rstrip("/")
        return f"{base}/{schema}/{table}" if schema else f"{base}/{table}"

    def default_schema(self) -> str:
        return self.endpoint.schema or ""

    def failure_store(self, settings: Settings) -> FailureStore | None:
        from sparkdms.connectors.lake.validation import failure_store

        return failure_store(self)

    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        return Catalog(self.engine)

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        return ReadResult(spark.read.format(self.format).load(
            self.location(plan.target_schema, plan.target_name)))

    def native_type(self, ltype: LType) -> str:
        return spark_type(ltype).simpleString()  # type: ignore[attr-defined]

    def to_logical(self, native: str, table: str = "?", column: str = "?") -> LType:
        return self.dialect.to_logical(native)

    def target_ddl(self, plan: TablePlan) -> list[str]:
        cols = ", ".join(f"{spark_quote(c.target_name)} {c.target_type}" for c in plan.columns)
        return [f"-- {self.format} table at {self.location(plan.target_schema, plan.target_name)}"
                f"\n-- columns: {cols}"]

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        return None

    def count_rows(self, schema: str, table: str) -> int:
        assert self.spark is not None
        return self.spark.read.format(self.format).load(self.location(schema, table)).count()

    def _jvm_fs(self, location: str) -> tuple[Any, Any]:
        assert self.spark is not None
        jvm = self.spark.sparkContext._jvm  # type: ignore[attr-defined]
        conf = self.spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
        path = jvm.org.apache.hadoop.fs.Path(location)
        return path.getFileSystem(conf), path


class DeltaConnector(LakeConnector):
    engine = "delta"
    format = "delta"
    dialect = DELTA
    capabilities = Capabilities(transactional_staging=True)  # one atomic Delta commit
    packages = (DELTA_PACKAGE,)
    spark_conf: ClassVar[dict[str, str]] = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }

    def bind(self, spark: SparkSession) -> None:
        super().bind(spark)
        size_snapshots(spark)

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """An overwrite reads the existing table's state: computed now, in the background,
        while the tables' reads are planned (connectors/lake/warm.py)."""
        if self.spark is None or \
                MODES[settings["FullLoadSettings.TargetTablePrepMode"]] != "overwrite":
            return
        from sparkdms.connectors.lake.warm import warm_snapshots

        warm_snapshots(self.spark, [self.location(p.target_schema, p.target_name) for p in plans])

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        mode = MODES[settings["FullLoadSettings.TargetTablePrepMode"]]
        writer = df.write.format("delta").mode(mode)
        if settings["FullLoadSettings.TargetTablePrepMode"] == "DROP_AND_CREATE":
            writer = writer.option("overwriteSchema", "true")
        location = self.location(plan.target_schema, plan.target_name)
        return WriteResult(rows=save_counted(self.spark, writer, location, load_id),
                           partitions=plan.partitioning.count)

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        return None  # the write was the commit

    def change_applier(self, settings: Settings) -> Any:
        """A MERGE per table and batch, the checkpoint in a Delta ``awsdms_status``
        (connectors/lake/changes.py)."""
        from sparkdms.connectors.lake.changes import DeltaApplier

        return DeltaApplier(self, settings)


class ParquetConnector(LakeConnector):
    engine = "parquet"
    format = "parquet"
    dialect = PARQUET
    capabilities = Capabilities(transactional_staging=True)  # a staged directory, moved in

    def staging(self, plan: TablePlan, load_id: str) -> str:
        return self.location(plan.target_schema, f"_sdms_stage_{plan.target_name}_{load_id}")

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        stage = self.staging(plan, load_id)
        df.write.format("parquet").mode("overwrite").save(stage)
        assert self.spark is not None
        rows = self.spark.read.parquet(stage).count()
        return WriteResult(rows=rows, partitions=plan.partitioning.count)

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        fs, stage = self._jvm_fs(self.staging(plan, load_id))
        _, target = self._jvm_fs(self.location(plan.target_schema, plan.target_name))
        append = settings["FullLoadSettings.TargetTablePrepMode"] == "DO_NOTHING"
        if append and fs.exists(target):
            for status in fs.listStatus(stage):
                name = status.getPath().getName()
                if not name.startswith("_"):
                    dest = target.suffix(f"/{load_id}-{name}")
                    fs.rename(status.getPath(), dest)
            fs.delete(stage, True)
            return
        if fs.exists(target):
            fs.delete(target, True)
        fs.mkdirs(target.getParent())
        if not fs.rename(stage, target):
            raise OSError(f"could not move {stage} to {target}")

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            fs, stage = self._jvm_fs(self.staging(plan, load_id))
            fs.delete(stage, True)
        except Exception:
            pass
