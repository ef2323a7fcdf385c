"""The costs around the load, each case beside its baseline in the same run:

  fixed       sparkdms run of an EMPTY PostgreSQL table -> PostgreSQL against the JVM's own
              start (a SparkSession with sparkdms's master, jars and conf, one trivial job,
              stop) without a class archive, and the same start from sparkdms's class
              archive (sparkdms/classarchive.py); goal: <= 5 s over the JVM start
  demo        the `make demo` task (SQLite -> Delta, 62k rows) through the CLI: cold into an
              empty lake, then a second run over the existing lake; goal <= 25 s each
  validation  bench/validation.py: validate an unchanged table against the load (floor)
  workers     the DataFrame path (PG -> PG) on the standalone cluster with 1 worker
              (1 executor, 1 core) then 2 workers (2 executors of 1 core, one per worker)
  rss         peak RSS of the DataFrame path (PG -> PG) at each of --rss-rows: must stay flat

    .venv/bin/python bench/overhead.py --rows 200000 --no-record
    .venv/bin/python bench/overhead.py --cases fixed,demo --no-record

bench/run.py calls run(args) with its Namespace: args.rows, args.master, and optionally
overhead_cases, rss_rows, cluster_master, fixed_repeat, keep, skip_validation (getattr).
The JVM start row is ``verified`` when its job returned the right count.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import gen_orders as gen
import validation
from common import Row

ROOT = common.ROOT
OUT = ROOT / "out" / "bench-overhead"
PY = ROOT / ".venv" / "bin" / "python"
DIRECT_TASK = ROOT / "bench" / "pg-to-pg.yaml"
DATAFRAME_TASK = ROOT / "bench" / "pg-to-pg-dataframe.yaml"
EMPTY_SRC, EMPTY_DST, DST = "bench_empty_src", "bench_empty_dst", "bench_ovh_dst"
CLUSTER = "spark://127.0.0.1:7077"
ALL_CASES = "fixed,demo,validation,workers,rss"
log = common.log

# The JVM's own start: the session sparkdms builds (same master, jars, engine and base conf).
JVM_START = """
import sys
from sparkdms.jvm import packages_for
from sparkdms.registry import connector_class
from sparkdms.spark import build_session
engines = sys.argv[2:]
conf = {}
for engine in engines:
    conf.update(connector_class(engine).spark_conf)
