"""The run's log file: full traces, with every secret the process has read hidden."""

from __future__ import annotations

import logging
from pathlib import Path

from sparkdms.logfile import close_log, log_path, open_log
from sparkdms.task.secrets import Secret


def test_the_log_sits_beside_the_report_unless_named(tmp_path: Path) -> None:
    assert log_path(None, str(tmp_path / "r.json"), "run") == tmp_path / "r.log"
    assert log_path(str(tmp_path / "x.log"), str(tmp_path / "r.json"), "run") == tmp_path / "x.log"
    assert log_path(None, None, "run").name.startswith("run-")


def test_a_trace_reaches_the_file_without_the_password(tmp_path: Path) -> None:
    Secret("hunter2-unit-log")
    path = tmp_path / "r.log"
    handler = open_log(path)
    try:
        try:
            raise RuntimeError("connect to postgres://u:hunter2-unit-log@db failed")
        except RuntimeError as err:
            logging.getLogger("sparkdms.errors").info("explained", exc_info=err)
    finally:
        close_log(handler)
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError" in text
    assert "hunter2-unit-log" not in text and "****" in text
    assert handler not in logging.getLogger("sparkdms").handlers
