"""``sparkdms run --resume`` on a relational target: what a load keeps between runs.

Two control tables in the table's control schema (ControlTablesSettings.ControlSchema):

``sparkdms_load_runs``     one row per (task, target table): the load id of the task's last
                           load of the table, the plan's fingerprint, its state
                           (``loading`` -> ``committed`` -> ``done``) and rows committed.
                           A task that finishes without error forgets its rows.
``sparkdms_load_attempts`` the ledger of the staging load (connectors/sql/staging.py): the
                           partitions a load committed, with their attempt and row count.

A resumed table keeps its earlier load's id, so its staging table ``<name>__sdms_<id>`` and
ledger rows carry on; only the partitions missing from the ledger are written.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import KeptPart, RunRecord, WriteResult
from sparkdms.connectors.sql import gate
from sparkdms.connectors.sql.spec import CONTROL_TABLE

from sparkdms.errors import LoadConflictError
from sparkdms.plan import TablePlan

if TYPE_CHECKING:
    from sparkdms.connectors.sql.staging import SqlStaging

    from sparkdms.task.settings import Settings

RUNS_TABLE = "sparkdms_load_runs"
_MAKING = threading.Lock()

# portable DDL (PostgreSQL, MySQL/MariaDB, SQLite); key under InnoDB's 3072 bytes in utf8mb4
RUNS_DDL = ("CREATE TABLE IF NOT EXISTS {t} (task_name varchar(200) NOT NULL, "
            "table_name varchar(500) NOT NULL, load_id varchar(64) NOT NULL, "
            "fingerprint varchar(64) NOT NULL, state varchar(16) NOT NULL, "
            "row_count bigint NOT NULL, PRIMARY KEY (task_name, table_name))")


class SqlResume:
    """The ResumeStore of a relational target (connectors/base.py)."""

    def __init__(self, connector: SqlStaging) -> None:
        self.c = connector
        self._made: set[str] = set()

    def _runs(self, plan: TablePlan, settings: Settings) -> str:
        schema = self.c.control_schema(plan, settings)
        table = self.c.qualify(schema, RUNS_TABLE)
        with _MAKING:  # tables start in parallel: PostgreSQL's CREATE ... IF NOT EXISTS races
            if table not in self._made:
                self.c.execute_all([*self.c.ensure_schema_sql(schema), RUNS_DDL.format(t=table)])
                self._made.add(table)
        return table

    def _ledger(self, plan: TablePlan, settings: Settings) -> str:
        return self.c.qualify(self.c.control_schema(plan, settings), CONTROL_TABLE)

    # -- the records ---------------------------------------------------------------------------
    def record_of(self, task: str, plan: TablePlan, settings: Settings) -> RunRecord | None:
        P = self.c.P
        rows = self.c.query(f"SELECT load_id, fingerprint, state, row_count FROM "
                            f"{self._runs(plan, settings)} WHERE task_name = {P} AND "
                            f"table_name = {P}", (task, plan.target_label))
        if not rows:
            return None
        load_id, fingerprint, state, count = rows[0]
        return RunRecord(str(load_id), str(fingerprint), str(state), int(count))

    def record(self, task: str, plan: TablePlan, settings: Settings, rec: RunRecord) -> None:
        P, runs = self.c.P, self._runs(plan, settings)
        self.c.execute_all([
            (f"DELETE FROM {runs} WHERE task_name = {P} AND table_name = {P}",
             (task, plan.target_label)),
            (f"INSERT INTO {runs} (task_name, table_name, load_id, fingerprint, state, "
             f"row_count) VALUES ({P}, {P}, {P}, {P}, {P}, {P})",
             (task, plan.target_label, rec.load_id, rec.fingerprint, rec.state, rec.rows))])

    def forget(self, task: str, plans: Sequence[TablePlan], settings: Settings) -> None:
        P = self.c.P
        self.c.execute_all([(f"DELETE FROM {self._runs(p, settings)} WHERE task_name = {P} "
                             f"AND table_name = {P}", (task, p.target_label)) for p in plans])

    # -- the table's load ----------------------------------------------------------------------
    def take(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        handle = self.c.table_lock(plan)
        if handle is None:
            raise LoadConflictError(
                f"table {plan.target_label}: another sparkdms run is loading it now (lock "
                f"{self.c.lock_key(plan)!r} is held); wait for it to finish or stop it")
        self.c._held()[plan.target_label] = handle
        try:
            notes = self._clean_others(plan, settings, load_id)
            self.c.execute_all(gate.open_gate_sql(self.c, self.c.control_schema(plan, settings),
                                                  load_id, plan.target_label))
            return notes
        except Exception:
            self.c._release(plan)
            raise

    def _clean_others(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        """Staging tables and ledger rows of the table's other loads (not ``load_id``'s)."""
        c, P = self.c, self.c.P
        mine = c.stage_name(plan.target_name, load_id)
        prefix = c.stage_prefix(plan.target_name)
        old = [t for t in c.stage_tables(plan.target_schema) if t.startswith(prefix) and t != mine]
        ctl = self._ledger(plan, settings)
        where = f"WHERE table_name = {P} AND load_id <> {P}"
        gone = c.query(f"SELECT COUNT(*) FROM {ctl} {where}", (plan.target_label, load_id))[0][0]
        # their gates close when take() opens this load's (gate.open_gate_sql)
        c.execute_all([*(f"DROP TABLE IF EXISTS {c.qualify(plan.target_schema, t)}" for t in old),
                       (f"DELETE FROM {ctl} {where}", (plan.target_label, load_id))])
        notes = [f"{plan.target_label}: dropped {len(old)} staging table(s) of other loads "
                 f"({', '.join(old)})"] if old else []
        if gone:
            notes.append(f"{plan.target_label}: removed {gone} ledger row(s) of other loads")
        return notes

    def kept(self, plan: TablePlan, settings: Settings, load_id: str) -> list[KeptPart] | None:
        c, P = self.c, self.c.P
        if not c.table_exists(plan.target_schema, c.stage_name(plan.target_name, load_id)):
            return None
        rows = c.query(f"SELECT part_id, attempt_id, row_count FROM {self._ledger(plan, settings)} "
                       f"WHERE load_id = {P} AND table_name = {P} ORDER BY part_id",
                       (load_id, plan.target_label))
        return [KeptPart(int(p), int(a), int(n)) for p, a, n in rows]

    def restart(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        notes = self.c.clean_leftovers(plan, settings, load_id)
        self.c.create_stage(plan, settings, load_id)
        return notes

    def merged(self, kept: Sequence[KeptPart], result: WriteResult | None) -> WriteResult:
        """The kept attempts join the write's receipt (``commit`` keeps exactly those)."""
        new = result or WriteResult(rows=0, partitions=0, receipt=())
        stats: dict[str, Any] = dict(new.stats)
        stats.update(PartitionsResumed=len(kept), RowsResumed=sum(k.rows for k in kept),
                     PartitionsWritten=new.partitions)
        return WriteResult(rows=new.rows + stats["RowsResumed"],
                           partitions=new.partitions + len(kept), error_rows=new.error_rows,
                           receipt=(*((k.part, k.attempt) for k in kept), *(new.receipt or ())),
                           stats=stats)
