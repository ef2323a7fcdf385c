"""The assessment as one self-contained HTML page (no scripts, no external files)."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin-bottom:.3em}table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f4f4f4}.error{color:#a40000;font-weight:600}.warning{color:#8a5a00}
.info{color:#555}.simple{background:#e8f5e9}.medium{background:#fff8e1}
.significant{background:#ffebee}pre{background:#f7f7f7;padding:.5em;overflow-x:auto;
font-size:.85em;white-space:pre-wrap}code{font-size:.9em}.muted{color:#777}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _items(items: list[dict[str, Any]]) -> str:
    if not items:
        return "<p class='muted'>Nothing to review.</p>"
    rows = []
    for i in items:
        where = _e(i.get("column") or "")
        detail = _e(i.get("action") or "")
        if i.get("example"):
            detail += f"<br><code>{_e(i['example'])}</code>"
        rows.append([f"<span class='{_e(i['level'])}'>{_e(i['level'])}</span>",
                     f"<span class='{_e(i['effort'])}'>{_e(i['effort'])}</span>",
                     _e(i["category"]), where, _e(i["message"]), detail])
    return _table(["Level", "Effort", "Category", "Column", "Finding", "Action / example"], rows)


def _summary(data: dict[str, Any]) -> str:
    s = data["summary"]
    verdict = ("The task can run as planned." if s["runnable"] else
               "The task will refuse to run until the errors are fixed." if s.get("refused") else
               "The task can start but will not succeed until the errors are fixed: "
               + "; ".join(s["blocking"][:10]))
    rows = [[_e("Tables"), _e(s["tables"])],
            [_e("Tables by effort"), _e(", ".join(f"{n} {e}" for e, n in
                                                  s["table_effort"].items()))],
            [_e("Views, triggers, routines by effort"),
             _e(", ".join(f"{n} {e}" for e, n in s["object_effort"].items()))],
            [_e("Findings"), _e(", ".join(f"{n} {lv}" for lv, n in s["levels"].items()))]]
    return f"<p><strong>{_e(verdict)}</strong></p>" + _table(["", ""], rows)


def _overview(tables: list[dict[str, Any]]) -> str:
    rows = []
    for t in tables:
        counts = {lv: sum(i["level"] == lv for i in t["items"]) for lv in ("error", "warning")}
        rows.append([f"<a href='#t-{_e(t['source'])}'>{_e(t['source'])}</a>", _e(t["target"]),
                     _e(f"{t['rows']:,}"), f"<span class='{_e(t['effort'])}'>{_e(t['effort'])}</span>",
                     _e(counts["error"]), _e(counts["warning"])])
    return _table(["Source table", "Target table", "Rows (estimate)", "Effort", "Errors",
                   "Warnings"], rows)


def _table_section(t: dict[str, Any]) -> str:
    cols = [[_e(c["name"]), _e(c["source_type"]), _e(c["target_name"]), _e(c["target_type"]),
             "<br>".join(_e(n) for n in c["notes"])] for c in t["columns"]]
    sampled = (f" Data sampled: {t['sampled_rows']:,} rows." if t.get("sampled_rows") is not None
               else "")
    key = ", ".join(t["primary_key"]) or "(none)"
    return (f"<h3 id='t-{_e(t['source'])}'>{_e(t['source'])} &rarr; {_e(t['target'])} "
            f"<span class='{_e(t['effort'])}'>({_e(t['effort'])})</span></h3>"
            f"<p class='muted'>Primary key: {_e(key)}.{_e(sampled)}</p>"
            + _items(t["items"])
            + _table(["Column", "Source type", "Target column", "Target type", "Conversion"], cols))


def _views(data: dict[str, Any]) -> str:
    out = []
    for v in data["converted_views"]:
        out.append(f"<h3>{_e(v['source'])} &rarr; {_e(v['target'])}</h3><pre>{_e(v['sql'])}</pre>")
    return "".join(out)


def render(data: dict[str, Any]) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>sparkdms assessment: {_e(data['task'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>Premigration assessment: {_e(data['task'])}</h1>",
        f"<p>{_e(data['source'])} &rarr; {_e(data['target'])}<br>"
        f"<span class='muted'>generated {_e(data['generated'])}</span></p>",
        "<h2>Summary</h2>", _summary(data),
        "<h2>Tables</h2>", _overview(data["tables"]),
        "<h2>Task and engine checks</h2>", _items(data["checks"]),
        "<h2>Views, triggers and routines</h2>", _items(data["objects"]),
    ]
    if data["converted_views"]:
        parts += ["<h2>Converted view definitions</h2>", _views(data)]
    parts.append("<h2>Table details</h2>")
    parts += [_table_section(t) for t in data["tables"]]
    parts.append("</body></html>")
    return "\n".join(parts)
