"""Change data capture on a relational target: the ``ChangeApplier`` of connectors/base.py.

Each batch is ONE target transaction: its steps in order (upserts by primary key, deletes by
key, truncates as ``DELETE FROM``, which every engine keeps inside the transaction), then the
task's row in ``awsdms_status`` with the recovery checkpoint, then the rows refused in
``awsdms_apply_exceptions``. A batch applied twice (the run died after the commit, before the
source was told) changes nothing: upserts and deletes by key are idempotent.

Upserts per engine family (data, below): PostgreSQL and SQLite ``INSERT ... ON CONFLICT (key)
DO UPDATE SET c = EXCLUDED.c``; MySQL/MariaDB ``INSERT ... ON DUPLICATE KEY UPDATE c =
VALUES(c)``. A refused step is retried row by row inside savepoints; each refused row goes to
the task's policy (``refuse``), which records it, skips it or stops the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import ApplyStep, Checkpoint, RefuseHook
from sparkdms.connectors.sql.rejects import COLUMNS as EXC_COLUMNS
from sparkdms.connectors.sql.rejects import ExceptionsTable, is_row_error

from sparkdms.types import LType

if TYPE_CHECKING:
    from sparkdms.connectors.sql.staging import SqlStaging

    from sparkdms.task.settings import Settings

STATUS_TABLE = "awsdms_status"
# AWS DMS's columns (https://docs.aws.amazon.com/dms/latest/userguide/
# CHAP_Tasks.CustomizingTasks.TaskSettings.ControlTable.html), then the recovery checkpoint
_TS, _POS = LType("timestamp", precision=6), LType("varchar", length=128)
STATUS_COLUMNS: tuple[tuple[str, LType], ...] = (
    ("SERVER_NAME", LType("varchar", length=128)), ("TASK_NAME", LType("varchar", length=128)),
    ("TASK_STATUS", LType("varchar", length=32)), ("STATUS_TIME", _TS),
    ("PENDING_CHANGES", LType("int64")), ("DISK_SWAP_SIZE", LType("int64")),
    ("TASK_MEMORY", LType("int64")), ("SOURCE_CURRENT_POSITION", _POS),
    ("SOURCE_CURRENT_TIMESTAMP", _TS), ("SOURCE_TAIL_POSITION", _POS),
    ("SOURCE_TAIL_TIMESTAMP", _TS), ("SOURCE_TIMESTAMP_APPLIED", _TS),
    ("RECOVERY_CHECKPOINT", _POS))
SAVEPOINT = "sdms_apply"


def _on_conflict(q: Callable[[str], str], table: str, cols: Sequence[str],
                 keys: Sequence[str], mark: str) -> str:
    rest = [c for c in cols if c not in keys]
    action = ("DO UPDATE SET " + ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in rest)) \
        if rest else "DO NOTHING"
    return (f"INSERT INTO {table} ({', '.join(map(q, cols))}) VALUES "
            f"({', '.join([mark] * len(cols))}) ON CONFLICT ({', '.join(map(q, keys))}) {action}")


def _on_duplicate(q: Callable[[str], str], table: str, cols: Sequence[str],
                  keys: Sequence[str], mark: str) -> str:
    rest = [c for c in cols if c not in keys] or list(keys[:1])
    return (f"INSERT INTO {table} ({', '.join(map(q, cols))}) VALUES "
            f"({', '.join([mark] * len(cols))}) ON DUPLICATE KEY UPDATE "
            + ", ".join(f"{q(c)} = VALUES({q(c)})" for c in rest))


def _aware_utc(v: datetime) -> datetime:
    return v.astimezone(UTC)  # Spark's collect gives instants as naive local times


def _naive_utc(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None)


# dialect family -> (upsert statement, how an instant is bound)
UPSERTS: dict[str, tuple[Callable[..., str], Callable[[datetime], datetime]]] = {
    "postgres": (_on_conflict, _aware_utc),
    "sqlite": (_on_conflict, _naive_utc),
    "mysql": (_on_duplicate, _naive_utc),
}


class SqlApplier:
    """See the module's notes. ``instants``: the target columns that hold instants
    (Spark TimestampType), bound in UTC."""

    def __init__(self, connector: SqlStaging, settings: Settings) -> None:
        self.c, self.settings = connector, settings
        self.upsert, self.instant = UPSERTS[connector.dialect.family or connector.engine]
        self.schema = settings["ControlTablesSettings.ControlSchema"] or connector.default_schema()
        self.status = connector.qualify(self.schema, STATUS_TABLE)
        self.row_codes = frozenset(getattr(connector, "row_error_codes", ()))
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        c = self.c
        cols = ", ".join(f"{c.quote(n)} {c.native_type(t)}" for n, t in STATUS_COLUMNS)
        c.execute_all([*c.ensure_schema_sql(self.schema),
                       f"CREATE TABLE IF NOT EXISTS {self.status} ({cols})",
                       *ExceptionsTable(c, self.settings).create_sql(self.schema)])
        self._ready = True

    # -- the checkpoint --------------------------------------------------------------------------
    def checkpoint(self, task: str) -> Checkpoint | None:
        self._ensure()
        q = self.c.quote
        rows = self.c.query(f"SELECT {q('RECOVERY_CHECKPOINT')}, {q('TASK_STATUS')}, "
                            f"{q('SOURCE_TIMESTAMP_APPLIED')} FROM {self.status} WHERE "
                            f"{q('TASK_NAME')} = {self.c.P}", (task,))
        return Checkpoint(str(rows[0][0]), str(rows[0][1]), rows[0][2]) if rows else None

    def save(self, task: str, checkpoint: Checkpoint) -> None:
        self._ensure()
        with self.c.transaction() as cur:
            self._status(cur, task, checkpoint)

    def _status(self, cur: Any, task: str, cp: Checkpoint) -> None:
        q, P = self.c.quote, self.c.P
        now = datetime.now(UTC).replace(tzinfo=None)
        applied = _naive_utc(cp.source_time) if isinstance(cp.source_time, datetime) else None
        values = {"SERVER_NAME": "sparkdms", "TASK_NAME": task, "TASK_STATUS": cp.phase,
                  "STATUS_TIME": now, "SOURCE_CURRENT_POSITION": cp.position,
                  "SOURCE_TIMESTAMP_APPLIED": applied, "RECOVERY_CHECKPOINT": cp.position}
        cur.execute(f"DELETE FROM {self.status} WHERE {q('TASK_NAME')} = {P}", (task,))
        cur.execute(f"INSERT INTO {self.status} ({', '.join(map(q, values))}) VALUES "
                    f"({', '.join([P] * len(values))})", tuple(values.values()))

    # -- a batch ---------------------------------------------------------------------------------
    def apply(self, task: str, steps: Sequence[ApplyStep], checkpoint: Checkpoint,
              refuse: RefuseHook) -> list[Mapping[str, Any]]:
        self._ensure()
        rejects: list[Mapping[str, Any]] = []
        with self.c.transaction() as cur:
            for step in steps:
                rejects += self._step(cur, step, refuse)
            self._status(cur, task, checkpoint)
            self._record(cur, task, rejects)
        return rejects

    def statement(self, step: ApplyStep) -> str:
        c, plan = self.c, step.plan
        table = c.qualify(plan.target_schema, plan.target_name)
        if step.action == "truncate":
            return f"DELETE FROM {table}"
        if step.action == "delete":
            return f"DELETE FROM {table} WHERE " + " AND ".join(
                f"{c.quote(k)} = {c.P}" for k in plan.primary_key)
        return self.upsert(c.quote, table, [col.target_name for col in plan.columns],
                           plan.primary_key, c.P)

    def _bound(self, step: ApplyStep) -> list[tuple]:
        instants = step_instants(step)
        return [tuple(self.instant(v) if i in instants and isinstance(v, datetime) else
                      bytes(v) if isinstance(v, bytearray) else v
                      for i, v in enumerate(row)) for row in step.rows]

    def _step(self, cur: Any, step: ApplyStep, refuse: RefuseHook) -> list[Mapping[str, Any]]:
        sql = self.statement(step)
        if step.action == "truncate":
            cur.execute(sql)
            return []
        rows = self._bound(step)
        cur.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            cur.executemany(sql, rows)
            cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
            return []
        except Exception as err:
            if not is_row_error(err, self.row_codes):
                raise
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        return self._one_by_one(cur, sql, rows, step, refuse)

    def _one_by_one(self, cur: Any, sql: str, rows: list[tuple], step: ApplyStep,
                    refuse: RefuseHook) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for i, row in enumerate(rows):
            cur.execute(f"SAVEPOINT {SAVEPOINT}")
            try:
                cur.execute(sql, row)
                cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
            except Exception as err:
                if not is_row_error(err, self.row_codes):
                    raise
                cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                text = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
                reject = refuse(step, i, text)
                if reject is not None:
                    out.append({**reject, "statement": sql})
        return out

    def _record(self, cur: Any, task: str, rejects: Sequence[Mapping[str, Any]]) -> None:
        if not rejects:
            return
        q, P = self.c.quote, self.c.P
        table = self.c.qualify(self.schema, "awsdms_apply_exceptions")
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [(task[:128], r["table_owner"][:128], r["table_name"][:128], now, r["statement"],
                 r["reason"], "cdc", json.dumps(r["key"], ensure_ascii=False, default=str),
                 None, None) for r in rejects]
        cur.executemany(f"INSERT INTO {table} ({', '.join(map(q, EXC_COLUMNS))}) VALUES "
                        f"({', '.join([P] * len(EXC_COLUMNS))})", rows)


def step_instants(step: ApplyStep) -> frozenset[int]:
    """Positions of the step's row values that are instants (timestamp with time zone)."""
    if step.action == "delete":
        names = list(step.plan.primary_key)
        kinds = {c.target_name: c.ltype.kind for c in step.plan.columns}
        return frozenset(i for i, n in enumerate(names) if kinds.get(n) == "timestamptz")
    return frozenset(i for i, c in enumerate(step.plan.columns) if c.ltype.kind == "timestamptz")