spark = build_session("bench-jvm-start", sys.argv[1], packages_for(engines), {}, conf)
assert spark.range(1000).count() == 1000
spark.stop()
"""


def task_file(base: Path, name: str, source_db: str, target_db: str,
              **sparkdms: Any) -> Path:
    """A copy of a bench task with its own source and target databases (and ``Sparkdms.*``
    settings)."""
    doc = yaml.safe_load(base.read_text())
    doc["name"] = name
    doc["source"]["database"], doc["target"]["database"] = source_db, target_db
    if sparkdms:
        doc.setdefault("settings", {}).setdefault("Sparkdms", {}).update(sparkdms)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def load_note(report: dict[str, Any], m: common.Measured) -> str:
    t = validation.table_stats(report)
    return (f"table load {t.get('ElapsedSeconds', '?')} s, {t.get('Partitions', '?')} partitions; "
            f"JVM {common.mib(m.peak_java)}, Python {common.mib(m.peak_python)}")


# ---------------------------------------------------------------- sources
def _own_rows(database: str) -> int | None:
    if not gen.database_exists(database):
        return None
    with gen.connect(database) as conn:
        if conn.execute("SELECT to_regclass('public.orders')").fetchone()[0] is None:
            return None
        return int(conn.execute("SELECT count(*) FROM public.orders").fetchone()[0])


def generate_into(database: str, rows: int) -> None:
    """gen_orders.generate into another database (it has no database parameter yet: its
    SOURCE_DB is swapped for the call)."""
    if "database" in inspect.signature(gen.generate).parameters:
        gen.generate(rows, log=log, database=database)  # type: ignore[call-arg]
        return
    saved, gen.SOURCE_DB = gen.SOURCE_DB, database
    try:
        gen.generate(rows, log=log)
    finally:
        gen.SOURCE_DB = saved


def source_db(rows: int) -> str:
    """bench_src when it has ``rows`` rows, else our own bench_ovh_src_<rows> (kept, reused)."""
    if gen.source_rows() == rows:
        return gen.SOURCE_DB
    name = f"bench_ovh_src_{rows}"
    if _own_rows(name) != rows:
        log(f"generating {name} with {rows:,} rows")
        generate_into(name, rows)
    return name


def dataframe_load(case: str, method: str, src: str, master: str | None,
                   conf: tuple[str, ...] = ()) -> Row:
    """The DataFrame path PG -> PG from ``src`` into bench_ovh_dst, verified."""
    gen.recreate_database(DST)
    task = task_file(DATAFRAME_TASK, "bench-ovh-dataframe", src, DST)
    m, report = validation.sparkdms("run", task, OUT / "report.json", master, conf)
    expected = validation.checksum(src)
    ok = validation.checksum(DST) == expected
    return Row(case, method, m.seconds, expected[0], ok, peak_rss=m.peak_tree,
               note=load_note(report, m), extra={"java": str(m.peak_java)})


# ---------------------------------------------------------------- 1. fixed cost
def fixed_cost(args: argparse.Namespace) -> list[Row]:
    case = "Fixed cost (an empty table)"
    gen.recreate_database(EMPTY_SRC)
    with gen.connect(EMPTY_SRC) as conn:
        conn.execute(gen.ORDERS_DDL)
        conn.execute(gen.ORDERS_PK)
    gen.recreate_database(EMPTY_DST)
    task = task_file(DIRECT_TASK, "bench-empty", EMPTY_SRC, EMPTY_DST)
    spark_task = task_file(DIRECT_TASK, "bench-empty-spark", EMPTY_SRC, EMPTY_DST,
                           DirectCopyWithoutJvm=False)
    master = args.master or yaml.safe_load(task.read_text())["spark"]["master"]
    repeat = max(1, int(getattr(args, "fixed_repeat", 2)))
    archive = classarchive_ready()
    plain: list[common.Measured] = []
    jvm: list[common.Measured] = []
    runs: list[common.Measured] = []
    spark_runs: list[common.Measured] = []
    for _ in range(repeat):  # alternated: a change in the machine's load hits all alike
        plain.append(jvm_start(master, archive=False))
        jvm.append(jvm_start(master, archive=archive))
        runs.append(validation.sparkdms("run", task, OUT / "empty.json", master)[0])
        spark_runs.append(validation.sparkdms("run", spark_task, OUT / "empty.json", master)[0])
    with gen.connect(EMPTY_DST) as conn:
        made = conn.execute("SELECT to_regclass('public.orders')").fetchone()[0] is not None
        ok = made and conn.execute("SELECT count(*) FROM public.orders").fetchone()[0] == 0
    best_plain = min(plain, key=lambda m: m.seconds)
    best_jvm = min(jvm, key=lambda m: m.seconds)
    rows = [Row(case, "JVM start (SparkSession, same jars and conf, 1 job, stop)",
                best_plain.seconds, 0, True, floor=True, peak_rss=best_plain.peak_tree,
                note=f"master {master}; no class archive; best of {seconds_list(plain)}")]
    if archive:
        rows.append(Row(case, "JVM start, from sparkdms's class archive (sparkdms/classarchive.py)",
                        best_jvm.seconds, 0, True, peak_rss=best_jvm.peak_tree,
                        note=f"best of {seconds_list(jvm)}"))
    return [*rows,
            empty_row(case, "sparkdms run, empty table (direct copy, no JVM)", runs, best_plain,
                      best_jvm if archive else None, ok),
            empty_row(case, "sparkdms run, empty table, through Spark (DirectCopyWithoutJvm: "
                      "false)", spark_runs, best_plain, best_jvm if archive else None, ok)]


def classarchive_ready() -> bool:
    """The driver JVM's class archive of this machine, built when missing (as `make venv`)."""
    from sparkdms import classarchive

    found = classarchive.archive() or classarchive.build(say=log)
    log(f"class archive: {found or 'none (starts go on without one)'}")
    return found is not None


def empty_row(case: str, method: str, runs: list[common.Measured], plain: common.Measured,
              archived: common.Measured | None, ok: bool) -> Row:
    best = min(runs, key=lambda m: m.seconds)
    over = f"{best.seconds - plain.seconds:+.1f} s over the JVM start (goal <= 5 s)"
    if archived is not None:
        over += f", {best.seconds - archived.seconds:+.1f} s over the JVM start from the archive"
    return Row(case, method, best.seconds, 0, ok, peak_rss=best.peak_tree,
               note=f"{over}; best of {seconds_list(runs)}")


def seconds_list(runs: list[common.Measured]) -> str:
    return ", ".join(f"{m.seconds:.1f}" for m in runs) + " s"


def jvm_start(master: str, archive: bool) -> common.Measured:
    """The JVM's own start; ``archive``: from sparkdms's class archive, else without one."""
    log(f"$ python -c JVM_START {master} postgres postgres  (class archive: {archive})")
    env = {**validation.env(), **({} if archive else {"SPARKDMS_CLASS_ARCHIVE": "0"})}
    m = common.measure([str(PY), "-c", JVM_START, master, "postgres", "postgres"], env=env)
    if m.returncode:
        raise RuntimeError(f"JVM start script failed: {m.output.splitlines()[-1:]}")
    return m


