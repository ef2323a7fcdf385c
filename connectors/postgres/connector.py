"""PostgreSQL (and Aurora PostgreSQL): discovery from pg_catalog, COPY-based writer.

Type names are those ``format_type()`` prints.
https://www.postgresql.org/docs/current/datatype.html
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import Capabilities, ReadResult, TableFilter, WriteResult
from sparkdms.connectors.postgres import copycolumns, tls
from sparkdms.connectors.postgres import objects as pg_objects
from sparkdms.connectors.postgres import usertypes as pg_usertypes
from sparkdms.connectors.postgres.types import POSTGRES
from sparkdms.connectors.postgres.types import fallback as pg_fallback
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.sql.connector import CONTROL_TABLE, SqlConnector, WriteSpec
from sparkdms.connectors.sql.objects import Referencing, attach_checks

from sparkdms.catalog import Check, Column, ForeignKey, NativeIndex, Table
from sparkdms.errors import TaskConfigError
from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
from sparkdms.plan.typemap.rules import NativeRule, members_of
from sparkdms.task import Endpoint
from sparkdms.types import LType, NativeType, is_carried_as_text, parse_native

XIDS_TABLE = "sparkdms_load_xids"  # subtransactions of attempts (note_savepoint_write)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from sparkdms.connectors.base import (
        AssessmentHooks,
        ExpectationsSql,
        FailureStore,
        SqlValidation,
        TextStream,
    )

    from sparkdms.task.settings import Settings


COLUMNS_SQL = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attnum,
       a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%'
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2, a.attnum
"""

TABLES_SQL = """
SELECT n.nspname, c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""

INDEXES_SQL = """
SELECT n.nspname, t.relname, i.relname, ix.indisprimary, ix.indisunique,
       array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE ix.indexprs IS NULL AND ix.indpred IS NULL
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2, 3
"""

FKS_SQL = """
SELECT n.nspname, t.relname, con.conname, rn.nspname, rt.relname,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord),
       array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = rt.oid AND a.attnum = k.attnum ORDER BY k.ord),
       con.confdeltype, con.confupdtype
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class rt ON rt.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rt.relnamespace
WHERE con.contype = 'f'
"""

USER_TYPES_SQL = """
SELECT format_type(t.oid, NULL), t.typtype,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'c')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""

_ISO = "extract({f} FROM {{q}})::bigint"
# cross-family wire forms, by native name or logical kind
PORTABLE_READS = {
    "array": "CAST(array_to_json({q}) AS text)",
    "document": "CAST(to_json({q}) AS text)",
    "hstore": "CAST(hstore_to_json({q}) AS text)",
    "geometry": "ST_AsBinary({q})", "geography": "ST_AsBinary({q})",
    "interval": ("CASE WHEN {q} IS NULL THEN NULL ELSE 'P' || " + " || ".join(
        f"{_ISO.format(f=f)} || '{u}'" for f, u in (("year", "Y"), ("month", "M"), ("day", "DT"),
                                                    ("hour", "H"), ("minute", "M")))
        + " || extract(second FROM {q})::float8 || 'S' END"),
}

FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL",
              "d": "SET DEFAULT"}


