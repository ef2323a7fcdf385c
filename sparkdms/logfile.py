"""The run's log file: the full traces behind the one-line errors the console shows.

``--log FILE`` names it; by default it sits beside ``--report`` (``r.json`` -> ``r.log``),
else in the system temp folder. Every line passes through the same redaction as the
console, so no secret the process has read reaches the file.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sparkdms.task.secrets import redact_known

LOGGERS = ("sparkdms",)  # sparkdms.errors (explained errors with their traces) and the rest


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_known(super().format(record))


def log_path(log: str | None, report: str | None, command: str) -> Path:
    if log:
        return Path(log)
    if report:
        return Path(report).with_suffix(".log")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return Path(tempfile.gettempdir()) / "sparkdms" / f"{command}-{stamp}.log"


def console_level(args: Any) -> str | None:
    """-v / --log-level: the level the console also shows, else None (the file only)."""
    return args.log_level or ("INFO" if args.verbose else None)


def open_log(path: Path, console: str | None = None) -> logging.Handler:
    """Attach a file handler (INFO and above) to the project's loggers; returns it. With
    ``console`` (-v / --log-level) the same records at that level also go to stderr."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if console:
        attach_console(console)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    return handler


def attach_console(level: str) -> None:
    stream = logging.StreamHandler(sys.stderr)
    stream.setLevel(level)
    stream.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    stream.set_name("sparkdms-console")
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(min(logging.INFO, logging.getLevelName(level)))
        logger.addHandler(stream)


def close_log(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for extra in [h for h in logger.handlers if h.get_name() == "sparkdms-console"]:
            logger.removeHandler(extra)
        logger.removeHandler(handler)
    handler.close()
