"""The one interface every engine implements, JDBC or not.

A source discovers a catalog and reads a table plan into a partitioned
DataFrame; a target prepares (creates or truncates), writes partitions in
parallel with an idempotent commit protocol, and finalizes (swap staging,
keys, indexes, foreign keys). MongoDB, S3 files, DynamoDB, Kinesis, Redshift
(S3 staging + COPY) and Delta fit the same five calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.catalog import Catalog
from sparkdms.task import Endpoint

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.plan import Partitioning, TablePlan
    from sparkdms.settings import Settings
    from sparkdms.types import LType

# selects (schema, table, kind) -> bool; given to discover() so it reads only what is needed
TableFilter = Callable[[str, str, str], bool]


@dataclass(frozen=True)
class WriteResult:
    rows: int
    partitions: int
    error_rows: int = 0


class Connector(ABC):
    engine: ClassVar[str]
    # Maven coordinates of the JVM parts this engine needs (drivers, Delta, ...)
    packages: ClassVar[tuple[str, ...]] = ()
    spark_conf: ClassVar[dict[str, str]] = {}
    can_source: ClassVar[bool] = True
    can_target: ClassVar[bool] = True

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        """Raise TaskConfigError naming the missing or wrong key."""

    # -- both sides ----------------------------------------------------------------------
    def check_connection(self) -> None:
        """Raise EndpointError with a clear reason when the endpoint cannot be used."""

    def default_schema(self) -> str:
        return ""

    # -- source side ---------------------------------------------------------------------
    @abstractmethod
    def discover(self, wanted: TableFilter) -> Catalog: ...

    @abstractmethod
    def read(self, spark: SparkSession, plan: TablePlan, settings: Settings) -> DataFrame: ...

    def plan_partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        """How the source read is split; one predicate per Spark partition."""
        return Partitioning("single")

    # -- target side ---------------------------------------------------------------------
    @abstractmethod
    def native_type(self, ltype: LType) -> str:
        """Native DDL type for a logical type (raise UnsupportedTypeError if none)."""

    def target_ddl(self, plan: TablePlan) -> list[str]:
        return []

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Once per task before any table loads (schemas, control tables)."""

    def pre_load(self, plans: Sequence[TablePlan], settings: Settings) -> list[str]:
        """Once per task before tables load; returns notes for the report."""
        return []

    def post_load(self, plans: Sequence[TablePlan], settings: Settings) -> list[str]:
        """Once per task after the loads: secondary objects; returns notes."""
        return []

    def bind(self, spark: SparkSession) -> None:
        """Give the connector the session (targets that write through Spark itself)."""

    @abstractmethod
    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> None: ...

    @abstractmethod
    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult: ...

    @abstractmethod
    def finalize(self, plan: TablePlan, settings: Settings, load_id: str) -> None: ...

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        """Undo what prepare/write left (staging tables); never raises."""

    def count_rows(self, schema: str, table: str) -> int:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"engine": self.engine, "endpoint": self.endpoint.describe()}
