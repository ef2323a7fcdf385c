"""From (task, source catalog) to a Plan: selection, filters, transformation rules, target
names and types, keys, table settings and partitioning. Nothing is written; ``sparkdms
plan`` prints the result. Every rule problem is raised here, naming the rule, before Spark
starts; a rule that matches nothing is a plan warning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sparkdms.catalog import Catalog, Column, Index, Table
from sparkdms.connectors.base import Sampler, Source, Target
from sparkdms.errors import MappingRuleError
from sparkdms.plan import ColumnPlan, Plan, TablePlan, identifiers
from sparkdms.plan.fkfilters import annotate_fk_risks
from sparkdms.plan.mapping import parse_rules, select_tables
from sparkdms.plan.mapping.base import Rule
from sparkdms.plan.mapping.filters import table_filters
from sparkdms.plan.mapping.rules import ENGINE_RULE_TYPES
from sparkdms.plan.mapping.selection import matched_selection, matching_rules, table_mentioned
from sparkdms.plan.mapping.table_settings import lob_limit, partition_request
from sparkdms.plan.mapping.transformations import Usage, apply_columns, apply_names
from sparkdms.plan.mapping.wildcard import matches
from sparkdms.plan.typemap.fidelity import annotate, is_lob
from sparkdms.plan.typemap.resolve import Override, parse_overrides, read_as_text, resolve_column
from sparkdms.task import Task
from sparkdms.task.aws_settings import ignored_summary


def rules_for(task: Task) -> list[Rule]:
    return parse_rules(task.table_mappings)


def discover(task: Task, source: Source, sampler: Sampler | None = None) -> Catalog:
    """Tables any selection rule names (excluded ones too, so that the plan can tell an
    exclude rule that matched from one that matched nothing)."""
    rules = rules_for(task)
    return source.discover(lambda s, t, k: table_mentioned(rules, s, t, k),
                           sampler or Sampler())


def target_schema(task: Task, table: Table, source: Source, target: Target) -> str:
    """TargetSchema wins; the source's default schema (public, main, the MySQL endpoint's
    database) lands in the target's default; other schemas keep their names. Schema
    transformation rules change this further (see mapping/transformations.py)."""
    explicit = task.settings["TargetMetadata.TargetSchema"]
    if explicit:
        return explicit
    if table.schema == source.default_schema():
        return target.default_schema()
    return table.schema


def plan_column(table: Table, col: Column, source: Source, target: Target,
                overrides: Sequence[Override] = ()) -> ColumnPlan:
    """Target type from the type tables, a task-file type_overrides entry, and the target's
    adaptations (see sparkdms/plan/typemap/resolve.py); raises UnsupportedTypeError."""
    r = resolve_column(list(overrides), table, col, source, target)
    return ColumnPlan(col.name, col, r.ltype, r.target_type, col.nullable, r.expression,
                      default=None)


def _table_setting(rules: Sequence[Rule], table: Table, what: str) -> Rule | None:
    """The table-settings rule that gives the table ``what`` (parallel_load / lob): a rule
    naming the table exactly wins over wildcards; two exact ones are an error."""
    found = [r for r in rules if r.rule_type == "table-settings" and getattr(r, what)
             and matches(r.locator["schema-name"], table.schema)
             and matches(r.locator["table-name"], table.name)]
    exact = [r for r in found if (r.locator["schema-name"], r.locator["table-name"])
             == (table.schema, table.name)]
    if len(exact) > 1:
        key = {"lob": "lob-settings", "parallel_load": "parallel-load"}[what]
        raise exact[1].error(f"table {table.qualified} already has {key} from "
                             f"{exact[0].label}; one per table")
    return (exact or found or [None])[-1]


def plan_table(task: Task, table: Table, rules: list[Rule], source: Source, target: Target,
               usage: Usage | None = None) -> TablePlan:
    usage = usage if usage is not None else Usage()
    overrides = parse_overrides(task.type_overrides)
    selected = matching_rules(rules, table)
    plan = TablePlan(
        source=table,
        target_schema=target_schema(task, table, source, target),
        target_name=table.name,
        columns=tuple(plan_column(table, c, source, target, overrides) for c in table.columns),
        primary_key=table.primary_key,
        indexes=tuple(Index(i.name, i.columns, i.unique) for i in table.indexes),
        foreign_keys=table.foreign_keys,
        filters=table_filters(selected, table),
        rule_ids=tuple(r.rule_id for r in selected),
        load_order=max((r.load_order for r in selected), default=0),
        peer=target.dialect.family,
        warnings=table.notes,
    )
    ci = identifiers.rules_for(target.engine).ci_columns
    plan = apply_columns(plan, rules, source, target, usage, ci)
    plan = apply_names(plan, rules, plan.target_schema, usage)
    return _settings(task, plan, rules, source, usage)


def _settings(task: Task, plan: TablePlan, rules: list[Rule], source: Source,
              usage: Usage) -> TablePlan:
    lob_rule = _table_setting(rules, plan.source, "lob")
    limit = lob_limit(lob_rule, plan.source, task.settings, is_lob)
    settings: dict[str, Any] = {}
    ids = list(plan.rule_ids)
    for rule in (lob_rule, _table_setting(rules, plan.source, "parallel_load")):
        if rule is not None:
            usage.hit([rule])
            settings.update({k: v for k, v in rule.raw.items()
                             if k in ("parallel-load", "lob-settings")})
            ids.append(rule.rule_id)
    if limit is not None:
        settings.setdefault("lob-settings", {"mode": "limited", "from": limit.origin})
        limit = replace(limit, columns=tuple(c for c in limit.columns if c in plan.source_names))
    return replace(plan, settings=settings, lob_limit=limit if limit and limit.columns else None,
                   rule_ids=tuple(dict.fromkeys(ids)), target_rules=_engine_rules(rules, plan, usage))


def _engine_rules(rules: Sequence[Rule], plan: TablePlan, usage: Usage) -> tuple[Any, ...]:
    """The object-mapping / post-processing rules naming this table (wildcards allowed)."""
    found = [r for r in rules if r.rule_type in ENGINE_RULE_TYPES
             and matches(r.locator["schema-name"], plan.source.schema)
             and matches(r.locator["table-name"], plan.source.name)]
    usage.hit(found)  # matched: no "matches nothing" warning
    return tuple(r.raw for r in found)


def check_engine_rules(rules: Sequence[Rule], target: Target) -> None:
    """A rule only some targets read (object-mapping: DynamoDB, ...) on a target that does
    not read it stops the plan, naming the rule."""
    for r in rules:
        if r.rule_type in ENGINE_RULE_TYPES and r.rule_type not in target.mapping_rules:
            takers = "; this target reads none" if not target.mapping_rules else \
                f"; this target reads {', '.join(sorted(target.mapping_rules))}"
            raise r.error(f"{r.rule_type} rules are not read by a {target.engine} target{takers}")


NO_QUERY_REQUESTS = ("ranges", "none")  # parallel-load types that need no source query


def partition(task: Task, plan: TablePlan, rules: list[Rule], source: Source,
              with_partitions: bool, usage: Usage) -> TablePlan:
    """The source engine splits the read: by the table's parallel-load rule (handed to it
    as data) or its own default. Without ``with_partitions`` the source is not queried."""
    rule = _table_setting(rules, plan.source, "parallel_load")
    plan = replace(plan, parallel_load=partition_request(rule, plan.source) if rule else None)
    request = plan.parallel_load
    if not with_partitions and (request is None or request.type not in NO_QUERY_REQUESTS):
        return plan
    part = source.partitions(plan, task.settings)
    usage.warnings.extend(part.notes)
    return replace(plan, partitioning=part)


def _check_targets(plans: Sequence[TablePlan], rules: Sequence[Rule]) -> None:
    """Two source tables renamed onto one target table (AWS DMS does not merge tables): an
    error naming the transformation rules that renamed them."""
    seen: dict[tuple[str, str], TablePlan] = {}
    naming = {r.rule_id: r for r in rules if r.rule_type == "transformation"
              and r.target in ("schema", "table")}
    for tp in plans:
        other = seen.setdefault((tp.target_schema, tp.target_name), tp)
        if other is tp:
            continue
        ids = sorted({i for i in (*tp.rule_ids, *other.rule_ids) if i in naming}, key=_id_order)
        problem = (f"tables {other.source_label} and {tp.source_label} would both load into "
                   f"{tp.target_label}; rename one of them"
                   + (f" (rules involved: {', '.join(ids)})" if ids else ""))
        if ids:
            raise naming[ids[-1]].error(problem)
        raise MappingRuleError("-", "-", problem)


def _id_order(rule_id: str) -> tuple[int, str]:
    return (int(rule_id), "") if rule_id.isdigit() else (1 << 62, rule_id)


def rule_warnings(rules: Sequence[Rule], usage: Usage) -> list[str]:
    out = []
    for r in rules:
        if r.no_effect and r.rule_id in usage.matched:
            out.append(f"{r.label}: {r.action} has no effect in sparkdms: {r.no_effect}")
        elif r.rule_id not in usage.matched:
            out.append(f"{r.label} ({r.rule_type}"
                       + (f" {r.action}" if r.action else "") + ") matches nothing on the "
                       "source: check its object-locator (names are case-sensitive)")
    return out


def build_plan(task: Task, catalog: Catalog, source: Source, target: Target,
               with_partitions: bool = True) -> Plan:
    rules = rules_for(task)
    check_engine_rules(rules, target)
    catalog = read_as_text(catalog, parse_overrides(task.type_overrides), target)
    usage = Usage()
    usage.matched |= matched_selection(rules, catalog)
    tables = [plan_table(task, t, rules, source, target, usage)
              for t in select_tables(rules, catalog)]
    _check_targets(tables, rules)
    tables = [partition(task, tp, rules, source, with_partitions, usage) for tp in tables]
    tables = [replace(tp, rule_ids=tuple(sorted(tp.rule_ids, key=_id_order))) for tp in tables]
    tables.sort(key=lambda tp: -tp.load_order)  # AWS load-order: higher loads first
    summary = ignored_summary(task.settings.ignored)  # one line, however many
    warnings = [summary] if summary else []
    warnings += usage.warnings + rule_warnings(rules, usage)
    plan = Plan(task.name, source.engine, target.engine, tuple(tables), tuple(warnings))
    plan = identifiers.check(plan, target.engine, task.settings["Sparkdms.IdentifierCase"])
    plan = annotate_fk_risks(plan)  # foreign keys a filter or the selection can break
    return annotate(plan, target)  # lossy type conversions as plan warnings
