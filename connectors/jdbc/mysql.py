"""MySQL, MariaDB and Aurora MySQL: discovery from information_schema, batched
INSERT writer through PyMySQL. Spark reads through MariaDB Connector/J with the
``jdbc:mysql:`` scheme so that Spark's MySQL dialect (backtick quoting) applies.

Type names are those ``information_schema.COLUMNS.COLUMN_TYPE`` prints.
https://dev.mysql.com/doc/refman/8.0/en/data-types.html
https://mariadb.com/kb/en/data-types/
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.base import TableFilter
from connectors.jdbc.base import (
    CONTROL_TABLE,
    JdbcConnector,
    LogicalRule,
    NativeRule,
    WriteSpec,
    iter_rows,
)
from sparkdms.catalog import Column, ForeignKey, Table
from sparkdms.errors import TaskConfigError
from sparkdms.plan import TablePlan
from sparkdms.task import Endpoint
from sparkdms.typemap.mysql import LOGICAL_MY, NATIVE_MY
from sparkdms.types import LType, is_carried_as_text

if TYPE_CHECKING:
    from sparkdms.settings import Settings

COLUMNS_SQL = """
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES',
       COLUMN_DEFAULT, ORDINAL_POSITION, EXTRA LIKE '%%auto_increment%%'
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION
"""
TABLES_SQL = """
SELECT TABLE_SCHEMA, TABLE_NAME, IF(TABLE_TYPE = 'VIEW', 'view', 'table'), TABLE_ROWS
FROM information_schema.TABLES
WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
"""
INDEXES_SQL = """
SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, INDEX_NAME = 'PRIMARY', NON_UNIQUE = 0,
       COLUMN_NAME, SEQ_IN_INDEX
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
  AND COLUMN_NAME IS NOT NULL
ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""
FKS_SQL = """
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_SCHEMA,
       k.REFERENCED_TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE,
       r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""


class MySQLConnector(JdbcConnector):
    engine = "mysql"
    family = "mysql"
    packages = ("org.mariadb.jdbc:mariadb-java-client:3.5.6",)
    driver_class = "org.mariadb.jdbc.Driver"
    url_scheme = "jdbc:mysql:"
    default_port = 3306
    quote_char = "`"
    max_identifier = 64
    backslash_escapes = True
    NATIVE: ClassVar[dict[str, NativeRule]] = NATIVE_MY
    LOGICAL: ClassVar[dict[str, LogicalRule]] = LOGICAL_MY
    connect_errors = (
        ("access denied", "wrong user or password"),
        ("unknown database", "database does not exist"),
        ("can't connect", "server not reachable"),
        ("connection refused", "server not reachable (connection refused)"),
        ("timed out", "server not reachable (timeout)"),
    )

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        super().check_endpoint(endpoint)
        opt = endpoint.options.get("tinyint1_as_boolean", True)
        if not isinstance(opt, bool):
            raise TaskConfigError(f"{endpoint.role}.options.tinyint1_as_boolean",
                                  f"expected true or false, got {opt!r}")

    def to_logical(self, native: str, table: str = "?", column: str = "?") -> LType:
        ltype = super().to_logical(native, table, column)
        if (ltype.kind == "boolean" and native.lower().startswith("tinyint")
                and not self.endpoint.options.get("tinyint1_as_boolean", True)):
            return LType("int8")
        return ltype

    def jdbc_url(self) -> str:
        url = super().jdbc_url()
        if url.startswith("jdbc:mariadb:"):
            url = "jdbc:mysql:" + url.removeprefix("jdbc:mariadb:")
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}permitMysqlScheme&sessionVariables=time_zone='+00:00'"

    def connect(self) -> Any:
        import pymysql

        e = self.endpoint
        host, port, database = e.host, e.port or self.default_port, e.database
        if e.url and not e.host:
            rest = e.url.split("//", 1)[1].split("?", 1)[0]
            hostport, _, database = rest.partition("/")
            host, _, p = hostport.partition(":")
            port = int(p) if p else self.default_port
        if e.role == "target":
            database = None  # names are always qualified; prepare_task creates the database
        conn = pymysql.connect(host=host, port=port, user=e.user, database=database or None,
                               password=e.password.reveal() if e.password else "",
                               connect_timeout=10, autocommit=False, charset="utf8mb4",
                               init_command="SET time_zone = '+00:00'", local_infile=False)
        with conn.cursor() as cur:  # no gap locks between concurrent partition writers
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return conn

    def default_schema(self) -> str:
        return self.endpoint.schema or self.endpoint.database or ""

    def read_expr(self, column: Column) -> str:
        q = self.quote(column.name)
        if column.ltype.kind == "bit":
            return f"BIN({q})"
        if is_carried_as_text(column.ltype):
            return f"CAST({q} AS CHAR)"
        return q

    def hash_expr(self, plan: TablePlan) -> str | None:
        cols = ", ".join(self.quote(c.name) for c in plan.source.columns)
        return f"CRC32(CONCAT_WS('|', {cols}))"

    def discover_tables(self, wanted: TableFilter) -> list[Table]:
        meta = {(s, t): (kind, rows) for s, t, kind, rows in self.query(TABLES_SQL.replace("%%", "%"))
                if wanted(s, t, kind)}
        columns = [r for r in self.query(COLUMNS_SQL.replace("%%", "%")) if (r[0], r[1]) in meta]
        grouped: dict[tuple[str, str, str], tuple[bool, bool, list[str]]] = {}
        for s, t, name, primary, unique, col, _ in self.query(INDEXES_SQL):
            if (s, t) in meta:
                grouped.setdefault((s, t, name), (bool(primary), bool(unique), []))[2].append(col)
        keys: dict[tuple[str, str], list] = {}
        for (s, t, name), (primary, unique, cols) in grouped.items():
            keys.setdefault((s, t), []).append((name, primary, unique, cols))
        fk_cols: dict[tuple[str, str, str], list] = {}
        for s, t, name, rs, rt, col, rcol, on_del, on_upd in self.query(FKS_SQL):
            if (s, t) in meta:
                fk_cols.setdefault((s, t, name), []).append((rs, rt, col, rcol, on_del, on_upd))
        fks: dict[tuple[str, str], list] = {}
        for (s, t, name), parts in fk_cols.items():
            rs, rt, _, _, on_del, on_upd = parts[0]
            fks.setdefault((s, t), []).append(ForeignKey(
                name, tuple(p[2] for p in parts), rs, rt, tuple(p[3] for p in parts), on_del,
                on_upd))
        return self.build_tables(columns, keys, fks, meta)

    # -- target ----------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        return bool(self.query("SELECT COUNT(*) FROM information_schema.TABLES "
                               "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (schema, name))[0][0])

    def ensure_schema_sql(self, schema: str) -> list[str]:
        return [f"CREATE DATABASE IF NOT EXISTS {self.quote(schema)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"] if schema else []

    def create_table_sql(self, plan: TablePlan, name: str, with_pk: bool) -> str:
        return super().create_table_sql(plan, name, with_pk) + (
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")

    def control_table_sql(self, schema: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, CONTROL_TABLE)} ("
                "load_id varchar(64) NOT NULL, table_name varchar(512) NOT NULL, "
                "part_id int NOT NULL, row_count bigint NOT NULL, "
                "committed_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
                "PRIMARY KEY (load_id, table_name, part_id)) ENGINE=InnoDB "
                "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")

    def stage_like_sql(self, plan: TablePlan, stage: str) -> str:
        return (f"CREATE TABLE {self.qualify(plan.target_schema, stage)} LIKE "
                f"{self.qualify(plan.target_schema, plan.target_name)}")

    def swap_sql(self, plan: TablePlan, stage: str, exists: bool,
                 settings: Settings) -> list[str]:
        schema, name = plan.target_schema, plan.target_name
        target, staged = self.qualify(schema, name), self.qualify(schema, stage)
        out = []
        if plan.primary_key and settings["FullLoadSettings.CreatePkAfterFullLoad"]:
            out.append(f"ALTER TABLE {staged} ADD " + self.pk_clause(plan, stage))
        if exists:
            old = self.qualify(schema, self.stage_name(name).replace("stage", "old"))
            out += [f"DROP TABLE IF EXISTS {old}",
                    f"RENAME TABLE {target} TO {old}, {staged} TO {target}",
                    f"DROP TABLE {old}"]
        else:
            out.append(f"RENAME TABLE {staged} TO {target}")
        return out

    # -- executor side ---------------------------------------------------------------------
    def lock_partition(self, cur: Any, key: str) -> None:
        cur.execute("SELECT GET_LOCK(%s, 600)", (self._lock_name(key),))

    def unlock_partition(self, cur: Any, key: str) -> None:
        cur.execute("SELECT RELEASE_LOCK(%s)", (self._lock_name(key),))

    @staticmethod
    def _lock_name(key: str) -> str:
        return "sdms_" + hashlib.sha1(key.encode()).hexdigest()

    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int:
        cols = ", ".join(self.quote(c) for c in spec.columns)
        marks = ", ".join(["%s"] * len(spec.columns))
        sql = (f"INSERT INTO {self.qualify(spec.schema, spec.stage_table)} ({cols}) "
               f"VALUES ({marks})")
        rows = list(iter_rows(batch))
        if rows:
            cur.executemany(sql, rows)
        return len(rows)


class MariaDBConnector(MySQLConnector):
    engine = "mariadb"
