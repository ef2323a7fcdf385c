"""Secondary objects around a relational load: what to drop before it and what to
create after it.

AWS DMS creates tables and primary keys only; sparkdms also carries, after the rows
are in (FKs and indexes last, so the load itself is not slowed down):

  identity     identity / auto_increment / serial columns, set past the loaded maximum
                                                            Sparkdms.CreateIdentity
  default      portable column defaults (literals, current date/time, uuid)
                                                            Sparkdms.CreateColumnDefaults
  unique       unique constraints                           Sparkdms.CreateSecondaryIndexes
  check        source CHECK constraints that translate (sqlglot), and the member
               lists of enum/set columns stored as text     Sparkdms.CreateCheckConstraints
  index        secondary indexes                            Sparkdms.CreateSecondaryIndexes
  foreign-key  foreign keys between tables of the task      Sparkdms.CreateForeignKeys
  restore      foreign keys of other target tables that pre_load dropped

The primary key follows ``FullLoadSettings.CreatePkAfterFullLoad`` (created at finalize).
Objects are created only for tables this run created (DROP_AND_CREATE, or a table that
did not exist); an existing table kept by TRUNCATE_BEFORE_LOAD / DO_NOTHING keeps its own.

A default or check that cannot be translated or created is a note in the report; an
index, unique constraint, identity or foreign key that fails (duplicates, orphans) is a
task error listing every failure, after everything else was attempted.

``pre_load`` drops the foreign keys that point at tables about to be dropped or
truncated (DROP_AND_CREATE / TRUNCATE_BEFORE_LOAD): the swap could not drop them
otherwise. Those from tables outside the task are restored at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import PreLoad
from sparkdms.connectors.mysql.adapt import MYSQL_LOBS

from sparkdms.catalog import Check, ForeignKey, Table
from sparkdms.errors import SparkDmsError
from sparkdms.plan.identifiers import rules_for, unique_name
from sparkdms.plan.typemap import dialect
from sparkdms.types import parse_native

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan
    from sparkdms.task.settings import Settings

STAGES = ("identity", "default", "unique", "check", "index", "foreign-key", "restore")
FATAL = ("identity", "unique", "index", "foreign-key", "restore")
GATES = {"identity": "Sparkdms.CreateIdentity", "default": "Sparkdms.CreateColumnDefaults",
         "unique": "Sparkdms.CreateSecondaryIndexes", "index": "Sparkdms.CreateSecondaryIndexes",
         "check": "Sparkdms.CreateCheckConstraints", "foreign-key": "Sparkdms.CreateForeignKeys"}
INTEGER_TYPES_PG = ("smallint", "integer", "bigint", "int2", "int4", "int8", "int")


class ObjectsError(SparkDmsError):
    """Some indexes / constraints could not be created after the load."""

    def __init__(self, failures: list[str], summary: str = "") -> None:
        super().__init__(f"{len(failures)} object(s) could not be created after the load: "
                         + "; ".join(failures) + (f" ({summary})" if summary else ""))
        self.failures = failures
        self.summary = summary


@dataclass(frozen=True)
class Stmt:
    stage: str
    table: str  # target label
    name: str
    sql: tuple[str, ...]  # run in one transaction
    note: str = ""  # why it was skipped (sql empty)

    @property
    def fatal(self) -> bool:
        return self.stage in FATAL


# -- discovery: check constraints (and MariaDB's json columns) -------------------------------

CHECKS_SQL = {
    "postgres": """
SELECT n.nspname, t.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE con.contype = 'c' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3""",
    "mariadb": """
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY 1, 2, 3""",
    "mysql": """
SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.CONSTRAINT_TYPE = 'CHECK'
  AND tc.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY 1, 2, 3""",
}


def _pg_check(text: str) -> str:
    text = text.strip().removesuffix("NOT VALID").strip()
    return text.removeprefix("CHECK").strip()


def _source_checks(connector: Any) -> dict[tuple[str, str], list[Check]]:
    family = connector.family
    out: dict[tuple[str, str], list[Check]] = {}
    if family == "sqlite":
        return _sqlite_checks(connector)
    if family == "postgres":
        rows = connector.query(CHECKS_SQL["postgres"])
        return _group((s, t, n, _pg_check(expr)) for s, t, n, expr in rows)
    if family == "mysql":
        try:  # MariaDB names checks per table and lists TABLE_NAME; MySQL 8 does not
            rows = connector.query(CHECKS_SQL["mariadb"])
        except Exception:
            rows = connector.query(CHECKS_SQL["mysql"])
        return _group(rows)
    return out


def _group(rows: Iterable[tuple]) -> dict[tuple[str, str], list[Check]]:
    out: dict[tuple[str, str], list[Check]] = {}
    for schema, table, name, expr in rows:
        out.setdefault((schema, table), []).append(Check(name, expr))
    return out


def _sqlite_checks(connector: Any) -> dict[tuple[str, str], list[Check]]:
    import sqlglot
    from sqlglot import exp

    out: dict[tuple[str, str], list[Check]] = {}
    for name, sql in connector.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                     "AND sql IS NOT NULL"):
        try:
            tree = sqlglot.parse_one(sql, read="sqlite")
        except Exception:
            continue
        checks = []
        for i, node in enumerate(tree.find_all(exp.CheckColumnConstraint)):
            parent = node.find_ancestor(exp.Constraint)
            cname = parent.name if parent is not None else f"{name}_check{i + 1}"
            checks.append(Check(cname, node.this.sql("sqlite")))
        if checks:
            out[("main", name)] = checks
    return out


def _json_valid_column(check: Check) -> str | None:
    """MariaDB's ``json_valid(`col`)`` check marks a json column stored as longtext."""
    text = check.expression.strip()
    if text.lower().startswith("json_valid(") and text.endswith(")"):
        return text[len("json_valid("):-1].strip().strip("`")
    return None


# indexes a B-tree cannot stand for (MySQL FULLTEXT/SPATIAL), and PostgreSQL generated
# columns (whose expression discovery reads as if it were a default)
SPECIAL_SQL = {
    "mysql": ("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME FROM "
              "information_schema.STATISTICS WHERE INDEX_TYPE IN ('FULLTEXT', 'SPATIAL')"),
    "postgres": ("SELECT n.nspname, c.relname, a.attname FROM pg_attribute a "
                 "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON "
                 "n.oid = c.relnamespace WHERE a.attgenerated <> '' AND a.attnum > 0 "
                 "AND NOT a.attisdropped"),
}


def _special(connector: Any) -> set[tuple[str, str, str]]:
    sql = SPECIAL_SQL.get(connector.family)
    return {tuple(r) for r in connector.query(sql)} if sql else set()  # type: ignore[misc]


def attach_checks(connector: Any, tables: list[Table]) -> list[Table]:
    """Tables as discovery hands them to the planner: with their check constraints and the
    discovering engine; MariaDB json columns (longtext + json_valid) as json; MySQL
    FULLTEXT/SPATIAL indexes left out (the assessment lists them); no default for a
    PostgreSQL generated column (its values are loaded as plain data)."""
    try:
        found = _source_checks(connector)
        special = _special(connector)
    except Exception:  # a catalog we cannot read: no checks, the load goes on
        found, special = {}, set()
    out = []
    for t in tables:
        checks = found.get((t.schema, t.name), [])
        json_cols = {c for c in map(_json_valid_column, checks) if c}
        columns = []
        for c in t.columns:
            if c.name in json_cols and c.ltype.kind == "text":
                c = replace(c, native_type="json", ltype=replace(c.ltype, kind="json", length=None))
            if connector.family == "postgres" and (t.schema, t.name, c.name) in special:
                c = replace(c, default=None)
            columns.append(c)
        keep = tuple(c for c in checks if _json_valid_column(c) not in json_cols)
        indexes = tuple(i for i in t.indexes if (t.schema, t.name, i.name) not in special)
        out.append(replace(t, columns=tuple(columns), checks=keep, indexes=indexes,
                           engine=connector.engine))
    return out


# -- per-target SQL -------------------------------------------------------------------------

@dataclass
class Names:
    """Object names already used on the target, per schema (lowercased)."""

    taken: dict[str, set[str]] = field(default_factory=dict)

    def take(self, connector: Any, schema: str, base: str) -> str:
        return unique_name(base, rules_for(connector.engine), self.taken.setdefault(schema, set()))


