"""Live progress of a run: what is happening from the first second, then per table rows done /
estimated, rows/s and ETA.

On a terminal the tables are bars refreshed in place (``rich.progress``); otherwise (a pipe,
a log, CI) one plain line every ``PLAIN_EVERY`` seconds. Rows done are read from Spark's own
bookkeeping, never counted by sparkdms in the data path: the records the table's stages
read (the Spark UI's REST API, when the UI is on) or, failing that, the table's completed
tasks (``statusTracker``) times the row estimate. A table's Spark jobs carry its job group
(``load_table`` sets it to the table's source label).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sparkdms.report import TABLE_COMPLETED, TABLE_ERROR, TABLE_LOADING, Report, TableStats


def say(out: TextIO, *lines: str) -> None:
    """Lines written at once: tables load in threads, and ``print`` writes a line's text and
    its newline apart, so two tables' lines could run together."""
    out.write("".join(f"{line}\n" for line in lines))
    out.flush()


PLAIN_EVERY = 15.0  # seconds between two plain progress lines (SPARKDMS_PROGRESS_SECONDS)
LIVE_EVERY = 1.0  # seconds between two samples on a terminal
VALIDATING = "validating"


@dataclass
class Sample:
    """What Spark says of one table's jobs so far."""

    tasks: int = 0
    done_tasks: int = 0
    records: int = 0


@dataclass
class TableView:
    label: str
    estimate: int
    state: str = "waiting"  # waiting, loading, validating, done, failed
    rows: int = 0
    exact: bool = False  # rows counted by the load (finished), not estimated from Spark
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.state != "loading" or not self.rate or self.estimate <= self.rows:
            return None
        return (self.estimate - self.rows) / self.rate


def rows_done(sample: Sample, estimate: int) -> int:
    """Rows from records read when Spark counted them (more records than tasks: rows, not
    a direct copy's queries), else from the share of the table's tasks that finished."""
    by_tasks = int(estimate * sample.done_tasks / sample.tasks) if sample.tasks else 0
    if sample.records > sample.tasks:
        return max(sample.records, by_tasks) if sample.records < estimate else sample.records
    return by_tasks


def plain_every() -> float:
    import os

    try:
        return max(0.2, float(os.environ.get("SPARKDMS_PROGRESS_SECONDS", PLAIN_EVERY)))
    except ValueError:
        return PLAIN_EVERY


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def plain_line(elapsed: float, views: Sequence[TableView]) -> str:
    """The line printed every PLAIN_EVERY seconds when the console is not a terminal."""
    finished = sum(v.state in ("done", "failed", VALIDATING) for v in views)
    parts = [f"[{elapsed:5.0f}s] {finished}/{len(views)} tables loaded"]
    for v in views:
        if v.state == "loading":
            of = f"/~{v.estimate:,}" if v.estimate else ""
            share = f" ({min(100, 100 * v.rows // v.estimate)}%)" if v.estimate else ""
            parts.append(f"loading {v.label} {v.rows:,}{of} rows{share}, {v.rate:,.0f} rows/s, "
                         f"ETA {duration(v.eta)}")
        elif v.state == VALIDATING:
            parts.append(f"validating {v.label}")
    waiting = sum(v.state == "waiting" for v in views)
    if waiting:
        parts.append(f"{waiting} waiting")
    return "  " + "; ".join(parts)


class SparkRows:
    """Samples a table's jobs: task counts from ``statusTracker``, records read from the
    Spark UI's REST API (stage ``inputRecords``) when the UI is on. Any failure (Spark
    Connect has neither) leaves the sample empty: progress is never worth a failed run."""

    def __init__(self, spark: Any) -> None:
        self.tracker = self.url = None
        self.pending = spark  # a session not started yet (sparkdms/localrun.py) is read later
        self.attach()

    def attach(self) -> None:
        from sparkdms.localrun import is_started

        if self.pending is None or not is_started(self.pending):
            return
        spark, self.pending = self.pending, None
        try:
            sc = spark.sparkContext
            self.tracker = sc.statusTracker()
            if sc.uiWebUrl:
                self.url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages"
        except Exception:  # Spark Connect: no sparkContext
            pass

    def records(self) -> dict[int, int]:
        """inputRecords per stage id (running and finished stages)."""
        self.attach()
        if not self.url:
            return {}
        try:
            with urllib.request.urlopen(self.url, timeout=2) as reply:
                stages = json.load(reply)
        except Exception:
            return {}
        return {s["stageId"]: int(s.get("inputRecords") or 0) for s in stages}

    def sample(self, group: str, records: dict[int, int]) -> Sample:
        from sparkdms.localrun import tasks_of

        local = tasks_of(group)  # run in local worker processes, not on Spark
        out = Sample(*local) if local else Sample()
        if self.tracker is None:
            return out
        try:
            for job in self.tracker.getJobIdsForGroup(group):
                info = self.tracker.getJobInfo(job)
                for stage_id in info.stageIds if info else ():
                    stage = self.tracker.getStageInfo(stage_id)
                    if stage is not None:
                        out.tasks += stage.numTasks
                        out.done_tasks += stage.numCompletedTasks
                    out.records += records.get(stage_id, 0)
        except Exception:
            pass
        return out


