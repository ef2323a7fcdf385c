"""The Delta state warm-up before an overwrite (connectors/lake/warm.py) against real Delta
tables: the overwrite then runs fewer Spark jobs of its own, commits the same rows, and a
path with no table is left alone."""

from __future__ import annotations

from pathlib import Path

from sparkdms.connectors.lake.commits import save_counted
from sparkdms.connectors.lake.warm import warm_snapshots

from .test_lake_commits import SCHEMA, rows, same, write


def overwrite_jobs(spark, path: str, data: list[tuple], load_id: str) -> tuple[int, int]:
    """(rows committed, Spark jobs the overwrite ran) for one overwrite in its own job group."""
    group = f"overwrite-{load_id}"
    spark.sparkContext.setJobGroup(group, group)
    try:
        writer = spark.createDataFrame(data, SCHEMA).write.format("delta").mode("overwrite") \
            .option("overwriteSchema", "true")
        committed = save_counted(spark, writer, path, load_id)
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    return committed, len(spark.sparkContext.statusTracker().getJobIdsForGroup(group))


def test_warmed_overwrite_runs_fewer_jobs_and_commits_the_same_rows(spark, tmp_path):
    warmed, cold = str(tmp_path / "lake" / "warmed"), str(tmp_path / "lake" / "cold")
    for path in (warmed, cold):
        write(spark, path, rows(41, "old"), f"first-{Path(path).name}")
    spark.sparkContext._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()  # as a new run
    for thread in warm_snapshots(spark, [warmed, warmed]):  # one thread per location
        thread.join(timeout=120)
    new = rows(23, "new")
    warm_rows, warm_jobs = overwrite_jobs(spark, warmed, new, "warmed")
    cold_rows, cold_jobs = overwrite_jobs(spark, cold, new, "cold")
    assert warm_rows == cold_rows == 23
    assert warm_jobs < cold_jobs, (warm_jobs, cold_jobs)
    expected = spark.createDataFrame(new, SCHEMA)
    same(spark.read.format("delta").load(warmed), expected)
    same(spark.read.format("delta").load(cold), expected)


def test_warm_up_of_a_path_without_a_table_creates_nothing(spark, tmp_path):
    path = tmp_path / "lake" / "absent"
    threads = warm_snapshots(spark, [str(path)])
    assert len(threads) == 1
    for thread in threads:
        thread.join(timeout=60)
    assert not path.exists()
