"""PostgreSQL's part of the objects around a load (``sparkdms.connectors.sql.objects``):
identity columns, the catalog's check constraints, generated columns, the foreign keys
that reference a table, and the names a schema already uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects import ObjectSql, Referencing, group_checks

from sparkdms.catalog import Check, IndexKey, NativeIndex
from sparkdms.types import parse_native

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan

INTEGER_TYPES = ("smallint", "integer", "bigint", "int2", "int4", "int8", "int")

CHECKS_SQL = """
SELECT n.nspname, t.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE con.contype = 'c' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3"""

# generated columns, whose expression discovery reads as if it were a default
GENERATED_SQL = ("SELECT n.nspname, c.relname, a.attname FROM pg_attribute a "
                 "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON "
                 "n.oid = c.relnamespace WHERE a.attgenerated <> '' AND a.attnum > 0 "
                 "AND NOT a.attisdropped")

REFERENCING_SQL = """
SELECT n.nspname, t.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE con.contype = 'f' AND con.confrelid = to_regclass(%s)"""

# indexes of another method than B-tree (GIN, GiST, hash, BRIN, SP-GiST): a B-tree in their
# place would not serve their queries and may not even build (no B-tree class for the type,
# rows over the B-tree size limit)
SPECIAL_INDEXES_SQL = """
SELECT n.nspname, t.relname, i.relname, am.amname, pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE am.amname <> 'btree' AND NOT t.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')"""

# the same indexes, and expression / partial B-trees, by parts (catalog.NativeIndex): per
# element k its plain column ('' for an expression), its text (pg_get_indexdef(.., k, true))
# and what pg_get_indexdef prints after it (COLLATE, opclass unless the default, ordering)
NATIVE_INDEXES_SQL = """
SELECT n.nspname, t.relname, i.relname, am.amname, ix.indisunique, ix.indnkeyatts,
  ARRAY(SELECT COALESCE(a.attname, '') FROM generate_series(1, ix.indnatts) k
        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[k - 1]
        ORDER BY k),
  ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnatts) k
        ORDER BY k),
  ARRAY(SELECT
      CASE WHEN ix.indcollation[k - 1] IN (0, 100) OR ix.indcollation[k - 1] = a.attcollation
           THEN '' ELSE ' COLLATE ' || ix.indcollation[k - 1]::regcollation::text END
   || CASE WHEN opc.opcdefault OR opc.oid IS NULL THEN ''
           WHEN opn.nspname IN ('pg_catalog', 'public') THEN ' ' || quote_ident(opc.opcname)
           ELSE ' ' || quote_ident(opn.nspname) || '.' || quote_ident(opc.opcname) END
   || CASE WHEN NOT pg_indexam_has_property(am.oid, 'can_order') THEN ''
           WHEN ix.indoption[k - 1] & 3 = 3 THEN ' DESC'
           WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC NULLS LAST'
           WHEN ix.indoption[k - 1] & 2 = 2 THEN ' NULLS FIRST' ELSE '' END
        FROM generate_series(1, ix.indnkeyatts) k
        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[k - 1]
        LEFT JOIN pg_opclass opc ON opc.oid = ix.indclass[k - 1]
        LEFT JOIN pg_namespace opn ON opn.oid = opc.opcnamespace ORDER BY k),
  COALESCE(array_to_string(i.reloptions, ', '), ''),
  COALESCE(pg_get_expr(ix.indpred, ix.indrelid, true), ''),
  ARRAY(SELECT a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid
        AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass
        AND d.objid = ix.indexrelid AND d.refobjid = t.oid AND d.refobjsubid > 0
        ORDER BY a.attnum),
  pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE (am.amname <> 'btree' OR ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL)
  AND NOT ix.indisprimary AND NOT t.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3"""

NAMES_SQL = ("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
             "c.relnamespace WHERE n.nspname = %s UNION SELECT con.conname FROM "
             "pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
             "WHERE n.nspname = %s")


def check_condition(text: str) -> str:
    """``CHECK ((x > 0)) NOT VALID`` as pg_get_constraintdef prints it -> ``((x > 0))``."""
    text = text.strip().removesuffix("NOT VALID").strip()
    return text.removeprefix("CHECK").strip()


def source_checks(connector: Any) -> dict[tuple[str, str], list[Check]]:
    rows = connector.query(CHECKS_SQL)
    return group_checks((s, t, n, check_condition(expr)) for s, t, n, expr in rows)


