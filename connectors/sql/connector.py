"""What every relational engine shares: quoting, type tables, discovery shape,
partitioned JDBC reads, and the staging-table load with an idempotent
per-partition commit protocol.

Load protocol (target side), per table:
  prepare   create a staging table (``<name>__sdms_stage``) shaped like the target
  write     each Spark partition, in ONE target transaction: take a lock keyed by
            (load id, table, partition); if the control table already records that
            partition, skip (a retried or speculative task adds nothing); else insert
            the rows and record the partition; commit
  finalize  in one transaction: DROP_AND_CREATE swaps staging in place of the
            target; TRUNCATE_BEFORE_LOAD empties the target and copies staging in;
            DO_NOTHING appends staging to the target
  abort     drop the staging table: the target is untouched by a failed load
"""

from __future__ import annotations

import functools
import hashlib
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import (
    Capabilities,
    Connector,
    PreLoad,
    ReadResult,
    Sampler,
    TableFilter,
    WriteResult,
)
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.sql.filters import filter_sql, where_sql

from sparkdms.catalog import Catalog, Column, Index, Table
from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
from sparkdms.plan.typemap.rules import NativeRule
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret, redact
from sparkdms.types import LType, NativeType, parse_native, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.task.settings import Settings

CONTROL_TABLE = "sparkdms_load_partitions"
STAGE_SUFFIX = "__sdms_stage"

INTERNAL_PREFIXES = ("sparkdms_", "awsdms_")


def is_internal_table(name: str) -> bool:
    """Control, validation and staging tables that sparkdms (or AWS DMS) owns."""
    lowered = name.lower()
    return lowered.startswith(INTERNAL_PREFIXES) or STAGE_SUFFIX in lowered or \
        lowered.startswith("_sdms_")


def raw_rows(rows: Sequence[Any]) -> list[tuple]:
    return [tuple(r) for r in rows]


@dataclass(frozen=True)
class WriteSpec:
    """Everything an executor needs to write one table's partitions (picklable)."""

    connector: type  # the connector class, pickled by reference (imported on the executor)
    endpoint: Endpoint
    schema: str
    stage_table: str
    columns: tuple[str, ...]
    load_id: str
    table_key: str
    commit_rate: int
    control_schema: str