def seconds_since(iso: str | None) -> float:
    if not iso:
        return 0.0
    from sparkdms.report import now

    return max(0.0, (now() - datetime.fromisoformat(iso)).total_seconds())


class Progress:
    """Follows a Report's tables while ``execute`` runs; ``validating(stats)`` marks a table
    whose validation started. ``out`` is where the run's own lines must go (on a terminal,
    above the bars)."""

    def __init__(self, report: Report, spark: Any, out: TextIO,
                 estimates: Sequence[int] | None = None, live: bool | None = None) -> None:
        self.report, self.spark_rows, self.out = report, SparkRows(spark), out
        estimates = estimates or [0] * len(report.tables)
        self.views = [TableView(f"{t.SchemaName}.{t.TableName}", e)
                      for t, e in zip(report.tables, estimates, strict=True)]
        self.validating_ids: set[int] = set()
        self.done = threading.Event()
        self.started = time.monotonic()
        self.live = None
        if live if live is not None else is_terminal(out):
            self.live = LiveBars(out, self.views)
            self.out = self.live.stream

    def validating(self, stats: TableStats) -> None:
        self.validating_ids.add(id(stats))

    def refresh(self) -> list[TableView]:
        records = self.spark_rows.records() if any(
            t.TableState == TABLE_LOADING for t in self.report.tables) else {}
        for t, v in zip(self.report.tables, self.views, strict=True):
            update_view(v, t, id(t) in self.validating_ids, self.spark_rows, records)
        return self.views

    def start(self) -> Progress:
        threading.Thread(target=self._loop, daemon=True, name="sdms-progress").start()
        return self

    def _loop(self) -> None:
        every = LIVE_EVERY if self.live else plain_every()
        while not self.done.wait(every):
            views = self.refresh()
            if self.live:
                self.live.update(views)
            else:
                print(plain_line(time.monotonic() - self.started, views), file=self.out,
                      flush=True)

    def stop(self) -> None:
        self.done.set()
        if self.live:
            self.live.update(self.refresh())
            self.live.stop()


STATES: tuple[tuple[Callable[[TableStats, bool], bool], str], ...] = (
    (lambda t, validating: t.TableState == TABLE_ERROR, "failed"),
    (lambda t, validating: t.TableState == TABLE_COMPLETED and validating
     and "ValidationState" not in t.extra, VALIDATING),
    (lambda t, validating: t.TableState == TABLE_COMPLETED, "done"),
    (lambda t, validating: t.TableState == TABLE_LOADING, "loading"),
)


def update_view(v: TableView, t: TableStats, validating: bool, spark_rows: SparkRows,
                records: dict[int, int]) -> None:
    v.state = next((state for test, state in STATES if test(t, validating)), "waiting")
    if v.state in ("done", "failed", VALIDATING):
        v.rows, v.exact, v.seconds = t.FullLoadRows, True, t.ElapsedSeconds
    elif v.state == "loading":
        v.seconds = seconds_since(t.FullLoadStartTime)
        v.rows = rows_done(spark_rows.sample(v.label, records), v.estimate)


