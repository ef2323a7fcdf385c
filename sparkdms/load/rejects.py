"""Rows the target refuses, on the driver: the policy that decides (AWS DMS's
``ErrorBehavior`` names), the reject file, the counts and the console lines.

A rejected row (a value out of range for its target type, a string over ``VARCHAR(n)``, a
NULL into NOT NULL, NaN into MySQL, a NUL character into PostgreSQL, a check constraint...)
is found on the executor before the write where the plan knows the target's limit, or by
retrying a batch the target refused in halves down to the row
(``sparkdms.connectors.sql.rejects``). It travels to the driver in the result of the task
attempt that Spark reports successful, so a retried attempt never counts its rows twice.

Per kind, one policy governs: a value too long for its column is a truncation
(``DataTruncationErrorPolicy``), everything else a data error (``DataErrorPolicy``):

  LOG_ERROR      the row is not loaded; it goes, with its key, column, value and reason, to
                 the target's exceptions table (``awsdms_apply_exceptions``) and the reject
                 file; the console shows the first ones
  IGNORE_RECORD  the same, but the console shows only the count
  SUSPEND_TABLE  the table fails (nothing of it is committed), naming the first row
  STOP_TASK      as SUSPEND_TABLE, and the task starts no further table

Past ``DataErrorEscalationCount`` rejected rows of one table (0: no limit), the table fails
as ``DataErrorEscalationPolicy`` says (SUSPEND_TABLE or STOP_TASK). Rejected rows count in
``FullLoadErrorRows``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sparkdms.errors import TableLoadError
from sparkdms.task.secrets import redact_known

DATA, TRUNCATION = "data", "truncation"
POLICY_SETTING = {DATA: "ErrorBehavior.DataErrorPolicy",
                  TRUNCATION: "ErrorBehavior.DataTruncationErrorPolicy"}
ESCALATION_POLICY = "ErrorBehavior.DataErrorEscalationPolicy"
ESCALATION_COUNT = "ErrorBehavior.DataErrorEscalationCount"
STOPPING = ("SUSPEND_TABLE", "STOP_TASK")
SHOWN = 5  # rejects the console names per table under LOG_ERROR

Reject = Mapping[str, Any]  # key, column, value, reason, kind, row, statement (see reject())


class RejectedRowsError(TableLoadError):
    """The table's rejected rows stop it (a stopping policy, or past the escalation count)."""

    def __init__(self, table: str, problem: str, stop_task: bool) -> None:
        super().__init__(table, "load", problem)
        self.stop_task = stop_task


@dataclass(frozen=True)
class Policy:
    """The task's error settings for rejected rows (picklable: executors read it too)."""

    data: str = "LOG_ERROR"
    truncation: str = "LOG_ERROR"
    escalation: str = "SUSPEND_TABLE"
    escalate_after: int = 0  # 0: no limit

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(settings[POLICY_SETTING[DATA]], settings[POLICY_SETTING[TRUNCATION]],
                   settings[ESCALATION_POLICY], settings[ESCALATION_COUNT])

    def of(self, kind: str) -> str:
        return self.truncation if kind == TRUNCATION else self.data

    def verdict(self, rejects: Sequence[Reject]) -> tuple[str, str] | None:
        """(policy, setting that decided) when these rejects stop the table, else None."""
        for r in rejects:
            if self.of(r["kind"]) in STOPPING:
                return self.of(r["kind"]), POLICY_SETTING[r["kind"]]
        if self.escalate_after and len(rejects) > self.escalate_after:
            return self.escalation, ESCALATION_COUNT
        return None

    def stops(self, rejects: Sequence[Reject]) -> bool:
        """An executor may stop writing its partition: the table fails anyway."""
        return self.verdict(rejects) is not None


def key_text(reject: Reject) -> str:
    key = reject.get("key") or {}
    return ", ".join(f"{k}={v!r}" for k, v in key.items()) or "(no key)"


def describe(reject: Reject) -> str:
    """One line: key, column, value and reason of one rejected row."""
    column = f", column {reject['column']}" if reject.get("column") else ""
    value = reject.get("value")
    shown = "" if value is None else f", value {_short(value)!r}"
    return f"{key_text(reject)}{column}{shown}: {reject['reason']}"


