"""MySQL, MariaDB and Aurora MySQL: discovery from information_schema, batched
INSERT writer through PyMySQL. Spark reads through MariaDB Connector/J with the
``jdbc:mysql:`` scheme so that Spark's MySQL dialect (backtick quoting) applies.

Type names are those ``information_schema.COLUMNS.COLUMN_TYPE`` prints.
https://dev.mysql.com/doc/refman/8.0/en/data-types.html
https://mariadb.com/kb/en/data-types/
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import END_MARKER, ReadResult, TableFilter, WriteResult
from sparkdms.connectors.mysql import bulk, durations
from sparkdms.connectors.mysql import objects as my_objects
from sparkdms.connectors.mysql.adapt import adapt
from sparkdms.connectors.mysql.types import MARIADB, MYSQL
from sparkdms.connectors.sql.connector import CONTROL_TABLE, SqlConnector, WriteSpec, iter_rows
from sparkdms.connectors.sql.objects import Referencing, attach_checks
from sparkdms.connectors.sql.spec import STAGE_MARK

from sparkdms.catalog import Check, Column, ForeignKey, Table
from sparkdms.errors import TaskConfigError, TerminalError
from sparkdms.plan import Filter, Partition, TablePlan
from sparkdms.plan.typemap.resolve import Resolved
from sparkdms.task import Endpoint
from sparkdms.types import LType, is_carried_as_text, parse_native

if TYPE_CHECKING:
    from sparkdms.connectors.base import (
        AssessmentHooks,
        ChangeStream,
        ExpectationsSql,
        FailureStore,
        SqlValidation,
        TextStream,
    )

    from sparkdms.task.settings import Settings

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


ZERO_DATE_CHOICES = ("null", "error")


class ZeroDateError(TerminalError):
    """A MySQL zero date the endpoint's ``options.zero_date`` does not let through."""