def existing_names(connector: Any, schemas: Iterable[str]) -> Names:
    queries = {
        "postgres": ("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                     "c.relnamespace WHERE n.nspname = %s UNION SELECT con.conname FROM "
                     "pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
                     "WHERE n.nspname = %s", 2),
        "mysql": ("SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS "
                  "WHERE CONSTRAINT_SCHEMA = %s", 1),
        "sqlite": ("SELECT name FROM sqlite_master WHERE ? = ?", 2),
    }
    names = Names()
    sql, params = queries.get(connector.family, ("", 0))
    for schema in schemas:
        rows = connector.query(sql, (schema,) * params) if sql else []
        names.taken[schema] = {str(r[0]).lower() for r in rows}
    return names


def _target_cols(tp: TablePlan, names: Iterable[str]) -> tuple[str, ...] | None:
    """Target column names for source (or already target) names; None if one was removed."""
    by_target = {c.target_name for c in tp.columns}
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    out = []
    for n in names:
        hit = n if n in by_target else by_source.get(n)
        if hit is None:
            return None
        out.append(hit)
    return tuple(out)


def _fk_cols(tp: TablePlan, names: Iterable[str]) -> tuple[str, ...] | None:
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    out = [by_source.get(n) for n in names]
    return None if any(o is None for o in out) else tuple(o for o in out if o)


FAMILIES = {"postgres": "postgres", "redshift": "postgres", "mysql": "mysql",
            "mariadb": "mysql", "sqlite": "sqlite"}


def _base_name(tp: TablePlan, name: str, connector: Any) -> str:
    """Source object name, prefixed with the table when it comes from another family
    (MySQL index names are per table, PostgreSQL's and SQLite's per schema)."""
    same = FAMILIES.get(tp.source.engine, tp.source.engine) == connector.family
    if same or name.lower().startswith(tp.target_name.lower()):
        return name
    return f"{tp.target_name}_{name}"


