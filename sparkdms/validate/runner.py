"""Validate tables after their load (``EnableValidation``) or on their own
(``ValidationOnly``, ``sparkdms validate``): per table a ``ValidationState`` with AWS DMS's
values, the failures written where the target's engine keeps them, and great-expectations'
verdict.

This module runs the stages; ``target`` finds the target table, ``strategy`` builds the two
sides of each comparison, ``compare`` compares them, ``results`` judges the outcome and
``summary`` prints it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sparkdms.explain import explain
from sparkdms.plan import TablePlan
from sparkdms.report import TABLE_ERROR, Report, TableStats
from sparkdms.validate.canon import spark_ltype
from sparkdms.validate.columns import Options, table_columns
from sparkdms.validate.compare import Budget, Comparison, Outcome
from sparkdms.validate.expectations import Background, Expectations
from sparkdms.validate.failures import FailureSink, rows_for
from sparkdms.validate.results import (
    ERROR,
    TABLE_ERROR_STATE,
    TableResult,
    as_extra,
    judge,
    merge,
    method_text,
)
from sparkdms.validate.strategy import KeySet, Strategy
from sparkdms.validate.summary import print_table
from sparkdms.validate.target import locate_target

if TYPE_CHECKING:
    from sparkdms.connectors.base import Connector, Source

class Validator:
    def __init__(self, task: Any, plan: Any, source: Source, target: Connector,
                 spark: Callable[[], Any] | Any, out: TextIO | None = None,
                 failures_file: str | Path | None = None, docs_dir: str | None = None) -> None:
        s = task.settings
        self.task, self.plan, self.source, self.target = task, plan, source, target
        self.out = out if out is not None else sys.stdout  # looked up per call, not at import
        self.settings = s
        self._spark = spark
        self.options = Options(s["ValidationSettings.HandleCollationDiff"],
                               s["ValidationSettings.SkipLobColumns"],
                               target.empty_string_is_null)
        self.task_budget = [s["ValidationSettings.FailureMaxCount"]]
        path = failures_file or Path("out") / f"{task.name}-validation-failures.jsonl"
        self.sink = FailureSink(target.failure_store(s), path)
        self.strategy = Strategy(source, target, self.spark)
        docs = docs_dir or s["Sparkdms.ValidationDataDocs"] or None
        self.gx = Expectations(task.name, docs) if s["Sparkdms.ValidationExpectations"] else None
        if self.gx is not None:
            self.gx.warm()

    # -- Spark, only when a side or great-expectations needs it --------------------------
    def spark(self) -> Any:
        if callable(self._spark):  # a maker (a SparkSession itself is not callable)
            self._spark = self._spark()
            self.target.bind(self._spark)
        return self._spark

    # -- entry points ------------------------------------------------------------------------
    def after_table(self, ctx: Any, plan: TablePlan, stats: TableStats) -> None:
        """``execute``'s hook: validate a table right after its load."""
        self.out = getattr(ctx, "out", None) or self.out  # on a terminal: above the progress bars
        self.validate(plan, stats)

    def finish_load(self, report: Report) -> None:
        for stats in report.tables:
            if stats.TableState == TABLE_ERROR:
                stats.extra.update(ValidationState=TABLE_ERROR_STATE, ValidationFailedRecords=0,
                                   ValidationStateDetails="the load of this table failed")

    def validate(self, plan: TablePlan, stats: TableStats) -> None:
        start = time.monotonic()
        try:
            result = self.validate_table(plan)
        except Exception as err:  # reported per table; the other tables go on
            result = TableResult(ERROR, explain(err, self.task.secrets))
        seconds = round(time.monotonic() - start, 3)
        stats.extra.update(as_extra(result, seconds))
        print_table(self.out, plan, result, seconds)

    # -- one table --------------------------------------------------------------------------
    def validate_table(self, plan: TablePlan, keys: KeySet | None = None) -> TableResult:
        """``keys``: only those rows (no expectations; failures written only when found)."""
        start = time.monotonic()
        target_table, target_frame = locate_target(self.target, plan, self.settings, self.spark,
                                                   self.task.secrets)
        target_types = None
        if target_table is None:
            target_types = {f.name: spark_ltype(f.dataType) for f in target_frame().schema.fields}
        cols = table_columns(plan, target_table, self.options, target_types)
        budget = Budget(self.settings["ValidationSettings.TableFailureMaxCount"], self.task_budget)
        outcome, methods = Outcome(), []
        gx = self.gx if keys is None else None
        expect = Background(gx, plan, cols.key, self.target, target_frame, target_table,
                            lambda err: explain(err, self.task.secrets))
        for specs, spark_only in self.strategy.column_groups(cols, target_table):
            src, tgt, mode = self.strategy.sides(plan, cols, specs, target_table, target_frame,
                                                 spark_only, keys)
            try:
                part = Comparison(src, tgt, specs, cols.key, mode,
                                  self.settings["ValidationSettings.PartitionSize"], budget,
                                  on_source_rows=expect.start).run()
            finally:
                src.close()
                tgt.close()
            outcome = merge(outcome, part) if methods else part
            methods.append(method_text(src, tgt, mode, cols, specs if spark_only else None))
        result = judge(outcome, cols, mode)
        result.method = "; ".join(methods)
        result.seconds["checksums"] = round(time.monotonic() - start, 3)
        if gx is not None:
            result.expectations = expect.result(outcome.source_rows)
            result.seconds["expectations"] = expect.seconds
        rows = rows_for(self.task.name, plan.source.schema, plan.source.name, outcome.differences)
        if keys is not None and not rows:  # keep what the last full validation found
            return result
        try:
            result.failures_at = self.sink.write(plan, self.task.name, rows)
        except Exception as err:  # the verdict stands; say where the failures could not go
            result.failures_at = f"nowhere: writing {self.sink.location(plan)} failed: " \
                                 f"{explain(err, self.task.secrets)}"
            result.details += f"; failures not written ({result.failures_at})"
        return result


def validate_only(prep: Any, spark: Callable[[], Any], out: TextIO | None = None,
                  failures_file: str | Path | None = None, docs_dir: str | None = None) -> Report:
    """``ValidationOnly``: compare what is on both sides now; nothing is loaded."""
    from sparkdms.load.execute import new_report
    from sparkdms.report import now

    report = new_report(prep.plan)
    validator = Validator(prep.task, prep.plan, prep.source, prep.target, spark, out,
                          failures_file, docs_dir)
    threads = max(1, min(prep.task.settings["ValidationSettings.ThreadCount"], len(prep.plan.tables)))
    with ThreadPoolExecutor(threads, thread_name_prefix="sdms-validate-table") as pool:
        for future in [pool.submit(validator.validate, tp, st)
                       for tp, st in zip(prep.plan.tables, report.tables, strict=True)]:
            future.result()
    report.ended = now().isoformat()
    return report
