"""The neutral text stream of a direct copy between engines (connectors/wire.py): which
columns may go through it, and the block joining of COPY relays (connectors/sql/direct.py)."""

from __future__ import annotations

import pytest
from sparkdms.connectors.sql.direct import rebatched, refused, refused_in
from sparkdms.connectors.wire import blocker, holds, wire_columns

from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType

L = LType


@pytest.mark.parametrize(("src", "dst", "ok"), [
    (L("int32"), L("int64"), True),
    (L("int64"), L("int32"), False),
    (L("uint32"), L("int64"), True),
    (L("uint64"), L("int64"), False),
    (L("uint64"), L("decimal", precision=20, scale=0), True),
    (L("int64"), L("decimal", precision=18, scale=0), False),
    (L("decimal", precision=12, scale=2), L("decimal", precision=12, scale=2), True),
    (L("decimal", precision=12, scale=2), L("decimal", precision=14, scale=4), True),
    (L("decimal", precision=12, scale=4), L("decimal", precision=12, scale=2), False),
    (L("decimal"), L("decimal", precision=38, scale=10), False),
    (L("varchar", length=40), L("varchar", length=40), True),
    (L("varchar", length=40), L("varchar", length=20), False),
    (L("varchar", length=40), L("text"), True),
    (L("text"), L("varchar", length=40), False),
    (L("char", length=4), L("char", length=4), True),  # each target pads as on Spark rows
    (L("char", length=8), L("varchar", length=4), False),
    (L("timestamp", precision=6), L("timestamp", precision=6), True),
    (L("timestamp", precision=6), L("timestamp", precision=3), False),
    (L("timestamp"), L("timestamptz"), False),
    (L("binary", length=4), L("blob"), True),
    (L("varbinary", length=16), L("binary", length=16), False),
    (L("boolean"), L("boolean"), True),
    (L("boolean"), L("int8"), False),
    (L("timestamptz", precision=6), L("timestamptz", precision=6), True),
    (L("timestamptz", precision=6), L("timestamptz", precision=3), False),
    (L("timestamptz"), L("timestamp"), False),
    (L("float64"), L("float64"), True),
    (L("float32"), L("float64"), True),
    (L("float32"), L("float32"), True),
    (L("float64"), L("float32"), False),
    (L("int32"), L("float64"), False),
    (L("date"), L("date"), True),
    (L("json"), L("json"), True),
    (L("json"), L("text"), False),  # carried as the source's text only into its own kind
    (L("enum", length=1, values=("a", "b")), L("enum", length=1, values=("a", "b")), True),
    (L("enum", length=1, values=("a", "b")), L("enum", length=1, values=("a",)), False),
    (L("time", precision=3), L("time", precision=0), False),
    (L("uuid"), L("uuid"), True),
    (L("interval"), L("interval"), False),  # a source may check it on the way (durations)
])
def test_holds(src, dst, ok):
    assert holds(src, dst) is ok


def _plan(*columns: ColumnPlan, **more) -> TablePlan:
    table = Table("s", "t", tuple(c.source for c in columns if c.source is not None))
    return TablePlan(table, "public", "t", columns, **more)


def _col(name: str, src: LType, dst: LType, **more) -> ColumnPlan:
    return ColumnPlan(name, Column(name.removeprefix("new_"), "native", src), dst, "native", **more)


def test_wire_columns_follow_renames_and_refuse_expressions_and_rules():
    a = _col("new_a", L("int32"), L("int64"))
    b = _col("b", L("varchar", length=10), L("text"))
    cols = wire_columns(_plan(a, b))
    assert cols is not None
    assert [(c.target, c.source, c.form) for c in cols] == [("new_a", "a", "integer"),
                                                            ("b", "b", "text")]
    assert wire_columns(_plan(a, _col("c", L("int32"), L("int32"), expression="c + 1"))) is None
    assert wire_columns(_plan(a, ColumnPlan("added", None, L("int32"), "int"))) is None
    assert wire_columns(_plan(a, settings={"parallel-load": {}})) is None


def test_blocker_names_the_rule_or_the_first_column_that_stops_the_stream():
    a = _col("new_a", L("int32"), L("int64"))
    assert blocker(_plan(a)) is None
    assert blocker(_plan(a, settings={"parallel-load": {}})) == (
        "a table-settings rule applies to the table")
    assert blocker(_plan(a, lob_limit=32)) == "a LOB size limit applies to the table"
    assert blocker(_plan(a, _col("c", L("int32"), L("int32"), expression="c + 1"))) == (
        "column c is computed (c + 1)")
    assert blocker(_plan(a, ColumnPlan("added", None, L("int32"), "int"))) == (
        "column added has no source column")
    narrow = _col("n", L("int64"), L("int32"))
    assert blocker(_plan(a, narrow)) == ("column n: native into native is not carried exactly "
                                         "as text")
    assert blocker(_plan(a), forms=("text",)) == ("column new_a: its integer form is not "
                                                  "loaded directly")


def test_rebatched_joins_rows_into_blocks_without_losing_a_byte():
    rows = [bytes([i % 256]) * (i % 7) for i in range(10_000)]
    blocks = list(rebatched(iter(rows), size=1000))
    assert b"".join(blocks) == b"".join(rows)
    assert all(len(b) >= 1000 for b in blocks[:-1])
    assert list(rebatched(iter([]))) == []


def test_a_refusal_crosses_to_the_driver_as_its_kind_and_first_line():
    err = refused(ValueError("value too long for type character varying(5)\nCONTEXT: x"))
    assert refused_in(f"Py4JJavaError: ...\nRuntimeError: {err}\n  at ...") == (
        "value too long for type character varying(5)", "truncation")
    assert refused_in("some other failure") is None
