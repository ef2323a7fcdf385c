"""``sparkdms`` command line: run, plan, validate, convert, assess (COMMANDS), and submit
(spark-submit's options pass through it untouched)."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from sparkdms import commands
from sparkdms.cliargs import DESCRIPTIONS, LOG_LEVELS, add_command, version_text
from sparkdms.errors import SparkDmsError
from sparkdms.task.secrets import redact_known

# 0 ok, 1 a table failed (load, validation) or the task failed, 2 refused before it started;
# a run's verdict and exit code are computed once, in sparkdms.report.verdict
EXIT_OK, EXIT_TABLE_FAILED, EXIT_CONFIG = 0, 1, 2
__all__ = ["LOG_LEVELS", "main", "parser"]


def cmd_run(args: argparse.Namespace) -> int:
    from sparkdms.app import conf_pairs, prepare
    from sparkdms.jvmlog import announce
    from sparkdms.load.execute import execute
    from sparkdms.reload import narrow_args
    from sparkdms.report import print_summary
    from sparkdms.report.verdict import verdict
    from sparkdms.validate.command import after_load, cmd_validate, load_hook

    print("Reading the task, connecting to both endpoints, discovering tables ...", flush=True)
    prep = prepare(early_imports(args.task))
    prep.plan = narrow_args(prep.plan, args)  # --tables / --retry-failed: only those
    if getattr(args, "retry_failed", None) and not prep.plan.tables:
        print(f"Nothing to retry: {args.retry_failed} shows every table loaded")
        return EXIT_OK
    if prep.task.settings["ValidationSettings.ValidationOnly"]:  # AWS DMS: no load, compare
        return cmd_validate(args, prep)
    print(f"Task {prep.task.name}: {len(prep.plan.tables)} tables from "
          f"{prep.task.source.describe()} to {prep.task.target.describe()}", flush=True)
    for warning in prep.plan.warnings:
        print(f"  warning: {warning}")
    prep.target.preflight(prep.plan.tables, prep.task.settings)  # privileges, before Spark
    cdc = None
    if prep.task.migration_type != "full-load":  # change data capture: sparkdms/cdc
        from sparkdms.cdc.run import prepare as prepare_cdc

        cdc = prepare_cdc(prep)
    from sparkdms.localrun import deferred
    from sparkdms.progress import run_info, start_spark_said  # lines before/after, UI URL

    no_ui = {"spark.ui.enabled": "false"} if getattr(args, "no_ui", False) else {}
    started_in: list[float] = []

    def start() -> Any:
        session, seconds = start_spark_said(prep, args.master,
                                            {**conf_pairs(args.conf), **no_ui}, sys.stdout)
        started_in.append(seconds)
        return session

    spark = deferred(prep, args.master, start)  # all direct copies: Spark only if needed
    if spark is None:
        spark = start()
    else:
        print(f"Every table is a direct copy: {spark.slots} local worker process(es), Spark "
              "starts only if a table needs it", flush=True)
    validator = load_hook(prep, spark, args)  # EnableValidation: each table after its load
    from sparkdms.load.rejects import reject_file_for, summary_line

    rejects = reject_file_for(args.report)  # rows the target refused, beside the report
    def load() -> Any:
        return execute(prep.task, prep.plan, prep.source, prep.target, spark,
                       after_table=validator.after_table if validator else None,
                       resume=getattr(args, "resume", False),
                       rejects_file=str(rejects) if rejects else None)

    if cdc is None:
        report = load()
    else:  # the stream starts before the snapshot; changes after the load
        from sparkdms.cdc.run import run as run_cdc

        report = run_cdc(cdc, spark, load, getattr(args, "follow", False), sys.stdout,
                         validator)  # EnableValidation: the changed keys after the run
    after_load(validator, report)
    report.run.update(run_info(spark, started_in[0] if started_in else None))  # versions, application id
    if line := summary_line(report):
        print(line)
    from sparkdms.report.html import html_path, write_html

    log_file = getattr(args, "log_file", None)
    if report_path := args.report or (log_file and str(log_file.with_suffix(".json"))):
        report.write_json(report_path)  # beside the log when --report is not given
        print(f"Report written to {report_path} and {write_html(report, html_path(report_path))}")
    if logs := announce(always=True):
        print(logs)
    print_summary(report, sys.stdout)  # its last line is the verdict
    return verdict(report).exit_code


def cmd_plan(args: argparse.Namespace) -> int:
    from sparkdms.app import prepare
    from sparkdms.plan.jsonout import plan_json
    from sparkdms.plan.text import render_plan
    from sparkdms.reload import narrow_args

    prep = prepare(args.task, check_target=False)
    plan = narrow_args(prep.plan, args)
    print(plan_json(plan, prep.target) if args.format == "json"
          else render_plan(plan, prep.target, prep.source, prep.task.settings))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from sparkdms.app import prepare
    from sparkdms.reload import narrow_args
    from sparkdms.validate.command import cmd_validate as validate

    prep = prepare(early_imports(args.task, validating=True))
    prep.plan = narrow_args(prep.plan, args)  # --tables
    return validate(args, prep)


def early_imports(path: str, validating: bool = False) -> Any:
    """The task, read; what its validation will import is imported meanwhile."""
    from sparkdms.task import load_task
    from sparkdms.validate.expectations import import_early

    task = load_task(path)
    s = task.settings
    import_early(s, validating or s["ValidationSettings.EnableValidation"]
                 or s["ValidationSettings.ValidationOnly"])
    return task


def cmd_convert(args: argparse.Namespace) -> int:
    from sparkdms.app import prepare
    from sparkdms.plan.convert import render

    prep = prepare(args.task, with_partitions=False, check_target=False)
    text = render(prep.plan, prep.target, prep.task.settings, prep.task.name)
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text)
        print(f"Target DDL for {len(prep.plan.tables)} table(s) written to {args.out}")
    else:
        print(text, end="")
    return EXIT_OK


def cmd_assess(args: argparse.Namespace) -> int:
    from sparkdms.assess import assess, print_summary, write
    from sparkdms.jvmlog import announce

    result = assess(args.task)
    if logs := announce(always=True):
        print(logs)
    print(print_summary(result))
    if args.out:
        json_path, html_path = write(result, args.out)
        print(f"Assessment written to {json_path} and {html_path}")
    return EXIT_OK


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "run": ("run a task: discover, create, load in parallel, report", cmd_run),
    "plan": ("dry run: tables, columns, types, partitions and target DDL; writes nothing",
             cmd_plan),
    "validate": ("compare source and target as they are now (ValidationOnly): counts, "
                 "checksums per key range, differing rows; --out DIR writes Data Docs", cmd_validate),
    "convert": ("target DDL the run would create (tables, keys, indexes, FKs); --out FILE",
                cmd_convert),
    "assess": ("premigration assessment: types, lossy conversions, keys, names, sampled data, "
               "views/triggers/routines; --out FILE.json (+ .html beside it)", cmd_assess),
    **{name: (DESCRIPTIONS[name], fn) for name, fn in (
        ("test-connection", commands.cmd_test_connection), ("tables", commands.cmd_tables),
        ("init", commands.cmd_init), ("examples", commands.cmd_examples))},
}
NO_LOG_FILE = ("init", "examples")  # no endpoint, no Spark: nothing worth a log file


def cmd_submit(argv: list[str]) -> int:
    from sparkdms.submit import submit

    return submit(argv)


SUBMIT_HELP = ("run a task under spark-submit: TASK [--job full_load|validate] [spark-submit "
               "options] [-- sparkdms options]; zips sparkdms for --py-files, passes the "
               "engines' --packages")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sparkdms", description="Database migrations on Apache "
                                "Spark, with AWS DMS task and table-mapping vocabulary.",
                                epilog="example:\n  sparkdms init postgresql://app@127.0.0.1/shop "
                                "sqlite:///shop-copy.db -o shop.yaml && sparkdms run shop.yaml\n"
                                "`sparkdms COMMAND --help` shows each command's options.",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, _) in COMMANDS.items():
        cmd = add_command(sub, name, help_text)  # its own options (sparkdms/cliargs.py)
        if name == "run":
            cmd.add_argument("--follow", action="store_true",
                             help="cdc / full-load-and-cdc: keep applying changes until "
                                  "SIGINT/SIGTERM (stops at a checkpoint), printing "
                                  "changes/s and lag")
            cmd.add_argument("--resume", action="store_true",
                             help="continue the task's last failed or killed load: tables it "
                                  "committed are skipped, a table's committed partitions are "
                                  "kept and only the missing ones are written")
    submit = sub.add_parser("submit", help=SUBMIT_HELP, add_help=False)  # main() runs it
    submit.add_argument("args", nargs=argparse.REMAINDER)
    return p


class Redacting:
    """A console stream that writes every secret the process has read as ``****``: the last
    guard behind the redaction of each message (driver and JVM errors echo URLs)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(redact_known(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ...
        return getattr(self.inner, name)


def with_log(args: argparse.Namespace) -> int:
    """Run the command with its log file open: full traces there, one line on the console."""
    from sparkdms.jvmlog import configure
    from sparkdms.logfile import close_log, console_level, log_path, open_log

    path = log_path(args.log, getattr(args, "report", None), args.command)
    args.log_file = path  # run writes its report beside it when --report is not given
    handler = open_log(path, console_level(args))
    jvm = configure(path, args.verbose, args.log_level)
    try:
        code = COMMANDS[args.command][1](args)
    except SparkDmsError:  # explained in one line by main(); the trace only in the log
        logging.getLogger("sparkdms.cli").info("%s refused", args.command, exc_info=True)
        raise
    except Exception as error:  # the trace in the log, one line on the console (main)
        logging.getLogger("sparkdms.cli").exception("%s failed", args.command)
        raise Unexplained(f"{type(error).__name__}: {first_line(error)} (full trace in "
                          f"{path}; Spark's log: {jvm.path})") from error
    finally:
        close_log(handler)
    if code != EXIT_OK and args.command not in LOGS_ON_STDOUT:
        print(f"sparkdms: log with the full traces: {path} (Spark's log: {jvm.path})",
              file=sys.stderr)
    return code


class Unexplained(Exception):
    """An error sparkdms does not explain (a bug, an unexpected driver error): one line on
    the console, exit code 1; the trace is in the log file."""


# they print the "Logs:" line themselves, or their errors are explained already
LOGS_ON_STDOUT = ("run", "validate", "assess", "test-connection")


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else repr(error)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Redacting(out), Redacting(err)  # type: ignore[assignment]
    try:
        if argv[:1] == ["submit"]:  # spark-submit's options follow: argparse must not read them
            return cmd_submit(argv[1:])
        args = parser().parse_args(argv)
        if args.command in NO_LOG_FILE:
            return COMMANDS[args.command][1](args)
        return with_log(args)
    except SparkDmsError as error:
        print(f"sparkdms: error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("sparkdms: interrupted", file=sys.stderr)
        return 130
    except Unexplained as error:
        print(f"sparkdms: error: {error}", file=sys.stderr)
        return EXIT_TABLE_FAILED
    except Exception:  # a bug or an unexplained driver error: the trace, without secrets
        print(traceback.format_exc(), file=sys.stderr, end="")
        return EXIT_TABLE_FAILED
    finally:
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":
    raise SystemExit(main())
