"""Fault injection on the target side and in Spark, and ``run --resume``:

a. a target connection cut mid-load (a TCP proxy on loopback cuts the first connection that
   has sent more than N bytes): the task attempt is retried, the result is exact;
b. the target server going down mid-load: a private PostgreSQL cluster (initdb in a temporary
   folder, its own port) is stopped while one partition is being written; the run fails
   with the target as it was, the server comes back, ``--resume`` writes only the missing
   partition. And a restart as its connections see it (the proxy cuts all of them at once):
   the same run retries and finishes exact;
c. the driver killed with SIGKILL when the ledger shows every partition but one committed,
   then ``--resume``: only the missing partition is written (DataFrame and direct-copy paths);
d. an executor JVM killed on the standalone cluster while a partition is being written.

Every fault is triggered deterministically. One partition's writer is held at its K-th row:
the target table (TRUNCATE_BEFORE_LOAD keeps it, and the staging table is created LIKE it,
defaults included) has a column whose DEFAULT calls ``gate()``, which waits on an advisory
lock the test holds when a sequence reaches K. The test acts once the ledger shows the
other partitions committed and the held writer waiting (polled, never slept).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import SPARK_MASTER_UI, my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.proxy import CutProxy

ROWS = 30_000
PARTS = 6  # RowsPerPartition 5000 over ids 1..30000: six key ranges
GATE_KEY = 4242
GATE_AT = 7_000  # the row (across all partitions) whose writer waits on the gate
COLS = "id, v, amount, at, raw"
ROOT = Path(__file__).resolve().parents[2]

SOURCE_SQL = [
    "CREATE TABLE public.items (id int PRIMARY KEY, v text, amount numeric(18,6), "
    "at timestamptz, raw bytea)",
    f"INSERT INTO public.items SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE 'rów ' || i || "
    f"' ✓' END, i * 1.000001, timestamptz '2024-02-29 12:00:00+00' + i * interval '1 minute', "
    f"CASE WHEN i % 7 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END "
    f"FROM generate_series(1, {ROWS}) i",
    "ANALYZE public.items",
]

GATE_SQL = [
    "CREATE SEQUENCE public.gate_seq",
    f"""CREATE FUNCTION public.gate() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF nextval('public.gate_seq') = {GATE_AT} THEN
    PERFORM pg_advisory_lock_shared({GATE_KEY});
    PERFORM pg_advisory_unlock_shared({GATE_KEY});
  END IF;
  RETURN 0;
