"""What a Delta write costs beyond its data, kept small.

* Delta rebuilds a table's state (its files, domain metadata) with
  ``spark.databricks.delta.snapshotPartitions`` shuffle partitions, 50 by default: an overwrite
  of an existing table rebuilds it in three to four jobs (its domain metadata before the write,
  the files it replaces after), so a small table cost 150-200 tasks on a 2-core machine.
  ``size_snapshots`` sizes it to the session's cores (one per 4, 1 to 50), unless the task
  set it: on 2 cores the second run of ``make demo`` over its lake went from 55 s to 25 s.
* The rows a write committed are read from that commit's own log entry (one small file read on
  the driver) instead of ``DESCRIBE HISTORY`` (a Spark job over the log per table):
  ``save_counted``, for every Delta write (the lake target and S3's ``DataFormat: delta``).
"""

from __future__ import annotations

import json
from typing import Any

SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions"
DELTA_DEFAULT_PARTITIONS = 50  # Delta's own default, kept as the ceiling on large clusters
LOOK_BACK = 20  # commits searched for ours when others wrote the table since


CORES_PER_PARTITION = 4  # several tables load at once, and a log's state is small


def snapshot_partitions(cores: int) -> int:
    return min(DELTA_DEFAULT_PARTITIONS, max(1, cores // CORES_PER_PARTITION))


def size_snapshots(spark: Any) -> None:
    """Size the snapshot partitions to the cores when the task's conf did not."""
    if spark.sparkContext.getConf().contains(SNAPSHOT_PARTITIONS):
        return
    cores = spark.sparkContext.defaultParallelism
    spark.conf.set(SNAPSHOT_PARTITIONS, str(snapshot_partitions(cores)))


def commit_marker(load_id: str) -> str:
    return f"sparkdms load {load_id}"


def committed_rows(spark: Any, location: str, load_id: str) -> int | None:
    """``numOutputRows`` of the commit this load wrote (``userMetadata`` = its marker), read
    from the log entry; None when it cannot be found there (the caller asks the history)."""
    jvm = spark.sparkContext._jvm
    log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, location)
    latest = log.unsafeVolatileSnapshot().version()  # installed by the commit, no job
    conf = log.newDeltaHadoopConf()
    for version in range(latest, max(-1, latest - LOOK_BACK), -1):
        entry = f"{log.logPath().toString()}/{version:020d}.json"
        info = _commit_info(log.store().read(jvm.org.apache.hadoop.fs.Path(entry), conf)
                            .mkString("\n"))
        if info.get("userMetadata") == commit_marker(load_id):
            return int((info.get("operationMetrics") or {}).get("numOutputRows", 0))
    return None


def _commit_info(text: str) -> dict[str, Any]:
    for line in text.splitlines():
        action = json.loads(line) if line.strip() else {}
        if "commitInfo" in action:
            return action["commitInfo"]
    return {}


def save_counted(spark: Any, writer: Any, location: str, load_id: str) -> int:
    """Save ``writer`` (a Delta DataFrameWriter) to ``location`` as this load's commit;
    the rows it wrote, from its log entry, else from the table's history."""
    from py4j.protocol import Py4JError

    writer.option("userMetadata", commit_marker(load_id)).save(location)
    try:
        rows = committed_rows(spark, location, load_id)
    except (Py4JError, ValueError):  # a log store or layout this reading does not know
        rows = None
    return last_commit_rows(spark, location) if rows is None else rows


def last_commit_rows(spark: Any, location: str) -> int:
    from delta.tables import DeltaTable

    metrics = DeltaTable.forPath(spark, location).history(1).collect()[0]["operationMetrics"]
    return int((metrics or {}).get("numOutputRows", 0))
