"""``sparkdms`` command line: run, plan, validate, convert, assess (COMMANDS), and submit
(spark-submit's options pass through it untouched)."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from sparkdms.errors import SparkDmsError
from sparkdms.task.secrets import redact_known

# 0 ok, 1 a table failed (load, validation) or the task failed, 2 refused before it started;
# a run's verdict and exit code are computed once, in sparkdms.report.verdict
EXIT_OK, EXIT_TABLE_FAILED, EXIT_CONFIG = 0, 1, 2
LOG_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")


def cmd_run(args: argparse.Namespace) -> int:
    from sparkdms.app import conf_pairs, prepare, start_spark
    from sparkdms.jvmlog import announce
    from sparkdms.load.execute import execute
    from sparkdms.report import print_summary
    from sparkdms.report.verdict import verdict
    from sparkdms.validate.command import after_load, cmd_validate, load_hook

    prep = prepare(args.task)
    if prep.task.settings["ValidationSettings.ValidationOnly"]:  # AWS DMS: no load, compare
        return cmd_validate(args, prep)
    print(f"Task {prep.task.name}: {len(prep.plan.tables)} tables from "
          f"{prep.task.source.describe()} to {prep.task.target.describe()}", flush=True)
    for warning in prep.plan.warnings:
        print(f"  warning: {warning}")
    prep.target.preflight(prep.plan.tables, prep.task.settings)  # privileges, before Spark
    spark = start_spark(prep, args.master, conf_pairs(args.conf))
    validator = load_hook(prep, spark, args)  # EnableValidation: each table after its load
    from sparkdms.load.rejects import reject_file_for, summary_line

    rejects = reject_file_for(args.report)  # rows the target refused, beside the report
    report = execute(prep.task, prep.plan, prep.source, prep.target, spark,
                     after_table=validator.after_table if validator else None,
                     resume=getattr(args, "resume", False),
                     rejects_file=str(rejects) if rejects else None)
    after_load(validator, report)
    if line := summary_line(report):
        print(line)
    if args.report:
        report.write_json(args.report)
        print(f"Report written to {args.report}")
    if logs := announce():
        print(logs)
    print_summary(report, sys.stdout)  # its last line is the verdict
    return verdict(report).exit_code


def cmd_plan(args: argparse.Namespace) -> int:
    from sparkdms.app import prepare
    from sparkdms.plan.text import render_plan

    prep = prepare(args.task, check_target=False)
    print(render_plan(prep.plan, prep.target))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from sparkdms.validate.command import cmd_validate as validate

    return validate(args)


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

    result = assess(args.task)
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
}


def cmd_submit(argv: list[str]) -> int:
    from sparkdms.submit import submit

    return submit(argv)


SUBMIT_HELP = ("run a task under spark-submit: TASK [--job full_load|validate] [spark-submit "
               "options] [-- sparkdms options]; zips sparkdms for --py-files, passes the "
               "engines' --packages")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sparkdms", description="Database migrations on Apache "
                                "Spark, with AWS DMS task and table-mapping vocabulary.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("task", help="task file (YAML)")
        cmd.add_argument("--master", help="Spark master, e.g. local[*] or spark://host:7077")
        cmd.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                         help="extra Spark configuration (repeatable)")
        cmd.add_argument("--report", help="write the JSON report to this file")
        cmd.add_argument("--out", help="output file (convert, assess)")
        cmd.add_argument("--log", help="log file with the full traces (default: beside "
                                       "--report, else in the temp folder)")
        cmd.add_argument("-v", "--verbose", action="store_true",
                         help="show INFO logs (sparkdms, Spark) on the console")
        cmd.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS,
                         help="log level of Spark and sparkdms, also shown on the console "
                              "(default: WARN, to the log files only)")
        if name == "run":
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

    path = log_path(args.log, args.report, args.command)
    handler = open_log(path, console_level(args))
    jvm = configure(path, args.verbose, args.log_level)
    try:
        code = COMMANDS[args.command][1](args)
    except SparkDmsError:  # explained in one line by main(); the trace only in the log
        logging.getLogger("sparkdms.cli").info("%s refused", args.command, exc_info=True)
        raise
    except Exception:
        logging.getLogger("sparkdms.cli").exception("%s failed", args.command)
        print(f"sparkdms: full trace in {path} (Spark's log: {jvm.path})", file=sys.stderr)
        raise
    finally:
        close_log(handler)
    if code != EXIT_OK:
        print(f"sparkdms: log with the full traces: {path} (Spark's log: {jvm.path})",
              file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Redacting(out), Redacting(err)  # type: ignore[assignment]
    try:
        if argv[:1] == ["submit"]:  # spark-submit's options follow: argparse must not read them
            return cmd_submit(argv[1:])
        args = parser().parse_args(argv)
        return with_log(args)
    except SparkDmsError as error:
        print(f"sparkdms: error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("sparkdms: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug or an unexplained driver error: the trace, without secrets
        print(traceback.format_exc(), file=sys.stderr, end="")
        return EXIT_TABLE_FAILED
    finally:
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":
    raise SystemExit(main())
