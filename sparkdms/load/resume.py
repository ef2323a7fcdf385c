"""``sparkdms run --resume``: continue a failed or killed load from what it committed.

Every run of a task keeps, per table, a record on the target (``Target.resume_store``): the
load id, the fingerprint of the table's plan and how far it got (``loading`` ->
``committed`` -> ``done``). A task that ends without error forgets its records.

With ``--resume``, per table:

* record ``committed``/``done`` with the same fingerprint: the earlier run made the staging
  the target table; it is skipped ("resumed: already loaded"), and ``committed`` tables
  still get their indexes and constraints after the load;
* record ``loading`` with the same fingerprint, its staging table still there, every
  partition in the ledger inside the plan's partitions, and each committed partition's
  source rows (counted now with its predicate and the pushed filters) equal to the rows the
  ledger says it committed: the load id is kept and only the missing partitions are read
  and written (their ids kept: the writer maps Spark's index back, ``Partitioning.ids``);
* anything else: the table is reloaded whole, with a note saying why.

The fingerprint covers what decides the rows: source endpoint and table, columns (names,
types, expressions), filters, partition predicates, target DDL, prep mode. In-place updates
that keep every partition's count are not seen here: validation catches them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TextIO

from sparkdms.connectors.base import KeptPart, RunRecord, Source, Target, WriteResult
from sparkdms.plan import TablePlan
from sparkdms.report import Report, TableStats
from sparkdms.task import Task


def fingerprint(task: Task, tp: TablePlan, target: Target) -> str:
    """What decides the rows of one table's load, hashed."""
    doc = {
        "source": task.source.describe(),
        "table": [tp.source.schema, tp.source.name, tp.target_schema, tp.target_name],
        "columns": [[c.target_name, c.source_name, c.source.native_type if c.source else None,
                     c.target_type, c.nullable, c.expression, c.default] for c in tp.columns],
        "read": sorted(tp.read_columns),
        "filters": [f.describe() for f in tp.filters],
        "partitions": [tp.partitioning.method, tp.partitioning.column,
                       [p.describe() for p in tp.partitioning.parts]],
        "ddl": target.target_ddl(tp),
        "lob": repr(tp.lob_limit),
        "prep": task.settings["FullLoadSettings.TargetTablePrepMode"],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:40]


def remaining(tp: TablePlan, done: set[int]) -> TablePlan | None:
    """The plan reading only the partitions not in ``done`` (their ids kept), or None."""
    ids = tuple(i for i in range(tp.partitioning.count) if i not in done)
    if not ids:
        return None
    parts = tp.partitioning.parts
    if not parts or len(ids) == len(parts):
        return tp
    return replace(tp, partitioning=replace(tp.partitioning, ids=ids,
                                            parts=tuple(parts[i] for i in ids)))


def unchanged(source: Source, tp: TablePlan, kept: Sequence[KeptPart]) -> str | None:
    """Why the committed partitions cannot be kept, or None when they can."""
    ids = [k.part for k in kept]
    if len(set(ids)) != len(ids):
        return "the ledger holds two attempts of one partition"
    if any(not 0 <= i < tp.partitioning.count for i in ids):
        return "the ledger holds partitions the plan does not have"
    if not kept:
        return None
    unpushed = source.unpushable(tp, tp.filters)
    if unpushed:
        return "some filters are applied in Spark, so a partition's source rows cannot be counted"
    pushed = tuple(tp.filters)
    parts = tp.partitioning.parts
    counts = source.partition_counts(tp, tuple(parts[i] for i in ids) if parts else (), pushed)
    if counts is None:
        return f"the {source.engine} source cannot count a partition's rows"
    for k, now in zip(kept, counts, strict=True):
        if now != k.rows:
            return (f"partition {k.part} has {now:,} source rows now; the earlier load "
                    f"committed {k.rows:,}")
    return None


@dataclass
class TableRun:
    """One table's load in this run: its load id, the plan to read (only the missing
    partitions when resumed; None: nothing left to write), what the earlier load kept."""

    load_id: str
    plan: TablePlan | None
    kept: tuple[KeptPart, ...] = ()
    notes: tuple[str, ...] = ()
    resumed: bool = False


