"""sparkdms: database migrations as Apache Spark jobs, in AWS DMS vocabulary."""

from __future__ import annotations

__version__ = "0.1.0"


def run_task(task, spark=None, **options):  # type: ignore[no-untyped-def]
    """Run a task given as a dict (the task file's content) or a path; see sparkdms.api."""
    from sparkdms.api import run_task as run

    return run(task, spark, **options)
