"""Foreign keys that a source filter or the selection can break.

An AWS DMS source filter on a parent table leaves out parent rows; a child table that is not
filtered the same way keeps rows that point at them. Creating the key after the load would
then fail. A key is at risk when its parent table is filtered and each parent filter is not
repeated, condition for condition, on the child's key column that references the filtered
column (a child filtered more narrowly than that is fine), or when the parent table is not
selected at all. ``sparkdms plan`` and ``assess`` list them; at load time the target counts
the orphan rows and, where there are some, creates the key unchecked (PostgreSQL
``NOT VALID``) or not at all, and says so (``connectors/sql/objects/orphans.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sparkdms.catalog import ForeignKey
from sparkdms.plan import Filter, Plan, TablePlan


@dataclass(frozen=True)
class FkRisk:
    child: TablePlan
    fk: ForeignKey
    parent: TablePlan | None  # None: the parent table is not loaded by the task
    why: str

    @property
    def parent_label(self) -> str:
        return self.parent.source_label if self.parent else f"{self.fk.ref_schema}.{self.fk.ref_table}"

    def describe(self) -> str:
        return (f"foreign key {self.fk.name} ({', '.join(self.fk.columns)}) -> "
                f"{self.parent_label}: {self.why}")


def _uncovered(parent_filters: Sequence[Filter], child: TablePlan, fk: ForeignKey) -> list[Filter]:
    """Parent filters that the child does not repeat on the referencing column."""
    by_ref = dict(zip(fk.ref_columns, fk.columns, strict=False))
    child_filters = {(f.column, f.conditions) for f in child.filters}
    return [f for f in parent_filters
            if f.column not in by_ref or (by_ref[f.column], f.conditions) not in child_filters]


def _risk(child: TablePlan, fk: ForeignKey, by_source: dict[tuple[str, str], TablePlan]) -> FkRisk | None:
    parent = by_source.get((fk.ref_schema, fk.ref_table))
    if parent is None:
        return FkRisk(child, fk, None, "the parent table is not selected by the task: the key "
                      "is not created and nothing checks the child rows")
    if not parent.filters:
        return None
    missing = _uncovered(parent.filters, child, fk)
    if not missing:
        return None
    shown = "; ".join(f.describe() for f in missing)
    self_ref = " (it references its own, filtered table)" if parent is child else ""
    return FkRisk(child, fk, parent, f"the filter on {parent.source_label} ({shown}) can leave "
                  f"rows of {child.source_label} without a parent{self_ref}; the load counts "
                  "them and creates the key unchecked (PostgreSQL NOT VALID) or not at all "
                  "(MySQL/MariaDB)")


def fk_risks(tables: Sequence[TablePlan], all_tables: Sequence[TablePlan] | None = None) -> list[FkRisk]:
    """Every foreign key of ``tables`` that a filter or the selection can break."""
    by_source = {(t.source.schema, t.source.name): t for t in (all_tables or tables)}
    out = []
    for tp in tables:
        for fk in tp.foreign_keys:
            risk = _risk(tp, fk, by_source)
            if risk is not None:
                out.append(risk)
    return out


def risk_of(child: TablePlan, fk: ForeignKey, all_tables: Sequence[TablePlan]) -> FkRisk | None:
    by_source = {(t.source.schema, t.source.name): t for t in all_tables}
    return _risk(child, fk, by_source)


def annotate_fk_risks(plan: Plan) -> Plan:
    """The plan with a warning on each child table whose foreign key a filter can break."""
    risks = fk_risks(plan.tables)
    if not risks:
        return plan
    by_child: dict[str, list[str]] = {}
    for r in risks:
        by_child.setdefault(r.child.source_label, []).append(r.describe())
    tables = tuple(replace(tp, warnings=(*tp.warnings, *by_child[tp.source_label]))
                   if tp.source_label in by_child else tp for tp in plan.tables)
    note = (f"{len(risks)} foreign key(s) can be broken by source filters or the selection: "
            "their orphan rows are counted after the load and the keys created unchecked or "
            "not at all (listed per table by sparkdms plan)")
    return replace(plan, tables=tables, warnings=(*plan.warnings, note))
