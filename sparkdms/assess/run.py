"""The whole assessment: discover, plan leniently (collecting what a run would refuse),
then grade every table and collect the objects and checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkdms.assess.checks import engine_checks
from sparkdms.assess.columns import column_items, name_items, table_items, unsupported_items
from sparkdms.assess.gaps import gap_items
from sparkdms.assess.model import Assessment, ColumnReport, Item, TableReport, first_line
from sparkdms.assess.objects import (
    object_items,
    routine_items,
    skipped_index_items,
    table_finding_items,
    trigger_items,
    view_items,
)
from sparkdms.assess.probes import data_items
from sparkdms.assess.views import sample_size
from sparkdms.connectors.base import Source, Target
from sparkdms.errors import SparkDmsError, UnsupportedTypeError
from sparkdms.plan import Plan, TablePlan, identifiers
from sparkdms.plan.build import build_plan, discover
from sparkdms.plan.typemap import Dialect, dialect
from sparkdms.plan.typemap.resolve import lenient
from sparkdms.registry import connector_for
from sparkdms.task import Task, load_task


def plan_leniently(task: Task, catalog: Any, source: Source,
                   target: Target) -> tuple[Plan, list[UnsupportedTypeError],
                                            list[identifiers.Finding]]:
    with lenient() as unsupported, identifiers.collecting() as names:
        plan = build_plan(task, catalog, source, target, with_partitions=False)
    return plan, unsupported, names


def assess_table(tp: TablePlan, source: Source, target: Target, task: Task,
                 tdialect: Dialect) -> TableReport:
    report = TableReport(tp.source_label, tp.target_label, tp.source.row_estimate,
                         list(tp.primary_key))
    same = source.dialect.same_family(target.dialect)
    for cp in tp.columns:
        items, notes = column_items(tp, cp, tdialect, same)
        report.items += items
        report.columns.append(ColumnReport(cp.source_name or "(added)", cp.target_name,
                                           cp.source.native_type if cp.source else "",
                                           cp.target_type, notes))
    report.items += table_items(tp, task.settings)
    data, sampled = data_items(source, target, tp, tdialect, task.settings)
    report.items += data
    report.sampled_rows = sampled
    return report


def assess(task_path: str | Path) -> Assessment:
    task = load_task(task_path)
    source = connector_for(task.source)
    target = connector_for(task.target)
    source.check_connection()
    try:
        target.check_connection()
        target_ok = True
    except SparkDmsError:
        target_ok = False
    catalog = discover(task, source)
    if not catalog.tables:
        from sparkdms.app import raise_nothing_selected

        raise_nothing_selected(task, source)
    plan, unsupported, names = plan_leniently(task, catalog, source, target)
    out = Assessment(task.name, task.source.describe(), task.target.describe(),
                     datetime.now(UTC).isoformat(timespec="seconds"))
    if not target_ok:
        out.checks.append(Item("check", "warning", "simple", f"target {task.target.describe()} "
                               "is not reachable: existing target tables were not checked"))
    tdialect = dialect(target.engine)
    reports = {}
    for tp in plan.tables:
        reports[tp.source_label] = assess_table(tp, source, target, task, tdialect)
    unsupported_items(unsupported, catalog.tables, target, reports)
    name_items(names, reports)
    object_items(target, plan, task.settings, reports)
    schemas = sorted({t.source.schema for t in plan.tables})
    for step in (lambda: skipped_index_items(source, target, schemas, reports),
                 lambda: table_finding_items(source, schemas, reports),
                 lambda: gap_items(source, target, plan, reports),
                 lambda: view_items(source, target, schemas, plan, out,
                                    sample_size(task.settings)),
                 lambda: trigger_items(source, target, schemas, out),
                 lambda: routine_items(source, target, schemas, out),
                 lambda: engine_checks(task, source, target, plan, target_ok, out)):
        try:
            step()
        except Exception as err:  # one unreadable catalog view must not hide the rest
            out.checks.append(Item("check", "warning", "simple",
                                   f"part of the source catalog could not be read: {first_line(err)}"))
    out.tables = list(reports.values())
    return out