def is_terminal(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except Exception:
        return False


class LiveBars:
    """The tables as rich progress bars, refreshed in place; lines written to ``stream``
    print above them."""

    def __init__(self, out: TextIO, views: Sequence[TableView]) -> None:
        from rich.console import Console
        from rich.file_proxy import FileProxy
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=out)
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.fields[rows]}"), TextColumn("{task.fields[rate]}"),
                             TimeRemainingColumn(), console=self.console, transient=True,
                             auto_refresh=False,
                             redirect_stderr=False)  # errors stay on stderr
        self.ids = [self.bars.add_task(v.label, total=v.estimate or None, rows="", rate="")
                    for v in views]
        self.stream = FileProxy(self.console, out)
        self.bars.start()

    def update(self, views: Sequence[TableView]) -> None:
        for task_id, v in zip(self.ids, views, strict=True):
            total = max(v.estimate, v.rows) if v.state != "done" else v.rows
            self.bars.update(task_id, description=f"{v.label} ({v.state})",
                             completed=v.rows, total=total or None,
                             rows=f"{v.rows:,}" + (f"/~{v.estimate:,}" if v.estimate and not
                                                   v.exact else "") + " rows",
                             rate=f"{v.rate:,.0f} rows/s")
        self.bars.refresh()

    def stop(self) -> None:
        self.stream.flush()
        self.bars.stop()


def spark_start_line(master: str, packages: Sequence[str]) -> str:
    """The line printed before the session starts: Ivy's first resolution can take a minute."""
    from sparkdms.jarcache import cached_jars
    from sparkdms.spark import local_jars

    line = f"Starting Spark ({master})"
    if packages and not (local_jars(list(packages)) or cached_jars(list(packages))):
        line += f"; resolving JDBC drivers and engine jars ({', '.join(packages)}), " \
                "once per machine"
    return line + " ..."


def ui_url(spark: Any) -> str | None:
    try:
        return spark.sparkContext.uiWebUrl
    except Exception:  # Spark Connect: the server's UI, not ours
        return None


def run_info(spark: Any, start_seconds: float | None) -> dict[str, Any]:
    """The report's "run" section: versions, application id, time spent starting Spark
    (``spark_started`` false: every table was a direct copy, sparkdms/localrun.py)."""
    from sparkdms import __version__
    from sparkdms.localrun import is_started

    if not is_started(spark):
        return {"sparkdms_version": __version__, "spark_started": False,
                "master": f"local[{spark.slots}] (direct copies in worker processes)"}
    info: dict[str, Any] = {"sparkdms_version": __version__, "spark_version": spark.version,
                            "spark_start_seconds": round(start_seconds or 0.0, 3)}
    for key, read in (("application_id", lambda: spark.conf.get("spark.app.id")),
                      ("master", lambda: spark.conf.get("spark.master")),
                      ("spark_ui", lambda: ui_url(spark))):
        try:
            info[key] = read()
        except Exception:
            info[key] = None
    return info


def start_spark_said(prep: Any, master: str | None, extra_conf: dict[str, str],
                     out: TextIO) -> tuple[Any, float]:
    """``app.start_spark`` with a line before (Ivy's first resolution can take a minute) and
    one after (Spark version, seconds, the UI's URL); returns the session and the seconds."""
    from sparkdms.app import start_spark
    from sparkdms.jvm import packages_for

    shown = master or prep.task.spark.get("master") or "local[*]"
    print(spark_start_line(shown, packages_for([prep.source.engine, prep.target.engine])),
          file=out, flush=True)
    began = time.monotonic()
    spark = start_spark(prep, master, extra_conf)
    seconds = time.monotonic() - began
    url = ui_url(spark)
    ui = f"; Spark UI: {url} (while it runs; --no-ui turns it off)" if url else ""
    print(f"Spark {spark.version} started in {seconds:.1f}s{ui}", file=out, flush=True)
    return spark, seconds


def job_group(spark: Any, label: str) -> None:
    """Tag this thread's Spark jobs with the table (the Spark UI shows it; the progress reads
    it); on Spark Connect, which has no sparkContext, a job tag instead. A session not
    started yet (sparkdms/localrun.py) is not started for it."""
    from sparkdms.localrun import is_started, label_tasks

    if not is_started(spark):
        label_tasks(label)
        return
    try:
        spark.sparkContext.setJobGroup(label, f"sparkdms load {label}")
    except Exception:
        try:
            spark.clearTags()
            spark.addTag("sparkdms-" + "".join(c if c.isalnum() else "_" for c in label))
        except Exception:
            pass
