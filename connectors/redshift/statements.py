"""The SQL of a Redshift load, as pure functions of the plan (unit-tested with sqlglot's
Redshift dialect; run by ``connector.py``).

One transaction per table:

  direct (every column's Parquet type loads into its Redshift type):
      DROP TABLE IF EXISTS t; CREATE TABLE t (...) DISTSTYLE ... SORTKEY (...);   (*)
      COPY t (cols) FROM 's3://.../manifest' <credentials> FORMAT AS PARQUET MANIFEST;
  staged (SUPER columns, values Spark carries as text: unbounded decimals, times, ...):
      CREATE TEMP TABLE s (...);  COPY s ...;  (*)
      INSERT INTO t (cols) SELECT "a", JSON_PARSE("j"), CAST("x" AS numeric(38,10)) FROM s;
      DROP TABLE s;

  (*) by FullLoadSettings.TargetTablePrepMode: DROP_AND_CREATE drops and creates the table,
  TRUNCATE_BEFORE_LOAD creates it if missing and DELETEs its rows (Redshift's TRUNCATE
  commits at once, DELETE stays in the transaction), DO_NOTHING creates it if missing.

Nothing is visible before COMMIT; a failure rolls the whole table back. COPY cannot bind
parameters, so its location and credentials are string literals, escaped here
(``literal``); the statement with credentials is never printed, logged or put in an error
(``copy_sql(..., reveal=False)`` masks them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sparkdms.connectors.redshift.settings import TableKeys

from sparkdms.plan import TablePlan
from sparkdms.task.secrets import Secret
from sparkdms.types import spark_type

Quote = Callable[[str], str]
STAGE_TEXT = "character varying(65535)"
JSON_PARSE = "JSON_PARSE({})"
MASK = "'***'"


@dataclass(frozen=True)
class LoadColumn:
    name: str  # target column
    final: str  # its Redshift type
    stage: str  # the type COPY loads into (the Parquet value's)
    nullable: bool = True

    @property
    def direct(self) -> bool:
        return self.final == self.stage


def load_columns(plan: TablePlan) -> list[LoadColumn]:
    """Each target column with the type COPY can load its Parquet value into: the final
    type, except text for what Spark carries as text and Redshift stores otherwise."""
    from pyspark.sql import types as T

    out = []
    for col in plan.columns:
        textual = isinstance(spark_type(col.ltype), T.StringType)
        is_text = col.target_type.startswith(("character", "varchar", "char"))
        stage = STAGE_TEXT if textual and not is_text else col.target_type
        out.append(LoadColumn(col.target_name, col.target_type, stage, col.nullable))
    return out


def select_expr(col: LoadColumn, quote: Quote, json_parse: str = JSON_PARSE) -> str:
    q = quote(col.name)
    if col.direct:
        return q
    if col.final == "super":
        return json_parse.format(q)
    return f"CAST({q} AS {col.final})"


def literal(text: str) -> str:
    """A Redshift string literal: quotes doubled, backslashes doubled (Redshift reads a
    backslash in a literal as an escape); control characters refused."""
    if any(ord(ch) < 32 for ch in text):
        raise ValueError("a COPY location or credential may not hold control characters")
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def attributes(plan: TablePlan, keys: TableKeys | None, quote: Quote) -> str:
    """DISTSTYLE / DISTKEY / SORTKEY: ``keys`` where given, else from the primary key."""
    keys = keys or TableKeys()
    pk = plan.primary_key
    style = keys.diststyle or ("KEY" if pk else None)
    distkey = keys.distkey or (pk[0] if style == "KEY" and pk else None)
    sortkey = keys.sortkey if keys.sortkey is not None else pk
    names = {c.target_name for c in plan.columns}
    for name in (distkey, *sortkey):
        if name is not None and name not in names:
            raise ValueError(f"table {plan.target_label}: table_keys names column {name!r}, "
                             f"which the table does not have")
    parts = []
    if style:
        parts.append(f"DISTSTYLE {style}")
    if distkey:
        parts.append(f"DISTKEY({quote(distkey)})")
    if sortkey:
        parts.append(f"{keys.sortstyle} SORTKEY({', '.join(quote(c) for c in sortkey)})")
    return " ".join(parts)


def create_table(table: str, cols: Sequence[LoadColumn], quote: Quote, *, stage: bool = False,
                 primary_key: Sequence[str] = (), attrs: str = "",
                 if_not_exists: bool = False) -> str:
    """CREATE TABLE of the target (final types, NOT NULL, PRIMARY KEY: informational in
    Redshift) or of the temporary staging table (``stage``: load types, no constraints)."""
    defs = [f"{quote(c.name)} {c.stage if stage else c.final}"
            + ("" if stage or c.nullable else " NOT NULL") for c in cols]
    if primary_key and not stage:
        defs.append(f"PRIMARY KEY ({', '.join(quote(k) for k in primary_key)})")
    head = "CREATE TEMP TABLE" if stage else \
        "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
    return f"{head} {table} ({', '.join(defs)})" + (f" {attrs}" if attrs and not stage else "")


@dataclass(frozen=True)
class CopyAuth:
    """COPY's credentials: the role ARN (``ServiceAccessRoleArn``), else the endpoint's
    keys, else the cluster's default role (``IAM_ROLE default``)."""

    role_arn: str | None = None
    key_id: Secret | None = None
    secret: Secret | None = None
    token: Secret | None = None

    def clause(self, reveal: bool) -> str:
        """Masked unless ``reveal``: the key id too (the endpoint treats it as a secret)."""
        if self.role_arn:
            return f"IAM_ROLE {literal(self.role_arn)}"
        if self.key_id and self.secret:
            show = (lambda s: literal(s.reveal())) if reveal else (lambda s: MASK)
            out = f"ACCESS_KEY_ID {show(self.key_id)} SECRET_ACCESS_KEY {show(self.secret)}"
            return out + (f" SESSION_TOKEN {show(self.token)}" if self.token else "")
        return "IAM_ROLE default"


