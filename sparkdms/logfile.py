"""The run's log file: the full traces behind the one-line errors the console shows.

``--log FILE`` names it; by default it sits beside ``--report`` (``r.json`` -> ``r.log``),
else in the system temp folder. Every line passes through the same redaction as the
console, so no secret the process has read reaches the file.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

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


def open_log(path: Path) -> logging.Handler:
    """Attach a file handler (INFO and above) to the project's loggers; returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    return handler


def close_log(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()
