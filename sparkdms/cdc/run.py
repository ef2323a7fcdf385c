"""The change-processing loop of one task (see sparkdms/cdc/__init__.py)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from sparkdms.cdc.frame import apply_steps
from sparkdms.cdc.policy import refuse_hook
from sparkdms.cdc.revalidate import Changed, revalidate
from sparkdms.cdc.steps import ChangeApplyError, Stepper
from sparkdms.connectors.base import Change, ChangeApplier, ChangeStream, Checkpoint
from sparkdms.errors import SparkDmsError
from sparkdms.report import TABLE_ERROR, Report

FULL_LOAD, CHANGES = "FULL LOAD", "CHANGE PROCESSING"
STAT_NAMES = {"insert": "Inserts", "update": "Updates", "delete": "Deletes",
              "truncate": "Truncates"}


@dataclass
class Cdc:
    """What change processing needs, checked before Spark starts (``prepare``)."""

    prep: Any  # sparkdms.app.Prepared
    stream: ChangeStream
    applier: ChangeApplier
    stop: threading.Event = field(default_factory=threading.Event)
    applied: Counter = field(default_factory=Counter)  # (table label, op) -> changes
    refused: list[int] = field(default_factory=lambda: [0])
    stepper: Any = None  # sparkdms.cdc.steps.Stepper
    changed: Changed = field(default_factory=Changed)  # keys applied, for re-validation


def prepare(prep: Any) -> Cdc:
    """The task's change stream and applier, or a SparkDmsError saying why there is none."""
    task = prep.task
    stream = prep.source.change_stream(task.name, prep.plan.tables, task.settings)
    if stream is None:
        raise SparkDmsError(f"migration_type {task.migration_type}: the {prep.source.engine} "
                            "source has no change data capture in sparkdms")
    applier = prep.target.change_applier(task.settings)
    if applier is None:
        raise SparkDmsError(f"migration_type {task.migration_type}: the {prep.target.engine} "
                            "target cannot apply changes in sparkdms")
    from sparkdms.plan.build import rules_for
    from sparkdms.plan.mapping.selection import table_wanted

    rules = rules_for(task)
    cdc = Cdc(prep, stream, applier)
    cdc.stepper = Stepper(prep.plan.tables, task.settings, lambda s, t: table_wanted(rules, s, t))
    return cdc


def run(cdc: Cdc, spark: Any, load: Callable[[], Report], follow: bool,
        out: TextIO, validator: Any = None) -> Report:
    """Full load (when the task has one and it is not done), then changes; the report.
    With ``validator`` (EnableValidation), the keys the run changed are compared after."""
    task = cdc.prep.task
    cdc.prep.target.bind(spark)  # targets that work through Spark (Delta)
    cp = cdc.applier.checkpoint(task.name)
    at_time = _start_at_time(cdc, cp)  # before start(): a PostgreSQL slot would start now
    start = cdc.stream.start()
    if task.migration_type == "full-load-and-cdc" and (cp is None or cp.phase == FULL_LOAD):
        position = cp.position if cp else start
        cdc.applier.save(task.name, Checkpoint(position, FULL_LOAD))
        print(f"  cdc     changes kept from {position} (before the snapshot)", file=out,
              flush=True)
        report = load()
        if report.error or any(t.TableState == TABLE_ERROR for t in report.tables):
            report.notes.append("the full load failed: changes were not applied; run the task "
                                "again (it reloads, then applies from the same position)")
            return report
        cp = Checkpoint(position, CHANGES)
        cdc.applier.save(task.name, cp)
    else:
        report = _no_load_report(cdc, cp)
        if cp is None:
            cp = Checkpoint(task.cdc.get("CdcStartPosition") or at_time or start, CHANGES)
            cdc.applier.save(task.name, cp)
    try:
        with _signals(cdc.stop, follow):
            catch_up(cdc, spark, cp, follow, out)
    except Exception as err:
        from sparkdms.explain import explain

        report.error = f"change processing stopped: {explain(err, task.secrets)}"
    finally:
        cdc.stream.close()
    _statistics(cdc, report)
    if validator is not None and not report.error:
        revalidate(validator, cdc.prep.plan.tables, cdc.changed, report, out)
    return report


def _start_at_time(cdc: Cdc, cp: Checkpoint | None) -> str | None:
    """``CdcStartTime`` of a ``cdc`` task without a checkpoint: the stream's position for it
    (``ChangeStream.position_at``); None when the task does not start at a time."""
    task = cdc.prep.task
    when = task.cdc.get("CdcStartTime")
    if cp is not None or task.migration_type != "cdc" or not when or \
            task.cdc.get("CdcStartPosition"):
        return None
    position_at = getattr(cdc.stream, "position_at", None)
    if position_at is None:
        raise SparkDmsError(f"CdcStartTime: the {cdc.prep.source.engine} source cannot start "
                            "change processing at a time in sparkdms; give CdcStartPosition")
    return str(position_at(_utc(datetime.fromisoformat(when))))


