"""The Delta target's cheap paths (connectors/lake/commits.py) against a real Delta table:
the rows a load committed come from its own log entry, found by its marker even after
other commits, and the snapshot partitions follow the session's cores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sparkdms.connectors.lake.commits import (
    SNAPSHOT_PARTITIONS,
    commit_marker,
    committed_rows,
    size_snapshots,
    snapshot_partitions,
)

SCHEMA = "id int, name string, amount decimal(12,2), at timestamp_ntz, raw binary"


def rows(n: int, tag: str) -> list[tuple]:
    return [(i, f"{tag} Zoë 李雷 {i}" if i % 3 else None, Decimal(i) / 4 if i % 5 else None,
            datetime(2024, 2, 29, 23, 59, 59, i) if i % 2 else None,
            bytes([i % 256, 0, 255]) if i % 4 else None) for i in range(n)]


def write(spark, path: str, data: list[tuple], load_id: str, mode: str = "overwrite"):
    frame = spark.createDataFrame(data, SCHEMA)
    frame.write.format("delta").mode(mode).option("userMetadata", commit_marker(load_id)) \
        .save(path)
    return frame


def same(left, right) -> None:
    assert left.exceptAll(right).count() == 0
    assert right.exceptAll(left).count() == 0


def test_committed_rows_read_from_the_commits_own_entry(spark, tmp_path):
    path = str(tmp_path / "lake" / "t")
    first = write(spark, path, rows(37, "a"), "load-a")
    assert committed_rows(spark, path, "load-a") == 37
    second = write(spark, path, rows(11, "b"), "load-b")  # an overwrite of an existing table
    assert committed_rows(spark, path, "load-b") == 11
    same(spark.read.format("delta").load(path), second)
    write(spark, path, rows(5, "c"), "load-c", mode="append")  # a later commit by another load
    assert committed_rows(spark, path, "load-b") == 11  # found by its marker, not the latest
    assert committed_rows(spark, path, "load-a") == 37
    assert committed_rows(spark, path, "never-written") is None
    same(spark.read.format("delta").load(path), second.unionByName(
        spark.createDataFrame(rows(5, "c"), SCHEMA)))
    assert first.count() == 37


def test_snapshot_partitions_follow_the_cores_unless_the_task_set_them(spark):
    before = spark.conf.get(SNAPSHOT_PARTITIONS, None)  # unregistered before Delta's first use
    try:
        spark.conf.set(SNAPSHOT_PARTITIONS, "50")
        size_snapshots(spark)
        expected = spark.sparkContext.getConf().get(SNAPSHOT_PARTITIONS, None) or str(
            snapshot_partitions(spark.sparkContext.defaultParallelism))
        assert spark.conf.get(SNAPSHOT_PARTITIONS) == expected
    finally:
        if before is None:
            spark.conf.unset(SNAPSHOT_PARTITIONS)
        else:
            spark.conf.set(SNAPSHOT_PARTITIONS, before)


def test_snapshot_partitions_scale_with_the_cores_within_deltas_default():
    assert [snapshot_partitions(c) for c in (1, 2, 4, 8, 64, 1000)] == [1, 1, 1, 2, 16, 50]