class PostgresConnector(SqlConnector):
    engine = "postgres"
    dialect = POSTGRES
    capabilities = Capabilities(transactional_staging=True, creates_objects_after_load=True,
                                validates_in_sql=True, direct_copy_from=frozenset({"postgres"}))
    packages = ("org.postgresql:postgresql:42.7.8",)
    # rows it refuses (sparkdms.connectors.sql.rejects): text cannot hold a NUL character
    reject_checks: ClassVar[dict[str, tuple[str, ...]]] = {
        k: ("no_nul",) for k in ("char", "varchar", "text", "citext", "json", "xml", "enum",
                                 "set")}
    driver_class = "org.postgresql.Driver"
    endpoint_options = ("jdbc", "ssl_mode", "ssl_root_cert")
    url_scheme = "jdbc:postgresql:"
    native_url_schemes = ("postgresql:", "postgres:")
    default_port = 5432
    max_identifier = 63
    connect_errors = (
        ("password authentication failed", "wrong user or password"),
        ("does not exist", "database or role does not exist"),
        ("connection refused", "server not reachable (connection refused)"),
        ("timeout", "server not reachable (timeout)"),
    )

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        super().check_endpoint(endpoint)
        bad = tls.check(endpoint.options, endpoint.role)
        if bad:
            raise TaskConfigError(*bad)

    def ssl_params(self) -> dict[str, str]:
        """``sslmode`` / ``sslrootcert`` of both drivers (connectors/postgres/tls.py)."""
        info = self.conn_info()
        return tls.params(self.endpoint.options, info.host, info.params)

    def jdbc_properties(self) -> dict[str, str]:
        return {**self.ssl_params(), **super().jdbc_properties()}

    def connect(self) -> Any:
        import psycopg

        e = self.endpoint
        if e.url:  # credentials from the task's keys, else from the URL (see conn_info)
            info = self.conn_info()
            return psycopg.connect(self._libpq_from_url(), user=info.user,
                                   password=info.password.reveal() if info.password else None,
                                   connect_timeout=10, client_encoding="UTF8", **self.ssl_params())
        # UTF-8 whatever the database's encoding: COPY data (CSV from Arrow, the direct
        # copies' streams) is UTF-8, and the server reads it in the client encoding
        return psycopg.connect(host=e.host, port=e.port or self.default_port, dbname=e.database,
                               user=e.user, password=e.password.reveal() if e.password else None,
                               connect_timeout=10, client_encoding="UTF8", **self.ssl_params())

    def _libpq_from_url(self) -> str:
        # jdbc:postgresql://u:pw@host:port/db?opts -> postgresql://host:port/db?opts
        return self.jdbc_url().removeprefix("jdbc:")

    def default_schema(self) -> str:
        return self.endpoint.schema or "public"

    # -- assessment (see connectors/postgres/assess.py) ----------------------------------------
    def assessment(self) -> AssessmentHooks:
        from sparkdms.connectors.postgres.assess import PostgresAssessment

        return PostgresAssessment(self)

    # -- validation (see connectors/postgres/validation.py) ----------------------------------
    def validation_sql(self) -> SqlValidation | None:
        from sparkdms.connectors.postgres.validation import sql_validation

        return sql_validation(self)

    def failure_store(self, settings: Settings) -> FailureStore | None:
        from sparkdms.connectors.postgres.validation import failure_store

        return failure_store(self, settings)

    def expectations_sql(self) -> ExpectationsSql | None:
        from sparkdms.connectors.postgres.validation import expectations_sql

        return expectations_sql(self)

    # -- change data capture (see connectors/postgres/changes.py) ----------------------------
    def change_stream(self, task: str, plans: Sequence[TablePlan],
                      settings: Settings) -> Any:
        from sparkdms.connectors.postgres.changes import PgChangeStream

        return PgChangeStream(self, task, plans, settings)

    # -- types (see connectors/postgres/types.py) --------------------------------------------
    def read(self, spark: Any, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter], end_marker: bool = False) -> ReadResult:
        """The COPY read (connectors/postgres/copyread.py), or with ``Sparkdms.PostgresCopyRead``
        false the JDBC read, after checking that every date and timestamp can travel through
        Spark unchanged (see connectors/postgres/values.py)."""
        from sparkdms.connectors.postgres import copyread
        from sparkdms.connectors.postgres.values import check

        check(self, plan, pushed)
        if copyread.copy_read_wanted(partitions):
            return ReadResult(copyread.read_copy(self, spark, plan, partitions, pushed,
                                                 end_marker))
        return super().read(spark, plan, partitions, pushed, end_marker)

    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        from sparkdms.connectors.postgres.copyread import with_copy_read

        return with_copy_read(super().partitions(plan, settings),
                              settings["Sparkdms.PostgresCopyRead"])

    # dates and timestamps reach Spark as ISO text (see SqlReader.temporal_text), instants in
    # UTC; the years outside 1..9999 that to_char cannot print stop the table (values.py)
    temporal_text: ClassVar[Mapping[str, str]] = {
        "date": "to_char({e}, 'YYYY-MM-DD')",
        "timestamp": "to_char({e}, 'YYYY-MM-DD HH24:MI:SS.US')",
        "timestamptz": "(to_char({e} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || 'Z')"}

    def read_expr(self, column: Column, peer: str = "") -> str:
        """Wire form of a column. For a target of another family, arrays/composites/hstore
        travel as JSON, intervals as ISO 8601 text, PostGIS geometry as WKB; between
        PostgreSQL engines, as PostgreSQL's own text."""
        q = self.quote(column.name)
        if column.ltype.kind == "money":
            return f"CAST(CAST({q} AS numeric) AS text)"
        if peer not in ("", "postgres"):
            name = parse_native(column.native_type).name
            template = PORTABLE_READS.get(name) or PORTABLE_READS.get(column.ltype.kind)
            if template:
                return template.format(q=q)
        if is_carried_as_text(column.ltype) or column.ltype.kind in ("array", "unknown"):
            return f"CAST({q} AS text)"
        return q

    def fallback_rule(self, parsed: NativeType) -> NativeRule | None:
        """Intervals with fields, then the database's own enum, domain and composite types."""
        return pg_fallback(parsed) or self._user_types().get(parsed.name)

    def _user_types(self) -> dict[str, NativeRule]:
        cached = self.__dict__.get("_pg_user_types")
        if cached is None:
            cached = {}
            for spelled, kind, labels, base in self.query(USER_TYPES_SQL):
                cached[parse_native(spelled).name] = self._user_rule(kind, list(labels or []),
                                                                     base)
            self.__dict__["_pg_user_types"] = cached
        return cached

    def _user_rule(self, kind: str, labels: list[str], base: str | None) -> NativeRule:
        if kind == "e":
            return members_of(tuple(labels))
        if kind == "d" and base:
            return lambda _n: self.to_logical(base)
        return lambda _n: LType("document")

    def discover_tables(self, wanted: TableFilter) -> list[Table]:
        meta = {(s, t): (kind, rows) for s, t, kind, rows in self.query(TABLES_SQL)
                if wanted(s, t, kind)}
        columns = [r for r in self.query(COLUMNS_SQL) if (r[0], r[1]) in meta]
        keys: dict[tuple[str, str], list] = {}
        for s, t, name, primary, unique, cols in self.query(INDEXES_SQL):
            if (s, t) in meta:
                keys.setdefault((s, t), []).append((name, primary, unique, list(cols)))
        fks: dict[tuple[str, str], list] = {}
        for s, t, name, rs, rt, cols, rcols, on_del, on_upd in self.query(FKS_SQL):
            if (s, t) in meta:
                fks.setdefault((s, t), []).append(ForeignKey(
                    name, tuple(cols), rs, rt, tuple(rcols), FK_ACTIONS.get(on_del, "NO ACTION"),
                    FK_ACTIONS.get(on_upd, "NO ACTION")))
        tables = pg_usertypes.attach(self, self.build_tables(columns, keys, fks, meta))
        return attach_checks(self, tables)

    def source_checks(self) -> dict[tuple[str, str], list[Check]]:
        return pg_objects.source_checks(self)

    def generated_columns(self) -> set[tuple[str, str, str]]:
        return pg_objects.generated_columns(self)

    def special_indexes(self) -> dict[tuple[str, str, str], str]:
        return pg_objects.special_indexes(self)

    def native_indexes(self) -> dict[tuple[str, str], list[NativeIndex]]:
        return pg_objects.native_indexes(self)

    def hash_partitions(self, plan: TablePlan, n: int) -> Partitioning:
        if plan.source.kind != "table":
            cols = ", ".join(self.quote(c.name) for c in plan.source.columns)
            expr = f"abs(hashtext(CAST(ROW({cols}) AS text))::bigint)"
            return sqlparts.of("hash", None, [f"MOD({expr}, {n}) = {i}" for i in range(n)])
        name = self.qualify(plan.source.schema, plan.source.name)
        pages = int(self.query("SELECT pg_relation_size(%s::regclass) / "
                               "current_setting('block_size')::bigint", (name,))[0][0])
        step = max(1, -(-(pages + 1) // n))
        preds = [f"ctid >= '({b},0)'::tid AND ctid < '({b + step},0)'::tid"
                 for b in range(0, pages, step)]
        if not preds:
            return Partitioning("single")
        preds[-1] = f"ctid >= '({(len(preds) - 1) * step},0)'::tid"
        return sqlparts.of("ctid", None, preds)

    # -- target ----------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        return self.query("SELECT to_regclass(%s) IS NOT NULL",
                          (self.qualify(schema, name),))[0][0]

    def ensure_schema_sql(self, schema: str) -> list[str]:
        return [f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"] if schema else []

    def create_denied(self, schema: str) -> str | None:
        """CREATE on the schema, or on the database where the schema is still to be made."""
        exists, on_schema, on_database, database = self.query(
            "SELECT n.oid IS NOT NULL, n.oid IS NOT NULL AND has_schema_privilege(n.oid, "
            "'CREATE'), has_database_privilege(current_database(), 'CREATE'), "
            "current_database() FROM (SELECT 1) one LEFT JOIN pg_namespace n "
            "ON n.nspname = %s", (schema,))[0]
        if exists and not on_schema:
            return (f"no CREATE privilege on schema {schema} (GRANT CREATE ON SCHEMA "
                    f"{self.quote(schema)} TO ...)")
        if not exists and not on_database:
            return (f"the schema does not exist and the user may not create it (no CREATE "
                    f"privilege on database {database})")
        return None

    # user types of a PostgreSQL source (see connectors/postgres/usertypes.py)
    def type_ddl(self, plans: Sequence[TablePlan]) -> list[str]:
        return pg_usertypes.type_ddl(self, plans)

    def type_conflicts(self, plans: Sequence[TablePlan]) -> list[str]:
        return pg_usertypes.type_conflicts(self, plans)

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        super().prepare_task(plans, settings)
        pg_usertypes.create_types(self, plans)

    def column_ddl(self, plan: TablePlan) -> list[str]:
        return [f"{self.quote(c.target_name)} {pg_usertypes.column_type(self, plan, c)}"
                + ("" if c.nullable else " NOT NULL") for c in plan.columns]

    def object_sql(self) -> pg_objects.PgSql:
        return pg_objects.PgSql(self)

    def referencing_foreign_keys(self, plan: TablePlan) -> list[Referencing]:
        return pg_objects.referencing(self, plan)

    def control_table_sql(self, schema: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, CONTROL_TABLE)} ("
                "load_id varchar(64) NOT NULL, table_name varchar(512) NOT NULL, "
                "part_id integer NOT NULL, attempt_id bigint NOT NULL, row_tag bigint NOT NULL, "
                "row_count bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), "
                "PRIMARY KEY (load_id, table_name, attempt_id))")

    def table_lock(self, plan: TablePlan) -> Any:
        """A session advisory lock on its own connection, held until commit or abort (and
        released by the server if this process dies)."""
        conn = self.connect()
        conn.autocommit = True
        got = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                           (self.lock_key(plan),)).fetchone()[0]
        if not got:
            conn.close()
            return None
        return conn

    def stage_tables(self, schema: str) -> list[str]:
        return [r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = %s "
                                         "AND strpos(tablename, '__sdms_') > 0", (schema,))]

    # rows of one attempt are the rows of its transaction: no column to add and drop (a
    # dropped column would keep its bytes in every row of the table)
    tags_rows = False

    def row_tag_sql(self) -> str:
        return "xmin::text::bigint"

    # a row written inside a savepoint has the subtransaction's xid as its xmin: each such
    # write also adds a row here, whose own xmin is that xid, keyed by the attempt's tag
    def subtransaction_ddl(self, schema: str) -> list[str]:
        return [f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, XIDS_TABLE)} ("
                "load_id varchar(64) NOT NULL, table_name varchar(512) NOT NULL, "
                "top bigint NOT NULL)"]

    def note_savepoint_write(self, cur: Any, spec: WriteSpec) -> None:
        cur.execute(f"INSERT INTO {self.qualify(spec.control_schema, XIDS_TABLE)} "
                    f"(load_id, table_name, top) VALUES (%s, %s, {self.current_tag_sql()})",
                    (spec.load_id, spec.table_key))

    def attempt_rows_sql(self, ctl: str, load_id: str, table: str,
                         tags: Sequence[int]) -> tuple[str, tuple]:
        marks = ", ".join(["%s"] * len(tags))
        return (f"({self.row_tag_sql()} IN ({marks}) OR xmin IN (SELECT x.xmin FROM "
                f"{self.qualify(ctl, XIDS_TABLE)} x WHERE x.load_id = %s AND "
                f"x.table_name = %s AND x.top IN ({marks})))",
                (*tags, load_id, table, *tags))

    def clear_control_sql(self, schema: str) -> str:
        return (f"WITH p(l, t) AS (VALUES (%s::varchar, %s::varchar)), "
                f"x AS (DELETE FROM {self.qualify(schema, XIDS_TABLE)} AS x USING p "
                "WHERE x.load_id = p.l AND x.table_name = p.t) "
                f"DELETE FROM {self.qualify(schema, CONTROL_TABLE)} AS c USING p "
                "WHERE c.load_id = p.l AND c.table_name = p.t")

    def current_tag_sql(self) -> str:
        return "mod(pg_current_xact_id()::text::bigint, 4294967296)"

    def pk_name(self, table_name: str) -> str:
        return (table_name.encode()[: self.max_identifier - 5].decode(errors="ignore")) + "_pkey"

    def pk_clause(self, plan: TablePlan, table_name: str) -> str:
        cols = ", ".join(self.quote(c) for c in plan.primary_key)
        return f"CONSTRAINT {self.quote(self.pk_name(table_name))} PRIMARY KEY ({cols})"

    def stage_like_sql(self, plan: TablePlan, stage: str) -> str:
        # CHECK constraints too: a row the target's checks refuse is rejected as it is
        # written (sparkdms.connectors.sql.rejects), not when the staging is merged
        return (f"CREATE TABLE {self.qualify(plan.target_schema, stage)} (LIKE "
                f"{self.qualify(plan.target_schema, plan.target_name)} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS)")

    def swap_sql(self, plan: TablePlan, stage: str, exists: bool,
                 settings: Settings) -> list[str]:
        schema, name = plan.target_schema, plan.target_name
        out = [f"DROP TABLE {self.qualify(schema, name)}"] if exists else []
        out.append(f"ALTER TABLE {self.qualify(schema, stage)} RENAME TO {self.quote(name)}")
        if plan.primary_key:
            if settings["FullLoadSettings.CreatePkAfterFullLoad"]:
                out.append(f"ALTER TABLE {self.qualify(schema, name)} ADD "
                           + self.pk_clause(plan, name))
            else:
                out.append(f"ALTER TABLE {self.qualify(schema, name)} RENAME CONSTRAINT "
                           f"{self.quote(self.pk_name(stage))} TO "
                           f"{self.quote(self.pk_name(name))}")
        return out

    def merge_sql(self, plan: TablePlan, stage: str, truncate: bool) -> list[str]:
        """Rows keep their identity values (OVERRIDING SYSTEM VALUE: a target column may be
        GENERATED ALWAYS), and its sequence moves past them."""
        out = super().merge_sql(plan, stage, truncate)
        if truncate:
            out[0] = f"TRUNCATE TABLE {self.qualify(plan.target_schema, plan.target_name)}"
        out = [pg_usertypes.overriding(sql) for sql in out]
        return out[:-1] + pg_usertypes.identity_past_max(self, plan) + out[-1:]

    def prepare_frame(self, df: DataFrame, plan: TablePlan) -> DataFrame:
        """bytea travels as PostgreSQL hex text (\\x...) inside the COPY CSV stream."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import BinaryType

        from sparkdms.types import spark_col

        out = []
        for field in df.schema.fields:
            c = spark_col(field.name)
            if isinstance(field.dataType, BinaryType):
                c = F.concat(F.lit("\\x"), F.lower(F.hex(c))).alias(field.name)
            out.append(c)
        return df.select(*out)

    # -- executor side ---------------------------------------------------------------------
    def lock_partition(self, cur: Any, key: str) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    def insert_batch(self, cur: Any, spec: WriteSpec, batch: Any) -> int:
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False))
        cols = ", ".join(self.quote(c) for c in spec.columns)
        sql = f"COPY {self.qualify(spec.schema, spec.stage_table)} ({cols}) FROM STDIN (FORMAT csv)"
        with cur.copy(sql) as copy:
            copy.write(buf.getvalue())
        return batch.num_rows

    # -- direct copies (connectors/sql/direct.py) -------------------------------------------
    def can_direct_copy(self, source: Any, plan: TablePlan, settings: Settings) -> bool:
        """PostgreSQL to PostgreSQL where every target column is a source column, a widening
        cast of one or an added column PostgreSQL computes exactly as Spark would
        (connectors/postgres/copycolumns.py); from another engine, where the source has the
        table as the neutral text stream (connectors/wire.py). Never with a table-settings
        rule or a LOB limit. Then rows need not pass through Spark rows."""
        from sparkdms.connectors.sql import direct

        if not direct.wanted(plan, settings) or not pg_usertypes.direct_copy_safe(plan):
            return False
        if source.dialect.family in self.capabilities.direct_copy_from:
            return copycolumns.select_list(source, plan) is not None
        return source.text_stream(plan) is not None

    def direct_copy_blocker(self, source: Any, plan: TablePlan, settings: Settings) -> str:
        from sparkdms.connectors import wire

        if not pg_usertypes.direct_copy_safe(plan):
            return "a column of a user-defined array or composite type"
        if source.dialect.family in self.capabilities.direct_copy_from:
            return (wire.blocker(plan, ()) if plan.settings or plan.lob_limit is not None
                    else copycolumns.blocker(source, plan)) or ""
        return wire.blocker(plan) or ("" if source.text_stream(plan) is not None else
                                      f"the {source.engine} source has no text stream of it")

    def direct_copy(self, spark: Any, source: Any, plan: TablePlan, settings: Settings,
                    load_id: str) -> WriteResult:
        from sparkdms.connectors.sql import direct

        if source.dialect.family not in self.capabilities.direct_copy_from:
            return direct.copy_text(spark, self, source, plan, settings, load_id)
        spec = self.write_spec(plan, settings, load_id)
        cols = ", ".join(copycolumns.select_list(source, plan) or [])
        base = f"SELECT {cols} FROM {source.qualify(plan.source.schema, plan.source.name)}"
        queries = [base + source.where_sql(plan.filters, plan.source, [p] if p else [])
                   for p in sqlparts.predicates(plan.partitioning.parts)]
        endpoint, source_class = source.endpoint, type(source)
        return direct.run_copies(
            spark, plan, queries, lambda q: direct.copy_partition(spec, source_class, endpoint, q))

    def copy_stream(self, cur: Any, spec: WriteSpec, source: Any, query: str) -> int:
        cols = ", ".join(self.quote(c) for c in spec.columns)
        into = f"COPY {self.qualify(spec.schema, spec.stage_table)} ({cols}) FROM STDIN (FORMAT binary)"
        from sparkdms.connectors.sql.direct import rebatched

        conn = source.connect()
        try:
            with _refusals(), conn.cursor() as scur, \
                    scur.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as out, \
                    cur.copy(into) as inp:
                for block in rebatched(out):
                    inp.write(block)
            conn.rollback()
        finally:
            conn.close()
        return cur.rowcount

    def load_text(self, cur: Any, spec: WriteSpec, chunks: Iterator[bytes], attempt: int) -> int:
        """One partition of another engine's text stream (connectors/wire.py) into the
        staging table with a text COPY, which reads that form as it is (an instant as its
        UTC wall clock: the attempt's transaction reads it in UTC)."""
        cols = ", ".join(self.quote(c) for c in spec.columns)
        into = f"COPY {self.qualify(spec.schema, spec.stage_table)} ({cols}) FROM STDIN"
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        with _refusals(), cur.copy(into) as inp:
            for chunk in chunks:
                inp.write(chunk)
        return cur.rowcount

    # -- as the source of a direct copy between engines (connectors/postgres/textout.py) -----
    def text_stream(self, plan: TablePlan) -> TextStream | None:
        from sparkdms.connectors.postgres import textout

        return textout.text_stream(self, plan)

    def text_chunks(self, item: Any) -> Iterator[bytes]:
        from sparkdms.connectors.postgres import textout

        return textout.chunks(self, item)

    # -- native partitions (table-settings parallel-load; sparkdms/plan/mapping/table_settings.py) --
    def native_partitions(self, table: Table, leaves: bool = False) -> list[tuple[str, str]]:
        """(partition name, condition over the parent's columns): the direct partitions of a
        declaratively partitioned table, or its leaf partitions. The conditions are
        PostgreSQL's own partition constraints, so each segment's query reads one partition
        (pruning) and together they cover every row."""
        level = "t.isleaf" if leaves else "t.level = 1"
        rows = self.query(
            "SELECT c.relname, pg_get_partition_constraintdef(t.relid) "
            "FROM pg_partition_tree(%s::regclass) t JOIN pg_class c ON c.oid = t.relid "
            f"WHERE t.level > 0 AND {level} ORDER BY c.relname",
            (self.qualify(table.schema, table.name),))
        return [(str(name), str(cond) if cond else "TRUE") for name, cond in rows]


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A value the target refuses (SQLSTATE class 22/23) as the direct copy's refusal."""
    from sparkdms.connectors.sql.direct import refused
    from sparkdms.connectors.sql.rejects import is_row_error

    try:
        yield
    except Exception as err:
        if not is_row_error(err):
            raise
        raise refused(err) from err
