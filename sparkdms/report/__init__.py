"""Per-table statistics with AWS DMS DescribeTableStatistics names, the console
table, and the JSON report."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sparkdms.task.secrets import redact_data, redact_known

TABLE_COMPLETED = "Table completed"
TABLE_ERROR = "Table error"
TABLE_LOADING = "Full load"
TABLE_PENDING = "Before load"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TableStats:
    SchemaName: str
    TableName: str
    TargetSchema: str
    TargetTable: str
    TableState: str = TABLE_PENDING
    FullLoadRows: int = 0
    FullLoadErrorRows: int = 0
    FullLoadStartTime: str | None = None
    FullLoadEndTime: str | None = None
    ElapsedSeconds: float = 0.0
    RowsPerSecond: float = 0.0
    Partitions: int = 0
    PartitionMethod: str = ""
    Error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        self.TableState = TABLE_LOADING
        self.FullLoadStartTime = now().isoformat()

    def finish(self, rows: int, error: str | None = None) -> None:
        end = now()
        self.FullLoadEndTime = end.isoformat()
        started = datetime.fromisoformat(self.FullLoadStartTime or end.isoformat())
        self.ElapsedSeconds = round((end - started).total_seconds(), 3)
        self.FullLoadRows = rows
        self.RowsPerSecond = round(rows / self.ElapsedSeconds, 1) if self.ElapsedSeconds else 0.0
        self.TableState = TABLE_ERROR if error else TABLE_COMPLETED
        self.Error = error

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


@dataclass
class Report:
    task: str
    source_engine: str
    target_engine: str
    tables: list[TableStats]
    started: str = field(default_factory=lambda: now().isoformat())
    ended: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # sparkdms and Spark versions, application id, seconds spent starting Spark (progress.run_info)
    run: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def status(self) -> str:
        """The task's verdict (``sparkdms.report.verdict``): "succeeded" or "failed"."""
        from sparkdms.report.verdict import verdict

        return verdict(self).status

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "status": self.status, "source": self.source_engine,
                "target": self.target_engine, "started": self.started, "ended": self.ended,
                "error": self.error, "warnings": self.warnings, "notes": self.notes,
                "tables": [t.as_dict() for t in self.tables], "verdict": self.verdict_dict(),
                "run": self.run}

    def verdict_dict(self) -> dict[str, Any]:
        from sparkdms.report.verdict import verdict

        return verdict(self).as_dict()

    def write_json(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = redact_data(json.loads(json.dumps(self.as_dict(), default=str)))  # no secret
        path.write_text(json.dumps(data, indent=2) + "\n")


COLUMNS = (("Source table", lambda t: f"{t.SchemaName}.{t.TableName}"),
           ("Target table", lambda t: f"{t.TargetSchema}.{t.TargetTable}".lstrip(".")),
           ("State", lambda t: t.TableState),
           ("Rows", lambda t: f"{t.FullLoadRows:,}"),
           ("Errors", lambda t: str(t.FullLoadErrorRows)),
           ("Parts", lambda t: str(t.Partitions)),
           ("Seconds", lambda t: f"{t.ElapsedSeconds:.1f}"),
           ("Rows/s", lambda t: f"{t.RowsPerSecond:,.0f}"))


def render_table(report: Report, extra_columns: tuple = ()) -> str:
    columns = COLUMNS + tuple(extra_columns)
    rows = [[head for head, _ in columns]] + [[fn(t) for _, fn in columns] for t in report.tables]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# shown when a table was validated (ValidationSettings.EnableValidation)
VALIDATION_COLUMNS = (("Validation", lambda t: str(t.extra.get("ValidationState", ""))),
                      ("Failed", lambda t: failed_cell(t)),
                      ("Result", lambda t: result_cell(t)))


def failed_cell(t: TableStats) -> str:
    """Failed records; "-" where validation did not run (unknown, not 0)."""
    from sparkdms.report.verdict import NOT_COMPARED

    if t.extra.get("ValidationState", "Not enabled") in NOT_COMPARED:
        return "-"
    return str(t.extra.get("ValidationFailedRecords", ""))


def result_cell(t: TableStats) -> str:
    from sparkdms.report.verdict import table_outcome

    return table_outcome(t).label


def print_summary(report: Report, out: TextIO) -> None:
    text = io.StringIO()
    _print_summary(report, text)
    out.write(redact_known(text.getvalue()))  # errors echo what drivers said: no secret


def _print_summary(report: Report, out: TextIO) -> None:
    print("", file=out)
    validated = any(t.extra.get("ValidationState", "Not enabled") != "Not enabled"
                    for t in report.tables)
    print(render_table(report, VALIDATION_COLUMNS if validated else ()), file=out)
    if report.error:
        print(f"\nERROR: {report.error}", file=out)
    from sparkdms.report.objects import object_lines

    for line in object_lines(report.notes):  # what the target lacks, with the reason
        print(line, file=out)
    from sparkdms.report.verdict import verdict

    print("", file=out)  # a line per table that is not fine, then the verdict, last
    print("\n".join(verdict(report).lines()), file=out)
