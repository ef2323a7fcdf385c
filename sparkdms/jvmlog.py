"""The driver JVM's logs: Spark, Ivy and the JVM itself write to the run's JVM log file
(``run.log`` -> ``run.jvm.log``), never to the console, unless ``-v`` / ``--log-level``.

log4j2 reads ``sparkdms/conf/log4j2.properties`` (shipped in the package), given to the
driver with ``spark.driver.extraJavaOptions``. What log4j does not own (the JVM's own
warnings, spark-submit's Ivy resolution report) is on the JVM's stderr: at the default
level the JVM is started with its stderr on the same file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).resolve().parent / "conf" / "log4j2.properties"
LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")


@dataclass
class JvmLog:
    path: Path
    level: str = "WARN"  # Spark's loggers, in the file
    console: str = "OFF"  # what also reaches stderr: OFF unless -v / --log-level
    started: bool = False  # a driver JVM was started with these options


CURRENT: JvmLog | None = None


def jvm_log_path(log: Path) -> Path:
    return log.with_suffix(".jvm.log")


def configure(log: Path, verbose: bool = False, level: str | None = None) -> JvmLog:
    """Called once per command, with its Python log file; returns the JVM log's settings."""
    global CURRENT
    console = (level or "INFO").upper() if verbose or level else "OFF"
    file_level = level.upper() if level else ("INFO" if verbose else "WARN")
    CURRENT = JvmLog(jvm_log_path(log), file_level, console)
    return CURRENT


def java_options(current: JvmLog) -> str:
    """log4j's settings, and a JVM crash report beside the run's logs (not in the cwd)."""
    crash = current.path.with_name(current.path.name.removesuffix(".jvm.log") + ".jvm-crash-%p.log")
    return (f"-Dlog4j2.configurationFile={CONFIG.as_uri()} -Dsparkdms.log={current.path} "
            f"-Dsparkdms.log.level={current.level} -Dsparkdms.console.level={current.console} "
            f"-XX:ErrorFile={crash}")


def driver_conf(conf: dict[str, str]) -> dict[str, str]:
    """``conf`` with the log options added to the driver's Java options (kept, not replaced)."""
    if CURRENT is None:
        return conf
    key = "spark.driver.extraJavaOptions"
    return {**conf, key: f"{conf.get(key, '')} {java_options(CURRENT)}".strip()}


def spark_level() -> str:
    return os.environ.get("SPARKDMS_SPARK_LOG_LEVEL") or (CURRENT.level if CURRENT else "WARN")


@contextmanager
def launching() -> Iterator[None]:
    """Start the driver JVM with its stderr on the JVM log file (at the default level)."""
    if CURRENT is None:
        yield
        return
    if CURRENT.console != "OFF":
        yield
        CURRENT.started = True
        return
    CURRENT.path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(CURRENT.path, "a", encoding="utf-8") as file:
        os.dup2(file.fileno(), 2)  # the JVM inherits fd 2; Python's is restored below
    try:
        yield
        CURRENT.started = True
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def announce(always: bool = False) -> str | None:
    """The line naming the log files: sparkdms's, and the JVM's when this command started a
    driver JVM (``always``: sparkdms's alone when it did not)."""
    if CURRENT is None or not (CURRENT.started or always):
        return None
    own = CURRENT.path.with_suffix("").with_suffix(".log")
    return f"Logs: {own} (sparkdms), {CURRENT.path} (Spark)" if CURRENT.started else f"Logs: {own}"
