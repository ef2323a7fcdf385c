"""The HTML run report: one self-contained file (inline CSS and SVG, no script, no external
URL) that renders offline: the verdict, the run's versions, per-table statistics with the
validation verdicts, a per-table timeline (start/end, rows/s), a rows/s chart, and every
object not created with its reason. Written beside the JSON report (``r.json`` -> ``r.html``).
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from sparkdms.report import Report
from sparkdms.report.objects import object_lines
from sparkdms.task.secrets import redact_data, redact_known

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.ok{color:#17733a}.bad{color:#b3261e}.warn{color:#8a5a00}
.verdict{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.verdict.ok{background:#e6f4ea}.verdict.bad{background:#fce8e6}
table{border-collapse:collapse;margin:6px 0}th,td{padding:4px 10px;border-bottom:1px solid #e3e6ea;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f6f8}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dt{color:#5b6472}dd{margin:0}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}ul{margin:4px 0;padding-left:20px}
"""

COLUMNS = (("Source table", lambda t: f"{t['SchemaName']}.{t['TableName']}", ""),
           ("Target table", lambda t: f"{t['TargetSchema']}.{t['TargetTable']}".lstrip("."), ""),
           ("State", lambda t: t["TableState"], ""),
           ("Rows", lambda t: f"{t['FullLoadRows']:,}", "n"),
           ("Error rows", lambda t: f"{t['FullLoadErrorRows']:,}", "n"),
           ("Partitions", lambda t: str(t["Partitions"]), "n"),
           ("Seconds", lambda t: f"{t['ElapsedSeconds']:.1f}", "n"),
           ("Rows/s", lambda t: f"{t['RowsPerSecond']:,.0f}", "n"),
           ("Validation", lambda t: str(t.get("ValidationState", "Not enabled")), ""))
RUN_FIELDS = (("sparkdms", "sparkdms_version"), ("Spark", "spark_version"),
              ("Application id", "application_id"), ("Master", "master"),
              ("Starting Spark took", "spark_start_seconds"))
BAR = "#3b6fd4"
BAR_FAILED = "#c0392b"
BAR_VALIDATION = "#9db8ea"


def validation_seconds(t: dict[str, Any]) -> float:
    return float(t.get("ValidationElapsedSeconds") or 0.0)


def html_path(json_path: str | Path) -> Path:
    return Path(json_path).with_suffix(".html")


def write_html(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    return path


def render(report: Report) -> str:
    """The page, from the same data as the JSON report (secrets redacted)."""
    from sparkdms.report.verdict import table_outcome, verdict

    data = redact_data(json.loads(json.dumps(report.as_dict(), default=str)))
    result = verdict(report)
    outcomes = [table_outcome(t).label for t in report.tables]
    sections = [
        f"<h1>sparkdms run: {escape(data['task'])}</h1>",
        f"<div>{escape(data['source'])} &rarr; {escape(data['target'])}, "
        f"{escape(str(data['started']))} &ndash; {escape(str(data['ended'] or '-'))}</div>",
        f"<div class='verdict {'ok' if result.status == 'succeeded' else 'bad'}'>"
        f"{escape(redact_known(result.line))}</div>",
        run_section(data.get("run") or {}),
        "<h2>Tables</h2>", tables_section(data["tables"], outcomes),
        "<h2>Timeline</h2>", timeline_svg(data["tables"]),
        "<h2>Rows per second</h2>", rate_svg(data["tables"]),
        problems_section(result.problems, data.get("error")),
        objects_section(report.notes),
        list_section("Warnings", data.get("warnings") or []),
        list_section("Notes", [n for n in data.get("notes") or [] if not object_lines([n])]),
    ]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>sparkdms run {escape(data['task'])}</title><style>{CSS}</style></head>"
            "<body>" + "\n".join(s for s in sections if s) + "</body></html>\n")


def run_section(run: dict[str, Any]) -> str:
    units = {"spark_start_seconds": " s"}
    cells = "".join(f"<dt>{escape(label)}</dt><dd>{escape(str(run[key]))}{units.get(key, '')}</dd>"
                    for label, key in RUN_FIELDS if run.get(key) is not None)
    return f"<dl>{cells}</dl>" if cells else ""