# ---------------------------------------------------------------- 2. demo
def delta_files(table: Path) -> list[Path]:
    """The live data files of a Delta table, from its log (JSON commits, one checkpoint)."""
    import pyarrow.parquet as pq

    logdir, live, start = table / "_delta_log", set(), -1
    last = logdir / "_last_checkpoint"
    if last.exists():
        start = int(json.loads(last.read_text())["version"])
        adds = pq.read_table(logdir / f"{start:020d}.checkpoint.parquet", columns=["add"])
        live = {a["path"] for a in adds.column("add").to_pylist() if a}
    for commit in sorted(logdir.glob("*.json")):
        if int(commit.stem) <= start:
            continue
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(action["add"]["path"])
            elif "remove" in action:
                live.discard(action["remove"]["path"])
    return [table / unquote(p) for p in sorted(live)]


def key_digest(values: list[Any]) -> str:
    return hashlib.sha256("\n".join(sorted(map(str, values))).encode()).hexdigest()


def lake_matches(db: Path, lake: Path, tables: list[str]) -> bool:
    """Per table: row count and a sha256 of the sorted first-column values, SQLite vs Delta."""
    import pyarrow.parquet as pq

    src = sqlite3.connect(db)
    try:
        for table in tables:
            first = src.execute(f'SELECT * FROM "{table}" LIMIT 0').description[0][0]
            keys = [r[0] for r in src.execute(f'SELECT "{first}" FROM "{table}"')]
            got: list[Any] = []
            for f in delta_files(lake / table):
                got += pq.read_table(f, columns=[first]).column(first).to_pylist()
            if len(got) != len(keys) or key_digest(got) != key_digest(keys):
                log(f"  demo: {table} differs ({len(got):,} rows in Delta, {len(keys):,} in SQLite)")
                return False
    finally:
        src.close()
    return True


def demo(args: argparse.Namespace) -> list[Row]:
    from sparkdms import demo as shop

    case = "SQLite → Delta (make demo, 62k rows)"
    folder = OUT / "demo"
    db, lake = folder / "shop.db", folder / "lake"
    counts = shop.build_shop(db)
    task = shop.write_task(folder, db, lake)
    shutil.rmtree(lake, ignore_errors=True)
    rows = []
    for label in ("cold, into an empty lake", "second run, over the existing lake"):
        m, report = validation.sparkdms("run", task, folder / "report.json", args.master)
        ok = m.returncode == 0 and lake_matches(db, lake, list(counts))
        load = max((float(t.get("ElapsedSeconds") or 0) for t in report.get("tables", [])),
                   default=0.0)
        rows.append(Row(case, f"sparkdms run, {label}", m.seconds, sum(counts.values()), ok,
                        peak_rss=m.peak_tree,
                        note=f"goal <= 25 s; longest table load {load:.1f} s; verified by "
                             "count and key sha256 per table"))
    return rows


# ---------------------------------------------------------------- 3. validation
def validation_case(args: argparse.Namespace) -> list[Row]:
    return validation.case_rows(source_db(args.rows), args.master)


# ---------------------------------------------------------------- 4. workers
def master_json(master: str) -> dict[str, Any]:
    host = master.removeprefix("spark://").split(":")[0]
    try:
        with urllib.request.urlopen(f"http://{host}:8080/json/", timeout=3) as resp:
            return json.load(resp)
    except OSError:
        return {}


