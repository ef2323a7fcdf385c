"""What a table's validation comes to: AWS DMS's ``ValidationState`` and details from the
comparison's outcome, two column groups' outcomes merged into one, and the fields the
JSON report carries per table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sparkdms.errors import SparkDmsError
from sparkdms.report import Report
from sparkdms.report.verdict import (
    ERROR,
    MISMATCHED,
    NO_PRIMARY_KEY,
    NOT_ENABLED,
    SUSPENDED,
    TABLE_ERROR_STATE,
    VALIDATED,
    table_outcome,
)
from sparkdms.validate.columns import ColumnSpec, TableColumns
from sparkdms.validate.compare import Outcome
from sparkdms.validate.sides import Side

__all__ = ["ERROR", "MISMATCHED", "NOT_ENABLED", "TABLE_ERROR_STATE", "TableResult",
           "ValidationError", "validation_failed"]
SHOW_FAILURES = 5  # failures shown on the console and carried in the report per table


class ValidationError(SparkDmsError):
    def __init__(self, table: str, problem: str) -> None:
        super().__init__(f"table {table}: validation: {problem}")
        self.table = table
        self.problem = problem


@dataclass
class TableResult:
    state: str
    details: str
    outcome: Outcome = field(default_factory=Outcome)
    method: str = ""
    schema_problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    expectations: dict[str, Any] | None = None
    failures_at: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def judge(o: Outcome, cols: TableColumns, mode: str) -> TableResult:
    missing = sum(d.failure_type == "MISSING_TARGET" for d in o.differences)
    extra = sum(d.failure_type == "MISSING_SOURCE" for d in o.differences)
    changed = len(o.differences) - missing - extra
    found = (f"{changed} rows differ, {missing} missing on the target, {extra} only on the target"
             if o.differences else "no differences")
    notes = [*cols.schema_problems, *(f"not compared: {s}" for s in cols.skipped)]
    if o.suspended:
        notes.append(f"{o.suspended} rows in differing ranges not examined "
                     "(TableFailureMaxCount / FailureMaxCount reached)")
    if o.equal_after_judgement:
        notes.append(f"{o.equal_after_judgement} rows equal within tolerance")
    if mode == "rows":
        proven = ("same multiset of rows (count and whole-row checksums equal)"
                  if not o.differences and not o.suspended else found)
        state, text = NO_PRIMARY_KEY, f"no primary key or unique NOT NULL index: {proven}"
    elif o.differences:
        state, text = MISMATCHED, found
    elif o.suspended:
        state, text = SUSPENDED, "validation stopped before every differing row was examined"
    else:
        state, text = VALIDATED, f"{o.source_rows:,} rows equal, key {', '.join(cols.key)} " \
                                 f"({cols.key_source})"
    return TableResult(state, "; ".join([text, *notes]), o, "", cols.schema_problems, cols.skipped)


def method_text(src: Side, tgt: Side, mode: str, cols: TableColumns,
                only: list[ColumnSpec] | None = None) -> str:
    how = {"range": f"key ranges of {', '.join(cols.key)}",
           "hash": f"hash buckets of key {', '.join(cols.key)}",
           "rows": "hash buckets of whole rows"}[mode]
    what = f"columns {', '.join(s.name for s in only)}: " if only else ""
    rendered = getattr(src, "r", None)  # a side in SQL: how its row hash was made
    stored = rendered.stored if rendered is not None else 0
    hashed = f"; {stored} of {len(rendered.values)} columns hashed as stored" if stored else ""
    return f"{what}checksums: source in {src.method}, target in {tgt.method}; {how}{hashed}"


def merge(a: Outcome, b: Outcome) -> Outcome:
    """Two comparisons of the same rows on different columns, as one: a row missing on one
    side is reported once, a row differing in both column groups once with all columns."""
    a.passes += b.passes
    a.rows_compared_one_by_one += b.rows_compared_one_by_one
    a.suspended += b.suspended
    a.equal_after_judgement += b.equal_after_judgement
    seen = {(d.failure_type, json.dumps(d.key, sort_keys=True)): d for d in a.differences}
    for d in b.differences:
        known = seen.get((d.failure_type, json.dumps(d.key, sort_keys=True)))
        if known is None:
            a.differences.append(d)
        elif d.failure_type == "RECORD_DIFF":
            known.details.update(d.details)
    return a


def as_extra(r: TableResult, seconds: float) -> dict[str, Any]:
    o = r.outcome
    out: dict[str, Any] = {
        "ValidationState": r.state,
        "ValidationPendingRecords": 0,
        "ValidationFailedRecords": len(o.differences),
        "ValidationSuspendedRecords": o.suspended,
        "ValidationStateDetails": r.details,
        "ValidationSourceRows": o.source_rows,
        "ValidationTargetRows": o.target_rows,
        "ValidationMethod": r.method,
        "ValidationChecksumPasses": o.passes,
        "ValidationRowsComparedOneByOne": o.rows_compared_one_by_one,
        "ValidationElapsedSeconds": seconds,
        "ValidationChecksumSeconds": r.seconds.get("checksums"),
        "ValidationExpectationsSeconds": r.seconds.get("expectations"),
        "ValidationFailures": [{"FAILURE_TYPE": d.failure_type, "KEY": d.key, "DETAILS": d.details}
                               for d in o.differences[:SHOW_FAILURES]],
    }
    if r.failures_at and o.differences:
        out["ValidationFailuresWrittenTo"] = r.failures_at
    if r.schema_problems:
        out["ValidationSchemaProblems"] = r.schema_problems
    if r.expectations is not None:
        out["ValidationExpectations"] = r.expectations
    return out


def validation_failed(report: Report) -> bool:
    """A table whose outcome fails the task (``sparkdms.report.verdict``)."""
    return any(table_outcome(t).failed for t in report.tables)