class ObjectSql:
    """Statements for one target family; subclasses change what differs."""

    checks = True
    alter_defaults = True
    foreign_keys = True
    per_table_indexes = False  # index names unique per table (MySQL), else per schema

    def __init__(self, connector: Any) -> None:
        self.c = connector

    def table(self, tp: TablePlan) -> str:
        return self.c.qualify(tp.target_schema, tp.target_name)

    def cols(self, tp: TablePlan, cols: Sequence[str]) -> str:
        return ", ".join(self.c.quote(x) for x in cols)

    def index(self, tp: TablePlan, name: str, cols: Sequence[str], unique: bool) -> tuple[str, ...]:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return (f"CREATE {kind} {self.c.quote(name)} ON {self.table(tp)} ({self.cols(tp, cols)})",)

    def unique(self, tp: TablePlan, name: str, cols: Sequence[str]) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"UNIQUE ({self.cols(tp, cols)})",)

    def check(self, tp: TablePlan, name: str, condition: str) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"CHECK ({condition})",)

    def foreign_key(self, tp: TablePlan, name: str, cols: Sequence[str], ref: TablePlan,
                    ref_cols: Sequence[str], fk: ForeignKey) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"FOREIGN KEY ({self.cols(tp, cols)}) REFERENCES {self.table(ref)} "
                f"({self.cols(ref, ref_cols)}) ON DELETE {_action(fk.on_delete)} "
                f"ON UPDATE {_action(fk.on_update)}",)

    def default(self, tp: TablePlan, col: ColumnPlan, expr: str) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ALTER COLUMN {self.c.quote(col.target_name)} "
                f"SET DEFAULT {expr}",)

    def now(self, col: ColumnPlan) -> str:
        kind = col.ltype.kind
        return {"date": "CURRENT_DATE", "time": "CURRENT_TIME"}.get(kind, "CURRENT_TIMESTAMP")

    def uuid(self) -> str | None:
        return None

    def boolean(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        return "identity columns are not supported on this target"


class PgSql(ObjectSql):
    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        if col.nullable and col.target_name not in tp.primary_key:
            return "identity needs a NOT NULL column"
        t, q = self.table(tp), self.c.quote(col.target_name)
        past = (f"SELECT setval(pg_get_serial_sequence({self.c.literal(t)}, "
                f"{self.c.literal(col.target_name)}), CAST(COALESCE(MAX({q}), 0) AS bigint) + 1, false) "
                f"FROM {t}")
        if parse_native(col.target_type).name in INTEGER_TYPES_PG:
            return (f"ALTER TABLE {t} ALTER COLUMN {q} ADD GENERATED BY DEFAULT AS IDENTITY", past)
        seq = self.c.qualify(tp.target_schema, f"{tp.target_name}_{col.target_name}_seq"[:63])
        return (f"CREATE SEQUENCE {seq} OWNED BY {t}.{q}",
                f"ALTER TABLE {t} ALTER COLUMN {q} SET DEFAULT nextval({self.c.literal(seq)})",
                past)

    def uuid(self) -> str | None:
        return "gen_random_uuid()"


class MySql(ObjectSql):
    per_table_indexes = True

    def cols(self, tp: TablePlan, cols: Sequence[str]) -> str:
        """A text/blob column is indexed by a prefix (InnoDB cannot index it whole)."""
        out = []
        for name in cols:
            base = parse_native(tp.column(name).target_type).name
            out.append(self.c.quote(name) + ("(255)" if base in MYSQL_LOBS else ""))
        return ", ".join(out)

    def foreign_key(self, tp: TablePlan, name: str, cols: Sequence[str], ref: TablePlan,
                    ref_cols: Sequence[str], fk: ForeignKey) -> tuple[str, ...]:
        plain = ", ".join(self.c.quote(x) for x in cols)
        ref_plain = ", ".join(self.c.quote(x) for x in ref_cols)
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"FOREIGN KEY ({plain}) REFERENCES {self.table(ref)} ({ref_plain}) "
                f"ON DELETE {_action(fk.on_delete)} ON UPDATE {_action(fk.on_update)}",)

    def now(self, col: ColumnPlan) -> str:
        kind = col.ltype.kind
        if kind == "date":
            return "(curdate())"
        if kind == "time":
            return "(curtime())"
        p = parse_native(col.target_type).int_arg(0)
        return f"CURRENT_TIMESTAMP({p})" if p else "CURRENT_TIMESTAMP"

    def uuid(self) -> str | None:
        return "(uuid())"

    def boolean(self, value: bool) -> str:
        return "1" if value else "0"

    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        if parse_native(col.target_type).name not in ("tinyint", "smallint", "mediumint", "int",
                                                      "integer", "bigint"):
            return f"auto_increment needs an integer column, not {col.target_type}"
        # InnoDB wants the column first in some key: (payment_date, payment_id) is not enough
        leading = {k[0] for k in (tp.primary_key, *(i.columns for i in tp.indexes)) if k}
        key = "" if col.target_name in leading else \
            f", ADD KEY {self.c.quote(tp.target_name + '_' + col.target_name + '_seq')} " \
            f"({self.c.quote(col.target_name)})"
        # keep 0 as a value: without NO_AUTO_VALUE_ON_ZERO the ALTER would renumber it
        return ("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')",
                f"ALTER TABLE {self.table(tp)} MODIFY {self.c.quote(col.target_name)} "
                f"{col.target_type} NOT NULL AUTO_INCREMENT{key}")


class SqliteSql(ObjectSql):
    checks = False
    alter_defaults = False
    foreign_keys = False

    def index(self, tp: TablePlan, name: str, cols: Sequence[str], unique: bool) -> tuple[str, ...]:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return (f"CREATE {kind} {self.c.qualify(tp.target_schema, name)} ON "
                f"{self.c.quote(tp.target_name)} ({self.cols(tp, cols)})",)

    def unique(self, tp: TablePlan, name: str, cols: Sequence[str]) -> tuple[str, ...]:
        return self.index(tp, name, cols, True)

    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        return "SQLite numbers rows itself (INTEGER PRIMARY KEY is the rowid)"


SQL_BY_FAMILY: dict[str, Callable[[Any], ObjectSql]] = {
    "postgres": PgSql, "mysql": MySql, "sqlite": SqliteSql,
}


def _action(rule: str) -> str:
    rule = (rule or "NO ACTION").upper()
    return rule if rule in ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT") \
        else "NO ACTION"


# -- defaults and checks: translated with sqlglot ---------------------------------------------

SQLGLOT = {"postgres": "postgres", "redshift": "redshift", "mysql": "mysql", "mariadb": "mysql",
           "sqlite": "sqlite", "sqlserver": "tsql", "oracle": "oracle"}
TRUE_WORDS = {"1": True, "0": False, "true": True, "false": False, "t": True, "f": False,
              "b'1'": True, "b'0'": False}


