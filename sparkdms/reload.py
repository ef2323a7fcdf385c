"""Load only some of a task's tables: ``--tables PATTERN`` and ``--retry-failed REPORT.json``.

The plan is built for the whole task (so that foreign keys, load order and names are what
a full run would have) and then narrowed to the chosen tables: the run prepares, loads and
finishes only those; every other target table is left as it is.

Patterns are comma-separated; each matches a planned table's source ``schema.table`` (a
pattern with a dot) or its table name alone, with the selection rules' wildcards (``%``
any run of characters, ``_`` one character, ``[_]`` a literal underscore) and ``*``.
A report selects the tables it shows as not loaded (failed, unfinished, never started) or
failing after the load (validation found differences or could not run).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sparkdms.errors import SelectionError, TaskConfigError
from sparkdms.plan import Plan, TablePlan
from sparkdms.plan.mapping.wildcard import matches

COMPLETED = "Table completed"  # sparkdms.report.TABLE_COMPLETED, as the JSON carries it


def table_matches(pattern: str, tp: TablePlan) -> bool:
    pattern = pattern.strip().replace("*", "%")
    name = tp.source.qualified if "." in pattern else tp.source.name
    return matches(pattern, name)


def by_patterns(plan: Plan, text: str) -> tuple[TablePlan, ...]:
    patterns = [p.strip() for p in text.split(",") if p.strip()]
    if not patterns:
        raise TaskConfigError("--tables", "expected one or more table patterns")
    chosen = tuple(tp for tp in plan.tables if any(table_matches(p, tp) for p in patterns))
    if not chosen:
        names = ", ".join(tp.source_label for tp in plan.tables[:30]) or "none"
        raise SelectionError(f"--tables {text!r} matches none of the task's {len(plan.tables)} "
                             f"planned tables: {names}")
    return chosen


def read_report(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as err:
        raise TaskConfigError("--retry-failed", f"cannot read {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise TaskConfigError("--retry-failed", f"{path} is not a JSON report: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise TaskConfigError("--retry-failed", f"{path} is not a sparkdms run report "
                                                "(no \"tables\" list)")
    return data


def failed_tables(report: dict[str, Any]) -> set[str]:
    """Source ``schema.table`` names the report shows as not loaded or failing."""
    out = {f"{t.get('SchemaName')}.{t.get('TableName')}" for t in report["tables"]
           if t.get("TableState") != COMPLETED}
    problems = (report.get("verdict") or {}).get("problems") or []
    out |= {p["table"] for p in problems if p.get("severity") == "error"}
    return out


def by_report(plan: Plan, path: str) -> tuple[TablePlan, ...]:
    report = read_report(path)
    if report.get("task") not in (None, plan.task_name):
        raise TaskConfigError("--retry-failed", f"{path} is a report of task "
                                                f"{report.get('task')!r}, not {plan.task_name!r}")
    failed = failed_tables(report)
    return tuple(tp for tp in plan.tables if _label(tp) in failed)


def _label(tp: TablePlan) -> str:
    return f"{tp.source.schema}.{tp.source.name}"


def narrow(plan: Plan, tables: str | None = None, retry_failed: str | None = None) -> Plan:
    """The plan with only the chosen tables (both options: tables chosen by both)."""
    chosen = plan.tables
    if tables:
        chosen = by_patterns(plan, tables)
    if retry_failed:
        again = {_label(tp) for tp in by_report(plan, retry_failed)}
        chosen = tuple(tp for tp in chosen if _label(tp) in again)
    if chosen == plan.tables:
        return plan
    return replace(plan, tables=chosen)


def narrow_args(plan: Plan, args: Any) -> Plan:
    return narrow(plan, getattr(args, "tables", None), getattr(args, "retry_failed", None))
