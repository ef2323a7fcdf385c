"""Carry out a plan: up to MaxFullLoadSubTasks tables at once, each read in
parallel partitions and written in parallel; statistics as it goes."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

from sparkdms.connectors.base import Source, Target, WriteResult
from sparkdms.errors import SparkDmsError
from sparkdms.explain import explain
from sparkdms.load.read import read_table
from sparkdms.load.resume import Runs, post_load_tables
from sparkdms.load.transform import to_target
from sparkdms.plan import Plan, TablePlan
from sparkdms.report import TABLE_ERROR, Report, TableStats
from sparkdms.task import Task

TableHook = Callable[[Any, TablePlan, TableStats], None]


@dataclass
class Context:
    task: Task
    plan: Plan
    source: Source
    target: Target
    spark: Any
    load_id: str
    out: TextIO
    stop: threading.Event
    runs: Runs | None = None  # the task's load records on the target (run --resume)
    rejects: Any = None  # the run's reject file (sparkdms.load.rejects.RejectFile)


def new_report(plan: Plan) -> Report:
    return Report(plan.task_name, plan.source_engine, plan.target_engine,
                  [TableStats(t.source.schema, t.source.name, t.target_schema, t.target_name,
                              Partitions=t.partitioning.count,
                              PartitionMethod=t.partitioning.method) for t in plan.tables],
                  warnings=list(plan.warnings))


def load_table(ctx: Context, tp: TablePlan, stats: TableStats) -> None:
    settings = ctx.task.settings
    if ctx.stop.is_set():
        stats.start()
        stats.finish(0, "not started: the task was stopped (TableErrorPolicy STOP_TASK)")
        return
    stats.start()
    from sparkdms.progress import job_group, say

    say(ctx.out, f"  loading {tp.source_label} -> {tp.target_label} "
                 f"({tp.partitioning.count} partitions, {tp.partitioning.method})")

    job_group(ctx.spark, tp.source_label)  # the progress reads the table's jobs by it
    assert ctx.runs is not None
    try:
        run = ctx.runs.begin(tp, stats, ctx.out)
        if run is None:  # run --resume: an earlier run of the task loaded it
            return
        for note in run.notes:
            say(ctx.out, f"  note    {note}")
            stats.extra.setdefault("Notes", []).append(note)
        result = ctx.runs.result(run, None if run.plan is None else
                                 write_table(ctx, run.plan, stats, run.load_id, run.resumed))
        ctx.target.commit(tp, settings, run.load_id, result)
        ctx.runs.committed(tp, run, result.rows)
        stats.extra.update(result.stats)
        stats.Partitions = result.partitions
        stats.FullLoadErrorRows = result.error_rows
        stats.finish(result.rows)
        say(ctx.out, f"  done    {tp.source_label}: {result.rows:,} rows in "
                     f"{stats.ElapsedSeconds:.1f}s")
    except Exception as err:  # every failure is reported per table, never swallowed
        ctx.target.abort(tp, settings, ctx.runs.table_load_id(tp))
        stats.finish(0, explain(err, ctx.task.secrets))
        say(ctx.out, f"  FAILED  {tp.source_label}: {stats.Error}")
        # STOP_TASK, or an error whose own policy stops the task (DataTruncationErrorPolicy)
        if settings["ErrorBehavior.TableErrorPolicy"] == "STOP_TASK" or \
                (isinstance(err, SparkDmsError) and err.stop_task):
            ctx.stop.set()


def write_table(ctx: Context, tp: TablePlan, stats: TableStats, load_id: str,
                resumed: bool = False) -> WriteResult:
    """Rows through Spark DataFrames, or, where the target says it can copy the source's
    stream as it is (same engine, identity columns), through parallel direct copies."""
    settings = ctx.task.settings
    if ctx.target.can_direct_copy(ctx.source, tp, settings):
        from sparkdms.load.fallback import direct_or_redo

        copied = direct_or_redo(ctx, tp, stats, load_id, resumed)
        if copied is not None:
            return copied
    from sparkdms.localrun import session_of
    from sparkdms.plan.mapping import lob
    from sparkdms.progress import job_group

    spark = session_of(ctx.spark)  # rows through Spark: a session not started starts now
    job_group(spark, tp.source_label)
    read = read_table(spark, ctx.source, tp, ctx.target.wants_end_marker)
    stats.extra.update(read.stats)
    df, lob_done = lob.apply(read.frame, tp, settings)
    result = ctx.target.write(to_target(df, tp), tp, settings, load_id)
    if lob_done is not None:  # LOB values over the limit: counted and logged, never silent
        from dataclasses import replace

        result = replace(result, error_rows=result.error_rows + lob_done(stats, ctx.out))
    if result.rejects:  # rows the target refused: recorded and counted; may stop the table
        from sparkdms.load.rejects import settle

        settle(target=ctx.target, task=ctx.task, plan=tp, stats=stats, rejects=result.rejects,
               load_id=load_id, out=ctx.out, file=ctx.rejects)
    return result


def execute(task: Task, plan: Plan, source: Source, target: Target, spark: Any,
            out: TextIO | None = None, after_table: TableHook | None = None,
            resume: bool = False, rejects_file: str | None = None) -> Report:
    """``resume``: continue the task's last unfinished load (sparkdms/load/resume.py).
    ``rejects_file``: where the rows the target refused are written (JSON lines)."""
    out = out or sys.stdout  # looked up per call: a captured stdout may have been replaced
    report = new_report(plan)
    ctx = Context(task, plan, source, target, spark, uuid.uuid4().hex[:16], out, threading.Event())
    target.bind(spark)
    target.prepare_task(plan.tables, task.settings)
    ctx.runs = Runs(task, source, target, ctx.load_id, resume)
    from sparkdms.load.rejects import RejectFile

    ctx.rejects = RejectFile(rejects_file)
    before = target.pre_load(plan.tables, task.settings)
    report.notes.extend(before.notes)
    from sparkdms.progress import Progress  # rows done, rows/s, ETA: bars or plain lines

    progress = Progress(report, spark, out, [tp.source.row_estimate for tp in plan.tables])
    ctx.out = progress.out  # on a terminal, the run's lines print above the bars
    progress.start()

    def one(tp: TablePlan, stats: TableStats) -> None:
        load_table(ctx, tp, stats)
        if after_table is not None and stats.TableState != TABLE_ERROR:
            progress.validating(stats)
            after_table(ctx, tp, stats)

    workers = max(1, min(task.settings["FullLoadSettings.MaxFullLoadSubTasks"], len(plan.tables)))
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="sdms-table") as pool:
            for future in [pool.submit(one, tp, st) for tp, st in
                           zip(plan.tables, report.tables, strict=True)]:
                future.result()
    finally:
        progress.stop()
    loaded = [tp for tp, st in zip(plan.tables, report.tables, strict=True)
              if st.TableState != TABLE_ERROR]
    objects = post_load_tables(ctx.runs, loaded)
    try:
        report.notes.extend(target.post_load(objects, task.settings, before))
    except Exception as err:  # reported as a task error: the data is loaded, objects are not
        report.notes.extend(getattr(err, "notes", []))  # the objects skipped besides
        report.error = f"creating indexes/constraints after the load failed: " \
                       f"{explain(err, task.secrets)}"
    from sparkdms.report import now

    report.notes += ctx.runs.finish(plan.tables, report, [] if report.error else objects)
    report.ended = now().isoformat()
    return report
