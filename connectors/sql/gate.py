"""The gate of a table's load: no attempt commits after the driver has started to commit
(or abort) the table.

A worker can outlive the task that started it: Python workers are forked by a daemon that
leaves the executor's process group, so an executor or driver killed mid-load can leave a
worker that still writes its partition and commits. Such a late attempt, committing between
the driver's cleanup of unaccepted attempts and the swap of the staging table, would add a
second copy of its partition. The gate closes that window:

* ``open_gate`` puts one row per (load, table) into ``sparkdms_load_gates`` when the staging
  table is made (or kept by ``--resume``);
* every attempt reads that row with a shared row lock in its own transaction
  (``pass_gate``) and refuses to write when it is gone; it holds the lock until it commits;
* ``close_gate`` deletes the row in a transaction of its own before the driver cleans up and
  swaps: the delete waits for every attempt in flight, and any attempt after it finds no row.

Each opening of a gate has its own id (``<load id>#<random>``, kept in the gate row's
``load_id`` column and in the write's spec): a table whose staging is made again under the
same load id (a refused direct copy redone through Spark rows, sparkdms.load.fallback) opens
a new gate, so a straggler of the first write, which asks for the old one, finds none and
cannot replace a partition the second write committed. Opening a gate first deletes every
gate row of the table (under the table's lock no other load of it runs), waiting, as
``close_gate`` does, for the attempts that hold one.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sparkdms.errors import TransientError

if TYPE_CHECKING:
    from sparkdms.connectors.sql.spec import WriteSpec
    from sparkdms.connectors.sql.staging import SqlStaging

GATE_TABLE = "sparkdms_load_gates"

# portable DDL (PostgreSQL, MySQL/MariaDB, SQLite); key under InnoDB's 3072 bytes in utf8mb4
GATE_DDL = ("CREATE TABLE IF NOT EXISTS {t} (load_id varchar(64) NOT NULL, "
            "table_name varchar(500) NOT NULL, PRIMARY KEY (load_id, table_name))")


class LateAttemptError(TransientError):
    """A task attempt began after its table's load was committed or aborted."""


def gate_table(c: SqlStaging, schema: str) -> str:
    return c.qualify(schema, GATE_TABLE)


def gate_ddl(c: SqlStaging, schema: str) -> str:
    return GATE_DDL.format(t=gate_table(c, schema))


def _where(c: SqlStaging) -> str:
    return f"WHERE load_id = {c.P} AND table_name = {c.P}"


def drop_gates_sql(c: SqlStaging, schema: str, table: str) -> tuple[str, tuple]:
    """Every gate of the table (under its lock, only this load's or leftovers of killed runs)."""
    return f"DELETE FROM {gate_table(c, schema)} WHERE table_name = {c.P}", (table,)


def opened(c: SqlStaging) -> dict[str, str]:
    """table -> the id of the gate the driver opened for it last (driver side)."""
    return c.__dict__.setdefault("_gate_ids", {})


def gate_id(c: SqlStaging, load_id: str, table: str) -> str:
    """The id of the table's open gate (what its write's attempts ask for)."""
    return opened(c).get(table, load_id)


def open_gate_sql(c: SqlStaging, schema: str, load_id: str, table: str) -> list[Any]:
    """A new gate for the table's load, after every earlier one of the table closed."""
    new = opened(c)[table] = f"{load_id}#{secrets.token_hex(4)}"
    return [*c.gate_wait_sql, drop_gates_sql(c, schema, table),
            (f"INSERT INTO {gate_table(c, schema)} (load_id, table_name) VALUES ({c.P}, {c.P})",
             (new, table))]


def pass_gate(c: SqlStaging, cur: Any, spec: WriteSpec) -> None:
    """In the attempt's transaction: hold the gate open until this attempt commits."""
    cur.execute(f"SELECT 1 FROM {gate_table(c, spec.control_schema)} {_where(c)}"
                f"{c.share_lock_sql}", (spec.gate or spec.load_id, spec.table_key))
    if not cur.fetchall():
        raise LateAttemptError(
            f"table {spec.table_key}: this task attempt started after its load {spec.load_id} was "
            "committed, aborted or restarted (a worker that outlived its job, executor or "
            "driver); it wrote nothing")


def close_gate(c: SqlStaging, schema: str, table: str) -> None:
    """Waits for the attempts in flight, then no attempt of the load can commit again."""
    opened(c).pop(table, None)
    c.execute_all([*c.gate_wait_sql, drop_gates_sql(c, schema, table)])
