"""The task's one verdict, computed here and nowhere else: from each table's load state and
validation results, what happened to the table (``TableOutcome``), and from those and the
task's own error, the status the console's last line prints, the JSON report's ``status``
and ``verdict`` carry, and the exit code ``sparkdms`` returns.

Exit codes: 0 every table loaded (and, when validated, equal); 1 a table failed to load,
its validation found differences or could not run, or the task failed after the load; 2
the task was refused before it started (bad task file, unusable endpoint; ``cli.main``).

A failure of great-expectations itself (it raised, lost its connection) is not a data
failure: the table is judged by the checksum comparison, and the expectations' error is
a warning on the table (``expectations not run``); so are rows the target refused under a
policy that tolerates them (``rows rejected``), unless validation finds them missing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sparkdms.report import TABLE_COMPLETED, TABLE_ERROR, TABLE_LOADING, Report, TableStats

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
SUCCEEDED, FAILED = "succeeded", "failed"

# AWS DMS ValidationState values (and sparkdms's two for tables validation did not reach)
VALIDATED = "Validated"
MISMATCHED = "Mismatched records"
SUSPENDED = "Suspended records"
NO_PRIMARY_KEY = "No primary key"
TABLE_ERROR_STATE = "Table error"  # the load failed: nothing to validate
ERROR = "Error"  # validation could not run (the reason in ValidationStateDetails)
NOT_ENABLED = "Not enabled"
NOT_COMPARED = (ERROR, TABLE_ERROR_STATE, NOT_ENABLED)  # no failed-record count exists
# great-expectations' own state, in ValidationExpectations["state"]
GX_MET, GX_NOT_MET, GX_ERROR = "Met", "Not met", "Error"


@dataclass(frozen=True)
class TableOutcome:
    label: str  # what the summary counts and the table's Result column shows
    failed: bool
    reason: str = ""


def _load_failed(t: TableStats) -> str | None:
    return (t.Error or "the load failed") if t.TableState == TABLE_ERROR else None


def _load_unfinished(t: TableStats) -> str | None:
    return "the task stopped while this table was loading" if t.TableState == TABLE_LOADING else None


def _not_validated(t: TableStats) -> str | None:
    e = t.extra
    if e.get("ValidationState") != ERROR:
        return None
    return f"validation could not run: {e.get('ValidationStateDetails') or 'no reason given'}"


def _rows_rejected(t: TableStats) -> str | None:
    if not t.FullLoadErrorRows:
        return None
    return (f"{t.FullLoadErrorRows:,} row(s) refused by the target, not loaded "
            "(DataErrorPolicy / DataTruncationErrorPolicy)")


def _mismatched(t: TableStats) -> str | None:
    e = t.extra
    if (e.get("ValidationState") in (MISMATCHED, SUSPENDED) or e.get("ValidationFailedRecords")
            or e.get("ValidationSuspendedRecords")):
        return str(e.get("ValidationStateDetails") or e.get("ValidationState"))
    return None


def _schema_differs(t: TableStats) -> str | None:
    problems = t.extra.get("ValidationSchemaProblems")
    return "; ".join(problems) if problems else None


def _expectations(t: TableStats) -> dict[str, Any]:
    return t.extra.get("ValidationExpectations") or {}


def _expectations_not_met(t: TableStats) -> str | None:
    failed = _expectations(t).get("failed")
    return f"expectation not met: {'; '.join(failed)}" if failed else None


def _expectations_not_run(t: TableStats) -> str | None:
    gx = _expectations(t)
    if gx.get("state") != GX_ERROR and not gx.get("errors"):
        return None
    return f"great-expectations could not run: {gx.get('error') or '; '.join(gx['errors'])}"


# first match wins: (label, fails the task, the table's reason or None)
RULES: tuple[tuple[str, bool, Callable[[TableStats], str | None]], ...] = (
    ("load failed", True, _load_failed),
    ("load unfinished", True, _load_unfinished),
    ("not validated", True, _not_validated),
    ("mismatched", True, _mismatched),
    # rows refused under LOG_ERROR / IGNORE_RECORD, which the task's settings tolerate: said on
    # the console and in the report, not a failure (AWS DMS's task also succeeds)
    ("rows rejected", False, _rows_rejected),
    ("schema differs", True, _schema_differs),
    ("expectations not met", True, _expectations_not_met),
    ("expectations not run", False, _expectations_not_run),
)
OK_LABELS = ((lambda t: t.extra.get("ValidationState") in (VALIDATED, NO_PRIMARY_KEY), "validated"),
             (lambda t: t.TableState == TABLE_COMPLETED, "loaded"))


def table_outcome(t: TableStats) -> TableOutcome:
    for label, fails, rule in RULES:
        reason = rule(t)
        if reason is not None:
            return TableOutcome(label, fails, reason)
    return TableOutcome(next((label for test, label in OK_LABELS if test(t)), "ok"), False)


@dataclass(frozen=True)
class Verdict:
    status: str  # SUCCEEDED / FAILED: the JSON report's "status"
    exit_code: int
    line: str  # the console's last line
    counts: dict[str, int]  # tables per outcome label
    problems: list[dict[str, str]] = field(default_factory=list)  # one per table not "ok"

    def lines(self) -> list[str]:
        """One line per table that is not fine, then the verdict line (the console's last)."""
        return [*(f"{p['severity'].upper()} {p['table']}: {p['outcome']}: {p['reason']}"
                  for p in self.problems), self.line]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "exit_code": self.exit_code, "summary": self.line,
                "tables": self.counts, "problems": self.problems}


def verdict(report: Report) -> Verdict:
    outcomes = [(t, table_outcome(t)) for t in report.tables]
    failed = bool(report.error) or any(o.failed for _, o in outcomes)
    status = FAILED if failed else SUCCEEDED
    counts = dict(Counter(o.label for _, o in outcomes))
    problems = [{"table": f"{t.SchemaName}.{t.TableName}", "outcome": o.label,
                 "severity": "error" if o.failed else "warning", "reason": o.reason}
                for t, o in outcomes if o.reason]
    parts = [f"{n} {label}" for label, n in counts.items()]
    rows = sum(t.FullLoadRows for t in report.tables)
    if any(t.TableState in (TABLE_COMPLETED, TABLE_ERROR) for t in report.tables):
        parts.append(f"{rows:,} rows loaded")
    if report.error:
        parts.append("task error (above)")
    line = f"Task {report.task}: {status} - {len(report.tables)} tables: {', '.join(parts) or '-'}"
    return Verdict(status, EXIT_FAILED if failed else EXIT_OK, line, counts, problems)
