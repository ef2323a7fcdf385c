"""The target side of a relational engine: table DDL and the staging-table load with an
idempotent per-partition commit protocol.

Load protocol (target side), per table:
  prepare   take the table's lock (a second run loading the same table at the same time is
            refused), drop what killed runs left (their staging tables and ledger rows),
            create a staging table ``<name>__sdms_<load id>`` shaped like the target plus
            an ``_sdms_attempt`` column
  write     each Spark task attempt, in ONE target transaction: lock its partition, delete
            what earlier attempts of the partition committed, insert its rows tagged with
            its attempt id, record the attempt in the ledger; commit. Spark returns to the
            driver the attempts that succeeded (the commit messages)
  commit    the ledger must hold exactly the successful attempts: rows of any other
            attempt (one whose source read failed after its rows were committed) are
            deleted; then in one transaction DROP_AND_CREATE swaps staging in place of the
            target; TRUNCATE_BEFORE_LOAD empties the target and copies staging in;
            DO_NOTHING appends staging to the target
  abort     drop the staging table and the ledger rows: the target is untouched

The driver side (prepare, write, commit, abort) runs here; the executor side of write is
``sparkdms.connectors.sql.writer``, which calls back the methods at the end (lock, insert,
record) on a connector it builds from the ``WriteSpec``.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import END_MARKER, PreLoad, WriteResult
from sparkdms.connectors.sql import gate, objects
from sparkdms.connectors.sql.session import SqlSession
from sparkdms.connectors.sql.spec import ATTEMPT_COLUMN, CONTROL_TABLE, STAGE_MARK, WriteSpec
from sparkdms.connectors.sql.writer import RESULT_SCHEMA, partition_writer

from sparkdms.errors import LoadConflictError, SparkDmsError
from sparkdms.plan import TablePlan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sparkdms.task.settings import Settings


class SqlStaging(SqlSession):
    """Target DDL, the staging load (driver and executor side) and the objects around it."""

    max_identifier: ClassVar[int] = 63
    wants_end_marker: ClassVar[bool] = True  # rows reach the writer through a Python worker
    # one writer at a time (SQLite): objects after the load are created one by one
    serial_ddl: ClassVar[bool] = False

    # -- target ----------------------------------------------------------------------------
    def default_schema(self) -> str:
        return self.endpoint.schema or ""

    def stage_prefix(self, name: str) -> str:
        """What every staging table of ``name`` starts with (``<name>__sdms_``), shortened
        with a digest where the engine's identifier limit needs room for a load id."""
        prefix = name + STAGE_MARK
        if len((prefix + "x" * 16).encode()) <= self.max_identifier:
            return prefix
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        room = self.max_identifier - len(STAGE_MARK) - 16 - 9
        return f"{name.encode()[:room].decode(errors='ignore')}_{digest}{STAGE_MARK}"

    def stage_name(self, name: str, load_id: str) -> str:
        """The staging table of one load: unique per load, so two loads never share one."""
        return self.stage_prefix(name) + load_id[:16]

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

    def preflight(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        from sparkdms.connectors.sql.preflight import check_create

        check_create(self, plans, settings)

    def create_denied(self, schema: str) -> str | None:
        """Why this endpoint's user cannot create tables in ``schema`` (or the schema), in
        words; None: it can, or the engine cannot tell (sparkdms.connectors.sql.preflight)."""
        return None

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Once per task, before tables load in parallel: schemas and control tables."""
        statements: list[str] = []
        for schema in dict.fromkeys(s for p in plans for s in
                                    (p.target_schema, self.control_schema(p, settings))):
            statements += self.ensure_schema_sql(schema)
        for schema in dict.fromkeys(self.control_schema(p, settings) for p in plans):
            statements += [self.control_table_sql(schema), gate.gate_ddl(self, schema),
                           *self.subtransaction_ddl(schema)]
        self.execute_all(statements)
        for schema in dict.fromkeys(self.control_schema(p, settings) for p in plans):
            self.upgrade_ledger(schema)

    LEDGER_COLUMNS = ("load_id", "table_name", "part_id", "attempt_id", "row_tag", "row_count")

    def upgrade_ledger(self, schema: str) -> None:
        """A ledger of an older shape (made by an earlier sparkdms) is recreated: it only
        holds rows of loads in flight, and an older run's rows cannot be resumed."""
        ledger = self.qualify(schema, CONTROL_TABLE)
        try:
            self.query(f"SELECT {', '.join(self.LEDGER_COLUMNS)} FROM {ledger} WHERE 1 = 0")
        except Exception:
            self.execute_all([f"DROP TABLE IF EXISTS {ledger}", self.control_table_sql(schema)])

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
    def table_lock(self, plan: TablePlan) -> Any:
        """Take the lock that keeps two loads of one target table apart, without waiting:
        a handle whose ``close()`` releases it (a connection, a locked file), or None when
        another run holds it."""
        return _NoLock()  # an engine without such a lock

    def lock_key(self, plan: TablePlan) -> str:
        return f"sparkdms load {self.endpoint.describe()} {plan.target_label}"

    def _held(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_table_locks", {})

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        handle = self.table_lock(plan)
        if handle is None:
            raise LoadConflictError(
                f"table {plan.target_label}: another sparkdms run is loading it now (lock "
                f"{self.lock_key(plan)!r} is held); wait for it to finish or stop it")
        self._held()[plan.target_label] = handle
        try:
            notes = self.clean_leftovers(plan, settings, load_id)
            self.create_stage(plan, settings, load_id)
        except Exception:
            self._release(plan)
            raise
        return notes

    def _release(self, plan: TablePlan) -> None:
        handle = self._held().pop(plan.target_label, None)
        if handle is not None:
            try:
                handle.close()
            except Exception:  # the lock dies with its connection anyway
                pass

    def create_stage(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        stage = self.stage_name(plan.target_name, load_id)
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        exists = self.table_exists(plan.target_schema, plan.target_name)
        statements = [f"DROP TABLE IF EXISTS {self.qualify(plan.target_schema, stage)}"]
        if mode == "DROP_AND_CREATE" or not exists:
            pk_now = not settings["FullLoadSettings.CreatePkAfterFullLoad"]
            statements.append(self.create_table_sql(plan, stage, with_pk=pk_now))
        else:
            statements.append(self.stage_like_sql(plan, stage))
        if self.tags_rows:
            statements.append(self.attempt_column_sql(plan.target_schema, stage))
        statements += gate.open_gate_sql(self, self.control_schema(plan, settings), load_id,
                                         plan.target_label)
        self.execute_all(statements)

    # How the rows of one task attempt are told apart in the staging table: by default an
    # ``_sdms_attempt`` column (added here, dropped before the swap); an engine whose rows
    # carry their writing transaction (PostgreSQL's xmin) says so and adds no column.
    tags_rows: ClassVar[bool] = True

    # The gate of a load (connectors/sql/gate.py): how an attempt reads the gate row with a
    # shared row lock, and what the committer's session sets before it waits for attempts.
    share_lock_sql: ClassVar[str] = " FOR SHARE"

    # Rows written inside a savepoint (a refused batch retried row by row,
    # connectors/sql/rejects.py) carry the subtransaction's id on an engine that tags rows by
    # their transaction; such an engine notes each of those ids and finds rows by them too.
    def subtransaction_ddl(self, schema: str) -> list[str]:
        return []

    def note_savepoint_write(self, cur: Any, spec: WriteSpec) -> None:
        return None

    def attempt_rows_sql(self, ctl: str, load_id: str, table: str,
                         tags: Sequence[int]) -> tuple[str, tuple]:
        """WHERE condition (and its values) of the staging rows of the attempts ``tags``."""
        return f"{self.row_tag_sql()} IN ({', '.join([self.P] * len(tags))})", tuple(tags)
    gate_wait_sql: ClassVar[tuple[str, ...]] = ()

    def attempt_column_sql(self, schema: str, stage: str) -> str:
        return f"ALTER TABLE {self.qualify(schema, stage)} ADD COLUMN {self.quote(ATTEMPT_COLUMN)} bigint"

    def row_tag_sql(self) -> str:
        """SQL over a staging row: the tag its attempt recorded in the ledger's row_tag."""
        return self.quote(ATTEMPT_COLUMN)

    def current_tag_sql(self) -> str | None:
        """SQL giving this transaction's row tag, or None: the attempt id is the tag."""
        return None

    def stage_tables(self, schema: str) -> list[str]:
        """Names of the schema's tables that carry the staging mark (any table's)."""
        return []

    def clean_leftovers(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        """Under the table's lock: staging tables and ledger rows of this table that earlier
        runs left (a killed driver, a database restart) are removed, and said so."""
        prefix = self.stage_prefix(plan.target_name)
        old = [t for t in self.stage_tables(plan.target_schema) if t.startswith(prefix)]
        ctl = self.qualify(self.control_schema(plan, settings), CONTROL_TABLE)
        gone = self.query(f"SELECT COUNT(*) FROM {ctl} WHERE table_name = {self.P}",
                          (plan.target_label,))[0][0]
        statements: list[Any] = [f"DROP TABLE IF EXISTS {self.qualify(plan.target_schema, t)}"
                                 for t in old]
        statements.append((f"DELETE FROM {ctl} WHERE table_name = {self.P}", (plan.target_label,)))
        statements.append(gate.drop_gates_sql(self, self.control_schema(plan, settings),
                                              plan.target_label))
        self.execute_all(statements)
        notes = []
        if old:
            notes.append(f"{plan.target_label}: dropped {len(old)} staging table(s) an earlier "
                         f"run left ({', '.join(old)})")
        if gone:
            notes.append(f"{plan.target_label}: removed {gone} ledger row(s) of earlier "
                         "unfinished loads")
        return notes

    def write_spec(self, plan: TablePlan, settings: Settings, load_id: str) -> WriteSpec:
        return WriteSpec(type(self), self.endpoint, plan.target_schema,
                         self.stage_name(plan.target_name, load_id),
                         tuple(c.target_name for c in plan.columns), load_id, plan.target_label,
                         settings["FullLoadSettings.CommitRate"], self.control_schema(plan, settings),
                         plan.partitioning.ids,
                         gate=gate.gate_id(self, load_id, plan.target_label))

    def prepare_frame(self, df: DataFrame, plan: TablePlan) -> DataFrame:
        """Last Spark-side conversions before rows leave for the writer."""
        return df

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        from dataclasses import replace

        from sparkdms.connectors.sql.rejects import guard_for  # refused rows: rejected

        spec = replace(self.write_spec(plan, settings, load_id),
                       guard=guard_for(self, plan, settings))
        threads = settings["TargetMetadata.ParallelLoadThreads"]
        from sparkdms.types import positional, spark_col  # names with backticks, dots, spaces

        marked = END_MARKER in df.columns  # each source partition's marker row ends it
        if threads > 0:  # a shuffle: the writer's input is whole, its partitions unmarked
            if marked:
                df, marked = df.filter(~spark_col(END_MARKER)).drop(END_MARKER), False
            df = df.repartition(threads)
        cols = (*spec.columns, END_MARKER) if marked else spec.columns
        df = self.prepare_frame(df.select(*[spark_col(c) for c in cols]), plan)
        # the writer takes columns by position; mapInArrow would parse the names
        results = positional(df).mapInArrow(partition_writer(spec, marked),
                                            RESULT_SCHEMA).collect()
        return written(results)

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        stage = self.stage_name(plan.target_name, load_id)
        ctl = self.control_schema(plan, settings)
        gate.close_gate(self, ctl, plan.target_label)  # no attempt commits after this
        self.drop_failed_attempts(plan, stage, ctl, load_id, result)
        exists = self.table_exists(plan.target_schema, plan.target_name)
        if mode == "DROP_AND_CREATE" or not exists:
            statements = self.swap_sql(plan, stage, exists, settings)
            lead = 1 if statements and statements[0].startswith("BEGIN") else 0
            if self.tags_rows:
                statements.insert(lead, f"ALTER TABLE {self.qualify(plan.target_schema, stage)} "
                                        f"DROP COLUMN {self.quote(ATTEMPT_COLUMN)}")
        else:
            statements = self.merge_sql(plan, stage, mode == "TRUNCATE_BEFORE_LOAD")
        self.execute_all([*statements, (self.clear_control_sql(ctl), (load_id, plan.target_label))])
        self._release(plan)

    def drop_failed_attempts(self, plan: TablePlan, stage: str, ctl: str, load_id: str,
                             result: WriteResult | None) -> None:
        """Keep exactly the attempts Spark reported successful (``result.receipt``): rows of
        any other attempt that committed are deleted; a successful attempt missing from the
        ledger fails the table (its rows were replaced by another attempt's)."""
        recorded = {int(a): int(t) for a, t in self.query(
            f"SELECT attempt_id, row_tag FROM {self.qualify(ctl, CONTROL_TABLE)} "
            f"WHERE load_id = {self.P} AND table_name = {self.P}", (load_id, plan.target_label))}
        if result is None or result.receipt is None:
            return
        accepted = {int(a) for _, a in result.receipt}
        missing = sorted(accepted - set(recorded))
        if missing:
            raise SparkDmsError(f"table {plan.target_label}: the committed rows of task "
                                f"attempt(s) {missing} were replaced by another attempt; the "
                                "load is not trusted and is rolled back")
        stray = sorted(set(recorded) - accepted)
        if stray:
            marks = ", ".join([self.P] * len(stray))
            cond, values = self.attempt_rows_sql(ctl, load_id, plan.target_label,
                                                 [recorded[a] for a in stray])
            self.execute_all([
                (f"DELETE FROM {self.qualify(plan.target_schema, stage)} WHERE {cond}", values),
                (f"DELETE FROM {self.qualify(ctl, CONTROL_TABLE)} WHERE load_id = {self.P} AND "
                 f"table_name = {self.P} AND attempt_id IN ({marks})",
                 (load_id, plan.target_label, *stray))])

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
        if plan.target_label not in self._held():
            return  # prepare did not take the table: whatever is there belongs to another run
        try:
            stage = self.stage_name(plan.target_name, load_id)
            ctl = self.control_schema(plan, settings)
            gate.close_gate(self, ctl, plan.target_label)
            self.execute_all([f"DROP TABLE IF EXISTS {self.qualify(plan.target_schema, stage)}",
                              (self.clear_control_sql(ctl), (load_id, plan.target_label))])
        except Exception:
            pass
        finally:
            self._release(plan)

    def count_rows(self, schema: str, table: str) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(schema, table)}")[0][0])

    def reject_store(self, settings: Settings) -> Any:
        """Rows the target refused: AWS DMS's ``awsdms_apply_exceptions`` in the control
        schema (sparkdms.connectors.sql.rejects)."""
        from sparkdms.connectors.sql.rejects import ExceptionsTable

        return ExceptionsTable(self, settings)

    def resume_store(self) -> Any:
        """Records per task and table, and the ledger's committed partitions, for
        ``run --resume`` (sparkdms.connectors.sql.resume)."""
        from sparkdms.connectors.sql.resume import SqlResume

        return SqlResume(self)

    # -- executor side (called through sparkdms.connectors.sql.writer) -----------------------------
    @abstractmethod
    def lock_partition(self, cur: Any, key: str) -> None: ...

    def unlock_partition(self, cur: Any, key: str) -> None:
        return None

    @abstractmethod
    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int: ...

    def begin_attempt(self, cur: Any, spec: WriteSpec, part: int, attempt: int) -> int:
        """In the attempt's transaction: lock the partition and delete what earlier attempts
        of it committed, so this attempt's rows replace theirs; how many rows that was."""
        gate.pass_gate(self, cur, spec)
        self.lock_partition(cur, f"{spec.load_id}/{spec.table_key}/{part}")
        ledger = self.qualify(spec.control_schema, CONTROL_TABLE)
        cur.execute(f"SELECT row_tag, row_count FROM {ledger} WHERE load_id = {self.P} AND "
                    f"table_name = {self.P} AND part_id = {self.P}",
                    (spec.load_id, spec.table_key, part))
        found = cur.fetchall()
        earlier = [int(r[0]) for r in found]
        if not earlier:
            return 0
        cond, values = self.attempt_rows_sql(spec.control_schema, spec.load_id, spec.table_key,
                                             earlier)
        cur.execute(f"DELETE FROM {self.qualify(spec.schema, spec.stage_table)} WHERE {cond}",
                    values)
        cur.execute(f"DELETE FROM {ledger} WHERE load_id = {self.P} AND table_name = {self.P} "
                    f"AND part_id = {self.P}", (spec.load_id, spec.table_key, part))
        return sum(int(r[1]) for r in found)

    def end_attempt(self, cur: Any, spec: WriteSpec, part: int) -> None:
        self.unlock_partition(cur, f"{spec.load_id}/{spec.table_key}/{part}")

    def record_attempt(self, cur: Any, spec: WriteSpec, part: int, attempt: int,
                       rows: int) -> None:
        tag = self.current_tag_sql()
        cur.execute(f"INSERT INTO {self.qualify(spec.control_schema, CONTROL_TABLE)} "
                    f"(load_id, table_name, part_id, attempt_id, row_tag, row_count) VALUES "
                    f"({self.P}, {self.P}, {self.P}, {self.P}, {tag or self.P}, {self.P})",
                    (spec.load_id, spec.table_key, part, attempt, *(() if tag else (attempt,)),
                     rows))


class _NoLock:
    """The table lock of an engine that has none."""

    def close(self) -> None:
        return None


def written(results: Sequence[Any]) -> WriteResult:
    """The write's result from the rows the successful task attempts returned; their
    (partition, attempt) pairs are the commit messages ``commit`` checks the ledger against."""
    from sparkdms.connectors.sql.rejects import results_rejects

    replaced = sum(int(r["replaced"]) for r in results)
    rejects = results_rejects(results)  # of the successful attempts only: never twice
    return WriteResult(rows=sum(int(r["rows"]) for r in results), partitions=len(results),
                       receipt=tuple((int(r["part"]), int(r["attempt"])) for r in results),
                       error_rows=len(rejects), rejects=rejects,
                       stats={"RowsOfFailedAttemptsReplaced": replaced} if replaced else {})
