"""Running a task from Python (a notebook, a Databricks job, a test): ``run_task`` takes the
task as a dict (the YAML file's content) or a path, and an existing SparkSession or none.

With a session given, sparkdms makes no ``sparkContext`` call on the task's path (Spark
Connect, Databricks shared clusters) except where an engine needs the JVM (see README,
"Databricks"); the JVM packages the engines need must then be installed on the cluster.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from sparkdms.report import Report


def run_task(task: Mapping[str, Any] | str | Path, spark: Any = None, *,
             report: str | Path | None = None, base_dir: str | Path | None = None,
             out: TextIO | None = None) -> Report:
    """Load (and, with EnableValidation, validate) the task's tables; returns the Report
    (``report.status``, ``report.tables``, ``report.as_dict()``). ``report``: also write the
    JSON report there and the HTML run report beside it. ``base_dir``: where relative paths
    in a dict task resolve (default: the current folder). Raises SparkDmsError when the task
    is refused before it starts; a table that fails is in the report, not raised."""
    import time
    from types import SimpleNamespace

    from sparkdms.app import prepare, start_spark
    from sparkdms.load.execute import execute
    from sparkdms.progress import run_info
    from sparkdms.task import load_task, parse_task
    from sparkdms.validate.command import after_load, load_hook

    out = out or sys.stdout
    parsed = parse_task(dict(task), Path(base_dir or ".").resolve()) \
        if isinstance(task, Mapping) else load_task(task)
    prep = prepare(parsed)
    prep.target.preflight(prep.plan.tables, prep.task.settings)
    began = time.monotonic()
    spark = spark if spark is not None else start_spark(prep, None, {})
    started = time.monotonic() - began
    validator = load_hook(prep, spark, SimpleNamespace(report=report))
    result = execute(prep.task, prep.plan, prep.source, prep.target, spark, out=out,
                     after_table=validator.after_table if validator else None)
    after_load(validator, result)
    result.run.update(run_info(spark, started))
    if report is not None:
        from sparkdms.report.html import html_path, write_html

        result.write_json(report)
        write_html(result, html_path(report))
    return result