END $$""",
    "CREATE TABLE public.items (id int PRIMARY KEY, v text, amount numeric(18,6), "
    "at timestamptz, raw bytea, gate int DEFAULT public.gate())",
    "INSERT INTO public.items VALUES (-1, 'old', 1, NULL, NULL, 0), (-2, NULL, 2, NULL, NULL, 0)",
]


# -- helpers -----------------------------------------------------------------------------------

def seed(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        for sql in SOURCE_SQL:
            conn.execute(sql)


def rows_of(endpoint: dict) -> Any:
    if endpoint["engine"] == "postgres":
        with pg_connect(endpoint) as conn:
            return normalise(fetch(conn, f"SELECT {COLS} FROM public.items"))
    with my_connect(endpoint) as conn:
        return normalise(fetch(conn, f"SELECT {COLS} FROM items"))


def gated_target(endpoint: dict) -> Any:
    """The target table, existing, with its gate column; its rows before the run."""
    with pg_connect(endpoint) as conn:
        for sql in GATE_SQL:
            conn.execute(sql)
    return rows_of(endpoint)


def settings(prep: str = "TRUNCATE_BEFORE_LOAD", **own: Any) -> dict:
    return {"FullLoadSettings": {"TargetTablePrepMode": prep},
            "Sparkdms": {"RowsPerPartition": 5000, **own}}


def ledger_parts(endpoint: dict) -> int:
    with pg_connect(endpoint) as conn:
        found = fetch(conn, "SELECT to_regclass('public.sparkdms_load_attempts') IS NOT NULL")
        if not found[0][0]:
            return 0
        return fetch(conn, "SELECT count(*) FROM public.sparkdms_load_attempts "
                           "WHERE table_name = 'public.items'")[0][0]


def gate_waiting(endpoint: dict) -> bool:
    with pg_connect(endpoint) as conn:
        return fetch(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                           "NOT granted AND objid = %s", (GATE_KEY,))[0][0] > 0


def others_gone(endpoint: dict) -> bool:
    with pg_connect(endpoint) as conn:
        return fetch(conn, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
                           "pid <> pg_backend_pid()", (endpoint["database"],))[0][0] == 0


def wait_until(check: Callable[[], bool], proc: subprocess.Popen | None = None,
               timeout: float = 300, what: str = "") -> None:
    """Poll ``check`` (the fault's trigger condition); fail if the run ended first."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the run ended (rc {proc.returncode}) before {what}: {out[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def start_run(task: Path, *extra: str, master: str = "local[2,4]",
              env: dict | None = None) -> subprocess.Popen:
    """``sparkdms run`` in its own process group (its JVM and Python workers with it)."""
    return subprocess.Popen([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master",
                             master, *extra], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env=env)


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (PySpark's worker daemon leaves the run's process
    group, so a group kill would miss it), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def kill_tree(root: int) -> None:
    """SIGKILL a whole run at once, as a lost machine: driver, JVM, Python workers."""
    for pid in process_tree(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def finish_run(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def run(task: Path, *extra: str) -> tuple[int, str]:
    return finish_run(start_run(task, *extra))


def table_stats(report: Path) -> dict:
    return json.loads(report.read_text())["tables"][0]


def held_gate(endpoint: dict) -> Any:
    conn = pg_connect(endpoint, autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (GATE_KEY,))
    return conn


def release(conn: Any) -> None:
    try:
        conn.execute("SELECT pg_advisory_unlock(%s)", (GATE_KEY,))
    except Exception:  # the server went down with it: the lock went too
        pass
    conn.close()


@pytest.fixture
def pg_dst(pg_db: dict) -> Iterator[dict]:
    """A second database on the test server (dropped with ``pg_db``)."""
    dst = {**pg_db, "database": pg_db["database"] + "_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    yield dst


# -- a. a target connection cut mid-load ----------------------------------------------------------

def test_a_target_connection_cut_mid_partition_is_retried_exact(pg_db, target, tmp_path):
    """The first target connection that has sent 150 kB (a writer, mid-COPY or mid-insert;
    driver connections send far less) is reset; the attempt is retried, the table exact.
    PostgreSQL takes the direct-copy path, MariaDB the DataFrame path."""
    seed(pg_db)
    with CutProxy(int(target["port"]), cut_after=150_000, cuts=1) as proxy:
        via = {**target, "port": proxy.port}
        task = write_task(tmp_path, pg_db, via, [selection("public", "items")],
                          settings("DROP_AND_CREATE"))
        rc, out = run(task, "--report", str(tmp_path / "r.json"))
    assert rc == 0, out[-3000:]
    assert proxy.cut_count == 1, out[-2000:]
    assert_same_rows(rows_of(pg_db), rows_of(target))
    stats = table_stats(tmp_path / "r.json")
    assert (stats["FullLoadRows"], stats["Partitions"]) == (ROWS, PARTS)


# -- b. the target server down or restarted mid-load --------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("initdb not found under /usr/lib/postgresql (scripts/services.sh installs "
                    "PostgreSQL)")
    return found[-1].parent


class PrivateCluster:
    """A PostgreSQL cluster of this test only: initdb in a temporary folder, its own port,
    started and stopped with pg_ctl as the postgres user. Nobody else's server restarts."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="sdms-pg-"))
        self.port = _free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self.pg(["initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8"])

    def pg(self, cmd: list[str]) -> None:
        runner = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        subprocess.run([*runner, str(self.bin / cmd[0]), *cmd[1:]], check=True,
                       capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.pg(["pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c max_connections=40", "start"])

    def stop(self) -> None:
        self.pg(["pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])

    def endpoint(self) -> dict:
        return {"engine": "postgres", "host": "127.0.0.1", "port": self.port,
                "database": "postgres", "user": "postgres", "password": "unused"}

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    cluster.start()
    try:
        with pg_connect(cluster.endpoint(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE dst")
        yield cluster
    finally:
        cluster.remove()


def test_b_target_server_down_mid_load_then_resume(pg_db, private_pg, tmp_path):
    seed(pg_db)
    dst = {**private_pg.endpoint(), "database": "dst"}
    before = gated_target(dst)
    task = write_task(tmp_path, pg_db, dst, [selection("public", "items")], settings())
    gate = held_gate(dst)
    proc = start_run(task, "--report", str(tmp_path / "r1.json"))
    try:
        wait_until(lambda: ledger_parts(dst) == PARTS - 1 and gate_waiting(dst), proc,
                   what="all partitions but the held one committed")
        private_pg.stop()  # fast shutdown: every connection of the load is cut
        rc, out = finish_run(proc)
    finally:
        release(gate)
        if proc.poll() is None:
            kill_tree(proc.pid)
    assert rc == 1, out[-3000:]
    stats = table_stats(tmp_path / "r1.json")
    assert stats["TableState"] == "Table error", stats
    private_pg.start()
    assert_same_rows(before, rows_of(dst))  # the failed run changed nothing visible
    assert ledger_parts(dst) == PARTS - 1  # its committed partitions are kept for --resume
    rc, out = run(task, "--resume", "--report", str(tmp_path / "r2.json"))
    assert rc == 0, out[-3000:]
    stats = table_stats(tmp_path / "r2.json")
    assert (stats["PartitionsResumed"], stats["PartitionsWritten"]) == (PARTS - 1, 1), stats
    assert stats["FullLoadRows"] == ROWS
    assert_same_rows(rows_of(pg_db), rows_of(dst))
    assert ledger_parts(dst) == 0


def test_b_restart_as_the_connections_see_it_is_survived(pg_db, pg_dst, tmp_path):
    """Every target connection cut at once mid-load (a restart as the load sees it; the
    shared test server itself is not restarted): the writers' attempts are retried."""
    seed(pg_db)
    gated_target(pg_dst)
    with CutProxy(int(pg_dst["port"])) as proxy:
        via = {**pg_dst, "port": proxy.port}
        task = write_task(tmp_path, pg_db, via, [selection("public", "items")], settings())
        gate = held_gate(pg_dst)
        proc = start_run(task, "--report", str(tmp_path / "r.json"))
        try:
            wait_until(lambda: ledger_parts(pg_dst) == PARTS - 1 and gate_waiting(pg_dst), proc,
                       what="all partitions but the held one committed")
            assert proxy.cut_all() >= 2  # the held writer's and the table lock's, at least
        finally:
            release(gate)
        rc, out = finish_run(proc)
    assert rc == 0, out[-3000:]
    assert_same_rows(rows_of(pg_db), rows_of(pg_dst))
    assert table_stats(tmp_path / "r.json")["FullLoadRows"] == ROWS


# -- c. the driver killed, then --resume --------------------------------------------------------

@pytest.mark.parametrize("direct", [True, False], ids=["direct-copy", "dataframe"])
def test_c_driver_killed_then_resume_writes_only_missing_partitions(pg_db, pg_dst, tmp_path,
                                                                    direct):
    seed(pg_db)
    before = gated_target(pg_dst)
    task = write_task(tmp_path, pg_db, pg_dst, [selection("public", "items")],
                      settings(DirectCopy=direct))
    gate = held_gate(pg_dst)
    proc = start_run(task)
    try:
        wait_until(lambda: ledger_parts(pg_dst) == PARTS - 1 and gate_waiting(pg_dst), proc,
                   what="all partitions but the held one committed")
        kill_tree(proc.pid)  # the driver, its JVM and its Python workers
        proc.wait(60)
    finally:
        release(gate)
    wait_until(lambda: others_gone(pg_dst), what="the killed run's connections to close")
    assert_same_rows(before, rows_of(pg_dst))
    with pg_connect(pg_dst) as conn:
        kept = fetch(conn, "SELECT part_id, row_count FROM public.sparkdms_load_attempts")
        runs = fetch(conn, "SELECT state FROM public.sparkdms_load_runs")
    assert len(kept) == PARTS - 1 and runs == [("loading",)]
    report = tmp_path / "r.json"
    rc, out = run(task, "--resume", "--report", str(report))
    assert rc == 0, out[-3000:]
    stats = table_stats(report)
    assert (stats["PartitionsResumed"], stats["PartitionsWritten"]) == (PARTS - 1, 1), stats
    assert stats["RowsResumed"] == sum(n for _, n in kept)
    assert (stats["FullLoadRows"], stats["Partitions"]) == (ROWS, PARTS)
    assert ("direct copy" in stats["PartitionMethod"]) == direct
    assert "resumed load" in " ".join(stats["Notes"])
    assert_same_rows(rows_of(pg_db), rows_of(pg_dst))
    with pg_connect(pg_dst) as conn:  # finished: nothing left to resume
        assert fetch(conn, "SELECT count(*) FROM public.sparkdms_load_runs") == [(0,)]
        assert fetch(conn, "SELECT count(*) FROM public.sparkdms_load_attempts") == [(0,)]


# -- d. an executor killed on the standalone cluster ---------------------------------------------

def _app_id(name: str) -> str | None:
    with urllib.request.urlopen(f"{SPARK_MASTER_UI}/json/", timeout=5) as resp:
        apps = json.load(resp)["activeapps"]
    return next((a["id"] for a in apps if a["name"] == name), None)


def _executor_pids(app_id: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", f"CoarseGrainedExecutorBackend.*{app_id}"],
                           capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_d_executor_killed_mid_partition_on_the_cluster(spark_master, pg_db, pg_dst, tmp_path):
    seed(pg_db)
    gated_target(pg_dst)
    name = f"faults-executor-{pg_dst['database']}"
    task = write_task(tmp_path, pg_db, pg_dst, [selection("public", "items")],
                      settings(DirectCopy=False), name=name)
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    gate = held_gate(pg_dst)
    proc = start_run(task, "--report", str(tmp_path / "r.json"), "--conf",
                     "spark.executor.memory=1g", master=spark_master, env=env)
    try:
        wait_until(lambda: gate_waiting(pg_dst), proc, what="a writer held mid-partition")
        app = _app_id(f"sparkdms {name}") or _app_id(name)
        if app is None:  # the application's name as the master lists it
            with urllib.request.urlopen(f"{SPARK_MASTER_UI}/json/", timeout=5) as resp:
                apps = [a for a in json.load(resp)["activeapps"] if name in a["name"]]
            app = apps[0]["id"] if apps else None
        assert app is not None, "the run's application is not on the master"
        pids = _executor_pids(app)
        assert pids, f"no executor of {app} found"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    finally:
        release(gate)
    rc, out = finish_run(proc)
    assert rc == 0, out[-3000:]
    assert_same_rows(rows_of(pg_db), rows_of(pg_dst))
    assert table_stats(tmp_path / "r.json")["FullLoadRows"] == ROWS
