"""The target side of a relational engine: table DDL and the staging-table load with an
idempotent per-partition commit protocol.

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

The driver side (prepare, write, commit, abort) runs here; the executor side of write is
``sparkdms.connectors.sql.writer``, which calls back the methods at the end (lock, insert,
record) on a connector it builds from the ``WriteSpec``.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import PreLoad, WriteResult
from sparkdms.connectors.sql import objects
from sparkdms.connectors.sql.session import SqlSession
from sparkdms.connectors.sql.spec import CONTROL_TABLE, STAGE_SUFFIX, WriteSpec
from sparkdms.connectors.sql.writer import RESULT_SCHEMA, partition_writer

from sparkdms.plan import TablePlan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sparkdms.task.settings import Settings


class SqlStaging(SqlSession):
    """Target DDL, the staging load (driver and executor side) and the objects around it."""

    max_identifier: ClassVar[int] = 63
    # one writer at a time (SQLite): objects after the load are created one by one
    serial_ddl: ClassVar[bool] = False

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

    # -- objects around the load (sparkdms.connectors.sql.objects) ----------------------------
    def pre_load(self, plans: Sequence[TablePlan], settings: Settings) -> PreLoad:
        """Before any table loads (e.g. drop foreign keys that point at replaced tables)."""
        return objects.pre_load(self, plans, settings)

    def post_load(self, plans: Sequence[TablePlan], settings: Settings,
                  before: PreLoad) -> list[str]:
        """After every table loaded: indexes, constraints, foreign keys, sequences.
        Returns human-readable notes of what was created."""
        return objects.post_load(self, plans, settings, before)

    def object_ddl(self, plans: Sequence[TablePlan], settings: Settings) -> list[tuple[str, str]]:
        return [(st.stage, sql) for st in objects.object_statements(self, plans, settings)
                for sql in st.sql]

    def object_sql(self) -> objects.ObjectSql:
        """The statements that create indexes, constraints, defaults and identities on this
        engine (standard SQL unless the engine's package returns its own)."""
        return objects.ObjectSql(self)

    def referencing_foreign_keys(self, plan: TablePlan) -> list[objects.Referencing]:
        """Foreign keys on the target that reference the plan's target table, with how to drop
        and re-add each (pre_load drops them before the table is replaced); none by default."""
        return []

    # -- the load --------------------------------------------------------------------------

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
