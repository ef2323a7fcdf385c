"""PostgreSQL user-defined types (enum, domain, composite) and identity kinds: read from
the catalog into ``sparkdms.catalog.UserType`` and attached to the columns that use them;
on a PostgreSQL target, created before the tables (in each table's target schema), or
checked against the ones already there.

https://www.postgresql.org/docs/current/sql-createtype.html
https://www.postgresql.org/docs/current/sql-createdomain.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects.naming import same_family

from sparkdms.catalog import Check, Column, Table, TypeUse, UserType
from sparkdms.errors import SparkDmsError

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan

# enums, domains and stand-alone composites (not the row types of tables)
TYPES_SQL = """
SELECT t.oid::bigint, n.nspname, t.typname, t.typtype,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder),
       format_type(t.typbasetype, t.typtypmod), t.typbasetype::bigint, t.typnotnull,
       t.typdefault,
       ARRAY(SELECT c.conname::text FROM pg_constraint c WHERE c.contypid = t.oid
             AND c.contype = 'c' ORDER BY c.conname),
       ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contypid = t.oid
             AND c.contype = 'c' ORDER BY c.conname),
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.typrelid
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       ARRAY(SELECT a.atttypid::bigint FROM pg_attribute a WHERE a.attrelid = t.typrelid
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE (t.typtype IN ('e', 'd')
       OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""

# array types of those: (array oid, element oid)
ARRAYS_SQL = "SELECT oid::bigint, typelem::bigint FROM pg_type WHERE typelem = ANY(%s) AND typcategory = 'A'"

# every column's type and identity kind ('a' always, 'd' by default)
COLUMN_TYPES_SQL = """
SELECT n.nspname, c.relname, a.attname, a.atttypid::bigint, a.attidentity
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""


def _condition(definition: str) -> str:
    """``CHECK ((VALUE > 0))`` (pg_get_constraintdef) -> ``((VALUE > 0))``."""
    text = definition.strip().removesuffix("NOT VALID").strip()
    return text.removeprefix("CHECK").strip()


class Found:
    """The user types of one database, by oid, and how an oid refers to one of them."""

    def __init__(self, connector: Any) -> None:
        rows = connector.query(TYPES_SQL)
        self.names = {int(r[0]): (str(r[1]), str(r[2])) for r in rows}
        self.arrays: dict[int, int] = {}
        if self.names:
            self.arrays = {int(a): int(e) for a, e in
                           connector.query(ARRAYS_SQL, (list(self.names),))}
        self.types = {self.names[int(r[0])]: self._build(r) for r in rows}

    def ref(self, oid: int) -> tuple[tuple[str, str] | None, bool]:
        """(user type, is an array of it) of a type oid."""
        if oid in self.names:
            return self.names[oid], False
        if oid in self.arrays:
            return self.names[self.arrays[oid]], True
        return None, False

    def use(self, native: str, oid: int) -> TypeUse:
        key, array = self.ref(oid)
        return TypeUse(native, key, array)

    def _build(self, row: tuple) -> UserType:
        (_oid, schema, name, kind, labels, base, base_oid, not_null, default, cnames, cdefs,
         anames, atypes, aoids) = row
        if kind == "e":
            return UserType(schema, name, "enum", labels=tuple(labels or ()))
        if kind == "d":
            checks = tuple(Check(n, _condition(d)) for n, d in zip(cnames or (), cdefs or (),
                                                                   strict=True))
            return UserType(schema, name, "domain", base=self.use(base, int(base_oid)),
                            not_null=bool(not_null), default=default, checks=checks)
        attrs = tuple((a, self.use(t, int(o)))
                      for a, t, o in zip(anames or (), atypes or (), aoids or (), strict=True))
        return UserType(schema, name, "composite", attributes=attrs)

    def closure(self, keys: Iterable[tuple[str, str]]) -> tuple[UserType, ...]:
        """The types ``keys`` name and those they are built on, dependencies first."""
        return tuple(ordered(self.types, keys))


def ordered(by_key: dict[tuple[str, str], UserType],
            keys: Iterable[tuple[str, str]]) -> list[UserType]:
    """The types ``keys`` name and those they are built on, dependencies first."""
    out: dict[tuple[str, str], UserType] = {}

    def visit(key: tuple[str, str]) -> None:
        if key in out or key not in by_key:
            return
        for dep in by_key[key].uses:
            visit(dep)
        out[key] = by_key[key]

    for key in keys:
        visit(key)
    return list(out.values())


def attach(connector: Any, tables: list[Table]) -> list[Table]:
    """Columns with their user type and identity kind; tables with the user types they use."""
    found = Found(connector)
    by_col = {(s, t, c): (int(oid), kind) for s, t, c, oid, kind in connector.query(COLUMN_TYPES_SQL)}
    out = []
    for table in tables:
        cols = [_column(found, col, by_col.get((table.schema, table.name, col.name)))
                for col in table.columns]
        used = found.closure(c.user_type for c in cols if c.user_type)
        out.append(replace(table, columns=tuple(cols), user_types=used))
    return out


def _column(found: Found, col: Column, info: tuple[int, str] | None) -> Column:
    if info is None:
        return col
    oid, identity = info
    key, _array = found.ref(oid)
    return replace(col, user_type=key, identity_always=identity == "a")


# -- as a target ------------------------------------------------------------------------------
def carried(c: Any, tp: TablePlan) -> list[UserType]:
    """The user types a same-family plan keeps (columns loaded with their native type)."""
    if not same_family(tp.source.engine, c):
        return []
    keys = sorted({col.source.user_type for col in tp.columns  # type: ignore[union-attr]
                   if _keeps(col)})
    return ordered({u.key: u for u in tp.source.user_types}, keys)


def _keeps(col: ColumnPlan) -> bool:
    return (col.source is not None and col.source.user_type is not None
            and col.target_type == col.source.native_type)


def spell(c: Any, schema: str, use: TypeUse) -> str:
    """A type on the target: a user type qualified with the target schema."""
    if use.user_type is None:
        return use.native
    return c.qualify(schema, use.user_type[1]) + ("[]" if use.array else "")


def column_type(c: Any, tp: TablePlan, col: ColumnPlan) -> str:
    """A column's DDL type on a PostgreSQL target (user types in the target schema)."""
    if not _keeps(col) or not same_family(tp.source.engine, c):
        return col.target_type
    assert col.source is not None and col.source.user_type is not None
    array = col.source.native_type.rstrip().endswith("]")
    return spell(c, tp.target_schema, TypeUse(col.source.native_type, col.source.user_type, array))


def _ident(name: str) -> str:
    """A name as PostgreSQL prints it (quoted unless plain lower case)."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return f'(?:{re.escape(name)}|"{re.escape(name)}")'
    return re.escape('"' + name.replace('"', '""') + '"')


def retarget(c: Any, schema: str, text: str, types: Iterable[UserType]) -> str:
    """Casts to user types inside a DEFAULT or CHECK (``'sad'::shop.mood``) name the types
    of the target schema."""
    for u in types:
        pattern = rf"::(?:{_ident(u.schema)}\.)?{_ident(u.name)}(?![\w$\"])"
        text = re.sub(pattern, lambda _m, u=u: "::" + c.qualify(schema, u.name), text)
    return text


def create_sql(c: Any, schema: str, u: UserType, known: Sequence[UserType] = ()) -> str:
    name = c.qualify(schema, u.name)
    if u.kind == "enum":
        return f"CREATE TYPE {name} AS ENUM ({', '.join(c.literal(v) for v in u.labels)})"
    if u.kind == "domain":
        assert u.base is not None
        parts = [f"CREATE DOMAIN {name} AS {spell(c, schema, u.base)}"]
        if u.default is not None:
            parts.append(f"DEFAULT {retarget(c, schema, u.default, known)}")
        if u.not_null:
            parts.append("NOT NULL")
        parts += [f"CONSTRAINT {c.quote(k.name)} CHECK {retarget(c, schema, k.expression, known)}"
                  for k in u.checks]
        return " ".join(parts)
    attrs = ", ".join(f"{c.quote(a)} {spell(c, schema, t)}" for a, t in u.attributes)
    return f"CREATE TYPE {name} AS ({attrs})"


def planned(c: Any, plans: Sequence[TablePlan]) -> list[tuple[str, UserType]]:
    """(target schema, type) of every user type the plans keep, in creation order; two
    different source types that would take one name on the target are refused."""
    out: dict[tuple[str, str], tuple[str, UserType]] = {}
    for tp in plans:
        for u in carried(c, tp):
            key = (tp.target_schema, u.name)
            if key in out and _signature(c, out[key][1]) != _signature(c, u):
                raise SparkDmsError(
                    f"type {u.name}: {out[key][1].schema}.{u.name} and {u.schema}.{u.name} "
                    f"differ but would both be created in target schema {tp.target_schema}; "
                    "map their tables to different schemas")
            out.setdefault(key, (tp.target_schema, u))
    return list(out.values())


def type_ddl(c: Any, plans: Sequence[TablePlan]) -> list[str]:
    """CREATE TYPE / CREATE DOMAIN for what the plans keep (``sparkdms convert``)."""
    wanted = planned(c, plans)
    known = [u for _, u in wanted]
    return [create_sql(c, schema, u, known) for schema, u in wanted]


def _signature(c: Any, u: UserType, known: Sequence[UserType] = ()) -> tuple:
    """What must match for an existing type to stand for a source type (user types named
    without their schema, also in casts: the target's live in the target schema)."""
    def use(t: TypeUse | None) -> tuple:
        if t is None:
            return ()
        return (t.user_type[1], t.array) if t.user_type else (t.native,)

    def expr(text: str | None) -> str | None:
        return None if text is None else retarget(c, "", text, known)

    return (u.kind, u.labels, use(u.base), u.not_null, expr(u.default),
            tuple((k.name, expr(k.expression)) for k in u.checks),
            tuple((a, use(t)) for a, t in u.attributes))


def _against_target(c: Any, plans: Sequence[TablePlan]) -> tuple[list[str], list[str]]:
    """(CREATE statements of the types missing on the target, why an existing one differs)."""
    wanted = planned(c, plans)
    if not wanted:
        return [], []
    existing = Found(c).types
    known = [u for _, u in wanted]
    todo, differ = [], []
    for schema, u in wanted:
        have = existing.get((schema, u.name))
        if have is None:
            todo.append(create_sql(c, schema, u, known))
        elif _signature(c, have, list(existing.values())) != _signature(c, u, known):
            differ.append(
                f"type {schema}.{u.name} already exists on the target and differs from the "
                f"source's {u.schema}.{u.name} ({_describe(have)} there, {_describe(u)} on the "
                "source); drop or alter it on the target, or map the tables to another schema")
    return todo, differ


def type_conflicts(c: Any, plans: Sequence[TablePlan]) -> list[str]:
    """Types on the target that differ from the source's they would stand for (assessment)."""
    return _against_target(c, plans)[1]


def create_types(c: Any, plans: Sequence[TablePlan]) -> None:
    """Before the tables: create the user types the plans keep; a type that already exists
    with the same definition is kept, one that differs stops the task."""
    todo, differ = _against_target(c, plans)
    if differ:
        raise SparkDmsError(differ[0])
    c.execute_all(todo)


def _describe(u: UserType) -> str:
    if u.kind == "enum":
        return "enum (" + ", ".join(repr(v) for v in u.labels) + ")"
    if u.kind == "domain":
        checks = " ".join(f"CHECK {k.expression}" for k in u.checks)
        base = u.base.native if u.base else "?"
        return (f"domain over {base}" + (" NOT NULL" if u.not_null else "")
                + (f" DEFAULT {u.default}" if u.default else "") + (f" {checks}" if checks else ""))
    return "composite (" + ", ".join(f"{a} {t.native}" for a, t in u.attributes) + ")"


def direct_copy_safe(tp: TablePlan) -> bool:
    """Binary COPY carries the oid of an array's element and of each composite attribute,
    which differ between databases: columns of such user types go through text instead."""
    by_key = {u.key: u for u in tp.source.user_types}
    for col in tp.columns:
        if col.source is None or col.source.user_type is None:
            continue
        if col.source.native_type.rstrip().endswith("]"):
            return False
        if _has_oids(by_key, col.source.user_type, set()):
            return False
    return True


def _has_oids(by_key: dict, key: tuple[str, str], seen: set) -> bool:
    u = by_key.get(key)
    if u is None or key in seen:
        return False
    seen.add(key)
    if u.kind == "composite" or (u.base is not None and u.base.array):
        return True
    return any(_has_oids(by_key, dep, seen) for dep in u.uses)


# -- identity on a target that exists (TRUNCATE_BEFORE_LOAD, DO_NOTHING) -------------------------
def overriding(sql: str) -> str:
    """``INSERT INTO t (cols) SELECT ...`` -> ``... (cols) OVERRIDING SYSTEM VALUE SELECT``:
    the rows keep their values in a GENERATED ALWAYS identity column (harmless elsewhere)."""
    if not sql.startswith("INSERT INTO ") or ") SELECT " not in sql:
        return sql
    head, tail = sql.split(") SELECT ", 1)
    return f"{head}) OVERRIDING SYSTEM VALUE SELECT {tail}"


def identity_past_max(c: Any, tp: TablePlan) -> list[str]:
    """After rows were added to an existing table: the sequence of each identity (or serial)
    column moves past the largest value (setval of NULL, where the column has none, is a
    no-op)."""
    t = c.qualify(tp.target_schema, tp.target_name)
    out = []
    for col in tp.columns:
        if col.source is not None and col.source.identity:
            q = c.quote(col.target_name)
            out.append(f"SELECT setval(pg_get_serial_sequence({c.literal(t)}, "
                       f"{c.literal(col.target_name)}), CAST(COALESCE(MAX({q}), 0) AS bigint) + 1, "
                       f"false) FROM {t}")
    return out
