"""What to create after the load, per stage and table: the statements of the target's
``ObjectSql``, or why an object is not created."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects.ddl import ObjectSql
from sparkdms.connectors.sql.objects.expressions import NotPortable, check_sql, default_sql, member_check
from sparkdms.connectors.sql.objects.model import GATES, Stmt
from sparkdms.connectors.sql.objects.naming import Names, base_name, fk_cols, target_cols
from sparkdms.connectors.sql.objects.native import native_indexes
from sparkdms.connectors.sql.objects.orphans import guard
from sparkdms.connectors.sql.objects.usertypes import domain_checks, domain_default, type_notes

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings


@dataclass
class Planner:
    connector: Any
    settings: Any
    names: Names
    all_plans: Sequence[TablePlan]
    sql: ObjectSql = field(init=False)

    def __post_init__(self) -> None:
        self.sql = self.connector.object_sql()

    def enabled(self, stage: str) -> bool:
        gate = GATES.get(stage)
        return gate is None or bool(self.settings[gate])

    def name(self, tp: TablePlan, base: str, index: bool = False) -> str:
        scope = tp.target_label if index and self.sql.per_table_indexes else tp.target_schema
        return self.names.take(self.connector, scope, base_name(tp, base, self.connector))

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
            default = domain_default(self.connector, tp, src) if src is not None else None
            if src is None or src.identity or default is None:
                continue
            if not self.sql.alter_defaults:
                out.append(self.skip("default", tp, col.target_name,
                                     f"default {default} (the target cannot add defaults)"))
                continue
            try:
                expr = default_sql(self.sql, col, default, engine)
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
        out = [] if unique else native_indexes(self, tp)  # GIN, partial, FULLTEXT, ...
        for idx in tp.indexes:
            if idx.unique != unique:
                continue
            cols = target_cols(tp, idx.columns)
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
                    for c in (*tp.source.checks, *domain_checks(self.connector, tp))]
        out = []
        for col in tp.columns:
            cond = member_check(self.sql, col)
            if cond:
                name = self.name(tp, f"{tp.target_name}_{col.target_name}_check")
                out.append(Stmt("check", tp.target_label, name, self.sql.check(tp, name, cond)))
        for check in (*tp.source.checks, *domain_checks(self.connector, tp)):
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
            cols = fk_cols(tp, fk.columns)
            ref_cols = fk_cols(ref, fk.ref_columns) if ref is not None else None
            if ref is None or cols is None or ref_cols is None:
                why = (f"references {fk.ref_schema}.{fk.ref_table}, which this task did not load"
                       if ref is None else "a column of the key is not loaded")
                out.append(self.skip("foreign-key", tp, fk.name, why))
                continue
            name = self.name(tp, fk.name)
            stmt = Stmt("foreign-key", tp.target_label, name,
                        self.sql.foreign_key(tp, name, cols, ref, ref_cols, fk))
            out.append(guard(self, stmt, tp, fk, cols, ref, ref_cols))  # filters: orphans
        return out

    def statements(self, plans: Sequence[TablePlan]) -> list[Stmt]:
        steps: dict[str, Callable[[TablePlan], list[Stmt]]] = {
            "type": lambda tp: type_notes(self.connector, tp),
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
