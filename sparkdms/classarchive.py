"""The driver JVM's class archive: a JDK dynamic class-data-sharing archive (AppCDS) of the
classes a Spark driver loads, so later starts map them instead of finding, reading and
verifying each one in the ~250 jars of Spark's classpath (on the 2-core bench machine: the
SparkSession starts in ~3.8 s instead of ~5.9 s and its first job takes ~1.6 s instead of ~3.2 s).

Built once per JDK, pyspark install and classpath (the key), by ``python -m
sparkdms.classarchive`` (``make venv`` runs it): a short training session dumps the archive at
its JVM's exit into a temporary file; the file is kept only when that JVM exited cleanly and a
second JVM started with it (``-Xshare:on``: refuses an archive it cannot map) ran a job; then
it is renamed into place, so a start never sees a half-written archive (a truncated archive
crashes the JVM). Starts then add ``-XX:SharedArchiveFile`` to the driver's Java options;
``-XX:+VerifySharedSpaces`` makes a JVM ignore an archive whose content changed since.

Only the driver JVM uses it (executors of a cluster start their own JVMs). When one is
built, the archives of other keys whose JDK or pyspark install is gone are removed, and all but
the newest few. ``SPARKDMS_CLASS_ARCHIVE=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sparkdms import jarcache

ENV = "SPARKDMS_CLASS_ARCHIVE"
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"  # CDS warnings go to the JVM's stdout otherwise
# environment that changes the driver's classpath (spark-class, load-spark-env.sh)
CLASSPATH_ENV = ("SPARK_HOME", "SPARK_CONF_DIR", "HADOOP_CONF_DIR", "YARN_CONF_DIR",
                 "SPARK_DIST_CLASSPATH", "SPARK_PREPEND_CLASSES", "JAVA_HOME")


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def cache_dir() -> Path:
    return jarcache.cache_dir().parent / "jvm"


def java_binary() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def key() -> str | None:
    """What the archive depends on: the java binary, the pyspark install and its jars, and the
    environment that changes the classpath; None without java or pyspark."""
    java = java_binary()
    try:
        import pyspark
    except ImportError:
        return None
    if java is None:
        return None
    home = Path(pyspark.__file__).resolve().parent
    stat = java.stat()
    jars = sorted(p.name for p in (home / "jars").glob("*.jar"))
    parts = [str(java), str(stat.st_size), str(int(stat.st_mtime)), str(home),
             pyspark.__version__, *jars, *(f"{k}={os.environ.get(k, '')}" for k in CLASSPATH_ENV)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def archive_path(k: str) -> Path:
    return cache_dir() / f"spark-driver-{k}.jsa"


def _size_file(path: Path) -> Path:
    return path.with_suffix(".size")


def _owner_file(path: Path) -> Path:
    return path.with_suffix(".json")


def owners() -> dict[str, str]:
    """The files an archive was built for: it is useless once either is gone."""
    import pyspark

    return {"java": str(java_binary()), "pyspark": str(Path(pyspark.__file__).resolve().parent)}


def prune(keep: Path, most: int = 4) -> None:
    """Remove the archives of other keys whose java or pyspark install is gone (a deleted
    virtualenv), and beyond the ``most`` newest."""
    others = sorted((p for p in cache_dir().glob("spark-driver-*.jsa") if p != keep),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for index, path in enumerate(others):
        try:
            gone = any(not Path(v).exists()
                       for v in json.loads(_owner_file(path).read_text()).values())
        except (OSError, ValueError, AttributeError):
            gone = True  # no record of what it was built for
        if gone or index >= most - 1:
            _remove(path)


def _remove(path: Path) -> None:
    """An archive and the two records beside it."""
    for f in (path, _size_file(path), _owner_file(path)):
        with contextlib.suppress(OSError):
            f.unlink()


def archive(k: str | None = None) -> Path | None:
    """The archive of this JDK and classpath (``k``: its key, when known) when it is there
    whole (its recorded size)."""
    if not enabled():
        return None
    k = k or key()
    if k is None:
        return None
    path = archive_path(k)
    try:
        return path if path.stat().st_size == int(_size_file(path).read_text()) else None
    except (OSError, ValueError):
        return None


def use_options(path: Path) -> str:
    return f"-XX:SharedArchiveFile={path} -XX:+VerifySharedSpaces {QUIET}"


def driver_options() -> str:
    """Java options that make the driver JVM start from the archive ("" without one)."""
    path = archive()
    return use_options(path) if path else ""


def discard() -> None:
    """Remove this key's archive (a JVM failed to start with it)."""
    k = key()
    if k:
        _remove(archive_path(k))