_CALL = re.compile(r"^\(?\s*[a-z_][a-z0-9_]*\s*\(.*\)\s*\)?$", re.IGNORECASE)


class NotPortable(Exception):
    pass


def _strip(node: Any) -> Any:
    from sqlglot import exp

    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def default_sql(sql: ObjectSql, col: ColumnPlan, text: str, engine: str) -> str | None:
    """Target SQL for a source default; None for no default; NotPortable otherwise."""
    import sqlglot
    from sqlglot import exp

    raw = text.strip()
    if raw.upper() == "NULL" or not raw:
        return None
    kind = col.ltype.kind
    if kind == "boolean" and raw.lower().strip("'()") in TRUE_WORDS:
        return sql.boolean(TRUE_WORDS[raw.lower().strip("'()")])
    if raw.lower() in ("(datetime('now'))", "datetime('now')", "(datetime('now','localtime'))"):
        return sql.now(col)
    if engine == "mysql" and kind in ("char", "varchar", "text", "enum", "set") and \
            not raw.startswith("'") and not _CALL.match(raw):
        return sql.c.literal(raw)  # MySQL 8 prints string defaults unquoted ('PG-13' as PG-13)
    try:
        node = _strip(sqlglot.parse_one(raw, read=SQLGLOT.get(engine, engine)))
    except Exception:
        raise NotPortable(raw) from None
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return sql.boolean(bool(node.this))
    if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime):
        return sql.now(col)
    if isinstance(node, exp.Uuid) and sql.uuid():
        return sql.uuid()
    if isinstance(node, exp.Literal):
        return node.this if not node.is_string else sql.c.literal(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    raise NotPortable(raw)


def check_sql(sql: ObjectSql, tp: TablePlan, check: Check, engine: str) -> str:
    """A source CHECK condition in the target's SQL, columns renamed; NotPortable if not."""
    import sqlglot
    from sqlglot import exp

    source = SQLGLOT.get(engine, engine)
    target = SQLGLOT.get(sql.c.engine, sql.c.engine)
    try:
        tree = sqlglot.parse_one(check.expression, read=source)
    except Exception:
        raise NotPortable(check.expression) from None
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    used = {node.name for node in tree.find_all(exp.Column)}
    if FAMILIES.get(engine) == sql.c.family and all(by_source.get(u) == u for u in used):
        return check.expression  # same dialect, same names: exactly as the source has it
    tree = tree.transform(_drop_noise_casts)
    while isinstance(tree, exp.Paren):
        tree = tree.this
    for node in tree.find_all(exp.Column):
        new = by_source.get(node.name)
        if new is None:
            raise NotPortable(f"{check.expression} (column {node.name} is not on the target)")
        node.set("this", exp.to_identifier(new, quoted=True))
        node.set("table", None)
    try:
        return tree.sql(dialect=target, identify=True,
                        unsupported_level=sqlglot.ErrorLevel.RAISE)
    except Exception as err:
        raise NotPortable(f"{check.expression} ({err})") from None


NOISE_CASTS = ("TEXT", "VARCHAR", "CHAR", "BPCHAR", "NVARCHAR", "NCHAR")


def _array_of(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = node.expression.this
    elif isinstance(node, exp.NEQ) and isinstance(node.expression, exp.Anonymous) and \
            node.expression.name.upper() == "ALL" and len(node.expression.expressions) == 1:
        inner = node.expression.expressions[0]
    else:
        return None
    while isinstance(inner, exp.Paren | exp.Cast):  # ARRAY[...]::text[]
        inner = inner.this
    return inner if isinstance(inner, exp.Array) else None


def _drop_noise_casts(node: Any) -> Any:
    """PostgreSQL prints ``(name)::text <> ''::text`` and ``(0)::numeric``: casts of columns to
    text and of literals say nothing another engine needs."""
    from sqlglot import exp

    array = _array_of(node)
    if array is not None:  # x = ANY (ARRAY[...]) / x <> ALL (ARRAY[...]): PostgreSQL's [NOT] IN
        found = exp.In(this=node.this.copy().transform(_drop_noise_casts), expressions=[
            _drop_noise_casts(e.copy()) for e in array.expressions])
        return found if isinstance(node, exp.EQ) else exp.Not(this=found)
    if isinstance(node, exp.Cast):
        inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
        to = node.to.this.name if isinstance(node.to, exp.DataType) else ""
        if isinstance(inner, exp.Literal) or (to in NOISE_CASTS and isinstance(inner, exp.Column)):
            return inner.copy()
    return node


def member_check(sql: ObjectSql, col: ColumnPlan) -> str | None:
    """CHECK for an enum/set column stored as text (MySQL keeps a native enum/set)."""
    t = col.ltype
    if t.kind not in ("enum", "set") or not t.values:
        return None
    if dialect(sql.c.engine).to_logical(col.target_type).kind not in ("char", "varchar", "text"):
        return None  # a native enum/set (MySQL) or a user enum type (PostgreSQL) checks itself
    q = sql.c.quote(col.target_name)
    members = ", ".join(sql.c.literal(v) for v in t.values)
    if t.kind == "enum":
        return f"{q} IN ({members})"
    if sql.c.family == "postgres":
        return f"{q} = '' OR string_to_array({q}, ',') <@ ARRAY[{members}]::text[]"
    return None


# -- what to create --------------------------------------------------------------------------

@dataclass
class Planner:
    connector: Any
    settings: Any
    names: Names
    all_plans: Sequence[TablePlan]
    sql: ObjectSql = field(init=False)

    def __post_init__(self) -> None:
        self.sql = SQL_BY_FAMILY.get(self.connector.family, ObjectSql)(self.connector)

    def enabled(self, stage: str) -> bool:
        gate = GATES.get(stage)
        return gate is None or bool(self.settings[gate])

    def name(self, tp: TablePlan, base: str, index: bool = False) -> str:
        scope = tp.target_label if index and self.sql.per_table_indexes else tp.target_schema
        return self.names.take(self.connector, scope, _base_name(tp, base, self.connector))

    def skip(self, stage: str, tp: TablePlan, name: str, why: str) -> Stmt:
        return Stmt(stage, tp.target_label, name, (), why)

    def identity(self, tp: TablePlan) -> list[Stmt]:
        out = []
        for col in tp.columns:
            if col.source is not None and col.source.identity:
                got = self.sql.identity(tp, col)
                # PostgreSQL names the identity's sequence <table>_<column>_seq: keep it free
                self.names.taken.setdefault(tp.target_schema, set()).add(
                    f"{tp.target_name}_{col.target_name}_seq".lower())
                out.append(self.skip("identity", tp, col.target_name, got) if isinstance(got, str)
                           else Stmt("identity", tp.target_label, col.target_name, got))
        return out

    def defaults(self, tp: TablePlan) -> list[Stmt]:
        out = []
        engine = tp.source.engine
        for col in tp.columns:
            src = col.source
            if src is None or src.identity or src.default is None:
                continue
            if not self.sql.alter_defaults:
                out.append(self.skip("default", tp, col.target_name,
                                     f"default {src.default} (the target cannot add defaults)"))
                continue
            try:
                expr = default_sql(self.sql, col, src.default, engine)
            except NotPortable as err:
                out.append(self.skip("default", tp, col.target_name,
                                     f"default {err} is not portable"))
                continue
            if expr is not None:
                out.append(Stmt("default", tp.target_label, col.target_name,
                                self.sql.default(tp, col, expr)))
        return out

    def keys(self, tp: TablePlan, unique: bool) -> list[Stmt]:
        stage = "unique" if unique else "index"
        out = []
        for idx in tp.indexes:
            if idx.unique != unique:
                continue
            cols = _target_cols(tp, idx.columns)
            if cols is None:
                out.append(self.skip(stage, tp, idx.name, "a column of the index is not loaded"))
                continue
            if unique and tuple(cols) == tuple(tp.primary_key):
                continue
            fk_names = {fk.name for fk in tp.foreign_keys}  # InnoDB names an FK's index after it
            name = self.name(tp, idx.name + ("_idx" if idx.name in fk_names else ""), index=True)
            sql = self.sql.unique(tp, name, cols) if unique else \
                self.sql.index(tp, name, cols, False)
            out.append(Stmt(stage, tp.target_label, name, sql))
        return out

    def checks(self, tp: TablePlan) -> list[Stmt]:
        if not self.sql.checks:
            return [self.skip("check", tp, c.name, f"CHECK ({c.expression}) (the target cannot "
                                                   "add checks to a table)")
                    for c in tp.source.checks]
        out = []
        for col in tp.columns:
            cond = member_check(self.sql, col)
            if cond:
                name = self.name(tp, f"{tp.target_name}_{col.target_name}_check")
                out.append(Stmt("check", tp.target_label, name, self.sql.check(tp, name, cond)))
        for check in tp.source.checks:
            try:
                cond = check_sql(self.sql, tp, check, tp.source.engine)
            except NotPortable as err:
                out.append(self.skip("check", tp, check.name, f"CHECK {err} is not portable"))
                continue
            name = self.name(tp, check.name)
            out.append(Stmt("check", tp.target_label, name, self.sql.check(tp, name, cond)))
        return out

    def foreign_keys(self, tp: TablePlan) -> list[Stmt]:
        out = []
        for fk in tp.foreign_keys:
            if not self.sql.foreign_keys:
                out.append(self.skip("foreign-key", tp, fk.name, "the target cannot add "
                                     "foreign keys to a table"))
                continue
            ref = next((p for p in self.all_plans if (p.source.schema, p.source.name)
                        == (fk.ref_schema, fk.ref_table)), None)
            cols = _fk_cols(tp, fk.columns)
            ref_cols = _fk_cols(ref, fk.ref_columns) if ref is not None else None
            if ref is None or cols is None or ref_cols is None:
                why = (f"references {fk.ref_schema}.{fk.ref_table}, which this task did not load"
                       if ref is None else "a column of the key is not loaded")
                out.append(self.skip("foreign-key", tp, fk.name, why))
                continue
            name = self.name(tp, fk.name)
            out.append(Stmt("foreign-key", tp.target_label, name,
                            self.sql.foreign_key(tp, name, cols, ref, ref_cols, fk)))
        return out

    def statements(self, plans: Sequence[TablePlan]) -> list[Stmt]:
        steps: dict[str, Callable[[TablePlan], list[Stmt]]] = {
            "identity": self.identity, "default": self.defaults,
            "unique": lambda tp: self.keys(tp, True), "check": self.checks,
            "index": lambda tp: self.keys(tp, False), "foreign-key": self.foreign_keys,
        }
        out: list[Stmt] = []
        for stage, step in steps.items():
            if self.enabled(stage):
                for tp in plans:
                    out += step(tp)
        return out


def object_statements(connector: Any, plans: Sequence[TablePlan], settings: Settings,
                      names: Names | None = None,
                      all_plans: Sequence[TablePlan] | None = None) -> list[Stmt]:
    """Everything post_load would create for ``plans``, in order (``sparkdms convert``)."""
    return Planner(connector, settings, names or Names(), all_plans or plans).statements(plans)


# -- pre_load / post_load ----------------------------------------------------------------------

@dataclass
class LoadState:
    created: set[str]  # target labels of tables this run creates
    restore: list[Stmt]  # foreign keys of other tables dropped by pre_load


REFERENCING_SQL = {
    "postgres": """
SELECT n.nspname, t.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE con.contype = 'f' AND con.confrelid = to_regclass(%s)""",
    "mysql": """
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
       k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.REFERENCED_TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME = %s
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION""",
}


def _referencing(connector: Any, tp: TablePlan) -> list[tuple[str, str, str, str, str]]:
    """(schema, table, name, drop sql, add sql) of FKs on the target pointing at tp."""
    c = connector
    target = c.qualify(tp.target_schema, tp.target_name)
    out = []
    if c.family == "postgres":
        for s, t, name, definition in c.query(REFERENCING_SQL["postgres"], (target,)):
            table = c.qualify(s, t)
            out.append((s, t, name, f"ALTER TABLE {table} DROP CONSTRAINT {c.quote(name)}",
                        f"ALTER TABLE {table} ADD CONSTRAINT {c.quote(name)} {definition}"))
    elif c.family == "mysql":
        grouped: dict[tuple[str, str, str], list[tuple]] = {}
        for s, t, name, col, rcol, on_del, on_upd in c.query(
                REFERENCING_SQL["mysql"], (tp.target_schema, tp.target_name)):
            grouped.setdefault((s, t, name), []).append((col, rcol, on_del, on_upd))
        for (s, t, name), parts in grouped.items():
            table = c.qualify(s, t)
            cols = ", ".join(c.quote(p[0]) for p in parts)
            rcols = ", ".join(c.quote(p[1]) for p in parts)
            out.append((s, t, name, f"ALTER TABLE {table} DROP FOREIGN KEY {c.quote(name)}",
                        f"ALTER TABLE {table} ADD CONSTRAINT {c.quote(name)} FOREIGN KEY ({cols}) "
                        f"REFERENCES {target} ({rcols}) ON DELETE {_action(parts[0][2])} "
                        f"ON UPDATE {_action(parts[0][3])}"))
    return out


def pre_load(connector: Any, plans: Sequence[TablePlan], settings: Settings) -> PreLoad:
    mode = settings["FullLoadSettings.TargetTablePrepMode"]
    created: set[str] = set()
    restore: list[Stmt] = []
    drops: list[str] = []
    recreated = set()
    existing = {tp.target_label: connector.table_exists(tp.target_schema, tp.target_name)
                for tp in plans}
    for tp in plans:
        if mode == "DROP_AND_CREATE" or not existing[tp.target_label]:
            created.add(tp.target_label)
            if existing[tp.target_label]:
                recreated.add((tp.target_schema, tp.target_name))
    notes = []
    seen: set[tuple[str, str, str]] = set()
    for tp in plans:
        if mode == "DO_NOTHING" or not existing[tp.target_label]:
            continue
        for s, t, name, drop, add in _referencing(connector, tp):
            if (s, t, name) in seen:
                continue
            seen.add((s, t, name))
            drops.append(drop)
            label = f"{s}.{t}" if s else t
            if (s, t) not in recreated:  # the referencing table keeps its rows: put it back
                restore.append(Stmt("restore", label, name, (add,)))
            notes.append(f"dropped foreign key {name} on {label} (it references "
                         f"{tp.target_label}, which is {mode.lower().replace('_', ' ')})")
    for sql in drops:
        connector.execute_all([sql])
    return PreLoad(notes, LoadState(created, restore))


def _summary(done: list[Stmt]) -> str:
    counts = {stage: sum(s.stage == stage for s in done) for stage in STAGES}
    parts = [f"{n} {stage}" for stage, n in counts.items() if n]
    return "created after the load: " + ", ".join(parts) if parts else ""


PARALLEL_STAGES = ("unique", "index")  # independent per table; FKs stay serial (lock cycles)


def _run(connector: Any, st: Stmt) -> str | None:
    """Run one object's statements; the first line of the error, or None."""
    try:
        connector.execute_all(list(st.sql))
        return None
    except Exception as err:
        return (str(err).strip().splitlines() or [repr(err)])[0]


def _run_stage(connector: Any, stage: list[Stmt], workers: int) -> list[str | None]:
    if workers <= 1 or len(stage) <= 1 or stage[0].stage not in PARALLEL_STAGES:
        return [_run(connector, st) for st in stage]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="sdms-objects") as pool:
        return list(pool.map(lambda st: _run(connector, st), stage))


def post_load(connector: Any, plans: Sequence[TablePlan], settings: Settings,
              before: PreLoad | None = None) -> list[str]:
    state: LoadState | None = before.state if before is not None else None
    mine = [tp for tp in plans if state is None or tp.target_label in state.created]
    names = existing_names(connector, {tp.target_schema for tp in plans})
    stmts = object_statements(connector, mine, settings, names, plans)
    stmts += state.restore if state else []
    workers = 1 if connector.family == "sqlite" else \
        settings["FullLoadSettings.MaxFullLoadSubTasks"]
    done: list[Stmt] = []
    notes = [f"not created: {st.stage} {st.name} on {st.table}: {st.note}"
             for st in stmts if not st.sql]
    failures: list[str] = []
    for stage in STAGES:  # in order: indexes and unique constraints of many tables at once
        todo = [st for st in stmts if st.stage == stage and st.sql]
        for st, error in zip(todo, _run_stage(connector, todo, workers), strict=True):
            if error is None:
                done.append(st)
                continue
            text = f"{st.stage} {st.name} on {st.table}: {error}"
            (failures if st.fatal else notes).append(text if st.fatal else f"not created: {text}")
    summary = _summary(done)
    if failures:
        raise ObjectsError(failures, summary)
    return ([summary] if summary else []) + notes