def generated_columns(connector: Any) -> set[tuple[str, str, str]]:
    return {(s, t, c) for s, t, c in connector.query(GENERATED_SQL)}


def special_indexes(connector: Any) -> dict[tuple[str, str, str], str]:
    return {(s, t, i): f"a {method} index, which a B-tree cannot stand for, is not recreated; "
            f"create it by hand ({definition})"
            for s, t, i, method, definition in connector.query(SPECIAL_INDEXES_SQL)}


def native_index(row: tuple) -> tuple[tuple[str, str], NativeIndex]:
    s, t, name, method, unique, nkeys, cols, texts, suffixes, options, pred, used, full = row
    keys = tuple(IndexKey(c or None, x, sfx) for c, x, sfx in zip(cols, texts, suffixes))
    include = tuple(c for c in cols[nkeys:])
    return (s, t), NativeIndex(name, method, keys[:nkeys], bool(unique), include, options, pred,
                               tuple(used), full)


def native_indexes(connector: Any) -> dict[tuple[str, str], list[NativeIndex]]:
    out: dict[tuple[str, str], list[NativeIndex]] = {}
    for row in connector.query(NATIVE_INDEXES_SQL):
        key, index = native_index(row)
        out.setdefault(key, []).append(index)
    return out


def referencing(connector: Any, tp: TablePlan) -> list[Referencing]:
    c = connector
    target = c.qualify(tp.target_schema, tp.target_name)
    out = []
    for s, t, name, definition in c.query(REFERENCING_SQL, (target,)):
        table = c.qualify(s, t)
        out.append(Referencing(s, t, name, f"ALTER TABLE {table} DROP CONSTRAINT {c.quote(name)}",
                               f"ALTER TABLE {table} ADD CONSTRAINT {c.quote(name)} {definition}"))
    return out


def identity_kind(col: ColumnPlan) -> str:
    """ALWAYS where the source column is GENERATED ALWAYS (only a PostgreSQL source says
    so), else BY DEFAULT."""
    return "ALWAYS" if col.source is not None and col.source.identity_always else "BY DEFAULT"


class PgSql(ObjectSql):
    def taken_names(self, schema: str) -> Iterable[str]:
        return [r[0] for r in self.c.query(NAMES_SQL, (schema, schema))]

    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        if col.nullable and col.target_name not in tp.primary_key:
            return "identity needs a NOT NULL column"
        t, q = self.table(tp), self.c.quote(col.target_name)
        past = (f"SELECT setval(pg_get_serial_sequence({self.c.literal(t)}, "
                f"{self.c.literal(col.target_name)}), CAST(COALESCE(MAX({q}), 0) AS bigint) + 1, false) "
                f"FROM {t}")
        if parse_native(col.target_type).name in INTEGER_TYPES:
            return (f"ALTER TABLE {t} ALTER COLUMN {q} ADD GENERATED {identity_kind(col)} "
                    "AS IDENTITY", past)
        seq = self.c.qualify(tp.target_schema, f"{tp.target_name}_{col.target_name}_seq"[:63])
        return (f"CREATE SEQUENCE {seq} OWNED BY {t}.{q}",
                f"ALTER TABLE {t} ALTER COLUMN {q} SET DEFAULT nextval({self.c.literal(seq)})",
                past)

    def native_index(self, tp: TablePlan, name: str, index: NativeIndex,
                     keys: Sequence[str], include: Sequence[str]) -> tuple[str, ...] | None:
        sql = (f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {self.c.quote(name)} "
               f"ON {self.table(tp)} USING {self.c.quote(index.method)} ({', '.join(keys)})")
        sql += f" INCLUDE ({', '.join(include)})" if include else ""
        sql += f" WITH ({index.options})" if index.options else ""
        return (sql + (f" WHERE {index.predicate}" if index.predicate else ""),)

    def set_member_check(self, column: str, members: str) -> str | None:
        return f"{column} = '' OR string_to_array({column}, ',') <@ ARRAY[{members}]::text[]"

    def uuid(self) -> str | None:
        return "gen_random_uuid()"

    def foreign_key_unchecked(self, sql: tuple[str, ...]) -> tuple[str, ...] | None:
        return tuple(f"{s} NOT VALID" for s in sql)
