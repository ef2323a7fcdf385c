"""Reading one table from its source: pushed filters at the source, the rest in Spark."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sparkdms.connectors.base import ReadResult, Source
from sparkdms.load.filters import apply_in_spark
from sparkdms.plan import TablePlan


def read_table(spark: Any, source: Source, tp: TablePlan, end_marker: bool = False) -> ReadResult:
    """The source reads its partitions with the filters it can push; the core applies the
    others in Spark (their columns are read for that, then dropped by the transform).
    ``end_marker`` (the target wants it): the frame carries END_MARKER where the source
    can add it (``Source.marks_partition_end``); the filters keep its marker rows."""
    unpushed = source.unpushable(tp, tp.filters)
    pushed = tuple(f for f in tp.filters if f not in unpushed)
    if unpushed:
        extra = tuple(f.column for f in unpushed if f.column not in tp.source_names)
        tp = replace(tp, read_columns=(*tp.read_columns, *dict.fromkeys(extra)))
    if end_marker and source.marks_partition_end:
        read = source.read(spark, tp, tp.partitioning.parts, pushed,
                           end_marker=True)  # type: ignore[call-arg]
    else:
        read = source.read(spark, tp, tp.partitioning.parts, pushed)
    return replace(read, frame=apply_in_spark(read.frame, unpushed, tp.source)) if unpushed \
        else read
