"""great-expectations is imported in a background thread while the task connects; pyspark.sql,
which it imports too and whose modules import each other in a cycle, is imported by the
calling thread first, so the two threads never import it at once (one of them would get the
half-initialized module: "cannot import name 'SQLContext'", seen in a bench run)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from sparkdms.task.settings import Settings
from sparkdms.validate.expectations import import_early
assert "pyspark.sql" not in sys.modules
import_early(Settings({}), validating=True)
assert "pyspark.sql" in sys.modules, "the background import started before pyspark.sql was in"
from pyspark.sql import types as T  # what validation's main thread imports meanwhile
print("ok", T.StringType())
"""


def test_pyspark_sql_is_imported_before_the_background_import_starts() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ok StringType()" in done.stdout
