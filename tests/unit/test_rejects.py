"""Rows a target refuses: the vectorized checks before the write, the per-row retry of a
refused batch (a real SQLite target), the policy and escalation counting, the reject file."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import ClassVar

import pyarrow as pa
import pytest
from sparkdms.connectors.sql.rejects import Guard, RowCheck, plan_checks, results_rejects
from sparkdms.connectors.sql.spec import WriteSpec

from sparkdms.catalog import Column, Table
from sparkdms.load.rejects import (
    DATA,
    TRUNCATION,
    Policy,
    RejectedRowsError,
    RejectFile,
    reject_file_for,
    settle,
)
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.task import Endpoint
from sparkdms.task.settings import Settings
from sparkdms.types import LType

COLUMNS = ("id", "name", "ratio", "note", "big")


def spec(columns: tuple[str, ...] = COLUMNS, **kw) -> WriteSpec:
    return WriteSpec(type(None), Endpoint("target", "sqlite", path=":memory:"), "", "t__sdms_x",
                     columns, "load1", "t", 1000, "", **kw)


def batch(rows: list[tuple]) -> pa.RecordBatch:
    cols = list(zip(*rows, strict=True))
    return pa.RecordBatch.from_arrays(
        [pa.array(cols[0], pa.int32()), pa.array(cols[1], pa.string()),
         pa.array(cols[2], pa.float64()), pa.array(cols[3], pa.string()),
         pa.array(cols[4], pa.string())], names=[f"_c{i}" for i in range(5)])


CHECKS = (RowCheck(1, "name", "not_null"), RowCheck(1, "name", "max_chars", 5),
          RowCheck(2, "ratio", "finite"), RowCheck(3, "note", "no_nul"),
          RowCheck(4, "big", "whole_digits", 3))
GOOD = [(1, "ann", 0.5, "ok", "123.45"), (2, "bé€", -1.0, None, "-999"), (3, "", 0.0, "x", None),
        (4, "fiveé", 1e300, "", "0001.5")]
BAD = [  # (row, column, kind, words of the reason)
    ((10, None, 1.0, "a", "1"), "name", DATA, "NOT NULL"),
    ((11, "toolong", 1.0, "a", "1"), "name", TRUNCATION, "5 characters"),
    ((12, "nan", math.nan, "a", "1"), "ratio", DATA, "NaN"),
    ((13, "inf", -math.inf, "a", "1"), "ratio", DATA, "infinity"),
    ((14, "nul", 1.0, "a\x00b", "1"), "note", DATA, "NUL"),
    ((15, "big", 1.0, "a", "-1234.5"), "big", DATA, "3 digits"),
]


def test_the_checks_take_out_exactly_the_rows_the_target_would_refuse():
    rows = GOOD[:2] + [r for r, *_ in BAD] + GOOD[2:]
    sink: list = []
    guard = Guard(CHECKS, (0,), '"t"', Policy())
    kept = guard.screen(batch(rows), spec(), sink)
    assert kept.to_pylist() == batch(GOOD).to_pylist()
    assert [(r["key"], r["column"], r["kind"]) for r in sink] == \
        [({"id": row[0]}, column, kind) for row, column, kind, _ in BAD]
    for reject, (row, column, _, words) in zip(sink, BAD, strict=True):
        assert words in reject["reason"]
        assert reject["row"]["id"] == row[0]
        assert reject["statement"].startswith('INSERT INTO "t" (id, name, ratio, note, big)')
    assert sink[1]["value"] == "toolong" and sink[2]["value"] == "nan"


def test_a_clean_batch_passes_through_untouched():
    clean = batch(GOOD)
    sink: list = []
    assert Guard(CHECKS, (0,), '"t"', Policy()).screen(clean, spec(), sink) is clean
    assert sink == []


def plan_of(columns: list[ColumnPlan]) -> TablePlan:
    table = Table("s", "t", tuple(Column(c.target_name, "x", c.ltype) for c in columns))
    return TablePlan(table, "s", "t", tuple(columns), primary_key=("id",))


class _Engine:  # an engine's declared extra checks (a class attribute on a real connector)
    reject_checks: ClassVar[dict] = {"float64": ("finite",)}


def test_the_plan_gives_lengths_nullability_and_text_decimal_digits():
    plan = plan_of([
        ColumnPlan("id", None, LType("int32"), "int", nullable=False),
        ColumnPlan("code", None, LType("varchar", length=8), "varchar(8)"),
        ColumnPlan("d", None, LType("decimal", precision=40, scale=10), "numeric(40,10)"),
        ColumnPlan("d2", None, LType("decimal", precision=12, scale=2), "numeric(12,2)"),
        ColumnPlan("f", None, LType("float64"), "double"),
        ColumnPlan("t", None, LType("text"), "text")])
    got = {(c.column, c.test, c.arg) for c in plan_checks(_Engine(), plan)}
    assert got == {("id", "not_null", None), ("code", "max_chars", 8),
                   ("d", "whole_digits", 30), ("f", "finite", None)}


@pytest.mark.parametrize(("policy", "kinds", "expected"), [
    (Policy(), [DATA] * 50, None),  # LOG_ERROR, no escalation count: never stops
    (Policy(escalate_after=3), [DATA] * 3, None),  # at the count: still goes on
    (Policy(escalate_after=3), [DATA] * 4,
     ("SUSPEND_TABLE", "ErrorBehavior.DataErrorEscalationCount")),
    (Policy(escalation="STOP_TASK", escalate_after=1), [TRUNCATION, DATA],
     ("STOP_TASK", "ErrorBehavior.DataErrorEscalationCount")),
    (Policy(data="IGNORE_RECORD", escalate_after=2), [DATA] * 3,
     ("SUSPEND_TABLE", "ErrorBehavior.DataErrorEscalationCount")),
    (Policy(data="SUSPEND_TABLE"), [TRUNCATION, TRUNCATION], None),  # truncation: LOG_ERROR
    (Policy(data="SUSPEND_TABLE"), [TRUNCATION, DATA],
     ("SUSPEND_TABLE", "ErrorBehavior.DataErrorPolicy")),
    (Policy(truncation="STOP_TASK"), [TRUNCATION],
     ("STOP_TASK", "ErrorBehavior.DataTruncationErrorPolicy")),
])
def test_policy_and_escalation_counting(policy, kinds, expected):
    rejects = [{"kind": k} for k in kinds]
    assert policy.verdict(rejects) == expected
    assert policy.stops(rejects) == (expected is not None)


def test_the_settings_carry_aws_names_and_defaults():
    s = Settings.parse({"ErrorBehavior": {"DataErrorEscalationCount": 7,
                                          "DataErrorEscalationPolicy": "STOP_TASK"}})
    assert Policy.from_settings(s) == Policy("LOG_ERROR", "LOG_ERROR", "STOP_TASK", 7)
    assert Settings.parse({})["ErrorBehavior.FailOnNoTablesCaptured"] is True


# -- the per-row retry against a real engine (SQLite: NOT NULL and CHECK enforced) ----------
@pytest.fixture
def sqlite_target(tmp_path):
    from sparkdms.connectors.sqlite.connector import SQLiteConnector

    target = SQLiteConnector(Endpoint("target", "sqlite", path=str(tmp_path / "t.db")))
    conn = target.connect()
    conn.cursor().execute('CREATE TABLE "t__sdms_x" (id integer, name text NOT NULL, '
                          "ratio real CHECK (ratio >= 0), note text, big text)")
    yield target, conn
    conn.close()


def test_a_refused_batch_is_retried_down_to_the_rows_inside_the_transaction(sqlite_target):
    target, conn = sqlite_target
    rows = [(i, f"n{i}", float(i), "x", "1") for i in range(1, 41)]
    rows[6] = (7, "n7", -1.0, "x", "1")  # CHECK fails
    rows[30] = (31, None, 1.0, "x", "1")  # NOT NULL fails (no check knows it: the target says)
    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    sink: list = []
    guard = Guard((), (0,), '"t"', Policy())
    written = guard.fill(target, cur, spec(), iter([batch(rows[:25]), batch(rows[25:])]), sink)
    cur.execute("COMMIT")
    assert written == 38
    got = cur.execute('SELECT id FROM "t__sdms_x" ORDER BY id').fetchall()
    assert [r[0] for r in got] == [i for i in range(1, 41) if i not in (7, 31)]
    assert [(r["key"], r["kind"]) for r in sink] == [({"id": 7}, DATA), ({"id": 31}, DATA)]
    assert "CHECK" in sink[0]["reason"] and "NOT NULL" in sink[1]["reason"]
    assert sink[1]["column"] is None or sink[1]["column"] == "name"


def test_a_stopping_policy_stops_writing_but_reads_the_input_to_its_end(sqlite_target):
    target, conn = sqlite_target
    read: list[int] = []

    def batches():
        for start in (1, 11, 21):
            read.append(start)
            yield batch([(i, f"n{i}", -1.0 if i == 2 else 1.0, "x", "1")
                         for i in range(start, start + 10)])

    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    sink: list = []
    written = Guard((), (0,), '"t"', Policy(data="SUSPEND_TABLE")).fill(
        target, cur, spec(), batches(), sink)
    cur.execute("ROLLBACK")
    assert read == [1, 11, 21] and written == 9 and len(sink) == 1


def test_only_the_results_of_successful_attempts_carry_rejects_and_the_file_has_them(tmp_path):
    results = [{"part": 0, "rejects": json.dumps([{"key": {"id": 1}, "kind": DATA}])},
               {"part": 1, "rejects": None}]
    assert results_rejects(results) == ({"key": {"id": 1}, "kind": DATA},)
    path = reject_file_for(tmp_path / "run.json")
    assert path == tmp_path / "run.rejects.jsonl"
    path.write_text("an earlier run's\n")
    file = RejectFile(path)
    assert not path.exists()
    file.add("task", "s.t", "src.t", [{"key": {"id": 1}, "value": Decimal("1.5"), "kind": DATA}])
    assert [json.loads(x) for x in path.read_text().splitlines()] == [
        {"task": "task", "table": "s.t", "source_table": "src.t", "key": {"id": 1},
         "value": "1.5", "kind": DATA}]


class _Stats:
    def __init__(self) -> None:
        self.FullLoadErrorRows, self.extra = 0, {}


class _Task:
    name = "task"

    def __init__(self, settings: dict) -> None:
        self.settings = Settings.parse(settings)


def test_settle_counts_and_escalates_with_the_count_in_one_line(tmp_path, capsys):
    import io

    table = Table("src", "t", (Column("id", "int", LType("int32")),))
    plan = TablePlan(table, "s", "t", (ColumnPlan("id", None, LType("int32"), "int"),))
    rejects = [{"key": {"id": i}, "column": "id", "value": i, "reason": "bad", "kind": DATA,
                "row": {"id": i}, "statement": "INSERT"} for i in range(3)]

    class NoStore:  # a target without an exceptions table: the file alone keeps them
        def reject_store(self, settings):
            return None

    out, stats = io.StringIO(), _Stats()
    settle(target=NoStore(), task=_Task({}), plan=plan, stats=stats, rejects=rejects,
           load_id="l", out=out, file=RejectFile(tmp_path / "r.jsonl"))
    assert stats.FullLoadErrorRows == 3 and "3 row(s) refused" in out.getvalue()
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 3
    with pytest.raises(RejectedRowsError) as raised:
        settle(target=NoStore(), task=_Task({"ErrorBehavior": {"DataErrorEscalationCount": 2}}),
               plan=plan, stats=_Stats(), rejects=rejects, load_id="l", out=out, file=None)
    message = str(raised.value)
    assert "\n" not in message and "3 row(s)" in message and \
        "DataErrorEscalationCount 2" in message and "id=0" in message
    assert raised.value.stop_task is False
