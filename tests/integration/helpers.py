"""Small helpers shared by integration tests: task files and row fetching."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


def selection(schema: str, table: str = "%", action: str = "include", rule_id: str = "1") -> dict:
    return {"rule-type": "selection", "rule-id": rule_id, "rule-name": f"sel-{rule_id}",
            "object-locator": {"schema-name": schema, "table-name": table}, "rule-action": action}


def write_task(folder: Path, source: dict, target: dict, rules: list[dict],
               settings: dict | None = None, name: str = "itest", **extra: Any) -> Path:
    doc = {"name": name, "migration_type": "full-load", "source": source, "target": target,
           "table_mappings": {"rules": rules},
           "settings": settings or {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"}},
           **extra}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def fetch(conn: Any, sql: str, params: tuple = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


def utc_naive(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def normalise(rows: list[tuple], *, bool_as_int: bool = False) -> Counter:
    def one(v: Any) -> Any:
        v = utc_naive(v)
        if isinstance(v, memoryview | bytearray):
            return bytes(v)
        if bool_as_int and isinstance(v, bool):
            return int(v)
        return v

    return Counter(tuple(one(v) for v in row) for row in rows)


def assert_same_rows(source: Counter, target: Counter) -> None:
    missing = source - target
    extra = target - source
    assert not missing and not extra, (
        f"source minus target ({sum(missing.values())} rows): {list(missing)[:3]}\n"
        f"target minus source ({sum(extra.values())} rows): {list(extra)[:3]}")


# A PostgreSQL function that raises once, at row ``k``, inside the JDBC read (not in the
# tests' own psycopg sessions): the source read of a partition fails near its end.
FAULT_ONCE_SQL = [
    "CREATE SEQUENCE public.fault_once",
    """CREATE FUNCTION public.fault_at(i int, k int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF i = k AND current_setting('application_name') LIKE 'PostgreSQL JDBC%'
     AND nextval('public.fault_once') = 1 THEN
    RAISE EXCEPTION 'injected fault at row %', i;
  END IF;
  RETURN true;
END $$""",
]


class WriteLoad(threading.Thread):
    """A change load on a source while a task runs: ``step(conn, n)`` for n = 1000, 1001, ...
    on one autocommit connection from ``connect()``, until ``stop`` is set. ``done`` counts
    the steps; the first error is kept in ``error`` for the test to raise."""

    def __init__(self, connect: Callable[[], Any], pause: float) -> None:
        super().__init__(daemon=True)
        self.connect, self.pause = connect, pause
        self.stop, self.done = threading.Event(), 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.connect() as conn:
                while not self.stop.is_set():
                    self.step(conn, 1000 + self.done)
                    self.done += 1
                    time.sleep(self.pause)
        except BaseException as err:
            self.error = err

    @staticmethod
    def step(conn: Any, n: int) -> None:
        raise NotImplementedError

    def during(self, action: Callable[[], Any]) -> tuple[Any, int]:
        """Run ``action`` while the load writes: its result, and the steps done meanwhile
        (the load is stopped after it, and its error raised)."""
        self.start()
        try:
            result = action()
            done = self.done
        finally:
            self.stop.set()
            self.join()
        assert self.error is None, self.error
        return result, done


def run_with_task_retries(task: Path, report: Path) -> subprocess.CompletedProcess[str]:
    """``sparkdms run`` in its own process on ``local[2,3]`` (3 attempts per Spark task, which
    an in-process session cannot change), asserted to succeed."""
    done = subprocess.run([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master",
                           "local[2,3]", "--report", str(report)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def load_direct_or_not(tmp_path: Path, src: dict, dst: dict, schema: str, table: str,
                       direct: bool, sparkdms: dict | None = None, **settings: Any) -> dict:
    """One table loaded with ``Sparkdms.DirectCopy`` on or off, in a folder of its own
    (DROP_AND_CREATE); the table's report entry."""
    from tests.integration.test_full_load import run_ok

    folder = tmp_path / ("direct" if direct else "dataframe")
    folder.mkdir(exist_ok=True)
    task = write_task(folder, src, dst, [selection(schema, table)],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"DirectCopy": direct, **(sparkdms or {})}, **settings})
    return run_ok(task, folder / "r.json")["tables"][0]


def run_while_cutting(task: Path, report: Path, cut: Callable[[threading.Event, list], None],
                      timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], list]:
    """``sparkdms run`` in its own process on ``local[2,4]`` (Spark retries a failed task)
    while ``cut(done, killed)`` runs in a thread, appending what it cut to ``killed`` until
    ``done`` is set; the run and what was cut."""
    done, killed = threading.Event(), []
    cutter = threading.Thread(target=cut, args=(done, killed))
    cutter.start()
    try:
        run = subprocess.run([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master",
                              "local[2,4]", "--report", str(report)],
                             capture_output=True, text=True, timeout=timeout)
    finally:
        done.set()
        cutter.join()
    return run, killed
