"""SQLite: a file on a local (or shared) path. Discovery through PRAGMA; reads
through the xerial JDBC driver; writes through Python's sqlite3.

SQLite types are affinities: the declared name decides. Exact names come from
the table; anything else follows SQLite's affinity rules.
https://www.sqlite.org/datatype3.html#determination_of_column_affinity
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import Capabilities, TableFilter
from sparkdms.connectors.sql.connector import CONTROL_TABLE, SqlConnector, WriteSpec, iter_rows
from sparkdms.connectors.sql.objects import attach_checks, member_check
from sparkdms.connectors.sqlite import objects as lite_objects
from sparkdms.connectors.sqlite.types import AFFINITY, SQLITE

from sparkdms.catalog import Check, Column, ForeignKey, Table
from sparkdms.errors import TaskConfigError
from sparkdms.plan import TablePlan
from sparkdms.plan.typemap.rules import NativeRule, fixed
from sparkdms.task import Endpoint
from sparkdms.types import INTEGER_KINDS, NativeType

if TYPE_CHECKING:
    from sparkdms.connectors.base import AssessmentHooks, FailureStore

    from sparkdms.task.settings import Settings

WIRE_LONG = (*INTEGER_KINDS, "boolean")


def _adapt() -> None:
    sqlite3.register_adapter(decimal.Decimal, str)
    sqlite3.register_adapter(dt.datetime, lambda v: v.isoformat(sep=" "))
    sqlite3.register_adapter(dt.date, lambda v: v.isoformat())
    sqlite3.register_adapter(bool, int)


class SQLiteConnector(SqlConnector):
    engine = "sqlite"
    dialect = SQLITE
    # no md5 in SQLite's SQL: validation hashes its rows in Spark
    capabilities = Capabilities(transactional_staging=True, creates_objects_after_load=True)
    packages = ("org.xerial:sqlite-jdbc:3.50.3.0",)
    driver_class = "org.sqlite.JDBC"
    url_scheme = "jdbc:sqlite:"
    max_identifier = 1024
    P = "?"
    share_lock_sql = ""  # one writer at a time: the file lock is the gate
    serial_ddl = True  # one writer at a time: objects after the load one by one

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if not (endpoint.path or endpoint.database or endpoint.url):
            raise TaskConfigError(f"{endpoint.role}.path", "missing; sqlite needs the file path")

    @property
    def file(self) -> str:
        e = self.endpoint
        if e.url:
            return e.url.removeprefix("jdbc:sqlite:")
        return str(e.path or e.database)

    def jdbc_url(self) -> str:
        return f"jdbc:sqlite:{self.file}"

    def jdbc_properties(self) -> dict[str, str]:
        return {"driver": self.driver_class}

    def connect(self) -> Any:
        _adapt()
        if self.endpoint.role == "source" and not Path(self.file).exists():
            raise FileNotFoundError(f"no SQLite file at {self.file}")
        conn = sqlite3.connect(self.file, timeout=120, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = OFF")
        return _Conn(conn)

    def fallback_rule(self, parsed: NativeType) -> NativeRule | None:
        for needle, rule in AFFINITY:
            if needle in parsed.name:
                return rule
        return fixed("decimal")  # NUMERIC affinity, unbounded

    def default_schema(self) -> str:
        return "main"

    # -- assessment (see connectors/sqlite/assess.py) ------------------------------------------
    def assessment(self) -> AssessmentHooks:
        from sparkdms.connectors.sqlite.assess import SQLiteAssessment

        return SQLiteAssessment(self)

    def failure_store(self, settings: Settings) -> FailureStore | None:
        from sparkdms.connectors.sqlite.validation import failure_store

        return failure_store(self, settings)

    def read_expr(self, column: Column, peer: str = "") -> str:
        q = self.quote(column.name)
        if column.ltype.kind in WIRE_LONG or column.ltype.kind in ("float32", "float64", "blob"):
            return q
        return f"CAST({q} AS TEXT)"

    def wire_type(self, column: Column) -> object:
        from pyspark.sql import types as T

        kind = column.ltype.kind
        if kind in WIRE_LONG:
            return T.LongType()
        if kind in ("float32", "float64"):
            return T.DoubleType()
        if kind in ("blob", "binary", "varbinary"):
            return T.BinaryType()
        return T.StringType()

    def mod_sql(self, expr: str, n: int) -> str:
        return f"(({expr}) % {n})"

    def hash_expr(self, plan: TablePlan) -> str | None:
        return "rowid" if plan.source.kind == "table" else None

    def discover_tables(self, wanted: TableFilter) -> list[Table]:
        rows = self.query("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                          "AND name NOT LIKE 'sqlite_%' AND name <> ?", (CONTROL_TABLE,))
        meta = {("main", n): (k, 0) for n, k in rows if wanted("main", n, k)}
        columns: list[tuple] = []
        keys: dict[tuple[str, str], list] = {}
        fks: dict[tuple[str, str], list] = {}
        for (schema, name), (kind, _) in meta.items():
            info = self.query(f"PRAGMA table_info({self.quote(name)})")
            pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            for cid, col, native, notnull, default, _pk in info:
                identity = bool(pk == [col] and native.lower() == "integer")
                columns.append((schema, name, col, native or "", not notnull, default, cid,
                                identity))
            if pk:
                keys.setdefault((schema, name), []).append(("pk", True, True, pk))
            for idx in self.query(f"PRAGMA index_list({self.quote(name)})"):
                if idx[3] == "pk":
                    continue
                idx_cols = [r[2] for r in self.query(f"PRAGMA index_info({self.quote(idx[1])})")]
                keys.setdefault((schema, name), []).append((idx[1], False, bool(idx[2]), idx_cols))
            fks[(schema, name)] = self._fks(name)
        counts = {k: (v[0], self.exact_count(Table(k[0], k[1], ()))) for k, v in meta.items()}
        return attach_checks(self, self.build_tables(columns, keys, fks, counts))

    def source_checks(self) -> dict[tuple[str, str], list[Check]]:
        return lite_objects.source_checks(self)

    def _fks(self, name: str) -> list[ForeignKey]:
        grouped: dict[int, list] = {}
        for row in self.query(f"PRAGMA foreign_key_list({self.quote(name)})"):
            grouped.setdefault(row[0], []).append(row)
        return [ForeignKey(f"fk_{name}_{i}", tuple(r[3] for r in rows), "main", rows[0][2],
                           tuple(r[4] for r in rows), rows[0][6], rows[0][5])
                for i, rows in grouped.items()]

    # -- target ----------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        return bool(self.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                               "AND name = ?", (name,))[0][0])

    def column_ddl(self, plan: TablePlan) -> list[str]:
        """An enum column (text here) lists its members in a CHECK inside the table: SQLite
        cannot add one to a table later."""
        sql = self.object_sql()
        return [ddl + (f" CHECK ({cond})" if (cond := member_check(sql, col)) else "")
                for ddl, col in zip(super().column_ddl(plan), plan.columns, strict=True)]

    def object_sql(self) -> lite_objects.SqliteSql:
        return lite_objects.SqliteSql(self)

    def control_table_sql(self, schema: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, CONTROL_TABLE)} ("
                "load_id TEXT NOT NULL, table_name TEXT NOT NULL, part_id INTEGER NOT NULL, "
                "attempt_id INTEGER NOT NULL, row_tag INTEGER NOT NULL, row_count INTEGER NOT NULL, "
                "committed_at TEXT DEFAULT CURRENT_TIMESTAMP, "
                "PRIMARY KEY (load_id, table_name, attempt_id))")

    def stage_like_sql(self, plan: TablePlan, stage: str) -> str:
        return (f"CREATE TABLE {self.qualify(plan.target_schema, stage)} AS SELECT * FROM "
                f"{self.qualify(plan.target_schema, plan.target_name)} WHERE 0")

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        # SQLite cannot add a primary key later: it is always created with the table
        return super().prepare(plan, _PkNow(settings), load_id)

    def table_lock(self, plan: TablePlan) -> Any:
        """An exclusive ``flock`` on a file beside the database, per target table: released
        by the kernel when the process ends, so a killed run never leaves it held."""
        import fcntl

        digest = hashlib.sha1(plan.target_label.encode()).hexdigest()[:16]
        path = Path(self.file).with_name(f".{Path(self.file).name}.{digest}.sdms-lock")
        handle = open(path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    def stage_tables(self, schema: str) -> list[str]:
        return [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND instr(name, '__sdms_') > 0")]

    def attempt_column_sql(self, schema: str, stage: str) -> str:
        return f"ALTER TABLE {self.qualify(schema, stage)} ADD COLUMN \"_sdms_attempt\" INTEGER"

    def swap_sql(self, plan: TablePlan, stage: str, exists: bool,
                 settings: Settings) -> list[str]:
        schema, name = plan.target_schema, plan.target_name
        out = ["BEGIN IMMEDIATE"]
        if exists:
            out.append(f"DROP TABLE {self.qualify(schema, name)}")
        out.append(f"ALTER TABLE {self.qualify(schema, stage)} RENAME TO {self.quote(name)}")
        return out

    def merge_sql(self, plan: TablePlan, stage: str, truncate: bool) -> list[str]:
        return ["BEGIN IMMEDIATE", *super().merge_sql(plan, stage, truncate)]

    # -- executor side ---------------------------------------------------------------------
    def lock_partition(self, cur: Any, key: str) -> None:
        cur.execute("BEGIN IMMEDIATE")

    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int:
        cols = ", ".join(self.quote(c) for c in spec.columns)
        marks = ", ".join(["?"] * len(spec.columns))
        rows = list(iter_rows(batch))
        if rows:
            cur.executemany(f"INSERT INTO {self.qualify(spec.schema, spec.stage_table)} "
                            f"({cols}) VALUES ({marks})", rows)
        return len(rows)


class _PkNow:
    """Settings view with CreatePkAfterFullLoad forced off."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def __getitem__(self, name: str) -> Any:
        if name == "FullLoadSettings.CreatePkAfterFullLoad":
            return False
        return self._settings[name]


class _Conn:
    """sqlite3 in autocommit mode with explicit transactions behind the DB-API calls."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()
