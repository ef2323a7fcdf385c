"""Turn a JVM or executor stack trace into the one line a user needs.

The line is ``<what happened, in the user's words> (first cause: <Type: message>)`` when the
text matches a known pattern (``KNOWN``, data: first match wins), else the first cause alone.
The first cause is, in a Python traceback (an executor's, inside a PySpark
``PythonException``), the exception a ``raise ... from`` wrapped into ours, or the first one
when another was raised while handling it (a failed rollback hides nothing); in a Java trace,
the deepest ``Caused by``. The full text goes to the log (logger ``sparkdms.errors``), never
to the console.
"""

from __future__ import annotations

import logging
import re

from sparkdms.errors import SparkDmsError
from sparkdms.task.secrets import Secret, redact

log = logging.getLogger("sparkdms.errors")

# a package-qualified Java exception and its message, anywhere in a line (a Spark job failure
# quotes the task's exception after "Lost task ... (executor 1): ")
_JAVA_CAUSE = re.compile(r"(?:^|[\s:(])([a-zA-Z_$][\w$]*(?:\.[\w$]+)+(?:Exception|Error))"
                         r"(?:: (.*))?$")
_PY_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
_MISSING_DRIVER = re.compile(r"ClassNotFoundException: ([\w.]*(?:Driver|JDBC))")
_NOISE = ("org.apache.spark.SparkException", "py4j.protocol.Py4JJavaError",
          "org.apache.spark.api.python.PythonException", "java.util.concurrent.ExecutionException")
_TRACEBACK = "Traceback (most recent call last):"
_CAUSED = "The above exception was the direct cause"  # raise ... from: the later one explains
_DURING = "During handling of the above exception"  # the earlier one is the first cause

MEMORY = ("the Spark driver/executor ran out of memory: raise spark.driver.memory / "
          "spark.executor.memory or lower Sparkdms.FetchSize/CommitRate")

# (pattern searched in the whole error text, what to tell the user); first match wins
KNOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"OutOfMemoryError|Java heap space|GC overhead limit exceeded"), MEMORY),
    (re.compile(r"Py4JNetworkError|Answer from Java side is empty|"
                r"ConnectionRefusedError: \[Errno 111\] Connection refused"),
     "the Spark driver JVM is gone (py4j: connection refused), most often because it ran out "
     "of memory: raise spark.driver.memory / spark.executor.memory or lower "
     "Sparkdms.FetchSize/CommitRate"),
    (re.compile(r"max_allowed_packet|packet bigger than|\(1153,"),
     "a row or batch is larger than the target's max_allowed_packet: raise max_allowed_packet "
     "on the server or lower FullLoadSettings.CommitRate"),
    (re.compile(r"InterfaceError: \(0, ''\)|Lost connection to (?:MySQL|MariaDB|server)|"
                r"server has gone away|\((?:2006|2013), |the connection is lost|"
                r"server closed the connection unexpectedly|consuming input failed|"
                r"terminating connection due to administrator command"),
     "the target connection was lost (server restarted or killed?)"),
    (re.compile(r"An I/O error occurred while sending to the backend|"
                r"This connection has been closed|SQLNonTransientConnectionException|"
                r"java\.net\.SocketException|Connection reset"),
     "the source connection was lost during the read (server restarted or killed?)"),
)


def python_causes(text: str) -> list[str]:
    """The exception line of each traceback in ``text``, the first cause first."""
    chosen: list[str] = []
    link = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != _TRACEBACK:
            if lines[i].startswith((_CAUSED, _DURING)):
                link = lines[i]
            i += 1
            continue
        i += 1
        while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
            i += 1  # the frames
        if i < len(lines) and _PY_EXCEPTION.match(lines[i]):
            line = _short(lines[i])
            if not chosen or link.startswith(_CAUSED) or _ours(lines[i]):
                chosen.insert(0, line)
            else:
                chosen.append(line)
        link = ""
    return chosen


def _ours(line: str) -> bool:
    return line.startswith("sparkdms.")


def _short(line: str) -> str:
    """``pymysql.err.OperationalError: x`` -> ``OperationalError: x``; one of our own
    errors (``sparkdms.…``) -> its message, written for the user."""
    match = _PY_EXCEPTION.match(line)
    assert match is not None
    if _ours(line) and match.group(2):
        return match.group(2)
    name = match.group(1).rsplit(".", 1)[-1]
    return f"{name}: {match.group(2)}" if match.group(2) is not None else name


def java_cause(text: str) -> str | None:
    """The deepest ``Caused by`` (or exception line) that is not Spark's own wrapper; one of
    our own errors quoted in it first."""
    found = None
    for line in text.splitlines():
        line = line.strip()
        while (match := _JAVA_CAUSE.search(line)) is not None:
            name, message = match.group(1), match.group(2) or ""
            if _ours(name) and message:
                return message
            if not name.startswith(_NOISE):
                found = f"{name.rsplit('.', 1)[-1]}: {message}".rstrip(": ")
            # a wrapper's message may quote the next exception on the same line
            line = message
    return found


def first_cause(text: str, err: BaseException) -> str:
    causes = python_causes(text)
    if causes:
        return causes[0]
    found = java_cause(text)
    if found:
        return found
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def explain(err: BaseException, secrets: list[Secret]) -> str:
    log.info("error explained to the user", exc_info=err)  # the full trace: the log only
    if isinstance(err, SparkDmsError):
        return redact(str(err), secrets)
    text = str(err)
    missing = _MISSING_DRIVER.search(text)
    if missing:
        return redact(
            f"JDBC driver class {missing.group(1)} is not on the Spark classpath: the engine's "
            "Maven package was not loaded (check spark.jars.packages, or the jars in "
            "SPARKDMS_JARS_DIR; `python -m sparkdms.jvm` lists what each engine needs)", secrets)
    cause = first_cause(text, err)
    known = next((say for pattern, say in KNOWN if pattern.search(text)), None)
    message = f"{known} (first cause: {cause[:500]})" if known else cause
    return redact(message[:2000], secrets)
