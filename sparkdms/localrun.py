"""Direct copies on a local master without the JVM.

A direct copy (connectors/sql/direct.py) uses Spark only to run one Python function per
partition on the executors. On a plain local master (``local``, ``local[N]``, ``local[*]``:
one machine, no task retries) that is what a pool of N Python processes does too, minus the
JVM's start (about 8 s of every run). So when every table of a task is a direct copy, the run
gets a ``LazySpark``: the session starts only if something asks for it (a table redone
through Spark rows after a refused value), and until then ``run_tasks`` runs the partitions
in worker processes, each told its partition index as Spark's TaskContext would.

Cluster masters and ``local[N,F]`` (retries) always go through Spark.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

LOCAL = re.compile(r"local(?:\[(\*|\d+)\])?")

_task = threading.local()  # (partition index, attempt id) of the task running in this worker


def local_slots(master: str) -> int | None:
    """Task slots of a plain local master (no retries), else None."""
    m = LOCAL.fullmatch(master.strip())
    if m is None:
        return None
    n = m.group(1)
    if n is None:  # "local"
        return 1
    return (os.cpu_count() or 1) if n == "*" else max(1, int(n))


class LazySpark:
    """The run's Spark session, started on first use by ``start`` (which prints its lines).
    ``started``: whether it has been; ``slots``: the local master's task slots."""

    def __init__(self, start: Callable[[], Any], slots: int) -> None:
        self._start, self.slots = start, slots
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._session is not None

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = self._start()
            return self._session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session(), name)


def is_started(spark: Any) -> bool:
    """False only for a LazySpark whose session has not started."""
    return not isinstance(spark, LazySpark) or spark.started


def session_of(spark: Any) -> Any:
    """The SparkSession itself (a LazySpark's starts now)."""
    return spark.session() if isinstance(spark, LazySpark) else spark


def spark_running() -> bool:
    """Under spark-submit (its master decides), or a session already up in this process
    (a notebook, the tests): then Spark runs the tasks, at no start cost."""
    if os.environ.get("SPARKDMS_UNDER_SUBMIT"):
        return True
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def deferred(prep: Any, master: str | None, start: Callable[[], Any]) -> LazySpark | None:
    """A LazySpark when the run may need no Spark: ``Sparkdms.DirectCopyWithoutJvm``, a plain
    local master and no session running yet, a full load, and every table a direct copy.
    Validation (``EnableValidation``) asks for the session only for a side it cannot compare
    in the databases' SQL."""
    task = prep.task
    slots = local_slots(master or task.spark.get("master") or "local[*]")
    if slots is None or spark_running():
        return None
    if (not task.settings["Sparkdms.DirectCopyWithoutJvm"]
            or task.migration_type != "full-load" or not prep.plan.tables):
        return None
    if not all(prep.target.can_direct_copy(prep.source, tp, task.settings)
               for tp in prep.plan.tables):
        return None
    warm(slots, [type(prep.source).__module__, type(prep.target).__module__])
    return LazySpark(start, slots)


_labels = threading.local()  # the table this thread loads (progress.job_group)
_counts: dict[str, tuple[int, int]] = {}  # label -> (tasks, tasks done) run locally


def label_tasks(label: str) -> None:
    """Count the tasks this thread runs locally under ``label`` (a table), for the progress."""
    _labels.name = label


def tasks_of(label: str) -> tuple[int, int] | None:
    """(tasks, tasks done) of ``label``'s local tasks so far, if any ran."""
    return _counts.get(label)


def current_task() -> tuple[int, int] | None:
    """(partition index, attempt id) of the task this worker process runs, if any."""
    return getattr(_task, "where", None)


def _run_one(blob: bytes, index: int, attempt: int) -> Any:
    from pyspark import cloudpickle

    _task.where = (index, attempt)
    try:
        return cloudpickle.loads(blob)(index)
    finally:
        _task.where = None


_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(slots: int) -> ProcessPoolExecutor:
    import multiprocessing

    with _pools_lock:
        if slots not in _pools:
            # spawn: the run has threads (tables, progress), which fork would copy mid-lock
            _pools[slots] = ProcessPoolExecutor(slots, mp_context=multiprocessing.get_context("spawn"))
        return _pools[slots]


def _imports(modules: Sequence[str]) -> None:
    import importlib

    from pyspark import cloudpickle  # noqa: F401

    for name in modules:
        importlib.import_module(name)


def warm(slots: int, modules: Sequence[str] = ()) -> None:
    """Start the pool's worker processes now, each importing ``modules`` (the engines' own,
    which a task unpickles) while the driver prepares the tables."""
    pool = _pool(slots)
    for _ in range(slots):
        pool.submit(_imports, tuple(modules))


@atexit.register
def _shutdown() -> None:
    for pool in _pools.values():
        pool.shutdown(wait=True, cancel_futures=True)


def _count(label: str, futures: list[Future]) -> None:
    lock = threading.Lock()
    _counts[label] = (len(futures), 0)

    def one_done(_: Future) -> None:
        with lock:
            total, done = _counts[label]
            _counts[label] = (total, done + 1)

    for f in futures:
        f.add_done_callback(one_done)


def run_tasks(spark: Any, items: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``fn(item)`` once per item, one task each, results in item order: on Spark's executors,
    or, for a LazySpark not started, in its local worker processes (the first failure fails
    the whole, as a local master's job without retries)."""
    if is_started(spark):
        return spark.sparkContext.parallelize(list(items), max(1, len(items))).map(fn).collect()
    from pyspark import cloudpickle

    items = list(items)
    blob = cloudpickle.dumps(lambda i: fn(items[i]))
    pool = _pool(spark.slots)
    futures: list[Future] = [pool.submit(_run_one, blob, i, uuid.uuid4().int >> 65)
                             for i in range(len(items))]
    label = getattr(_labels, "name", None)
    if label is not None:
        _count(label, futures)
    done, pending = wait(futures, return_when=FIRST_EXCEPTION)
    failed = next((f for f in futures if f in done and f.exception() is not None), None)
    if failed is None:
        return [f.result() for f in futures]
    for f in pending:
        f.cancel()
    wait(pending)  # the running ones end (their transactions commit or roll back)
    error = failed.exception()
    if isinstance(error, BrokenProcessPool):  # a worker died: the next table gets a new pool
        with _pools_lock:
            _pools.pop(spark.slots, None)
    raise error  # type: ignore[misc]