class MySQLConnector(SqlConnector):
    engine = "mysql"
    dialect = MYSQL
    # bulk_load: batches written with LOAD DATA LOCAL INFILE (connectors/mysql/bulk.py)
    endpoint_options = ("jdbc", "tinyint1_as_boolean", "zero_date", "bulk_load")
    packages = ("org.mariadb.jdbc:mariadb-java-client:3.5.6",)
    # rows it refuses (sparkdms.connectors.sql.rejects): NaN and infinity fit no column;
    # a failed CHECK (MariaDB 4025, MySQL 3819) is a row's error though PyMySQL calls it
    # operational
    reject_checks: ClassVar[dict[str, tuple[str, ...]]] = {"float32": ("finite",), "float64": ("finite",)}
    share_lock_sql: ClassVar[str] = " LOCK IN SHARE MODE"
    # the committer waits for attempts still writing (a worker that outlived its executor)
    gate_wait_sql: ClassVar[tuple[str, ...]] = ("SET SESSION innodb_lock_wait_timeout = 3600",)
    row_error_codes = frozenset({4025, 3819})
    driver_class = "org.mariadb.jdbc.Driver"
    url_scheme = "jdbc:mysql:"
    native_url_schemes = ("mysql:", "mariadb:")
    default_port = 3306
    max_identifier = 64
    backslash_escapes = True
    bare_string_defaults = True  # MySQL 8 prints string defaults unquoted ('PG-13' as PG-13)
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
        for key in ("tinyint1_as_boolean", "bulk_load"):
            opt = endpoint.options.get(key, True)
            if not isinstance(opt, bool):
                raise TaskConfigError(f"{endpoint.role}.options.{key}",
                                      f"expected true or false, got {opt!r}")
        zero = endpoint.options.get("zero_date", "null")
        if zero not in ZERO_DATE_CHOICES:
            raise TaskConfigError(f"{endpoint.role}.options.zero_date",
                                  f"{zero!r} is not one of {', '.join(ZERO_DATE_CHOICES)} "
                                  "(what to do with 0000-00-00 dates: load them as NULL, or "
                                  "stop the table)")

    def adapt_column(self, r: Resolved, table: Table, col: Column, same_family: bool) -> Resolved:
        return adapt(r, table, col, self, same_family)

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
        info = self.conn_info()  # the task's keys, else the URL's (user=, password= included)
        # names are always qualified on the target; prepare_task creates the database
        database = None if e.role == "target" else info.database
        conn = pymysql.connect(host=info.host, port=info.port or self.default_port,
                               user=info.user, database=database or None,
                               password=info.password.reveal() if info.password else "",
                               connect_timeout=10, autocommit=False, charset="utf8mb4",
                               init_command="SET time_zone = '+00:00'",
                               local_infile=e.role == "target")
        # the capability is announced, but a file is sent only during our own LOAD DATA
        # (connectors/mysql/bulk.py): a server cannot ask for another file at another time
        conn._local_infile = False
        with conn.cursor() as cur:  # no gap locks between concurrent partition writers
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return conn

    def default_schema(self) -> str:
        return self.endpoint.schema or self.conn_info().database or ""

    # -- assessment (see connectors/mysql/assess.py) -------------------------------------------
    def assessment(self) -> AssessmentHooks:
        from sparkdms.connectors.mysql.assess import MySQLAssessment

        return MySQLAssessment(self)

    # -- validation (see connectors/mysql/validation.py) -------------------------------------
    def validation_sql(self) -> SqlValidation | None:
        from sparkdms.connectors.mysql.validation import sql_validation

        return sql_validation(self)

    def failure_store(self, settings: Settings) -> FailureStore | None:
        from sparkdms.connectors.mysql.validation import failure_store

        return failure_store(self, settings)

    def expectations_sql(self) -> ExpectationsSql | None:
        from sparkdms.connectors.mysql.validation import expectations_sql

        return expectations_sql(self)

    # -- change data capture (see connectors/mysql/changes.py) --------------------------------
    def change_stream(self, task: str, plans: Sequence[TablePlan],
                      settings: Settings) -> ChangeStream | None:
        from sparkdms.connectors.mysql.changes import BinlogChangeStream

        return BinlogChangeStream(self, task, plans)

    # -- types (see connectors/mysql/types.py) -----------------------------------------------
    # dates and timestamps reach Spark as ISO text (see SqlReader.temporal_text): Connector/J's
    # java.sql types would shift days before the Gregorian reform; ``timestamp`` is UTC (the
    # session's time_zone), so its text says so
    temporal_text: ClassVar[Mapping[str, str]] = {
        "date": "CAST({e} AS CHAR)", "timestamp": "CAST({e} AS CHAR)",
        "timestamptz": "CONCAT(CAST({e} AS CHAR), 'Z')"}

    def read_expr(self, column: Column, peer: str = "") -> str:
        """Wire form of a column: bit(n) as n characters of 0/1, zero dates as NULL (counted
        and checked in ``read``), geometry as WKB for targets of another family."""
        q = self.quote(column.name)
        kind = column.ltype.kind
        if kind == "unknown":  # overridden to a text type: the server's own text form
            return f"CAST({q} AS CHAR)"
        if kind == "bit":
            return f"LPAD(BIN({q}), {column.ltype.length or 1}, '0')"
        if self._zero_date_capable(column):
            return f"CASE WHEN {self._zero_date(q)} THEN NULL ELSE {q} END"
        if kind == "geometry" and peer not in ("", "mysql"):
            return f"ST_AsBinary({q})"
        if kind == "interval" and peer not in ("", "mysql"):  # a TIME of durations
            return durations.duration_text(q)
        if is_carried_as_text(column.ltype):
            return f"CAST({q} AS CHAR)"
        return q

    def transport(self, column: Column, peer: str = "") -> tuple[str, Any]:
        """A FLOAT as a DOUBLE: the server's text of a FLOAT has 6 significant digits (the
        JDBC read would get 0.142857 for 0.14285715); a double holds the single exactly and
        ``wire_frame`` casts it back."""
        if column.ltype.kind != "float32":
            return super().transport(column, peer)
        from pyspark.sql.types import DoubleType

        return f"CAST({self.read_expr(column, peer)} AS DOUBLE)", DoubleType()

    @staticmethod
    def _zero_date(q: str) -> str:
        return f"(MONTH({q}) = 0 OR DAY({q}) = 0)"

    @staticmethod
    def _zero_date_capable(column: Column) -> bool:
        return parse_native(column.native_type).name in ("date", "datetime", "timestamp") \
            and column.ltype.kind != "unknown"

    def read(self, spark: Any, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter], end_marker: bool = False) -> ReadResult:
        counts = self.check_zero_dates(plan, pushed)
        durations.check(self, plan, pushed)
        stats = {"ZeroDatesAsNull": sum(counts.values()), "ZeroDatesByColumn": counts} \
            if counts else {}
        return ReadResult(self.read_frame(spark, plan, partitions, pushed, end_marker), stats)

    # -- as the source of a direct copy between engines (connectors/mysql/textout.py) --------
    def text_stream(self, plan: TablePlan) -> TextStream | None:
        from sparkdms.connectors.mysql import textout

        return textout.text_stream(self, plan)

    def text_chunks(self, item: Any) -> Iterator[bytes]:
        from sparkdms.connectors.mysql import textout

        return textout.chunks(self, item)

    def end_marked_sql(self, select: str, names: Sequence[str]) -> str:
        """A derived table with UNION ALL is materialized in full before its first row
        (MariaDB, MySQL), so the marker row comes from an outer join instead, which streams:
        the two-row ``k`` joins the partition's rows to its 0 and, once they are all out,
        its unmatched 1 as the marker row (an empty partition's unmatched 0 is left out)."""
        m = self.quote(END_MARKER)
        cols = ", ".join(f"d.{n}" for n in names)
        return (f"SELECT {cols}, k.{m} FROM (SELECT 0 AS {m} UNION ALL SELECT 1) k "
                f"LEFT JOIN ({select}) d ON k.{m} = 0 WHERE k.{m} = 1 OR d.{m} IS NOT NULL")

    def check_zero_dates(self, plan: TablePlan,
                         pushed: Sequence[Filter] | None = None) -> dict[str, int]:
        """Count zero dates (0000-00-00, 2024-00-10) per column; ``options.zero_date`` decides:
        ``null`` (default) loads them as NULL and counts them in the table statistics
        (``ZeroDatesAsNull``), ``error`` stops the table before a row is written."""
        wanted = plan.source_names  # planned columns and add-column expression inputs
        cols = [c for c in plan.source.columns if c.name in wanted and self._zero_date_capable(c)]
        if not cols:
            return {}
        sums = ", ".join(f"COALESCE(SUM({self._zero_date(self.quote(c.name))}), 0)" for c in cols)
        sql = f"SELECT {sums} FROM {self.qualify(plan.source.schema, plan.source.name)}"
        sql += self.where_sql(plan.filters if pushed is None else pushed, plan.source)
        counts = {c.name: int(n) for c, n in zip(cols, self.query(sql)[0], strict=True) if n}
        where = f"{self.endpoint.role}.options.zero_date"
        found = ", ".join(f"{name} ({n})" for name, n in counts.items())
        if counts and self.endpoint.options.get("zero_date", "null") == "error":
            raise ZeroDateError(f"table {plan.source_label}: zero dates in column(s) {found}; "
                                f"{where} is 'error' (set it to 'null' to load them as NULL)")
        strict = [c.name for c in cols if c.name in counts and not c.nullable]
        if strict:
            raise ZeroDateError(f"table {plan.source_label}: NOT NULL column(s) "
                                f"{', '.join(strict)} hold zero dates ({found}), which load as "
                                f"NULL ({where}: null); fix them on the source or add a "
                                "change-data-type / type_overrides rule")
        return counts

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
        tables = durations.with_durations(self, self.build_tables(columns, keys, fks, meta))
        return attach_checks(self, tables)

    def source_checks(self) -> dict[tuple[str, str], list[Check]]:
        return my_objects.source_checks(self)

    def special_indexes(self) -> dict[tuple[str, str, str], str]:
        return my_objects.special_indexes(self)

    # -- target ----------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        return bool(self.query("SELECT COUNT(*) FROM information_schema.TABLES "
                               "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (schema, name))[0][0])

    def ensure_schema_sql(self, schema: str) -> list[str]:
        return [f"CREATE DATABASE IF NOT EXISTS {self.quote(schema)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"] if schema else []

    def create_denied(self, schema: str) -> str | None:
        """A CREATE TABLE probe (DDL cannot be tried inside a transaction here): a table made
        and dropped at once; a schema still to be made is not probed."""
        import uuid

        probe = self.qualify(schema, f"_sdms_probe_{uuid.uuid4().hex[:12]}")
        try:
            self.execute_all([f"CREATE TABLE {probe} (x int)", f"DROP TABLE {probe}"])
        except Exception as err:
            code = err.args[0] if err.args else None
            if code in (1044, 1142):  # access denied to database / command denied on table
                return f"CREATE TABLE is refused ({err.args[1] if len(err.args) > 1 else err})"
        return None

    def object_sql(self) -> my_objects.MySql:
        return my_objects.MySql(self)

    def referencing_foreign_keys(self, plan: TablePlan) -> list[Referencing]:
        return my_objects.referencing(self, plan)

    def create_table_sql(self, plan: TablePlan, name: str, with_pk: bool) -> str:
        return super().create_table_sql(plan, name, with_pk) + (
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")

    def control_table_sql(self, schema: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, CONTROL_TABLE)} ("
                "load_id varchar(64) NOT NULL, table_name varchar(512) NOT NULL, "
                "part_id int NOT NULL, attempt_id bigint NOT NULL, row_tag bigint NOT NULL, "
                "row_count bigint NOT NULL, "
                "committed_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
                "PRIMARY KEY (load_id, table_name, attempt_id)) ENGINE=InnoDB "
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
            # the replaced table, named like the staging table (same length, still internal)
            old = self.qualify(schema, stage.replace(STAGE_MARK, STAGE_MARK + "o", 1)[:len(stage)])
            out += [f"DROP TABLE IF EXISTS {old}",
                    f"RENAME TABLE {target} TO {old}, {staged} TO {target}",
                    f"DROP TABLE {old}"]
        else:
            out.append(f"RENAME TABLE {staged} TO {target}")
        return out

    def table_lock(self, plan: TablePlan) -> Any:
        """``GET_LOCK`` on its own connection, held until commit or abort (released by the
        server if this process dies)."""
        conn = self.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, 0)", (self._lock_name(self.lock_key(plan)),))
            got = cur.fetchone()[0]
        if got != 1:
            conn.close()
            return None
        return conn

    def stage_tables(self, schema: str) -> list[str]:
        return [r[0] for r in self.query("SELECT TABLE_NAME FROM information_schema.TABLES "
                                         "WHERE TABLE_SCHEMA = %s AND LOCATE('__sdms_', "
                                         "TABLE_NAME) > 0", (schema,))]

    # -- executor side ---------------------------------------------------------------------
    def lock_partition(self, cur: Any, key: str) -> None:
        cur.execute("SELECT GET_LOCK(%s, 600)", (self._lock_name(key),))

    def unlock_partition(self, cur: Any, key: str) -> None:
        cur.execute("SELECT RELEASE_LOCK(%s)", (self._lock_name(key),))

    @staticmethod
    def _lock_name(key: str) -> str:
        return "sdms_" + hashlib.sha1(key.encode()).hexdigest()

    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int:
        """LOAD DATA LOCAL INFILE where the batch loads exactly (connectors/mysql/bulk.py),
        else (and for a batch the server warned about) row INSERTs."""
        loaded = bulk.writer_of(self).write(cur, spec, batch)
        return self.insert_rows(cur, spec, batch) if loaded is None else loaded

    def insert_rows(self, cur: Any, spec: WriteSpec, batch: Any) -> int:
        cols = ", ".join(self.quote(c) for c in spec.columns)
        marks = ", ".join(["%s"] * len(spec.columns))
        sql = (f"INSERT INTO {self.qualify(spec.schema, spec.stage_table)} ({cols}) "
               f"VALUES ({marks})")
        rows = list(iter_rows(batch))
        if rows:
            cur.executemany(sql, rows)
        return len(rows)

    # -- as the target of a direct copy between engines (connectors/mysql/textin.py) --------
    def can_direct_copy(self, source: Any, plan: TablePlan, settings: Settings) -> bool:
        """Where the source has the table as the neutral text stream (connectors/wire.py)
        and every column's form loads with LOAD DATA; never with a table-settings rule, a
        LOB limit or ``bulk_load: false``."""
        from sparkdms.connectors.mysql import textin

        return textin.can_copy(self, source, plan, settings)

    def direct_copy_blocker(self, source: Any, plan: TablePlan, settings: Settings) -> str:
        from sparkdms.connectors.mysql import textin

        return textin.blocker(self, source, plan)

    def direct_copy(self, spark: Any, source: Any, plan: TablePlan, settings: Settings,
                    load_id: str) -> WriteResult:
        from sparkdms.connectors.sql import direct

        return direct.copy_text(spark, self, source, plan, settings, load_id)

    def load_text(self, cur: Any, spec: WriteSpec, chunks: Iterator[bytes], attempt: int) -> int:
        """One partition of another engine's text stream, LOAD DATA from a named pipe."""
        from sparkdms.connectors.mysql import textin

        return textin.load(self, cur, spec, chunks, attempt)

    # -- native partitions (table-settings parallel-load; sparkdms/plan/mapping/table_settings.py) --
    def native_partitions(self, table: Table, leaves: bool = False) -> list[tuple[str, str]]:
        """(partition name, condition) per partition from information_schema.PARTITIONS, for
        RANGE, LIST (one expression or column) and HASH partitioning; none for KEY and
        LINEAR (no SQL condition) or when ``leaves`` asks for subpartitions. Where the
        conditions might miss a row (HASH, several COLUMNS), one more segment takes the
        rest."""
        rows = self.query(
            "SELECT PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, "
            "PARTITION_DESCRIPTION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s AND PARTITION_NAME IS NOT NULL "
            "ORDER BY PARTITION_ORDINAL_POSITION", (table.schema, table.name))
        parts = list(dict.fromkeys(tuple(r) for r in rows))
        if leaves or not parts:
            return []
        method, expr = str(parts[0][1]).upper(), str(parts[0][2])
        several = "," in expr and method.endswith("COLUMNS")
        e = f"({expr})" if several else expr
        preds: list[str] = []
        if method in ("RANGE", "RANGE COLUMNS"):
            prev = None
            for _, _, _, desc in parts:
                conds = ([f"{e} >= {prev}"] if prev is not None else []) + \
                    ([f"{e} < {desc}"] if "MAXVALUE" not in str(desc).upper() else [])
                pred = " AND ".join(conds) or "TRUE"
                preds.append(pred if prev is not None else f"({pred}) OR {expr} IS NULL")
                prev = f"({desc})" if several else desc
        elif method in ("LIST", "LIST COLUMNS"):
            for _, _, _, desc in parts:
                nulls = f" OR {expr} IS NULL" if "NULL" in str(desc).upper() else ""
                preds.append(f"{e} IN ({desc}){nulls}")
        elif method == "HASH":
            preds = [f"MOD(ABS(COALESCE({expr}, 0)), {len(parts)}) = {k}"
                     for k in range(len(parts))]
        else:
            return []
        out = [(str(p[0]), pred) for p, pred in zip(parts, preds, strict=True)]
        if several or method == "HASH":
            out.append(("(rows of no partition above)",
                        "NOT (" + " OR ".join(f"({p}) IS TRUE" for p in preds) + ")"))
        return out


class MariaDBConnector(MySQLConnector):
    engine = "mariadb"
    dialect = MARIADB
    bare_string_defaults = False  # MariaDB quotes them
