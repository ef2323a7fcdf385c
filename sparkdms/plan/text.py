"""Human-readable plan, as ``sparkdms plan`` prints it."""

from __future__ import annotations

from typing import Any

from sparkdms.plan import Plan, TablePlan


def load_path(tp: TablePlan, target: Any, source: Any, settings: Any) -> str:
    """How the run would load the table: server to server, or through Spark rows."""
    if target.can_direct_copy(source, tp, settings):
        return "direct copy (the rows go from server to server, no Spark rows)"
    if not settings["Sparkdms.DirectCopy"]:
        return "through Spark rows (Sparkdms.DirectCopy is off)"
    why = target.direct_copy_blocker(source, tp, settings)
    return f"through Spark rows ({why or 'the target has no direct copy from this source'})"


def render_table_plan(tp: TablePlan, target: Any, source: Any = None,
                      settings: Any = None) -> list[str]:
    lines = [f"table {tp.source_label} -> {tp.target_label}"
             + (f"   (rules: {', '.join(tp.rule_ids)})" if tp.rule_ids else "")]
    lines.append(f"  rows (estimate): {tp.source.row_estimate:,}   primary key: "
                 f"{', '.join(tp.primary_key) or '(none)'}")
    lines.append("  columns:")
    width = max((len(c.target_name) for c in tp.columns), default=4)
    for c in tp.columns:
        src = f"{c.source.name} {c.source.native_type}" if c.source else "(added)"
        expr = f"  = {c.expression}" if c.expression else ""
        rules = f"  [rules {', '.join(c.rule_ids)}]" if c.rule_ids else ""
        null = "" if c.nullable else " NOT NULL"
        lines.append(f"    {c.target_name.ljust(width)}  {c.target_type}{null}   <- {src}"
                     f"{expr}{rules}")
    lines += _rule_lines(tp)
    part = tp.partitioning
    lines.append(f"  partitioning: {part.method}, {part.count} partition(s)"
                 + (f" on {part.column}" if part.column else ""))
    if source is not None and settings is not None:
        lines.append(f"  load: {load_path(tp, target, source, settings)}")
    shown = [d for d in part.described if d]
    lines += [f"    {d}" for d in shown[:12]]
    if len(shown) > 12:
        lines.append(f"    ... {len(shown) - 12} more")
    lines.append("  target DDL:")
    for ddl in target.target_ddl(tp):
        lines += ["    " + line for line in ddl.splitlines()]
    lines += [f"  warning: {w}" for w in tp.warnings]
    return lines


def _rule_lines(tp: TablePlan) -> list[str]:
    """What table-mapping rules did besides the column list: removed columns, expression
    inputs, filters, LOB limit, load order."""
    lines = []
    if tp.removed_columns:
        lines.append(f"  removed columns: {', '.join(tp.removed_columns)}")
    if tp.read_columns:
        lines.append(f"  read for expressions only: {', '.join(tp.read_columns)}")
    if tp.filters:
        lines.append("  filters (pushed down to the source, ANDed):")
        lines += [f"    {f.describe()}" for f in tp.filters]
    if tp.lob_limit is not None:
        lob = tp.lob_limit
        lines.append(f"  LOB limit: {lob.max_bytes // 1024} KB ({lob.max_bytes:,} bytes) on "
                     f"{', '.join(lob.columns)} ({lob.origin}); larger values are counted, "
                     "logged with their keys and handled by "
                     "ErrorBehavior.DataTruncationErrorPolicy")
    if tp.load_order:
        lines.append(f"  load-order: {tp.load_order}")
    return lines


def render_plan(plan: Plan, target: Any, source: Any = None, settings: Any = None) -> str:
    lines = [f"Plan for task {plan.task_name}: {plan.source_engine} -> {plan.target_engine}, "
             f"{len(plan.tables)} table(s)", ""]
    for tp in plan.tables:
        lines += [*render_table_plan(tp, target, source, settings), ""]
    lines += [f"warning: {w}" for w in plan.warnings]
    return "\n".join(lines)
