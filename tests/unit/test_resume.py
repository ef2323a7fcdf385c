"""run --resume, the parts without a server: which partitions are read again (their ids
kept for the writer), when kept partitions are trusted, the merged result of the table."""

from __future__ import annotations

from dataclasses import replace

from sparkdms.connectors.base import KeptPart, WriteResult
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.sql.resume import SqlResume
from sparkdms.connectors.sql.spec import WriteSpec

from sparkdms.catalog import Column, Table
from sparkdms.load.resume import remaining, unchanged
from sparkdms.plan import ColumnPlan, Filter, TablePlan
from sparkdms.task import Endpoint
from sparkdms.types import LType

COL = Column("id", "integer", LType("int32"), False)
PLAN = TablePlan(Table("s", "t", (COL,)), "s", "t", (ColumnPlan("id", COL, COL.ltype, "integer"),),
                 partitioning=sqlparts.of("range", "id", ["id < 10", "id >= 10 AND id < 20",
                                                          "id >= 20"]))


class CountingSource:
    """A source whose partitions hold the given row counts now (what the check reads)."""

    engine = "counting"

    def __init__(self, counts: dict[str, int] | None, unpushed: tuple = ()) -> None:
        self.counts, self.unpushed, self.asked = counts, unpushed, []

    def unpushable(self, plan, filters):
        return self.unpushed

    def partition_counts(self, plan, parts, pushed):
        self.asked.append([p.describe() for p in parts])
        return None if self.counts is None else [self.counts[p.describe()] for p in parts]


def test_only_missing_partitions_are_read_with_their_ids():
    left = remaining(PLAN, {0, 2})
    assert left is not None
    assert [p.describe() for p in left.partitioning.parts] == ["id >= 10 AND id < 20"]
    assert left.partitioning.ids == (1,)
    assert remaining(PLAN, {0, 1, 2}) is None
    assert remaining(PLAN, set()) is PLAN  # nothing kept: the plan as it is
    single = replace(PLAN, partitioning=replace(PLAN.partitioning, parts=()))
    assert remaining(single, set()) is single and remaining(single, {0}) is None


def test_the_writer_records_the_partition_id_not_sparks_index():
    spec = WriteSpec(object, Endpoint("target", "postgres"), "s", "t__sdms_x", ("id",), "x", "s.t", 100,
                     "s", part_ids=(1, 4))
    assert [spec.placed((i, 77)) for i in (0, 1)] == [(1, 77), (4, 77)]
    assert replace(spec, part_ids=()).placed((3, 5)) == (3, 5)


def test_kept_partitions_are_trusted_only_when_their_source_counts_match():
    kept = [KeptPart(0, 11, 9), KeptPart(2, 12, 30)]
    source = CountingSource({"id < 10": 9, "id >= 20": 30})
    assert unchanged(source, PLAN, kept) is None
    assert source.asked == [["id < 10", "id >= 20"]]  # only the kept ones are counted
    grown = CountingSource({"id < 10": 9, "id >= 20": 31})
    assert unchanged(grown, PLAN, kept) == ("partition 2 has 31 source rows now; the earlier "
                                            "load committed 30")
    assert "cannot count" in unchanged(CountingSource(None), PLAN, kept)
    spark_side = CountingSource({}, unpushed=(Filter("id", ()),))
    assert "applied in Spark" in unchanged(spark_side, PLAN, kept)
    assert "does not have" in unchanged(source, PLAN, [KeptPart(3, 1, 1)])
    assert "two attempts" in unchanged(source, PLAN, [KeptPart(0, 1, 9), KeptPart(0, 2, 9)])


def test_the_merged_result_keeps_the_kept_attempts_in_the_receipt():
    kept = [KeptPart(0, 11, 9), KeptPart(2, 12, 30)]
    new = WriteResult(rows=10, partitions=1, receipt=((1, 13),), stats={"X": 1})
    got = SqlResume(None).merged(kept, new)  # type: ignore[arg-type]
    assert (got.rows, got.partitions, got.receipt) == (49, 3, ((0, 11), (2, 12), (1, 13)))
    assert got.stats == {"X": 1, "PartitionsResumed": 2, "RowsResumed": 39,
                         "PartitionsWritten": 1}
    nothing_left = SqlResume(None).merged(kept, None)  # type: ignore[arg-type]
    assert (nothing_left.rows, nothing_left.partitions, nothing_left.receipt) == \
        (39, 2, ((0, 11), (2, 12)))
