"""The assessment written out: JSON with the HTML page beside it, and the console summary."""

from __future__ import annotations

import json
from pathlib import Path

from sparkdms.assess.model import Assessment
from sparkdms.task.secrets import redact_data, redact_known


def write(assessment: Assessment, out: str | Path) -> tuple[Path, Path]:
    """JSON at ``out`` and the HTML page beside it (same name, .html)."""
    from sparkdms.assess.html import render

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    # no secret in either file: strings redacted before JSON or HTML escaping
    data = redact_data(json.loads(json.dumps(assessment.as_dict(), default=str)))
    path.write_text(json.dumps(data, indent=2) + "\n")
    page = path.with_suffix(".html")
    page.write_text(render(data))
    return path, page


def print_summary(assessment: Assessment) -> str:
    s = assessment.summary()
    lines = [f"Assessment of task {assessment.task}: {assessment.source} -> {assessment.target}",
             f"  {s['tables']} table(s): " + ", ".join(f"{n} {e}" for e, n in
                                                      s["table_effort"].items()),
             "  items: " + ", ".join(f"{n} {lv}" for lv, n in s["levels"].items()),
             f"  views/triggers/routines: {len(assessment.objects)}"]
    for t in assessment.tables:
        worst = [i for i in t.items if i.level != "info"]
        lines.append(f"  {t.source} -> {t.target}: {t.effort}"
                     + (f", {len(worst)} to review" if worst else ""))
        lines += [f"    {i.level.upper()}: {i.message}" for i in t.items if i.level == "error"]
    lines += [f"  ERROR: {i.message}" for i in assessment.objects + assessment.checks
              if i.level == "error"]
    lines.append(verdict(assessment))
    return redact_known("\n".join(lines))


def verdict(assessment: Assessment) -> str:
    """One line: the task can run, will refuse to run, or will run and fail on the items
    named (an ERROR item always stands against "can run")."""
    s = assessment.summary()
    if s["runnable"]:
        return "  the task can run"
    if s["refused"]:
        return "  the task will refuse to run until the errors above are fixed"
    failing = [f"{i.table or 'task'}" + (f".{i.column}" if i.column else "") + f" ({i.category})"
               for i in assessment.items() if i.level == "error"]
    return ("  the task can start but will not succeed: these items will fail until fixed: "
            + ", ".join(dict.fromkeys(failing)))
