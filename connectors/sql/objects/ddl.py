"""The statements of one target engine: a base in standard SQL that an engine's
``ObjectSql`` (in its own package, returned by ``SqlConnector.object_sql``) changes
where the engine differs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparkdms.catalog import ForeignKey, NativeIndex
    from sparkdms.plan import ColumnPlan, TablePlan

FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")


def fk_action(rule: str) -> str:
    """A referential action as SQL spells it (NO ACTION for anything unknown)."""
    rule = (rule or "NO ACTION").upper()
    return rule if rule in FK_ACTIONS else "NO ACTION"


class ObjectSql:
    """Statements for one target engine; subclasses change what differs."""

    checks = True
    alter_defaults = True
    foreign_keys = True
    per_table_indexes = False  # index names unique per table (MySQL), else per schema

    def __init__(self, connector: Any) -> None:
        self.c = connector

    def taken_names(self, schema: str) -> Iterable[str]:
        """Names of objects in ``schema`` that a new index or constraint must not reuse."""
        return ()

    def table(self, tp: TablePlan) -> str:
        return self.c.qualify(tp.target_schema, tp.target_name)

    def cols(self, tp: TablePlan, cols: Sequence[str]) -> str:
        return ", ".join(self.c.quote(x) for x in cols)

    def index(self, tp: TablePlan, name: str, cols: Sequence[str], unique: bool) -> tuple[str, ...]:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return (f"CREATE {kind} {self.c.quote(name)} ON {self.table(tp)} ({self.cols(tp, cols)})",)

    def native_index(self, tp: TablePlan, name: str, index: NativeIndex,
                     keys: Sequence[str], include: Sequence[str]) -> tuple[str, ...] | None:
        """An index of its own method / expressions / predicate (a same-family source's
        ``NativeIndex``, keys already in target names); None where the engine has no such
        statement."""
        return None

    def unique(self, tp: TablePlan, name: str, cols: Sequence[str]) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"UNIQUE ({self.cols(tp, cols)})",)

    def check(self, tp: TablePlan, name: str, condition: str) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"CHECK ({condition})",)

    def set_member_check(self, column: str, members: str) -> str | None:
        """CHECK condition that a set column stored as text (``a,b``) holds only ``members``
        (a list of literals); None where the engine has no way to say it."""
        return None

    def foreign_key(self, tp: TablePlan, name: str, cols: Sequence[str], ref: TablePlan,
                    ref_cols: Sequence[str], fk: ForeignKey) -> tuple[str, ...]:
        return (f"ALTER TABLE {self.table(tp)} ADD CONSTRAINT {self.c.quote(name)} "
                f"FOREIGN KEY ({self.cols(tp, cols)}) REFERENCES {self.table(ref)} "
                f"({self.cols(ref, ref_cols)}) ON DELETE {fk_action(fk.on_delete)} "
                f"ON UPDATE {fk_action(fk.on_update)}",)

    def foreign_key_unchecked(self, sql: tuple[str, ...]) -> tuple[str, ...] | None:
        """``foreign_key``'s statements adding the key without checking the rows already
        there (connectors/sql/objects/orphans.py); None where the engine cannot."""
        return None

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
