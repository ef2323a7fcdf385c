"""Building the SparkSession a task needs: its engines' JVM packages, UTC
everywhere, and quiet logs. Under spark-submit the existing session is reused."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparkdms import classarchive, jarcache, jvmlog

log = logging.getLogger(__name__)

BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    # the Spark UI is on (its URL is printed); local masters bind it to loopback (build_session);
    # `sparkdms run --no-ui` or spark.ui.enabled=false in the task's spark.conf turn it off
    "spark.ui.enabled": "true",
    "spark.speculation": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.scheduler.mode": "FAIR",
}


def local_jars(coordinates: list[str]) -> list[str] | None:
    """Jars fetched by scripts/fetch_jars.sh (same coordinates), when SPARKDMS_JARS_DIR is set."""
    folder = os.environ.get("SPARKDMS_JARS_DIR")
    if not folder:
        return None
    jars = sorted(str(p) for p in Path(folder).glob("*.jar"))
    return jars or None


def session_conf(packages: list[str], extra: Mapping[str, str],
                 engine_conf: Mapping[str, str]) -> dict[str, str]:
    conf = dict(BASE_CONF)
    conf.update(engine_conf)
    jars = local_jars(packages) or jarcache.cached_jars(packages)
    if jars:
        conf["spark.jars"] = ",".join(jars)
    elif packages:
        conf["spark.jars.packages"] = ",".join(packages)
    conf.update({k: str(v) for k, v in extra.items()})
    return conf


JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def start_from_archive(builder: Any, java_options: str) -> Any:
    """``builder.getOrCreate()`` with the driver JVM started from the class archive
    (sparkdms/classarchive.py) when there is one; should the JVM not start with it, once more
    without, and the archive is dropped if that start works."""
    archive = classarchive.driver_options()
    if not archive:
        return builder.getOrCreate()
    if "-XX:ErrorFile=" not in java_options:  # a crash report, should it crash: not in the cwd
        archive += f" -XX:ErrorFile={classarchive.cache_dir() / 'jvm-crash-%p.log'}"
    try:
        return builder.config(JAVA_OPTIONS, f"{java_options} {archive}".strip()).getOrCreate()
    except Exception as exc:
        spark = builder.config(JAVA_OPTIONS, java_options).getOrCreate()
        classarchive.discard()
        log.warning("the driver JVM did not start from the class archive (%s); it started "
                    "without it and the archive is dropped (`python -m sparkdms.classarchive` "
                    "builds it again)", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return spark


def build_session(app_name: str, master: str | None, packages: list[str],
                  extra: Mapping[str, str], engine_conf: Mapping[str, str]) -> Any:
    from pyspark.sql import SparkSession

    # executors run the driver's interpreter (pyarrow, psycopg, pymysql live there) unless told otherwise
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name)
    if master and not os.environ.get("SPARKDMS_UNDER_SUBMIT"):
        builder = builder.master(master)
    conf = session_conf(packages, extra, engine_conf)
    if (master or "").startswith("local") and not os.environ.get("SPARK_LOCAL_IP"):
        # a laptop run opens no port beyond loopback
        conf = {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1", **conf}
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # the Spark UI's bind address (the JVM's env)
    conf = jvmlog.driver_conf(conf)
    for key, value in conf.items():
        builder = builder.config(key, value)
    with jvmlog.launching():  # Spark's, Ivy's and the JVM's logs to the run's JVM log file
        spark = start_from_archive(builder, conf.get(JAVA_OPTIONS, ""))
    spark.sparkContext.setLogLevel(jvmlog.spark_level())
    if "spark.jars.packages" in conf:  # resolved by Ivy this time: remember the jars
        jarcache.remember(packages, spark.sparkContext.getConf().get("spark.jars", None))
    return spark
