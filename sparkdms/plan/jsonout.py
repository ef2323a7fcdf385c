"""The plan as JSON (``sparkdms plan --format json``): the same facts ``render_plan`` prints,
for tools. Secrets never appear (the plan holds none; the text is redacted anyway)."""

from __future__ import annotations

import json
from typing import Any

from sparkdms.plan import ColumnPlan, Plan, TablePlan
from sparkdms.task.secrets import redact_known


def column_dict(c: ColumnPlan) -> dict[str, Any]:
    return {"name": c.target_name, "target_type": c.target_type, "nullable": c.nullable,
            "source_name": c.source_name,
            "source_type": c.source.native_type if c.source else None,
            "expression": c.expression, "rules": list(c.rule_ids)}


def table_dict(tp: TablePlan, target: Any) -> dict[str, Any]:
    part = tp.partitioning
    return {
        "source": {"schema": tp.source.schema, "table": tp.source.name,
                   "row_estimate": tp.source.row_estimate},
        "target": {"schema": tp.target_schema, "table": tp.target_name},
        "rules": list(tp.rule_ids),
        "primary_key": list(tp.primary_key),
        "columns": [column_dict(c) for c in tp.columns],
        "removed_columns": list(tp.removed_columns),
        "filters": [f.describe() for f in tp.filters],
        "load_order": tp.load_order,
        "partitioning": {"method": part.method, "column": part.column, "count": part.count,
                         "partitions": [d for d in part.described if d]},
        "target_ddl": list(target.target_ddl(tp)),
        "warnings": list(tp.warnings),
    }


def plan_dict(plan: Plan, target: Any) -> dict[str, Any]:
    return {"task": plan.task_name, "source_engine": plan.source_engine,
            "target_engine": plan.target_engine,
            "tables": [table_dict(tp, target) for tp in plan.tables],
            "warnings": list(plan.warnings)}


def plan_json(plan: Plan, target: Any) -> str:
    return redact_known(json.dumps(plan_dict(plan, target), indent=2, default=str))
