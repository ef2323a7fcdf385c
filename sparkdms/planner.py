"""From (task, source catalog) to a Plan: selection, target names, target types,
keys and partitioning. Nothing is written; ``sparkdms plan`` prints the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkdms import identifiers
from sparkdms.catalog import Catalog, Column, Index, Table
from sparkdms.mapping import parse_rules, select_tables, table_wanted
from sparkdms.mapping.rules import Rule
from sparkdms.mapping.selection import matching_rules
from sparkdms.plan import ColumnPlan, Plan, TablePlan
from sparkdms.task import Task
from sparkdms.typemap.fidelity import annotate
from sparkdms.typemap.resolve import Override, parse_overrides, read_as_text, resolve_column


def rules_for(task: Task) -> list[Rule]:
    return parse_rules(task.table_mappings)


def discover(task: Task, source: Any) -> Catalog:
    rules = rules_for(task)
    return source.discover(lambda s, t, k: table_wanted(rules, s, t, k))


def same_family(source: Any, target: Any) -> bool:
    return bool(getattr(source, "family", None)) and source.family == getattr(target, "family", "")


def target_schema(task: Task, table: Table, source: Any, target: Any) -> str:
    """TargetSchema wins; the source's default schema (public, main, the MySQL endpoint's
    database) lands in the target's default; other schemas keep their names."""
    explicit = task.settings["TargetMetadata.TargetSchema"]
    if explicit:
        return explicit
    if table.schema == source.default_schema():
        return target.default_schema()
    return table.schema


def plan_column(table: Table, col: Column, source: Any, target: Any,
                overrides: Sequence[Override] = ()) -> ColumnPlan:
    """Target type from the type tables, a task-file type_overrides entry, and the target's
    adaptations (see sparkdms/typemap/resolve.py); raises UnsupportedTypeError."""
    r = resolve_column(list(overrides), table, col, source, target)
    return ColumnPlan(col.name, col, r.ltype, r.target_type, col.nullable, r.expression,
                      default=None)


def plan_table(task: Task, table: Table, rules: list[Rule], source: Any, target: Any) -> TablePlan:
    overrides = parse_overrides(task.type_overrides)
    columns = tuple(plan_column(table, c, source, target, overrides) for c in table.columns)
    return TablePlan(
        source=table,
        target_schema=target_schema(task, table, source, target),
        target_name=table.name,
        columns=columns,
        primary_key=table.primary_key,
        indexes=tuple(Index(i.name, i.columns, i.unique) for i in table.indexes),
        foreign_keys=table.foreign_keys,
        rule_ids=tuple(r.rule_id for r in matching_rules(rules, table)),
    )


def build_plan(task: Task, catalog: Catalog, source: Any, target: Any,
               with_partitions: bool = True) -> Plan:
    from dataclasses import replace

    rules = rules_for(task)
    catalog = read_as_text(catalog, parse_overrides(task.type_overrides), target)
    tables = []
    for table in select_tables(rules, catalog):
        plan = plan_table(task, table, rules, source, target)
        if with_partitions:
            plan = replace(plan, partitioning=source.plan_partitions(plan, task.settings))
        tables.append(plan)
    plan = Plan(task.name, source.engine, target.engine, tuple(tables),
                tuple(f"setting {n} has no effect in sparkdms and is ignored"
                      for n in task.settings.ignored))
    plan = identifiers.check(plan, target.engine, task.settings["Sparkdms.IdentifierCase"])
    return annotate(plan, target)  # lossy type conversions as plan warnings
