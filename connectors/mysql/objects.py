"""MySQL's and MariaDB's part of the objects around a load
(``sparkdms.connectors.sql.objects``): auto_increment, prefix indexes on LOB columns, the
catalog's check constraints, FULLTEXT/SPATIAL indexes, the foreign keys that reference a
table, and the constraint names a schema already uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.mysql.adapt import MYSQL_LOBS
from sparkdms.connectors.sql.objects import ObjectSql, Referencing, fk_action, group_checks

from sparkdms.catalog import Check, ForeignKey
from sparkdms.types import parse_native

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan

# MariaDB names checks per table and lists TABLE_NAME; MySQL 8 does not
MARIADB_CHECKS_SQL = """
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY 1, 2, 3"""
MYSQL_CHECKS_SQL = """
SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.CONSTRAINT_TYPE = 'CHECK'
  AND tc.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY 1, 2, 3"""

# indexes a B-tree cannot stand for
SPECIAL_INDEXES_SQL = ("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, INDEX_TYPE FROM "
                       "information_schema.STATISTICS WHERE INDEX_TYPE IN ('FULLTEXT', 'SPATIAL')")

REFERENCING_SQL = """
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
       k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.REFERENCED_TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME = %s
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"""

NAMES_SQL = ("SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS "
             "WHERE CONSTRAINT_SCHEMA = %s")


def source_checks(connector: Any) -> dict[tuple[str, str], list[Check]]:
    try:
        rows = connector.query(MARIADB_CHECKS_SQL)
    except Exception:
        rows = connector.query(MYSQL_CHECKS_SQL)
    return group_checks(rows)


def special_indexes(connector: Any) -> dict[tuple[str, str, str], str]:
    return {(s, t, i): f"a {kind} index has no portable equivalent; create it by hand"
            for s, t, i, kind in connector.query(SPECIAL_INDEXES_SQL)}


def referencing(connector: Any, tp: TablePlan) -> list[Referencing]:
    c = connector
    target = c.qualify(tp.target_schema, tp.target_name)
    grouped: dict[tuple[str, str, str], list[tuple]] = {}
    for s, t, name, col, rcol, on_del, on_upd in c.query(
            REFERENCING_SQL, (tp.target_schema, tp.target_name)):
        grouped.setdefault((s, t, name), []).append((col, rcol, on_del, on_upd))
    out = []
    for (s, t, name), parts in grouped.items():
        table = c.qualify(s, t)
        cols = ", ".join(c.quote(p[0]) for p in parts)
        rcols = ", ".join(c.quote(p[1]) for p in parts)
        out.append(Referencing(
            s, t, name, f"ALTER TABLE {table} DROP FOREIGN KEY {c.quote(name)}",
            f"ALTER TABLE {table} ADD CONSTRAINT {c.quote(name)} FOREIGN KEY ({cols}) "
            f"REFERENCES {target} ({rcols}) ON DELETE {fk_action(parts[0][2])} "
            f"ON UPDATE {fk_action(parts[0][3])}"))
    return out


class MySql(ObjectSql):
    per_table_indexes = True

    def taken_names(self, schema: str) -> Iterable[str]:
        return [r[0] for r in self.c.query(NAMES_SQL, (schema,))]

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
                f"ON DELETE {fk_action(fk.on_delete)} ON UPDATE {fk_action(fk.on_update)}",)

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