def _short(value: Any, room: int = 80) -> Any:
    text = str(value)
    return text if len(text) <= room else text[:room] + "..."


def by_column(rejects: Sequence[Reject]) -> str:
    counts = Counter(r.get("column") or "(row)" for r in rejects)
    return ", ".join(f"{c} {n:,}" for c, n in counts.most_common())


class RejectFile:
    """The JSON-lines file of every rejected row of a run (tables load in parallel)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self.lock = threading.Lock()
        self.rows = 0
        if self.path is not None and self.path.exists():
            self.path.unlink()  # an earlier run's

    def add(self, task: str, table: str, source: str, rejects: Sequence[Reject]) -> None:
        if self.path is None or not rejects:
            return
        lines = [redact_known(json.dumps(
            {"task": task, "table": table, "source_table": source, **dict(r)},
            default=str, ensure_ascii=False)) + "\n" for r in rejects]
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(lines)
            self.rows += len(rejects)


def reject_file_for(report_path: str | Path | None) -> Path | None:
    """The reject file beside the JSON report: ``r.json`` -> ``r.rejects.jsonl``."""
    if not report_path:
        return None
    path = Path(report_path)
    return path.with_name(path.stem + ".rejects.jsonl")


def settle(*, target: Any, task: Any, plan: Any, stats: Any, rejects: Sequence[Reject],
           load_id: str, out: TextIO, file: RejectFile | None) -> None:
    """After a table's write, before its commit: record its rejected rows (exceptions table,
    reject file, statistics, console); raise RejectedRowsError when they stop the table."""
    if not rejects:
        return
    settings = task.settings
    policy = Policy.from_settings(settings)
    store = target.reject_store(settings)
    where = []
    if store is not None:
        store.write(plan, task.name, load_id, rejects)
        where.append(store.location(plan))
    if file is not None and file.path is not None:
        file.add(task.name, plan.target_label, plan.source_label, rejects)
        where.append(f"file {file.path}")
    stats.FullLoadErrorRows = len(rejects)
    stats.extra.update({"RejectedRows": len(rejects), "RejectedByColumn": by_column(rejects),
                        "RejectsAt": "; ".join(where) or "nowhere (the target keeps none)"})
    verdict = policy.verdict(rejects)
    if verdict is not None:
        raise RejectedRowsError(plan.source_label, stop_message(policy, verdict, rejects),
                                verdict[0] == "STOP_TASK")
    kinds = sorted({f"{POLICY_SETTING[r['kind']].split('.')[1]} {policy.of(r['kind'])}"
                    for r in rejects})
    print(f"  rejects {plan.source_label}: {len(rejects):,} row(s) refused by the target, not "
          f"loaded ({', '.join(kinds)}): {by_column(rejects)}; see {' and '.join(where)}",
          file=out, flush=True)
    if any(policy.of(r["kind"]) == "LOG_ERROR" for r in rejects):
        for r in rejects[:SHOWN]:
            print(f"          {describe(r)}", file=out, flush=True)


def stop_message(policy: Policy, verdict: tuple[str, str], rejects: Sequence[Reject]) -> str:
    action, setting = verdict
    first = describe(rejects[0])
    if setting == ESCALATION_COUNT:
        return (f"{len(rejects):,} row(s) refused by the target, more than "
                f"{ESCALATION_COUNT} {policy.escalate_after:,} ({ESCALATION_POLICY} {action}): "
                f"nothing of the table is committed; first: {first}")
    return (f"a row refused by the target ({setting} {action}): nothing of the table is "
            f"committed; {first}")


def summary_line(report: Any) -> str | None:
    """The closing console line when rows were rejected: how many, and where they are."""
    rows = sum(int(t.extra.get("RejectedRows", 0)) for t in report.tables)
    if not rows:
        return None
    places = sorted({t.extra["RejectsAt"] for t in report.tables if t.extra.get("RejectsAt")})
    return f"{rows:,} row(s) rejected by the target: see {'; '.join(places)}"