def _no_load_report(cdc: Cdc, cp: Checkpoint | None) -> Report:
    from sparkdms.load.execute import new_report

    report = new_report(cdc.prep.plan)
    for stats in report.tables:
        stats.start()
        stats.finish(0)
    if cp is not None:
        report.notes.append(f"change processing resumed from checkpoint {cp.position}")
    return report


def _statistics(cdc: Cdc, report: Report) -> None:
    labels = {tp.source_label: st for tp, st in
              zip(cdc.prep.plan.tables, report.tables, strict=True)}
    for (label, op), n in cdc.applied.items():
        stats = labels.get(label)
        if stats is not None:
            stats.extra[STAT_NAMES[op]] = stats.extra.get(STAT_NAMES[op], 0) + n
    report.notes.append(f"change processing: {sum(cdc.applied.values()):,} changes applied, "
                        f"{cdc.refused[0]} refused (awsdms_apply_exceptions)")


@contextmanager
def _signals(stop: threading.Event, follow: bool) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (the loop ends at its next checkpoint) while following."""
    if not follow or threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = lambda *_: stop.set()  # noqa: E731
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# -- the loop ---------------------------------------------------------------------------------

def _stop_rule(task: Any) -> tuple[str | None, datetime | None]:
    """CdcStopPosition: a source position, or ``server_time:``/``commit_time:`` and a time."""
    stop = task.cdc.get("CdcStopPosition")
    if not stop:
        return None, None
    kind, sep, when = stop.partition(":")
    if sep and kind.lower() in ("server_time", "commit_time"):
        return None, _utc(datetime.fromisoformat(when.strip()))
    return stop, None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _batch_size(settings: Any) -> int:
    split = settings["ChangeProcessingTuning.BatchSplitSize"]
    return split or max(settings["ChangeProcessingTuning.MinTransactionSize"], 1)


def catch_up(cdc: Cdc, spark: Any, cp: Checkpoint, follow: bool, out: TextIO) -> None:
    task = cdc.prep.task
    until, stop_time = _stop_rule(task)
    start_time = task.cdc.get("CdcStartTime")
    start_at = _utc(datetime.fromisoformat(start_time)) if start_time else None
    poll = max(task.settings["ChangeProcessingTuning.BatchApplyTimeoutMin"], 0.2)
    meter = _Meter(out)
    position, last_time = cp.position, cp.source_time
    while True:
        done = False
        for batch in cdc.stream.read(position, until, _batch_size(task.settings)):
            changes = [c for c in batch.changes
                       if start_at is None or c.commit_time is None or c.commit_time >= start_at]
            if stop_time is not None:
                kept = [c for c in changes if c.commit_time is None or c.commit_time <= stop_time]
                done, changes = len(kept) < len(changes), kept
            end = changes[-1].position if done and changes else batch.position
            if done and not changes:
                break
            last_time = changes[-1].commit_time if changes else last_time
            apply_batch(cdc, spark, changes, Checkpoint(end, CHANGES, last_time))
            position = end
            meter.batch(len(changes), last_time, position)
            if done or cdc.stop.is_set():
                break
        if done or not follow or cdc.stop.is_set() or until is not None:
            meter.summary(position)
            return
        cdc.stop.wait(poll)
        if cdc.stop.is_set():
            meter.summary(position)
            return


def apply_batch(cdc: Cdc, spark: Any, changes: Sequence[Change], cp: Checkpoint) -> None:
    """One batch: steps, target rows, one target transaction with the checkpoint, then the
    source is told."""
    task = cdc.prep.task
    steps = cdc.stepper.steps(changes)
    applied = apply_steps(spark, steps) if steps else []
    cdc.applier.apply(task.name, applied, cp, refuse_hook(task.settings, cdc.refused))
    cdc.stream.confirm(cp.position)
    cdc.changed.add(steps)
    for change in changes:
        label = f"{change.schema}.{change.table}"
        cdc.applied[(label, change.op)] += 1


class _Meter:
    """Changes per second and lag (now minus the last applied commit), every few seconds."""

    def __init__(self, out: TextIO, every: float = 5.0) -> None:
        self.out, self.every = out, every
        self.began = self.last_print = time.monotonic()
        self.total = self.since_print = 0
        self.lag: float | None = None

    def batch(self, n: int, commit_time: Any, position: str) -> None:
        self.total += n
        self.since_print += n
        if isinstance(commit_time, datetime):
            self.lag = (datetime.now(UTC) - commit_time).total_seconds()
        now = time.monotonic()
        if now - self.last_print >= self.every:
            rate = self.since_print / (now - self.last_print)
            print(f"  cdc     {rate:,.0f} changes/s, lag {self._lag()}, at {position}",
                  file=self.out, flush=True)
            self.last_print, self.since_print = now, 0

    def _lag(self) -> str:
        return "-" if self.lag is None else f"{max(self.lag, 0):.1f}s"

    def summary(self, position: str) -> None:
        took = max(time.monotonic() - self.began, 1e-6)
        print(f"  cdc     {self.total:,} changes applied ({self.total / took:,.0f}/s), lag "
              f"{self._lag()}, checkpoint {position}", file=self.out, flush=True)


__all__ = ["ChangeApplyError", "prepare", "run"]