def tables_section(tables: list[dict[str, Any]], outcomes: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h, _, _ in COLUMNS) + "<th>Result</th>"
    rows = []
    for t, outcome in zip(tables, outcomes, strict=True):
        cells = "".join(f"<td class='{cls}'>{escape(fn(t))}</td>" for _, fn, cls in COLUMNS)
        css = "bad" if outcome in ("load failed", "load unfinished", "mismatched",
                                   "not validated", "schema differs") else "ok"
        rows.append(f"<tr class='table-row'>{cells}<td class='{css}'>{escape(outcome)}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def timeline_svg(tables: list[dict[str, Any]]) -> str:
    """A bar per table from its start to its end, on the run's time axis."""
    spans = [(t, when(t["FullLoadStartTime"]), when(t["FullLoadEndTime"])) for t in tables]
    starts = [s for _, s, _ in spans if s]
    if not starts:
        return "<p>No table started.</p>"
    origin = min(starts)
    total = max([(e - origin).total_seconds() + validation_seconds(t) for t, _, e in spans if e]
                + [0.001])
    label_w, width, row_h = 230, 520, 22
    # a table's bar: its load (start to end), then its validation
    height = row_h * len(spans) + 30
    parts = []
    for i, (t, start, end) in enumerate(spans):
        y = i * row_h + 4
        name = f"{t['SchemaName']}.{t['TableName']}"
        parts.append(f"<text x='0' y='{y + 14}'>{escape(name[:34])}</text>")
        if start is None:
            continue
        x0 = (start - origin).total_seconds() / total * width
        x1 = ((end - origin).total_seconds() if end else total) / total * width
        color = BAR_FAILED if t["TableState"] == "Table error" else BAR
        tip = f"{name}: {t['FullLoadStartTime']} to {t['FullLoadEndTime']}, " \
              f"{t['FullLoadRows']:,} rows, {t['RowsPerSecond']:,.0f} rows/s"
        parts.append(f"<rect x='{label_w + x0:.1f}' y='{y}' width='{max(x1 - x0, 2):.1f}' "
                     f"height='{row_h - 6}' fill='{color}'><title>{escape(tip)}</title></rect>")
        checked = validation_seconds(t) / total * width if end else 0.0
        if checked:  # the validation right after the load, in a lighter shade
            parts.append(f"<rect class='validation' x='{label_w + x1:.1f}' y='{y}' "
                         f"width='{checked:.1f}' height='{row_h - 6}' fill='{BAR_VALIDATION}'>"
                         f"<title>{escape(name)}: validation {validation_seconds(t):.1f}s</title></rect>")
        parts.append(f"<text x='{label_w + max(x1 + checked, x0 + 2) + 4:.1f}' y='{y + 14}'>"
                     f"{t['ElapsedSeconds']:.1f}s, {t['RowsPerSecond']:,.0f} rows/s"
                     f"{f' + {validation_seconds(t):.1f}s validation' if checked else ''}</text>")
    axis_y = len(spans) * row_h + 8
    parts.append(f"<line x1='{label_w}' y1='{axis_y}' x2='{label_w + width}' y2='{axis_y}' "
                 "stroke='#8a93a0'/>")
    parts += [f"<text x='{label_w + f * width:.1f}' y='{axis_y + 16}' text-anchor='middle'>"
              f"{f * total:.1f}s</text>" for f in (0, 0.25, 0.5, 0.75, 1)]
    return svg(label_w + width + 320, height + 10, parts, "timeline")


def rate_svg(tables: list[dict[str, Any]]) -> str:
    """Rows/s per table as horizontal bars."""
    top = max([t["RowsPerSecond"] for t in tables] + [1.0])
    label_w, width, row_h = 230, 420, 20
    parts = []
    for i, t in enumerate(tables):
        y = i * row_h + 4
        w = t["RowsPerSecond"] / top * width
        parts.append(f"<text x='0' y='{y + 13}'>{escape((t['SchemaName'] + '.' + t['TableName'])[:34])}"
                     "</text>")
        parts.append(f"<rect x='{label_w}' y='{y}' width='{max(w, 1):.1f}' height='{row_h - 6}' "
                     f"fill='{BAR}'/>")
        parts.append(f"<text x='{label_w + w + 4:.1f}' y='{y + 13}'>{t['RowsPerSecond']:,.0f}</text>")
    return svg(label_w + width + 120, row_h * len(tables) + 10, parts, "rows-per-second")


def svg(width: float, height: float, parts: list[str], name: str) -> str:
    return (f"<svg class='{name}' width='{width:.0f}' "
            f"height='{height:.0f}' role='img'>{''.join(parts)}</svg>")


def problems_section(problems: list[dict[str, str]], error: str | None) -> str:
    items = [f"<li class='{'bad' if p['severity'] == 'error' else 'warn'}'>"
             f"{escape(p['table'])}: {escape(p['outcome'])}: {escape(redact_known(p['reason']))}</li>"
             for p in problems]
    if error:
        items.insert(0, f"<li class='bad'>task error: {escape(error)}</li>")
    return f"<h2>Problems</h2><ul>{''.join(items)}</ul>" if items else ""


def objects_section(notes: list[str]) -> str:
    lines = [line.strip() for line in object_lines(notes)[1:]]
    if not lines:
        return ""
    return (f"<h2>Objects not created as on the source ({len(lines)})</h2><ul>"
            + "".join(f"<li>{escape(redact_known(line))}</li>" for line in lines) + "</ul>")


def list_section(title: str, items: list[str]) -> str:
    if not items:
        return ""
    return f"<h2>{escape(title)}</h2><ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + \
        "</ul>"
