"""The options of each ``sparkdms`` subcommand, as data: every subcommand shows only its own
options, and an example, in ``--help``.

``OPTIONS`` holds each option once (flags and argparse keywords); ``COMMAND_OPTIONS`` lists
the options of each subcommand; ``EXAMPLES`` is the epilog of its ``--help``. cli.py adds
the subcommands in COMMANDS with ``add_command`` (and may add more options to one of them).
"""

from __future__ import annotations

import argparse
from typing import Any

LOG_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
FORMATS = ("text", "json")

OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "task": (("task",), {"metavar": "TASK", "help": "task file (YAML)"}),
    "master": (("--master",), {"help": "Spark master, e.g. local[*], spark://host:7077, yarn "
                                       "(default: the task's spark.master, else local[*])"}),
    "conf": (("--conf",), {"action": "append", "default": [], "metavar": "KEY=VALUE",
                           "help": "extra Spark configuration (repeatable)"}),
    "report": (("--report",), {"metavar": "FILE.json", "help": "write the JSON report here"}),
    "no_ui": (("--no-ui",), {"action": "store_true", "help": "do not start the Spark UI (on by "
                             "default, on 127.0.0.1 for local masters; its URL is printed)"}),
    "tables": (("--tables",), {"metavar": "PATTERN", "help": "load only the planned tables "
                               "matching PATTERN: comma-separated schema.table or table names "
                               "with the selection rules' wildcards (%% any, _ one character) "
                               "or *; other tables are left as they are"}),
    "retry_failed": (("--retry-failed",), {"metavar": "REPORT.json", "help": "load only the "
                     "tables a previous run's JSON report shows as not loaded or failed"}),
    "format": (("--format",), {"choices": FORMATS, "default": "text",
                               "help": "text for people (default) or json for tools"}),
    "out_docs": (("--out",), {"metavar": "DIR", "help": "write great-expectations Data Docs "
                              "(HTML) into DIR"}),
    "out_ddl": (("--out",), {"metavar": "FILE", "help": "write the DDL to FILE instead of "
                             "the console"}),
    "out_assess": (("--out",), {"metavar": "FILE.json", "help": "write the assessment as "
                                "JSON (and HTML beside it)"}),
    "log": (("--log",), {"metavar": "FILE", "help": "log file with the full traces (default: "
                         "beside --report, else in the temp folder)"}),
    "verbose": (("-v", "--verbose"), {"action": "store_true",
                                      "help": "show INFO logs (sparkdms, Spark) on the console"}),
    "log_level": (("--log-level",), {"type": str.upper, "choices": LOG_LEVELS,
                                     "help": "log level of Spark and sparkdms, also shown on "
                                             "the console (default: WARN, log files only)"}),
    "source_url": (("source_url",), {"metavar": "SOURCE_URL", "help": "e.g. postgresql://"
                   "user@host:5432/db, mysql://user@host/db, mariadb://..., sqlite:///path.db"}),
    "target_url": (("target_url",), {"metavar": "TARGET_URL", "help": "the same forms, or "
                   "delta:///path, parquet:///path"}),
    "out_task": (("-o", "--out"), {"metavar": "FILE", "default": "task.yaml",
                                   "help": "task file to write (default: task.yaml)"}),
    "name": (("--name",), {"help": "task name (default: SOURCE-to-TARGET)"}),
    "force": (("--force",), {"action": "store_true", "help": "overwrite FILE if it exists"}),
    "dest": (("dest",), {"metavar": "DIR", "nargs": "?",
                         "help": "copy the examples into DIR (default: list them)"}),
}

LOGGING = ("log", "verbose", "log_level")
SPARK = ("master", "conf")
COMMAND_OPTIONS: dict[str, tuple[str, ...]] = {
    "run": ("task", *SPARK, "no_ui", "report", "tables", "retry_failed", "out_docs", *LOGGING),
    "plan": ("task", "format", "tables", *LOGGING),
    "validate": ("task", *SPARK, "report", "tables", "out_docs", *LOGGING),
    "convert": ("task", "out_ddl", *LOGGING),
    "assess": ("task", "out_assess", *LOGGING),
    "test-connection": ("task", *LOGGING),
    "tables": ("task", "format", *LOGGING),
    "init": ("source_url", "target_url", "out_task", "name", "force"),
    "examples": ("dest",),
}

EXAMPLES: dict[str, str] = {
    "run": "sparkdms run task.yaml --report out/run.json\n"
           "  sparkdms run task.yaml --tables 'public.orders,public.order_%'\n"
           "  sparkdms run task.yaml --retry-failed out/run.json --report out/retry.json\n"
           "  sparkdms run task.yaml --master spark://host:7077 --conf spark.executor.memory=4g",
    "plan": "sparkdms plan task.yaml\n  sparkdms plan task.yaml --format json > plan.json",
    "validate": "sparkdms validate task.yaml --report out/validation.json --out out/docs",
    "convert": "sparkdms convert task.yaml --out target.sql",
    "assess": "sparkdms assess task.yaml --out out/assessment.json",
    "test-connection": "sparkdms test-connection task.yaml",
    "tables": "sparkdms tables task.yaml\n  sparkdms tables task.yaml --format json",
    "init": "sparkdms init postgresql://app@db.example.com:5432/shop "
            "mariadb://app@127.0.0.1:3306/shop -o shop.yaml",
    "examples": "sparkdms examples\n  sparkdms examples ./my-tasks",
}

DESCRIPTIONS: dict[str, str] = {
    "test-connection": "connect to the source and the target endpoint; one line each",
    "tables": "the tables the selection rules match, with row estimates; writes nothing",
    "init": "write a commented task file for two endpoints (passwords as ${env:...})",
    "examples": "list the example tasks shipped with sparkdms, or copy them into DIR",
}


def add_command(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand with its own options and an example in its --help."""
    cmd = sub.add_parser(name, help=help_text, description=help_text,
                         epilog="example:\n  " + EXAMPLES[name],
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    for key in COMMAND_OPTIONS[name]:
        flags, kwargs = OPTIONS[key]
        cmd.add_argument(*flags, **kwargs)
    return cmd


def version_text() -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from sparkdms import __version__

    try:
        spark = version("pyspark")
    except PackageNotFoundError:
        spark = "not installed"
    return f"sparkdms {__version__} (Python {platform.python_version()}, pyspark {spark})"
