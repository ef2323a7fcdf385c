"""The task's one verdict (sparkdms.report.verdict) over combinations of load states,
validation states and great-expectations outcomes: the status, the exit code, the
console's last line, the JSON report and the summary's cells agree, and a failure of
great-expectations itself is never a data failure."""

from __future__ import annotations

import io
import json

import pytest

from sparkdms.report import (
    TABLE_COMPLETED,
    TABLE_ERROR,
    TABLE_LOADING,
    TABLE_PENDING,
    Report,
    TableStats,
    failed_cell,
    print_summary,
)
from sparkdms.report.verdict import EXIT_FAILED, EXIT_OK, table_outcome, verdict
from sparkdms.validate.summary import print_validation_summary

MET = {"state": "Met", "success": True, "evaluated": 5, "failed": [], "errors": []}
NOT_MET = {"state": "Not met", "success": False, "evaluated": 5, "errors": [],
           "failed": ["expect_table_row_count_to_equal(value=3): observed 2"]}
GX_RAISED = {"state": "Error", "success": False, "evaluated": 0, "failed": [], "errors": [],
             "error": "relation public.customer does not exist"}
ONE_CHECK_RAISED = {"state": "Error", "success": False, "evaluated": 5, "failed": [],
                    "errors": ["expect_column_values_to_not_be_null(column=Name): error boom"]}


def stats(name: str, state: str = TABLE_COMPLETED, rows: int = 3, error: str | None = None,
          FullLoadErrorRows: int = 0, **extra) -> TableStats:
    t = TableStats("main", name, "public", name, TableState=state, FullLoadRows=rows, Error=error,
                   FullLoadErrorRows=FullLoadErrorRows)
    t.extra.update(extra)
    return t


def validated(name: str, gx: dict | None = None, **extra) -> TableStats:
    fields = {"ValidationState": "Validated", "ValidationFailedRecords": 0,
              "ValidationSuspendedRecords": 0, "ValidationStateDetails": "3 rows equal", **extra}
    if gx is not None:
        fields["ValidationExpectations"] = gx
    return stats(name, **fields)


# (tables, task error, expected status, expected outcome label per table)
CASES = [
    ([stats("a"), stats("b")], None, "succeeded", ["loaded", "loaded"]),
    ([stats("a"), stats("b", TABLE_ERROR, 0, "value too long")], None, "failed",
     ["loaded", "load failed"]),
    ([stats("a", TABLE_LOADING)], None, "failed", ["load unfinished"]),
    ([stats("a")], "creating indexes failed", "failed", ["loaded"]),
    ([validated("a", MET), validated("b", MET)], None, "succeeded", ["validated", "validated"]),
    ([validated("a", MET), validated("b", ValidationState="Mismatched records",
                                      ValidationFailedRecords=2)], None, "failed",
     ["validated", "mismatched"]),
    ([validated("a", ValidationState="Suspended records", ValidationSuspendedRecords=7)], None,
     "failed", ["mismatched"]),
    ([validated("a", ValidationState="Error", ValidationFailedRecords=0,
                ValidationStateDetails="target table public.a does not exist")], None, "failed",
     ["not validated"]),
    ([validated("a", ValidationSchemaProblems=["column x is missing on the target"])], None,
     "failed", ["schema differs"]),
    ([validated("a", NOT_MET)], None, "failed", ["expectations not met"]),
    # great-expectations could not run: a warning, the checksums' verdict stands
    ([validated("a", GX_RAISED), validated("b", ONE_CHECK_RAISED)], None, "succeeded",
     ["expectations not run", "expectations not run"]),
    ([validated("a", ValidationState="No primary key")], None, "succeeded", ["validated"]),
    ([validated("a", ValidationState="No primary key", ValidationFailedRecords=1)], None,
     "failed", ["mismatched"]),
    ([stats("a", TABLE_PENDING, 0, ValidationState="Validated")], None, "succeeded",
     ["validated"]),  # sparkdms validate: nothing loaded
    ([stats("a", TABLE_ERROR, 0, "boom", ValidationState="Table error")], None, "failed",
     ["load failed"]),
    ([stats("a", FullLoadErrorRows=2)], None, "succeeded", ["rows rejected"]),  # LOG_ERROR
    ([validated("a", ValidationState="Mismatched records", ValidationFailedRecords=2,
                FullLoadErrorRows=2)], None, "failed", ["mismatched"]),
]


@pytest.mark.parametrize(("tables", "error", "status", "labels"), CASES)
def test_verdict_over_combinations(tables, error, status, labels):
    report = Report("t1", "sqlite", "postgres", tables, error=error)
    v = verdict(report)
    assert [table_outcome(t).label for t in tables] == labels
    assert v.status == report.status == status
    assert v.exit_code == (EXIT_OK if status == "succeeded" else EXIT_FAILED)
    assert v.line.startswith(f"Task t1: {status} - {len(tables)} tables: ")
    assert sum(v.counts.values()) == len(tables)
    assert {p["table"] for p in v.problems if p["severity"] == "error"} == {
        f"main.{t.TableName}" for t in tables if table_outcome(t).failed}


@pytest.mark.parametrize(("tables", "error", "status", "labels"), CASES)
def test_console_last_line_and_json_say_the_verdict(tables, error, status, labels, tmp_path):
    report = Report("t1", "sqlite", "postgres", tables, error=error)
    for printer in (print_summary, print_validation_summary):
        out = io.StringIO()
        printer(report, out)
        assert out.getvalue().rstrip("\n").splitlines()[-1] == verdict(report).line
    report.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["status"] == data["verdict"]["status"] == status
    assert data["verdict"]["exit_code"] == verdict(report).exit_code


def test_great_expectations_error_is_labelled_not_counted_as_failure():
    t = validated("a", GX_RAISED)
    outcome = table_outcome(t)
    assert not outcome.failed and "relation public.customer does not exist" in outcome.reason
    report = Report("t1", "sqlite", "postgres", [t])
    out = io.StringIO()
    print_validation_summary(report, out)
    text = out.getvalue()
    assert "WARNING main.a: expectations not run: great-expectations could not run" in text
    row = next(line for line in text.splitlines() if line.startswith("main.a"))
    assert row.split()[-5:] == ["error", "0.0", "expectations", "not", "run"]  # Expectations,
    # Seconds, Result


def test_failed_cell_is_unknown_where_validation_did_not_run():
    assert failed_cell(validated("a", ValidationState="Error")) == "-"
    assert failed_cell(stats("a", TABLE_ERROR, ValidationState="Table error")) == "-"
    assert failed_cell(validated("a", ValidationFailedRecords=4,
                                 ValidationState="Mismatched records")) == "4"