class SqlConnector(Connector):
    """A relational engine: JDBC reads, DB-API discovery, DDL and staging writes."""

    driver_class: ClassVar[str]
    url_scheme: ClassVar[str]
    default_port: ClassVar[int] = 0
    max_identifier: ClassVar[int] = 63
    system_schemas: ClassVar[tuple[str, ...]] = ()
    connect_errors: ClassVar[tuple[tuple[str, str], ...]] = ()
    # options.jdbc.* properties that carry secrets: redacted like the password
    secret_options: ClassVar[tuple[str, ...]] = ("jdbc.password", "jdbc.sslpassword")
    capabilities: ClassVar[Capabilities] = Capabilities(
        transactional_staging=True, creates_objects_after_load=True, validates_in_sql=True)

    @property
    def family(self) -> str:
        return self.dialect.family

    # -- endpoint --------------------------------------------------------------------------
    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if endpoint.url:
            if not endpoint.url.startswith("jdbc:"):
                raise TaskConfigError(f"{endpoint.role}.url", "must be a JDBC URL (jdbc:...)")
            return
        for key in ("host", "database", "user"):
            if not getattr(endpoint, key):
                raise TaskConfigError(f"{endpoint.role}.{key}",
                                      f"missing; {endpoint.engine} needs host, database, user "
                                      "(or url)")

    def jdbc_url(self) -> str:
        e = self.endpoint
        if e.url:
            return e.url
        return f"{self.url_scheme}//{e.host}:{e.port or self.default_port}/{e.database}"

    def jdbc_properties(self) -> dict[str, str]:
        props = {"driver": self.driver_class}
        if self.endpoint.user:
            props["user"] = self.endpoint.user
        if self.endpoint.password:
            props["password"] = self.endpoint.password.reveal()
        props.update({k: v.reveal() if isinstance(v, Secret) else str(v)
                      for k, v in self.endpoint.options.get("jdbc", {}).items()})
        return props

    @abstractmethod
    def connect(self) -> Any:
        """A DB-API connection (psycopg / pymysql / sqlite3); autocommit off."""

    def check_connection(self) -> None:
        try:
            conn = self.connect()
        except Exception as err:  # driver-specific classes; message is what matters
            raise EndpointError(self.endpoint.role, self.engine,
                                self._explain(err)) from None
        conn.close()

    def _explain(self, err: BaseException) -> str:
        text = redact(str(err).strip().splitlines()[0] if str(err).strip() else repr(err),
                      self.endpoint.secrets)
        for needle, meaning in self.connect_errors:
            if needle in text.lower():
                return f"{meaning} ({text}) at {self.endpoint.describe()}"
        return f"cannot connect to {self.endpoint.describe()}: {text}"

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            if params is None:
                cur.execute(sql)
            else:
                cur.execute(sql, tuple(params))
            rows = raw_rows(cur.fetchall()) if cur.description else []
            conn.commit()
            return rows
        finally:
            conn.close()

    def execute_all(self, statements: Sequence[str | tuple[str, tuple]]) -> None:
        """Run statements in one transaction (where the engine allows); an item may be
        (sql, params) for values that must be bound."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            for item in statements:
                if isinstance(item, tuple):
                    cur.execute(*item)
                else:
                    cur.execute(item)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()

    # -- quoting ---------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return self.dialect.quote(name)

    def qualify(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def literal(self, value: Any) -> str:
        """A SQL literal for a value; used only where the JDBC read cannot bind."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        text = str(value).replace("'", "''")
        if "\\" in text and self.backslash_escapes:
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    backslash_escapes: ClassVar[bool] = False
    P: ClassVar[str] = "%s"  # DB-API placeholder of the Python driver

    def filter_sql(self, f: Filter, table: Table) -> str:
        return filter_sql(f, table, self.quote, self.literal)

    def where_sql(self, filters: Sequence[Filter], table: Table, extra: Sequence[str] = ()) -> str:
        return where_sql(filters, table, self.quote, self.literal, extra)

    # -- types -----------------------------------------------------------------------------
    def to_logical(self, native: str, table: str = "?", column: str = "?") -> LType:
        parsed = parse_native(native)
        rule = self.dialect.native.get(parsed.name) or self.fallback_rule(parsed)
        if rule is None:  # the planner refuses it unless overridden (or same family)
            return LType("unknown", native=native)
        ltype = rule(parsed)
        if parsed.array_dims:
            return LType("array", element=ltype)
        return ltype

    def fallback_rule(self, parsed: NativeType) -> NativeRule | None:
        return self.dialect.fallback(parsed)

    def read_expr(self, column: Column, peer: str = "") -> str:
        """SELECT expression that hands the column to Spark in its wire type; ``peer`` is
        the family of the engine on the other side (TablePlan.peer)."""
        return self.quote(column.name)

    def wire_type(self, column: Column) -> object:
        return spark_type(column.ltype)

    # -- discovery -------------------------------------------------------------------------
    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        def wanted_here(schema: str, name: str, kind: str) -> bool:
            return not is_internal_table(name) and wanted(schema, name, kind)

        try:
            tables = self.discover_tables(wanted_here)
        except EndpointError:
            raise
        except Exception as err:
            raise EndpointError(self.endpoint.role, self.engine,
                                f"discovery failed: {self._explain(err)}") from None
        return Catalog(self.engine, tuple(tables))

    @abstractmethod
    def discover_tables(self, wanted: TableFilter) -> list[Table]: ...

    def build_tables(self, columns: list[tuple], keys: Mapping[tuple[str, str], list],
                     fks: Mapping[tuple[str, str], list], meta: Mapping[tuple[str, str], tuple],
                     ) -> list[Table]:
        """columns rows: (schema, table, name, native, nullable, default, ordinal, identity)."""
        by_table: dict[tuple[str, str], list[Column]] = {}
        for schema, table, name, native, nullable, default, ordinal, identity in columns:
            ltype = self.to_logical(native, f"{schema}.{table}", name)
            by_table.setdefault((schema, table), []).append(
                Column(name, native, ltype, bool(nullable), default, int(ordinal), bool(identity)))
        out = []
        for key, cols in by_table.items():
            kind, rows = meta.get(key, ("table", 0))
            pk: tuple[str, ...] = ()
            indexes: list[Index] = []
            for idx_name, is_pk, unique, idx_cols in keys.get(key, []):
                if is_pk:
                    pk = tuple(idx_cols)
                else:
                    indexes.append(Index(idx_name, tuple(idx_cols), bool(unique)))
            out.append(Table(key[0], key[1], tuple(sorted(cols, key=lambda c: c.ordinal)), pk,
                             tuple(indexes), tuple(fks.get(key, [])), max(int(rows or 0), 0), kind))
        return out

    # -- reading ---------------------------------------------------------------------------
    def select_sql(self, plan: TablePlan, partition: str = "",
                   pushed: Sequence[Filter] | None = None) -> str:
        """The source query of one partition: planned columns in wire form, the pushed-down
        filters and the partition predicate, which may use any source column (or ctid)."""
        wanted = plan.source_names  # planned columns and add-column expression inputs
        exprs = [f"{self.read_expr(c, plan.peer)} AS {self.quote(c.name)}"
                 for c in plan.source.columns if c.name in wanted]
        sql = f"SELECT {', '.join(exprs)} FROM {self.qualify(plan.source.schema, plan.source.name)}"
        filters = plan.filters if pushed is None else pushed
        return sql + self.where_sql(filters, plan.source, [partition] if partition else [])

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        return ReadResult(self.read_frame(spark, plan, partitions, pushed))

    def read_frame(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
                   pushed: Sequence[Filter]) -> DataFrame:
        from pyspark.sql import functions as F

        from sparkdms.task.settings import Settings

        wanted = plan.source_names  # planned columns and add-column expression inputs
        cols = [c for c in plan.source.columns if c.name in wanted]
        custom = ", ".join(f"`{c.name.replace('`', '``')}` {self.wire_type(c).simpleString()}"
                           for c in cols)
        fetch = sqlparts.fetch_size(partitions, Settings({})["Sparkdms.FetchSize"])
        props = self.jdbc_properties() | {
            "fetchsize": str(fetch),
            "customSchema": custom,
            "pushDownPredicate": "false",
        }
        # one single-partition JDBC scan per predicate, unioned: Spark's own `predicates`
        # would apply them outside the subquery, where only the selected columns exist
        frames = [spark.read.jdbc(self.jdbc_url(),
                                  f"({self.select_sql(plan, p, pushed)}) sdms_src",
                                  properties=props)
                  for p in sqlparts.predicates(partitions)]
        df = functools.reduce(lambda a, b: a.union(b), frames)
        exprs = []
        for c in cols:
            want = spark_type(c.ltype)
            exprs.append(F.col(f"`{c.name}`").cast(want).alias(c.name)
                         if want != self.wire_type(c) else F.col(f"`{c.name}`"))
        return df.select(*exprs)

    def exact_count(self, table: Table) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(table.schema, table.name)}")[0][0])

    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        part = sqlparts.requested(self, plan, settings) if plan.parallel_load is not None \
            else self.default_partitions(plan, settings)
        return sqlparts.with_fetch_size(part, settings["Sparkdms.FetchSize"])

    def default_partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        rows = plan.source.row_estimate or self.exact_count(plan.source)
        wanted = sqlparts.wanted_partitions(rows, settings)
        if wanted <= 1:
            return Partitioning("single")
        col = sqlparts.partition_column(plan.source)
        if col is not None:
            return self.range_partitions(plan, col, wanted)
        return self.hash_partitions(plan, wanted)

    def range_partitions(self, plan: TablePlan, col: Column, n: int) -> Partitioning:
        q = self.quote(col.name)
        lo, hi = self.query(f"SELECT MIN({q}), MAX({q}) FROM "
                            f"{self.qualify(plan.source.schema, plan.source.name)}")[0]
        if lo is None:
            return Partitioning("single")
        return sqlparts.key_ranges(q, col.name, int(lo), int(hi), n, col.nullable)

    def hash_expr(self, plan: TablePlan) -> str | None:
        return None

    def hash_partitions(self, plan: TablePlan, n: int) -> Partitioning:
        expr = self.hash_expr(plan)
        if expr is None:
            return Partitioning("single")
        return sqlparts.of("hash", None, [f"{self.mod_sql(expr, n)} = {i}" for i in range(n)])

    def mod_sql(self, expr: str, n: int) -> str:
        return f"MOD({expr}, {n})"

    def native_partitions(self, table: Table, leaves: bool = False) -> list[tuple[str, str]]:
        """(partition name, condition) of the table's own partitions; none by default."""
        return []

    # -- target ----------------------------------------------------------------------------
    def default_schema(self) -> str:
        return self.endpoint.schema or ""

    def stage_name(self, name: str) -> str:
        stage = name + STAGE_SUFFIX
        if len(stage.encode()) <= self.max_identifier:
            return stage
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        room = self.max_identifier - len(STAGE_SUFFIX) - 9
        return f"{name.encode()[:room].decode(errors='ignore')}_{digest}{STAGE_SUFFIX}"

    def column_ddl(self, plan: TablePlan) -> list[str]:
        return [f"{self.quote(c.target_name)} {c.target_type}"
                + ("" if c.nullable else " NOT NULL") for c in plan.columns]

    def create_table_sql(self, plan: TablePlan, name: str, with_pk: bool) -> str:
        parts = self.column_ddl(plan)
        if with_pk and plan.primary_key:
            parts.append(self.pk_clause(plan, name))
        return (f"CREATE TABLE {self.qualify(plan.target_schema, name)} (\n  "
                + ",\n  ".join(parts) + "\n)")

    def pk_clause(self, plan: TablePlan, table_name: str) -> str:
        cols = ", ".join(self.quote(c) for c in plan.primary_key)
        return f"PRIMARY KEY ({cols})"

    def target_ddl(self, plan: TablePlan) -> list[str]:
        return [self.create_table_sql(plan, plan.target_name, with_pk=True)]

    def table_exists(self, schema: str, name: str) -> bool:
        raise NotImplementedError

    def ensure_schema_sql(self, schema: str) -> list[str]:
        return []

    def control_schema(self, plan: TablePlan, settings: Settings) -> str:
        """As AWS DMS: ControlTablesSettings.ControlSchema, else the target's default schema."""
        return (settings["ControlTablesSettings.ControlSchema"] or self.default_schema()
                or plan.target_schema)

    @abstractmethod
    def control_table_sql(self, schema: str) -> str: ...

    @abstractmethod
    def stage_like_sql(self, plan: TablePlan, stage: str) -> str: ...

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Once per task, before tables load in parallel: schemas and control tables."""
        statements: list[str] = []
        for schema in dict.fromkeys(s for p in plans for s in
                                    (p.target_schema, self.control_schema(p, settings))):
            statements += self.ensure_schema_sql(schema)
        for schema in dict.fromkeys(self.control_schema(p, settings) for p in plans):
            statements.append(self.control_table_sql(schema))
        self.execute_all(statements)

    def pre_load(self, plans: Sequence[TablePlan], settings: Settings) -> PreLoad:
        """Before any table loads (e.g. drop foreign keys that point at replaced tables)."""
        from sparkdms.connectors.sql.objects import pre_load

        return pre_load(self, plans, settings)

    def post_load(self, plans: Sequence[TablePlan], settings: Settings,
                  before: PreLoad) -> list[str]:
        """After every table loaded: indexes, constraints, foreign keys, sequences.
        Returns human-readable notes of what was created."""
        from sparkdms.connectors.sql.objects import post_load

        return post_load(self, plans, settings, before)

    def object_ddl(self, plans: Sequence[TablePlan], settings: Settings) -> list[tuple[str, str]]:
        from sparkdms.connectors.sql.objects import object_statements

        return [(st.stage, sql) for st in object_statements(self, plans, settings)
                for sql in st.sql]

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        stage = self.stage_name(plan.target_name)
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        exists = self.table_exists(plan.target_schema, plan.target_name)
        statements = [f"DROP TABLE IF EXISTS {self.qualify(plan.target_schema, stage)}"]
        if mode == "DROP_AND_CREATE" or not exists:
            pk_now = not settings["FullLoadSettings.CreatePkAfterFullLoad"]
            statements.append(self.create_table_sql(plan, stage, with_pk=pk_now))
        else:
            statements.append(self.stage_like_sql(plan, stage))
        self.execute_all(statements)

    def write_spec(self, plan: TablePlan, settings: Settings, load_id: str) -> WriteSpec:
        return WriteSpec(type(self), self.endpoint, plan.target_schema,
                         self.stage_name(plan.target_name),
                         tuple(c.target_name for c in plan.columns), load_id, plan.target_label,
                         settings["FullLoadSettings.CommitRate"], self.control_schema(plan, settings))

    def prepare_frame(self, df: DataFrame, plan: TablePlan) -> DataFrame:
        """Last Spark-side conversions before rows leave for the writer."""
        return df

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        from sparkdms.connectors.sql.writer import RESULT_SCHEMA, partition_writer

        spec = self.write_spec(plan, settings, load_id)
        threads = settings["TargetMetadata.ParallelLoadThreads"]
        if threads > 0:
            df = df.repartition(threads)
        df = self.prepare_frame(df.select(*[f"`{c}`" for c in spec.columns]), plan)
        results = df.mapInArrow(partition_writer(spec), RESULT_SCHEMA).collect()
        return WriteResult(rows=sum(r["rows"] for r in results), partitions=len(results))

    def commit(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        stage = self.stage_name(plan.target_name)
        exists = self.table_exists(plan.target_schema, plan.target_name)
        if mode == "DROP_AND_CREATE" or not exists:
            statements = self.swap_sql(plan, stage, exists, settings)
        else:
            statements = self.merge_sql(plan, stage, mode == "TRUNCATE_BEFORE_LOAD")
        ctl = self.control_schema(plan, settings)
        self.execute_all([*statements, (self.clear_control_sql(ctl), (load_id, plan.target_label))])

    def clear_control_sql(self, schema: str) -> str:
        return (f"DELETE FROM {self.qualify(schema, CONTROL_TABLE)} "
                f"WHERE load_id = {self.P} AND table_name = {self.P}")

    @abstractmethod
    def swap_sql(self, plan: TablePlan, stage: str, exists: bool,
                 settings: Settings) -> list[str]: ...

    def merge_sql(self, plan: TablePlan, stage: str, truncate: bool) -> list[str]:
        target = self.qualify(plan.target_schema, plan.target_name)
        cols = ", ".join(self.quote(c.target_name) for c in plan.columns)
        out = [f"DELETE FROM {target}"] if truncate else []
        out.append(f"INSERT INTO {target} ({cols}) SELECT {cols} "
                   f"FROM {self.qualify(plan.target_schema, stage)}")
        out.append(f"DROP TABLE {self.qualify(plan.target_schema, stage)}")
        return out

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            stage = self.stage_name(plan.target_name)
            self.execute_all([f"DROP TABLE IF EXISTS {self.qualify(plan.target_schema, stage)}"])
        except Exception:
            pass

    def count_rows(self, schema: str, table: str) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(schema, table)}")[0][0])

    # -- executor side (called through sparkdms.connectors.sql.writer) -----------------------------
    @abstractmethod
    def lock_partition(self, cur: Any, key: str) -> None: ...

    def unlock_partition(self, cur: Any, key: str) -> None:
        return None

    @abstractmethod
    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int: ...

    def partition_done(self, cur: Any, spec: WriteSpec, part: int) -> int | None:
        """Rows an earlier attempt committed for this partition, or None."""
        cur.execute(f"SELECT row_count FROM {self.qualify(spec.control_schema, CONTROL_TABLE)} "
                    f"WHERE load_id = {self.P} AND table_name = {self.P} AND part_id = {self.P}",
                    (spec.load_id, spec.table_key, part))
        row = cur.fetchone()
        return None if row is None else int(row[0])

    def record_partition(self, cur: Any, spec: WriteSpec, part: int, rows: int) -> None:
        cur.execute(f"INSERT INTO {self.qualify(spec.control_schema, CONTROL_TABLE)} "
                    f"(load_id, table_name, part_id, row_count) VALUES ({self.P}, {self.P}, "
                    f"{self.P}, {self.P})",
                    (spec.load_id, spec.table_key, part, rows))


def iter_rows(batch: Any) -> Iterator[tuple]:
    columns = [col.to_pylist() for col in batch.columns]
    return zip(*columns, strict=True) if columns else iter(())
