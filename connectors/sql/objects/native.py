"""Indexes a column list cannot say (``catalog.NativeIndex``: PostgreSQL GIN / GiST / hash /
BRIN, expression and partial indexes): rebuilt with their method, opclasses, expressions
and predicate on a target of the source's family, under the target's names; on another
family, or where a column they use is renamed or not loaded, said as not created.

A rebuilt index that fails (an extension its opclass needs is missing on the target) is a
note with the error's first line, not a task error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects.model import Stmt
from sparkdms.connectors.sql.objects.naming import same_family, target_cols

if TYPE_CHECKING:
    from sparkdms.catalog import NativeIndex
    from sparkdms.plan import TablePlan


def _why_not(planner: Any, tp: TablePlan, index: NativeIndex, skipped: dict[str, str]) -> str:
    """Why ``index`` is not rebuilt on this target ('' if it is)."""
    if not same_family(tp.source.engine, planner.connector):
        return skipped.get(index.name) or (
            f"a {index.method} index with expressions or a predicate is not recreated on "
            f"another engine; create it by hand ({index.definition})")
    cols = target_cols(tp, index.columns)
    if cols is None:
        return f"a column of the index is not loaded ({index.definition})"
    if tuple(cols) != index.columns and _uses_text(index):
        return f"its expressions use a renamed column; create it by hand ({index.definition})"
    return ""


def _uses_text(index: NativeIndex) -> bool:
    """Whether the index names columns inside SQL text (expressions, a predicate)."""
    return bool(index.predicate) or any(k.column is None for k in index.keys)


def _key(planner: Any, tp: TablePlan, column: str | None, text: str, suffix: str = "") -> str:
    if column is None:
        return text + suffix
    hit = target_cols(tp, [column])
    return planner.connector.quote(hit[0] if hit else column) + suffix


def native_indexes(planner: Any, tp: TablePlan) -> list[Stmt]:
    """Index-stage statements (or notes) of the table's native indexes; the indexes
    discovery left out without parts (MySQL FULLTEXT ...) stay notes."""
    skipped = dict(tp.source.skipped_indexes)
    out = [planner.skip("index", tp, name, why) for name, why in tp.source.skipped_indexes
           if name not in {i.name for i in tp.source.native_indexes}]
    for index in tp.source.native_indexes:
        why = _why_not(planner, tp, index, skipped)
        sql = None
        if not why:
            name = planner.name(tp, index.name, index=True)
            keys = [_key(planner, tp, k.column, k.expression, k.suffix) for k in index.keys]
            include = [_key(planner, tp, c, c) for c in index.include]
            sql = planner.sql.native_index(tp, name, index, keys, include)
            why = "" if sql else f"the target has no {index.method} index ({index.definition})"
        out.append(planner.skip("index", tp, index.name, why) if why
                   else Stmt("index", tp.target_label, name, sql, optional=True))
    return out
