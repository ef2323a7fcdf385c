"""Foreign keys a source filter can break (``sparkdms.plan.fkfilters``), at load time.

The planner marks such a key (``guard``); after the load, before the keys are created,
``settle_foreign_keys`` counts the child rows whose parent the filter left out, with an
anti-join on the target. No orphan: the key is created as planned, checked. Orphans: the
key is created unchecked where the target can say so (PostgreSQL ``NOT VALID``: it checks
new rows, the catalog records that the old ones were not checked, ``VALIDATE CONSTRAINT``
checks them once they are fixed), else not created. MySQL and MariaDB have no NOT VALID:
``FOREIGN_KEY_CHECKS=0`` would add the key without checking, but nothing in their catalog
records that, the key would claim an integrity the rows do not have, and a later table
rebuild or dump reload with checks on fails on those rows, far from the cause. So there the
key is not created, and the report and the console say why, with the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects.model import Stmt

from sparkdms.plan.fkfilters import risk_of

if TYPE_CHECKING:
    from sparkdms.catalog import ForeignKey
    from sparkdms.plan import TablePlan


@dataclass(frozen=True)
class GuardedFk(Stmt):
    """A foreign key a filter can break: how to count its orphans, how to add it unchecked
    (empty: the target cannot), and the parent it references."""

    count_sql: str = ""
    unchecked: tuple[str, ...] = ()
    parent: str = ""
    why: str = ""


def orphans_sql(connector: Any, tp: TablePlan, cols: Sequence[str], ref: TablePlan,
                ref_cols: Sequence[str]) -> str:
    """Child rows with a complete key (MATCH SIMPLE: a NULL part is not checked) that no
    parent row matches."""
    q = connector.quote
    child = connector.qualify(tp.target_schema, tp.target_name)
    parent = connector.qualify(ref.target_schema, ref.target_name)
    present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in cols)
    match = " AND ".join(f"p.{q(r)} = c.{q(c)}" for c, r in zip(cols, ref_cols, strict=True))
    return (f"SELECT COUNT(*) FROM {child} c WHERE {present} AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE {match})")


def guard(planner: Any, stmt: Stmt, tp: TablePlan, fk: ForeignKey, cols: Sequence[str],
          ref: TablePlan, ref_cols: Sequence[str]) -> Stmt:
    """The key's statement, marked when a filter can leave orphans (the planner's part)."""
    risk = risk_of(tp, fk, planner.all_plans)
    if risk is None or risk.parent is None:
        return stmt
    unchecked = planner.sql.foreign_key_unchecked(stmt.sql) or ()
    return GuardedFk(stmt.stage, stmt.table, stmt.name, stmt.sql, stmt.note,
                     count_sql=orphans_sql(planner.connector, tp, cols, ref, ref_cols),
                     unchecked=tuple(unchecked), parent=ref.target_label,
                     why=risk.why.split(";")[0])


def _settle(connector: Any, st: GuardedFk) -> tuple[Stmt, str | None]:
    try:
        count = int(connector.query(st.count_sql)[0][0] or 0)
    except Exception:  # cannot count: create it checked; a failure is reported as usual
        return Stmt(st.stage, st.table, st.name, st.sql), None
    if not count:
        return Stmt(st.stage, st.table, st.name, st.sql), None
    what = (f"{count:,} row(s) of {st.table} reference no row of {st.parent} ({st.why})")
    if st.unchecked:
        return (Stmt(st.stage, st.table, st.name, st.unchecked),
                f"created NOT VALID: foreign-key {st.name} on {st.table}: {what}; it checks "
                "new rows only: fix or delete those rows, then VALIDATE CONSTRAINT")
    note = (f"{what}; the target cannot create a key unchecked: fix or delete those rows, "
            "then create it")
    return Stmt(st.stage, st.table, st.name, (), note), None


def settle_foreign_keys(connector: Any, stmts: Sequence[Stmt]) -> tuple[list[Stmt], list[str]]:
    """Every guarded key counted and settled (after the load); notes of the keys created
    unchecked (the keys not created carry their reason as a note, like any skipped object)."""
    out, notes = [], []
    for st in stmts:
        if isinstance(st, GuardedFk):
            st, note = _settle(connector, st)
            if note:
                notes.append(note)
        out.append(st)
    return out, notes