def copy_sql(table: str, columns: Sequence[str], manifest: str, auth: CopyAuth, quote: Quote,
             *, region: str | None = None, comp_update: bool | None = None,
             reveal: bool = False) -> str:
    """``COPY table (cols) FROM 's3://.../manifest' <auth> FORMAT AS PARQUET MANIFEST``;
    ``reveal=False`` (the default) masks the secret key and token."""
    sql = (f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM {literal(manifest)} "
           f"{auth.clause(reveal)} FORMAT AS PARQUET MANIFEST")
    if region:
        sql += f" REGION {literal(region)}"
    if comp_update is not None:
        sql += f" COMPUPDATE {'ON' if comp_update else 'OFF'}"
    return sql


@dataclass(frozen=True)
class LoadSql:
    """The statements of one table's load transaction, in order; ``copy_at`` is the index
    of the COPY (run with credentials revealed, shown masked)."""

    statements: tuple[str, ...]
    copy_at: int
    copy_into: str  # the (quoted) table the COPY loads


def load_sql(plan: TablePlan, mode: str, table: str, stage: str, attrs: str, quote: Quote,
             copy: Callable[[str, Sequence[str]], str], json_parse: str = JSON_PARSE) -> LoadSql:
    """The transaction for ``mode`` (TargetTablePrepMode); ``copy(table, columns)`` renders
    the COPY (masked: the connector renders it again, revealed, to run it)."""
    cols = load_columns(plan)
    names = [c.name for c in cols]
    direct = all(c.direct for c in cols)
    prep: list[str] = []
    if mode == "DROP_AND_CREATE":
        prep += [f"DROP TABLE IF EXISTS {table}",
                 create_table(table, cols, quote, primary_key=plan.primary_key, attrs=attrs)]
    else:
        prep.append(create_table(table, cols, quote, primary_key=plan.primary_key, attrs=attrs,
                                 if_not_exists=True))
        if mode == "TRUNCATE_BEFORE_LOAD":
            prep.append(f"DELETE FROM {table}")
    if direct:
        return LoadSql((*prep, copy(table, names)), len(prep), table)
    stmts = [create_table(stage, cols, quote, stage=True), copy(stage, names), *prep,
             f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) SELECT "
             f"{', '.join(select_expr(c, quote, json_parse) for c in cols)} FROM {stage}",
             f"DROP TABLE {stage}"]
    return LoadSql(tuple(stmts), 1, stage)