class Runs:
    """The records of a task's loads on its target, and the --resume decisions."""

    def __init__(self, task: Task, source: Source, target: Target, load_id: str,
                 resume: bool) -> None:
        self.task, self.source, self.target = task, source, target
        self.load_id, self.resume = load_id, resume
        self.store = target.resume_store()
        self._ids: dict[str, str] = {}
        self._prints: dict[str, str] = {}
        self.objects_done: set[str] = set()  # labels whose objects an earlier run created

    def table_load_id(self, tp: TablePlan) -> str:
        return self._ids.get(tp.target_label, self.load_id)

    def _fp(self, tp: TablePlan) -> str:
        if tp.target_label not in self._prints:
            self._prints[tp.target_label] = fingerprint(self.task, tp, self.target)
        return self._prints[tp.target_label]

    def begin(self, tp: TablePlan, stats: TableStats, out: TextIO) -> TableRun | None:
        """Take the table for this run; None when an earlier run already loaded it (the
        table's statistics are then finished here)."""
        settings = self.task.settings
        if self.store is None:
            notes = list(self.target.prepare(tp, settings, self.load_id) or ())
            if self.resume:
                notes.insert(0, f"{tp.target_label}: the {self.target.engine} target cannot "
                                "resume a load; the table is reloaded whole")
            return TableRun(self.load_id, tp, notes=tuple(notes))
        rec = self.store.record_of(self.task.name, tp, settings) if self.resume else None
        if rec is not None and rec.fingerprint == self._fp(tp):
            if rec.state in ("committed", "done"):
                return self._already(tp, stats, rec, out)
            if rec.state == "loading":
                return self._continue(tp, rec)
        notes = list(self.target.prepare(tp, settings, self.load_id) or ())
        if rec is not None:
            notes.insert(0, f"{tp.target_label}: not resumed, reloaded whole: the table's plan "
                            "(columns, filters, partitions or target DDL) changed since load "
                            f"{rec.load_id}")
        self._mark(tp, self.load_id, "loading")
        return TableRun(self.load_id, tp, notes=tuple(notes))

    def _already(self, tp: TablePlan, stats: TableStats, rec: RunRecord,
                 out: TextIO) -> None:
        if rec.state == "done":
            self.objects_done.add(tp.target_label)
        stats.start()
        stats.extra["Resumed"] = "already loaded"
        stats.finish(rec.rows)
        print(f"  resumed: already loaded {tp.target_label} ({rec.rows:,} rows, load "
              f"{rec.load_id})", file=out, flush=True)
        return None

    def _continue(self, tp: TablePlan, rec: RunRecord) -> TableRun:
        assert self.store is not None
        settings = self.task.settings
        self._ids[tp.target_label] = rec.load_id
        notes = self.store.take(tp, settings, rec.load_id)
        kept = self.store.kept(tp, settings, rec.load_id)
        why = "its staging table is gone (the load failed and was rolled back)" \
            if kept is None else self._unresumable(tp) or unchanged(self.source, tp, kept)
        if why is not None or kept is None:
            notes += self.store.restart(tp, settings, rec.load_id)
            notes.insert(0, f"{tp.target_label}: not resumed, reloaded whole: {why}")
            return TableRun(rec.load_id, tp, notes=tuple(notes))
        left = remaining(tp, {k.part for k in kept})
        count = tp.partitioning.count
        notes.insert(0, f"{tp.target_label}: resumed load {rec.load_id}: {len(kept)} of {count} "
                        f"partition(s) kept ({sum(k.rows for k in kept):,} rows), "
                        f"{count - len(kept)} to write")
        return TableRun(rec.load_id, left, tuple(kept), tuple(notes), resumed=True)

    def _unresumable(self, tp: TablePlan) -> str | None:
        if self.task.settings["TargetMetadata.ParallelLoadThreads"] > 0:
            return "TargetMetadata.ParallelLoadThreads repartitions the rows"
        return None

    def result(self, run: TableRun, written: WriteResult | None) -> WriteResult:
        if not run.resumed or self.store is None:
            assert written is not None
            return written
        return self.store.merged(run.kept, written)

    def _mark(self, tp: TablePlan, load_id: str, state: str, rows: int = 0) -> None:
        if self.store is not None:
            self.store.record(self.task.name, tp, self.task.settings,
                              RunRecord(load_id, self._fp(tp), state, rows))

    def committed(self, tp: TablePlan, run: TableRun, rows: int) -> None:
        self._mark(tp, run.load_id, "committed", rows)

    def finish(self, plans: Sequence[TablePlan], report: Report,
               objects_made: Sequence[TablePlan]) -> list[str]:
        """After the task: nothing to resume when it succeeded; else tables whose objects
        were created are ``done``. Notes (the target may be unreachable by now)."""
        if self.store is None:
            return []
        try:
            rows = {(f"{t.TargetSchema}.{t.TargetTable}" if t.TargetSchema else t.TargetTable):
                    t.FullLoadRows for t in report.tables}
            if report.status == "succeeded":
                self.store.forget(self.task.name, plans, self.task.settings)
                return []
            for tp in objects_made:
                rec = self.store.record_of(self.task.name, tp, self.task.settings)
                if rec is not None and rec.state == "committed":
                    self._mark(tp, rec.load_id, "done", rows.get(tp.target_label, rec.rows))
        except Exception as err:  # the load's outcome stands; --resume then redoes more
            return [f"the task's load records could not be updated ({type(err).__name__}: "
                    f"{str(err).splitlines()[0] if str(err) else ''}); run --resume reloads "
                    "what it cannot tell was finished"]
        return []

def post_load_tables(runs: Runs, loaded: Sequence[TablePlan]) -> list[TablePlan]:
    """Tables whose objects are still to be created (an earlier run made the others')."""
    return [tp for tp in loaded if tp.target_label not in runs.objects_done]
