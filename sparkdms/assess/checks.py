"""Engine and task checks: the AWS DMS premigration assessments that apply (change data
capture settings, non-transactional source tables) and existing target tables."""

from __future__ import annotations

from sparkdms.assess.model import Assessment, Item
from sparkdms.assess.probes import hooks_of
from sparkdms.connectors.base import Source, Target
from sparkdms.plan import Plan
from sparkdms.task import Task


def engine_checks(task: Task, source: Source, target: Target, plan: Plan, target_ok: bool,
                  assessment: Assessment) -> None:
    hooks = hooks_of(source)
    if task.migration_type != "full-load":
        assessment.checks += hooks.cdc_checks()
    assessment.checks += hooks.engine_checks(sorted({t.source.schema for t in plan.tables}))
    if target_ok:
        existing_targets(target, task, plan, assessment)


def existing_targets(target: Target, task: Task, plan: Plan, assessment: Assessment) -> None:
    hooks = hooks_of(target)
    mode = task.settings["FullLoadSettings.TargetTablePrepMode"]
    try:
        conflicts = target.type_conflicts(plan.tables)
    except Exception:  # a catalog we cannot read: the load says it
        conflicts = []
    assessment.checks += [Item("check", "error", "medium", text, None, action="drop or alter the "
                               "type on the target") for text in conflicts]
    for tp in plan.tables:
        try:
            exists = hooks.table_exists(tp.target_schema, tp.target_name)
        except Exception:
            return
        if exists:
            what = {"DROP_AND_CREATE": "is dropped and created again",
                    "TRUNCATE_BEFORE_LOAD": "is emptied and keeps its own structure",
                    "DO_NOTHING": "keeps its rows; the load appends"}[mode]
            assessment.checks.append(Item("check", "info", "simple", f"target table "
                                          f"{tp.target_label} exists and {what} "
                                          f"(TargetTablePrepMode {mode})", tp.source_label))