# -- building ------------------------------------------------------------------------------
TRAIN = """
import sys, tempfile
from pyspark import SparkContext
from pyspark.sql import SparkSession
from sparkdms.spark import BASE_CONF
builder = SparkSession.builder.master("local[2]").appName("sparkdms class archive")
for k, v in {**BASE_CONF, "spark.ui.enabled": "false"}.items():
    builder = builder.config(k, v)
spark = builder.config("spark.driver.extraJavaOptions", sys.argv[1]).getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
df = spark.range(0, 20000, 1, 2).selectExpr(
    "id", "CAST(id AS STRING) AS s", "CAST(id / 7 AS DECIMAL(12, 2)) AS d",
    "timestamp_seconds(id) AS t", "CAST(timestamp_seconds(id) AS DATE) AS dt",
    "id % 2 = 0 AS b", "CAST(id AS DOUBLE) AS f", "unhex(hex(id)) AS bin")
df = df.union(spark.read.schema("id BIGINT, s STRING, d DECIMAL(12, 2), t TIMESTAMP, dt DATE, "
                                "b BOOLEAN, f DOUBLE, bin BINARY").json(
    spark.sparkContext.parallelize(['{"id": 1}'])))
assert df.mapInArrow(lambda batches: batches, df.schema).filter("id >= 0").count() == 20001
with tempfile.TemporaryDirectory() as out:
    df.repartition(2).write.parquet(out + "/p")
    back = spark.read.parquet(out + "/p")
    back.groupBy("b").agg({"id": "count"}).collect()
    back.join(df.select("id", "f"), "id").select("s").distinct().count()
spark.createDataFrame([(1, "a")], "k INT, v STRING").toPandas()
spark.stop()
proc = SparkContext._gateway.proc
proc.stdin.close()
sys.exit(proc.wait(timeout=600))
"""


def build_log() -> Path:
    return cache_dir() / "build.log"


def _run(options: str, timeout: float = 900) -> bool:
    env = {**os.environ, ENV: "0", "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    with build_log().open("ab") as out:
        out.write(f"\n== {time.strftime('%Y-%m-%d %H:%M:%S')} {options}\n".encode())
        out.flush()
        try:
            done = subprocess.run([sys.executable, "-c", TRAIN, options], env=env, timeout=timeout,
                                  stdout=out, stderr=out, check=False)
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


def build(say=print) -> Path | None:
    """Build this key's archive when missing; the archive, or None (no java/pyspark, or the
    JVM could not dump or use it: starts then go on without one)."""
    k = key()
    if k is None or not enabled():
        return None
    final = archive_path(k)
    if archive(k) is not None:
        return final
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: starts go on without an archive
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache_dir(), prefix=".build-") as work:
        part = Path(work) / "driver.jsa"
        if not _run(f"-XX:ArchiveClassesAtExit={part} -XX:+VerifySharedSpaces {QUIET}") \
                or not part.is_file():
            say(f"class archive: the training JVM did not write one ({build_log()}); starts go on "
                "without it")
            return None
        if not _run(f"-XX:SharedArchiveFile={part} -Xshare:on -XX:+VerifySharedSpaces {QUIET}"):
            say(f"class archive: a JVM could not start with it ({build_log()}); starts go on "
                "without it")
            return None
        size = part.stat().st_size
        os.replace(part, final)
        _size_file(final).write_text(str(size))
        _owner_file(final).write_text(json.dumps(owners()))
        prune(keep=final)
    say(f"class archive: {final} ({size / 2**20:,.0f} MiB, built in "
        f"{time.monotonic() - started:.0f} s)")
    return final


def main() -> int:
    if not enabled():
        print(f"class archive: off ({ENV}=0)")
        return 0
    found = archive()
    if found is not None:
        print(f"class archive: {found} (up to date)")
        return 0
    print("class archive: building the driver JVM's class archive (once, about a minute)", flush=True)
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
