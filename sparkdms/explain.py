"""Turn a JVM or executor stack trace into the one line a user needs."""

from __future__ import annotations

import re

from sparkdms.errors import SparkDmsError
from sparkdms.task.secrets import Secret, redact

_JAVA_CAUSE = re.compile(r"^(?:Caused by: )?([a-zA-Z_$][\w$.]*(?:Exception|Error)): (.+)$")
_PY_LAST = re.compile(r"^([A-Z]\w*(?:Error|Exception)): (.+)$")
_MISSING_DRIVER = re.compile(r"ClassNotFoundException: ([\w.]*(?:Driver|JDBC))")
_NOISE = ("org.apache.spark.SparkException", "py4j.protocol.Py4JJavaError",
          "org.apache.spark.api.python.PythonException", "java.util.concurrent.ExecutionException")


def explain(err: BaseException, secrets: list[Secret]) -> str:
    if isinstance(err, SparkDmsError):
        return redact(str(err), secrets)
    text = str(err)
    candidates: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        match = _JAVA_CAUSE.match(line) or _PY_LAST.match(line)
        if match and not match.group(1).startswith(_NOISE):
            candidates.append(f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2)}")
    message = candidates[-1] if candidates else (text.strip().splitlines() or [repr(err)])[0]
    missing = _MISSING_DRIVER.search(text)
    if missing:
        message = (f"JDBC driver class {missing.group(1)} is not on the Spark classpath: the "
                   "engine's Maven package was not loaded (check spark.jars.packages, or the jars "
                   "in SPARKDMS_JARS_DIR; `python -m sparkdms.jvm` lists what each engine needs)")
    for marker in ("SparkDmsError", "TableLoadError", "UnsupportedTypeError", "DataError"):
        for cand in candidates:
            if marker in cand:
                message = cand
    return redact(message[:2000], secrets)
