"""The command-line side of validation: ``sparkdms validate TASK`` (and ``run`` with
``ValidationOnly``), and the per-table hook ``run`` uses with ``EnableValidation``."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from sparkdms.report import Report
from sparkdms.report.verdict import verdict
from sparkdms.validate.results import NOT_ENABLED, validation_failed
from sparkdms.validate.runner import Validator, validate_only
from sparkdms.validate.summary import print_validation_summary


def failures_file(args: argparse.Namespace, task_name: str) -> Path:
    """For targets without tables: next to the JSON report, else under ./out."""
    if getattr(args, "report", None):
        report = Path(args.report)
        return report.with_name(report.stem + "-validation-failures.jsonl")
    return Path("out") / f"{task_name}-validation-failures.jsonl"


def cmd_validate(args: argparse.Namespace, prep: Any = None) -> int:
    from sparkdms.app import conf_pairs, prepare, start_spark

    prep = prep or prepare(args.task)
    print(f"Validating task {prep.task.name}: {len(prep.plan.tables)} tables, "
          f"{prep.task.source.describe()} against {prep.task.target.describe()}", flush=True)

    def spark() -> Any:  # started only when a side or great-expectations needs it
        return start_spark(prep, getattr(args, "master", None), conf_pairs(getattr(args, "conf", [])))

    report = validate_only(prep, spark, sys.stdout, failures_file(args, prep.task.name),
                           getattr(args, "out", None))
    if getattr(args, "report", None):
        report.write_json(args.report)
        print(f"Report written to {args.report}")
    from sparkdms.jvmlog import announce

    if logs := announce(always=True):
        print(logs)
    print_validation_summary(report, sys.stdout)  # its last line is the verdict
    return verdict(report).exit_code


def load_hook(prep: Any, spark: Any, args: argparse.Namespace) -> Validator | None:
    """With ``EnableValidation``, the validator whose ``after_table`` runs after each load."""
    if not prep.task.settings["ValidationSettings.EnableValidation"]:
        return None
    from sparkdms.localrun import LazySpark, session_of

    if isinstance(spark, LazySpark):  # a run without the JVM: started only if a side needs it
        spark = partial(session_of, spark)
    return Validator(prep.task, prep.plan, prep.source, prep.target, spark,
                     failures_file=failures_file(args, prep.task.name))


def after_load(validator: Validator | None, report: Report) -> bool:
    """Mark the tables the hook did not validate; True when validation found problems."""
    if validator is None:
        for stats in report.tables:
            stats.extra.setdefault("ValidationState", NOT_ENABLED)
        return False
    validator.finish_load(report)
    return validation_failed(report)
