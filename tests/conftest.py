"""One Spark session for the whole test run (chispa's pattern); tests never stop it.

It carries every engine's JVM packages and the Delta extensions, so in-process
``sparkdms`` runs reuse it instead of starting a JVM per test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # tests open ports on loopback only
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def spark():
    from sparkdms.connectors.lake.connector import DeltaConnector

    from sparkdms.jvm import all_packages
    from sparkdms.spark import build_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return build_session("sparkdms-tests", "local[2]", all_packages(), {},
                         dict(DeltaConnector.spark_conf))
