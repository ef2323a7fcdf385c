"""The console: one line per validated table with its first failures, and the summary
table at the end of ``sparkdms validate``."""

from __future__ import annotations

from typing import Any, TextIO

from sparkdms.plan import TablePlan
from sparkdms.progress import say
from sparkdms.report import Report, TableStats, failed_cell, result_cell
from sparkdms.report.verdict import GX_ERROR, NOT_COMPARED, verdict
from sparkdms.validate.compare import Difference
from sparkdms.validate.results import ERROR, SHOW_FAILURES, TABLE_ERROR_STATE, TableResult


def print_table(out: TextIO, plan: TablePlan, r: TableResult, seconds: float) -> None:
    """A table's verdict and its first failures, written at once (tables run in threads)."""
    o = r.outcome
    gx = "" if r.expectations is None else f"; expectations {expectation_cell(r.expectations)}"
    lines = [f"  validated {plan.source_label} -> {plan.target_label}: {r.state} "
             f"({o.source_rows:,} / {o.target_rows:,} rows, {o.passes} checksum passes, "
             f"{seconds:.1f}s{gx})"]
    if r.state in (ERROR, TABLE_ERROR_STATE) or r.schema_problems:
        lines.append(f"    {r.details}")
    lines += [f"    {failure_line(d)}" for d in o.differences[:SHOW_FAILURES]]
    if len(o.differences) > SHOW_FAILURES:
        lines.append(f"    ... {len(o.differences) - SHOW_FAILURES} more in {r.failures_at}")
    lines += [f"    expectation not met: {failed}"
              for failed in (r.expectations or {}).get("failed", [])[:SHOW_FAILURES]]
    lines += [f"    great-expectations could not run (not a data failure): {error}"
              for error in gx_errors(r.expectations)[:SHOW_FAILURES]]
    say(out, *lines)


def failure_line(d: Difference) -> str:
    key = ", ".join(f"{k}={v}" for k, v in d.key.items())
    if d.failure_type == "RECORD_DIFF":
        cols = "; ".join(f"{c}: {v.get('source')!r} -> {v.get('target')!r}" if isinstance(v, dict)
                         else f"{c}: {v}" for c, v in d.details.items())
        return f"RECORD_DIFF {key}: {cols}"
    return f"{d.failure_type} {key}"


COLUMNS = (("Source table", lambda t: f"{t.SchemaName}.{t.TableName}"),
           ("Target table", lambda t: f"{t.TargetSchema}.{t.TargetTable}".lstrip(".")),
           ("Validation", lambda t: str(t.extra.get("ValidationState", ""))),
           ("Source rows", lambda t: rows_cell(t, "ValidationSourceRows")),
           ("Target rows", lambda t: rows_cell(t, "ValidationTargetRows")),
           ("Failed", failed_cell),
           ("Expectations", lambda t: expectation_cell(t.extra.get("ValidationExpectations"))),
           ("Seconds", lambda t: f"{t.extra.get('ValidationElapsedSeconds', 0):.1f}"),
           ("Result", result_cell))


def rows_cell(t: TableStats, name: str) -> str:
    if t.extra.get("ValidationState", NOT_COMPARED[-1]) in NOT_COMPARED:
        return "-"
    return f"{t.extra.get(name, 0):,}"


def gx_errors(e: dict[str, Any] | None) -> list[str]:
    """What kept great-expectations from running (the suite, or single expectations)."""
    e = e or {}
    return [e["error"]] if e.get("error") else list(e.get("errors", []))


def expectation_cell(e: dict[str, Any] | None) -> str:
    """"3/4 met" (and "+2 enforced": checks the target's constraints guarantee), or "error"
    when great-expectations could not run (not a data failure)."""
    if e is None:
        return "-"
    if e.get("state") == GX_ERROR and not e.get("evaluated"):
        return "error"
    met = e["evaluated"] - len(e["failed"]) - len(e.get("errors", []))
    text = f"{met}/{e['evaluated']} met"
    if e.get("enforced"):  # guaranteed by the target's constraints, not scanned
        text += f" +{len(e['enforced'])} enforced"
    return f"{text}, {len(e['errors'])} error" if e.get("errors") else text


def print_validation_summary(report: Report, out: TextIO) -> None:
    rows = [[h for h, _ in COLUMNS]] + [[fn(t) for _, fn in COLUMNS] for t in report.tables]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n" + "\n".join(lines), file=out)
    print("\n" + "\n".join(verdict(report).lines()), file=out)  # the verdict, last
