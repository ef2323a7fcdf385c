"""The steps every command shares: load the task, check endpoints, discover,
plan, start Spark. Each step fails with a clear message before the next."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkdms.catalog import Catalog
from sparkdms.connectors.base import Sampler, Source, Target
from sparkdms.errors import EndpointError, SelectionError, SparkDmsError
from sparkdms.plan import Plan
from sparkdms.plan.build import build_plan, discover
from sparkdms.registry import connector_for
from sparkdms.spark import build_session
from sparkdms.task import Task, load_task


@dataclass
class Prepared:
    task: Task
    source: Source
    target: Target
    catalog: Catalog
    plan: Plan


def prepare(task_path: str | Path | Task, with_partitions: bool = True,
            check_target: bool = True) -> Prepared:
    task = task_path if isinstance(task_path, Task) else load_task(task_path)  # run_task: a Task
    source = connector_for(task.source)
    target = connector_for(task.target)
    if not source.can_source:
        raise EndpointError("source", source.engine, "this engine is a target only")
    if not target.can_target:
        raise EndpointError("target", target.engine, "this engine is a source only")
    source.check_connection()
    if check_target:
        target.check_connection()
    sampler = Sampler(spark=lambda: session_for(task, source, target, None, {}))
    catalog = discover(task, source, sampler)
    if not catalog.tables and task.settings["ErrorBehavior.FailOnNoTablesCaptured"]:
        raise_nothing_selected(task, source, sampler)
    plan = build_plan(task, catalog, source, target, with_partitions=with_partitions)
    if not catalog.tables:  # as AWS DMS with FailOnNoTablesCaptured false: runs, loads nothing
        from dataclasses import replace

        plan = replace(plan, warnings=(*plan.warnings, "the selection rules match no table on "
                                       "the source; ErrorBehavior.FailOnNoTablesCaptured is "
                                       "false, so the task runs and loads nothing"))
    return Prepared(task, source, target, catalog, plan)


def raise_nothing_selected(task: Task, source: Source, sampler: Sampler) -> None:
    everything = source.discover(lambda s, t, k: True, sampler)
    names = ", ".join(t.qualified for t in everything.tables[:30]) or "no tables at all"
    more = f" (and {len(everything.tables) - 30} more)" if len(everything.tables) > 30 else ""
    rules = "; ".join(
        f"rule {r.get('rule-id')} {r.get('rule-action')} "
        f"{r.get('object-locator', {}).get('schema-name')}.{r.get('object-locator', {}).get('table-name')}"
        for r in task.table_mappings["rules"] if r.get("rule-type") == "selection")
    raise SelectionError(f"selection rules match no table on the source ({rules}); "
                         f"the source has: {names}{more} (ErrorBehavior.FailOnNoTablesCaptured "
                         "false runs the task anyway)")


def conf_pairs(values: list[str]) -> dict[str, str]:
    """``--conf KEY=VALUE`` options as a dict."""
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise SparkDmsError(f"--conf {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def session_for(task: Task, source: Source, target: Target, master: str | None,
                extra_conf: dict[str, str]) -> Any:
    """The task's Spark session, with the JVM parts both engines need."""
    from sparkdms.jvm import packages_for

    engines = [source.engine, target.engine]
    conf = {**task.spark.get("conf", {}), **extra_conf}
    engine_conf = {**source.spark_conf, **target.spark_conf}
    master = master or task.spark.get("master") or "local[*]"
    return build_session(f"sparkdms {task.name}", master, packages_for(engines), conf,
                         engine_conf)


def start_spark(prep: Prepared, master: str | None, extra_conf: dict[str, str]) -> Any:
    spark = session_for(prep.task, prep.source, prep.target, master, extra_conf)
    under_submit = bool(os.environ.get("SPARKDMS_UNDER_SUBMIT"))  # --py-files shipped the code
    if not spark.sparkContext.master.startswith("local") and not under_submit:
        from sparkdms.packaging import code_zip

        spark.sparkContext.addPyFile(str(code_zip()))  # executors import our code from here
    return spark
