"""SQLite's part of the objects around a load (``sparkdms.connectors.sql.objects``): only
indexes can be added to an existing table; check constraints are read from each table's
CREATE statement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects import ObjectSql

from sparkdms.catalog import Check

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan

TABLES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"
NAMES_SQL = "SELECT name FROM sqlite_master"  # one namespace for tables, indexes, triggers


def source_checks(connector: Any) -> dict[tuple[str, str], list[Check]]:
    """CHECK constraints of each table, parsed from its CREATE TABLE (sqlglot)."""
    import sqlglot
    from sqlglot import exp

    out: dict[tuple[str, str], list[Check]] = {}
    for name, sql in connector.query(TABLES_SQL):
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


class SqliteSql(ObjectSql):
    checks = False
    alter_defaults = False
    foreign_keys = False

    def taken_names(self, schema: str) -> Iterable[str]:
        return [r[0] for r in self.c.query(NAMES_SQL)]

    def index(self, tp: TablePlan, name: str, cols: Sequence[str], unique: bool) -> tuple[str, ...]:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return (f"CREATE {kind} {self.c.qualify(tp.target_schema, name)} ON "
                f"{self.c.quote(tp.target_name)} ({self.cols(tp, cols)})",)

    def unique(self, tp: TablePlan, name: str, cols: Sequence[str]) -> tuple[str, ...]:
        return self.index(tp, name, cols, True)

    def identity(self, tp: TablePlan, col: ColumnPlan) -> tuple[str, ...] | str:
        return "SQLite numbers rows itself (INTEGER PRIMARY KEY is the rowid)"