def wait_workers(master: str, n: int, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if master_json(master).get("aliveworkers", 0) >= n:
            return True
        time.sleep(1)
    return False


def cluster_env() -> dict[str, str]:
    import pyspark

    return {**os.environ, "SPARK_HOME": os.path.dirname(pyspark.__file__),
            "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(PY),
            "PYSPARK_DRIVER_PYTHON": str(PY)}


def start_worker(master: str, work: Path) -> subprocess.Popen[bytes]:
    """A second worker, 1 core, 2 GiB, UI on 8091, on the same master (stopped by us)."""
    env = cluster_env()
    work.mkdir(parents=True, exist_ok=True)
    cmd = [f"{env['SPARK_HOME']}/bin/spark-class", "org.apache.spark.deploy.worker.Worker",
           master, "--host", "127.0.0.1", "--webui-port", "8091", "--cores", "1",
           "--memory", "2g", "--work-dir", str(work)]
    with (OUT / "worker2.out").open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def workers(args: argparse.Namespace) -> list[Row]:
    case = f"1 → 2 workers, standalone cluster, DataFrame path ({args.rows:,} rows)"
    master = getattr(args, "cluster_master", None) or (
        args.master if (args.master or "").startswith("spark://") else CLUSTER)
    started_cluster = False
    if not master_json(master) and master == CLUSTER:
        log("starting the standalone cluster (scripts/spark-cluster.sh start); stopped after")
        subprocess.run([str(ROOT / "scripts" / "spark-cluster.sh"), "start"], check=True,
                       env={**os.environ, "SPARKDMS_CLUSTER_SMOKE": "0"})
        started_cluster = True
    try:
        return _two_points(case, master, source_db(args.rows))
    finally:
        if started_cluster:
            subprocess.run([str(ROOT / "scripts" / "spark-cluster.sh"), "stop"], check=False)


def _two_points(case: str, master: str, src: str) -> list[Row]:
    before = master_json(master).get("aliveworkers", 0)
    one = dataframe_load(case, "1 worker: 1 executor of 1 core", src, master,
                         ("spark.cores.max=1", "spark.executor.cores=1",
                          "spark.executor.memory=1g"))
    one.floor, one.note = True, f"{before} worker(s) alive; " + one.note
    work = OUT / "worker2"
    shutil.rmtree(work, ignore_errors=True)
    proc = start_worker(master, work)
    try:
        if not wait_workers(master, before + 1):
            raise RuntimeError("the second worker did not register with the master")
        two = dataframe_load(case, "2 workers: 2 executors of 1 core", src, master,
                             ("spark.cores.max=2", "spark.executor.cores=1",
                              "spark.executor.memory=1g"))
    finally:
        stop_worker(proc)
    placed = any(p.is_dir() for p in work.glob("app-*/*"))
    two.note = (f"an executor ran on the second worker: {'yes' if placed else 'NO'}; "
                + two.note + "; peak RSS: the driver (executors run under the workers)")
    one.note += "; peak RSS: the driver (executors run under the workers)"
    return [one, two]


# ---------------------------------------------------------------- 5. memory
def rss(args: argparse.Namespace) -> list[Row]:
    sizes = [int(s) for s in str(getattr(args, "rss_rows", "1000000,10000000")).split(",") if s]
    case = "Peak RSS, DataFrame path PG → PG"
    out = [dataframe_load(case, f"sparkdms run, {n:,} rows", source_db(n), args.master)
           for n in sizes]
    if len(out) > 1 and int(out[0].extra["java"]):
        growth = int(out[-1].extra["java"]) / int(out[0].extra["java"])
        out[-1].note += f"; JVM peak {growth:.2f}x of {sizes[0]:,} rows (flat: ~1x)"
    if (args.master or "").startswith("spark://"):
        out[-1].note += "; executors run under the cluster's workers: not in this tree"
    return out


# ---------------------------------------------------------------- driver
CASES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "fixed": fixed_cost, "demo": demo, "validation": validation_case, "workers": workers,
    "rss": rss}


def cleanup() -> None:
    with gen.connect("postgres") as conn:
        for db in (EMPTY_SRC, EMPTY_DST, DST, validation.COPY_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def run(args: argparse.Namespace) -> list[Row]:
    """Every selected case; a failing case becomes one unverified row naming its error."""
    names = [n for n in str(getattr(args, "overhead_cases", None) or ALL_CASES).split(",")
             if n and not (n == "validation" and getattr(args, "skip_validation", False))]
    rows: list[Row] = []
    for name in names:
        log(f"\n== overhead: {name}")
        try:
            rows += CASES[name](args)
        except Exception as exc:  # one broken case must not hide the others
            rows.append(Row(f"{name} (failed)", "-", 0.0, 0, False, note=str(exc)[:300]))
            log(f"  {name} failed: {exc}")
    if not getattr(args, "keep", False):
        cleanup()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000,
                        help="rows for validation and workers (default 2M)")
    parser.add_argument("--master", help="Spark master for sparkdms (default: the task's)")
    parser.add_argument("--overhead-cases", "--cases", dest="overhead_cases", default=ALL_CASES,
                        help=f"comma-separated subset of {ALL_CASES}")
    parser.add_argument("--rss-rows", default="1000000,10000000", help="sizes for the rss case")
    parser.add_argument("--cluster-master", help=f"standalone master for workers ({CLUSTER})")
    parser.add_argument("--fixed-repeat", type=int, default=2,
                        help="runs of each side of the fixed cost case (the best is reported)")
    parser.add_argument("--keep", action="store_true", help="keep the target databases")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows = run(args)
    log("\n" + common.table(rows))
    if not args.no_record:
        common.record(common.section("overhead cases", common.machine(load_before), rows))
    return 0 if all(r.verified is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
