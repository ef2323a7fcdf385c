"""Change data capture under a steady write load: changes/s applied and source-to-target latency.

For PostgreSQL -> PostgreSQL and MariaDB -> PostgreSQL, at each offered rate:

  1. a fresh source table ``bench_cdc`` (1,000 seed rows) and an empty target database;
  2. ``sparkdms run TASK --follow`` (full-load-and-cdc) as a subprocess; once the seed rows
     and 20 warm-up updates (the first change batch starts the apply path) are on the
     target, a writer issues inserts (50 %), updates (25 %) and deletes (25 %),
     one autocommit statement each, at a fixed rate for ``--seconds``; every insert and
     update stamps ``src_ts`` with the source's clock at the change;
  3. a poller reads the target every ``--poll`` s for rows whose ``src_ts`` is past the
     last one seen: latency = the poll's clock minus ``src_ts`` (p50/p95/max, inserts and
     updates; same machine, same clock; resolution = the poll interval); the last change is
     a sentinel insert, and applied changes/s = changes issued / (sentinel seen on the
     target - first change issued). ``val`` is the change's number, so when the sentinel
     does not arrive within ``--drain`` s the rate is (highest number seen + 1) / (when it
     was seen - first change issued), and the case is marked not caught up;
  4. SIGTERM stops the follower (it must exit 0 at a checkpoint); the target must equal the
     source: row count, rows missing both ways, and a sha256 over the sorted rows.

Baseline (the floor: how fast PostgreSQL takes these writes at all): the same changes,
rendered as PostgreSQL statements, replayed by one psycopg connection into a copy of the seed
table, autocommit (as the source took them) and in transactions of 1,000 (as sparkdms
batches). sparkdms is reported as a ratio of it.

    .venv/bin/python bench/cdc.py                       # 200 and 1000 changes/s, 60 s each
    .venv/bin/python bench/cdc.py --rates 200 --seconds 20 --sources postgres --no-record
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gen_orders as gen
import pymysql
import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
OUT = ROOT / "out"
SRC_DB, DST_DB, REPLAY_DB = "bench_cdc_src", "bench_cdc_dst", "bench_cdc_replay"
SEED = 1000
SENTINEL = 10**12
BATCH = 1000  # ChangeProcessingTuning.MinTransactionSize (the default) and the replay's batch

DDL = {
    "postgres": "CREATE TABLE public.bench_cdc (id bigint PRIMARY KEY, val bigint NOT NULL, "
                "note varchar(64), src_ts timestamptz(6) NOT NULL)",
    "mariadb": "CREATE TABLE bench_cdc (id bigint PRIMARY KEY, val bigint NOT NULL, "
               "note varchar(64), src_ts datetime(6) NOT NULL)",
}  # fmt: skip
NOW = {"postgres": "clock_timestamp()", "mariadb": "UTC_TIMESTAMP(6)"}
TABLE = {"postgres": "public.bench_cdc", "mariadb": "bench_cdc"}


def sql_for(engine: str, op: str) -> str:
    """One change as SQL for ``engine``: the statements the writer and the replay issue."""
    t, now = TABLE[engine], NOW[engine]
    return {
        "i": f"INSERT INTO {t} (id, val, note, src_ts) VALUES (%s, %s, %s, {now})",
        "u": f"UPDATE {t} SET val = %s, note = %s, src_ts = {now} WHERE id = %s",
        "d": f"DELETE FROM {t} WHERE id = %s",
    }[op]


@dataclass
class Op:
    kind: str  # i / u / d
    params: tuple


def ops(count: int) -> Iterator[Op]:
    """A deterministic stream: insert, insert, update, delete (ids that exist at that point)."""
    live = list(range(1, SEED + 1))
    head, next_id = 0, SEED + 1  # live[head:] are the rows that still exist
    for n in range(count):
        kind = "iiud"[n % 4]
        if kind == "i":
            yield Op("i", (next_id, n, f"ins {n} ✓"))
            live.append(next_id)
            next_id += 1
        elif kind == "u":
            key = live[head + (n * 7919) % (len(live) - head)]
            yield Op("u", (n, f"upd {n} 'q'", key))
        else:
            yield Op("d", (live[head],))
            head += 1


# ----------------------------------------------------------------------------- connections


def my_params(database: str | None) -> dict[str, Any]:
    return {"host": os.environ.get("SPARKDMS_MY_HOST", "127.0.0.1"),
            "port": int(os.environ.get("SPARKDMS_MY_PORT", "3306")),
            "user": os.environ.get("SPARKDMS_MY_USER", "sparkdms"),
            "password": os.environ.get("SPARKDMS_MY_PASSWORD", "sparkdms_pw"),
            "database": database, "charset": "utf8mb4", "autocommit": True,
            "connect_timeout": 5}  # fmt: skip


class Sql:
    """Just enough of one connection to run statements on either engine."""

    def __init__(self, engine: str, database: str) -> None:
        self.engine = engine
        self.conn: Any = (gen.connect(database) if engine == "postgres"
                          else pymysql.connect(**my_params(database)))  # fmt: skip

    def run(self, statement: str, params: tuple = ()) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def close(self) -> None:
        self.conn.close()


def recreate_source(engine: str) -> None:
    if engine == "postgres":
        drop_slots()
        gen.recreate_database(SRC_DB)
    else:
        admin = Sql("mariadb", None)  # type: ignore[arg-type]
        admin.run(f"DROP DATABASE IF EXISTS `{SRC_DB}`")
        admin.run(f"CREATE DATABASE `{SRC_DB}` CHARACTER SET utf8mb4")
        admin.close()
    seed(engine, SRC_DB)


def seed(engine: str, database: str) -> None:
    db = Sql(engine, database)
    db.run(DDL[engine])
    for g in range(1, SEED + 1, 250):
        rows = [(k, k, f"seed {k} Zoë") for k in range(g, min(g + 250, SEED + 1))]
        values = ", ".join(f"(%s, %s, %s, {NOW[engine]})" for _ in rows)
        db.run(f"INSERT INTO {TABLE[engine]} (id, val, note, src_ts) VALUES {values}",
               tuple(v for r in rows for v in r))
    db.close()


def drop_slots() -> None:
    """A database with a replication slot cannot be dropped: drop the bench source's slots."""
    with gen.connect("postgres") as conn:
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                     "WHERE database = %s AND NOT active", (SRC_DB,))


# ----------------------------------------------------------------------------- the follower


def write_task(engine: str) -> Path:
    source = ({"engine": "postgres", "port": 5432, "user": "sparkdms",
               "password": "${env:SPARKDMS_PG_PASSWORD}"} if engine == "postgres" else
              {"engine": "mariadb", "port": 3306, "user": "sparkdms",
               "password": "${env:SPARKDMS_MY_PASSWORD}"})  # fmt: skip
    schema = "public" if engine == "postgres" else SRC_DB
    doc = {"name": f"bench_cdc_{engine}", "migration_type": "full-load-and-cdc",
           "source": {**source, "host": "127.0.0.1", "database": SRC_DB},
           "target": {"engine": "postgres", "host": "127.0.0.1", "port": 5432, "user": "sparkdms",
                      "password": "${env:SPARKDMS_PG_PASSWORD}", "database": DST_DB},
           "table_mappings": {"rules": [
               {"rule-type": "selection", "rule-id": "1", "rule-name": "1", "rule-action": "include",
                "object-locator": {"schema-name": schema, "table-name": "bench_cdc"}},
               {"rule-type": "transformation", "rule-id": "2", "rule-name": "2",
                "rule-target": "schema", "rule-action": "rename", "value": "public",
                "object-locator": {"schema-name": schema}}]},
           "settings": {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                        "ChangeProcessingTuning": {"MinTransactionSize": BATCH}}}  # fmt: skip
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench-cdc-{engine}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


class Follower:
    """``sparkdms run TASK --follow`` in its own process group; its output kept."""

    def __init__(self, task: Path, master: str) -> None:
        env = {**os.environ, "SPARKDMS_PG_PASSWORD": gen.pg_params("postgres")["password"],
               "SPARKDMS_MY_PASSWORD": my_params(None)["password"]}
        cmd = [sys.executable, "-m", "sparkdms.cli", "run", str(task), "--follow", "--master", master]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 120) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()
        finally:
            self.reader.join(5)

    def summary(self) -> str:
        done = [ln.strip() for ln in self.lines if "changes applied" in ln]
        return done[-1] if done else ""

    def tail(self) -> str:
        return "\n".join(self.lines[-25:])


def warm_up(engine: str, follower: Follower, count: int = 20) -> None:
    """A few updates applied before measuring: the first change batch pays for starting the
    apply path (Spark jobs, connections), which is not the steady state."""
    db = Sql(engine, SRC_DB)
    for key in range(1, count + 1):
        db.run(sql_for(engine, "u"), (-key, "warm-up", key))
    db.close()

    def applied() -> bool:
        dst = Sql("postgres", DST_DB)
        try:
            q = "SELECT count(*) FROM public.bench_cdc WHERE note = 'warm-up'"
            return dst.run(q)[0][0] == count
        finally:
            dst.close()

    wait_for(applied, follower, "the warm-up changes", 300)


def wait_for(check: Callable[[], bool], follower: Follower, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not follower.alive():
            raise SystemExit(f"sparkdms exited ({follower.proc.returncode}) before {what}:\n"
                             f"{follower.tail()}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    follower.stop()
    raise SystemExit(f"timed out waiting for {what}:\n{follower.tail()}")


# ----------------------------------------------------------------------------- load and poll


@dataclass
class Load:
    issued: int = 0
    first: float = 0.0  # epoch seconds of the first change
    last: float = 0.0
    error: BaseException | None = None


def drive(engine: str, changes: list[Op], rate: float, load: Load) -> None:
    """Issue ``changes`` at ``rate`` per second (paced against the start), then the sentinel."""
    db = Sql(engine, SRC_DB)
    statements = {k: sql_for(engine, k) for k in "iud"}
    try:
        load.first = time.time()
        start = time.perf_counter()
        for n, op in enumerate(changes):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            db.run(statements[op.kind], op.params)
            load.issued += 1
        db.run(statements["i"], (SENTINEL, 0, "sentinel"))
        load.issued += 1
        load.last = time.time()
    except BaseException as exc:
        load.error = exc
    finally:
        db.close()


@dataclass
class Seen:
    latencies: list[float] = field(default_factory=list)
    sentinel_at: float = 0.0
    applied: int = 0  # changes applied so far: val is the change's number, applied in order
    applied_at: float = 0.0


def poll(stop: threading.Event, interval: float, seen: Seen, since: datetime) -> None:
    """Rows stamped after ``since`` as they appear on the target; latency per row version."""
    db = Sql("postgres", DST_DB)
    db.run("SET TIME ZONE 'UTC'")  # a MariaDB datetime arrives as a naive UTC timestamp
    mark = since
    query = ("SELECT id, val, src_ts FROM public.bench_cdc WHERE src_ts > %s ORDER BY src_ts")
    try:
        while not stop.is_set():
            rows = db.run(query, (mark,))
            now = time.time()
            for key, val, stamp in rows:
                stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
                seen.latencies.append(now - stamp.timestamp())
                if key == SENTINEL:
                    seen.sentinel_at = now
                elif val + 1 > seen.applied:
                    seen.applied, seen.applied_at = val + 1, now
                mark = max(mark, stamp)
            if seen.sentinel_at:
                return
            stop.wait(interval)
    finally:
        db.close()


# ----------------------------------------------------------------------------- verify


def table_rows(engine: str, database: str) -> Counter:
    db = Sql(engine, database)
    rows = db.run(f"SELECT id, val, note, src_ts FROM {TABLE[engine]}")
    db.close()

    def norm(ts: datetime) -> str:
        ts = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
        return ts.isoformat(timespec="microseconds")

    return Counter((int(i), int(v), n, norm(t)) for i, v, n, t in rows)


def compare(engine: str) -> tuple[bool, str]:
    src, dst = table_rows(engine, SRC_DB), table_rows("postgres", DST_DB)
    missing, extra = sum((src - dst).values()), sum((dst - src).values())

    def digest(rows: Counter) -> str:
        return hashlib.sha256(repr(sorted(rows.elements())).encode()).hexdigest()[:12]

    a, b = digest(src), digest(dst)
    ok = not missing and not extra and a == b
    return ok, (f"{sum(src.values()):,} rows both sides, sha256 {a}" if ok else
                f"source {sum(src.values()):,} / target {sum(dst.values()):,} rows, "
                f"{missing} missing, {extra} extra, sha256 {a} vs {b}")


# ----------------------------------------------------------------------------- one case


@dataclass
class Case:
    source: str
    rate: float
    issued: int
    offered: float  # changes/s the writer achieved
    applied: float  # changes/s applied: issued / (sentinel on target - first change)
    p50: float
    p95: float
    p_max: float
    exit_code: int
    verified: bool
    detail: str
    meter: str
    replay_auto: float = 0.0
    replay_batch: float = 0.0


def replay(changes: list[Op]) -> tuple[float, float]:
    """The floor: the same changes as PostgreSQL statements into a copy of the seed table."""
    rates = []
    for per_tx in (1, BATCH):
        gen.recreate_database(REPLAY_DB)
        seed("postgres", REPLAY_DB)
        with gen.connect(REPLAY_DB, autocommit=per_tx == 1) as conn:
            statements = {k: sql_for("postgres", k) for k in "iud"}
            started = time.perf_counter()
            with conn.cursor() as cur:
                for n, op in enumerate(changes):
                    cur.execute(statements[op.kind], op.params)
                    if per_tx > 1 and n % per_tx == per_tx - 1:
                        conn.commit()
            conn.commit()
            rates.append(len(changes) / (time.perf_counter() - started))
    return rates[0], rates[1]


def run_case(source: str, rate: float, seconds: float, args: argparse.Namespace) -> Case:
    log(f"\n== {source} -> postgres, {rate:,.0f} changes/s for {seconds:.0f} s")
    recreate_source(source)
    gen.recreate_database(DST_DB)
    follower = Follower(write_task(source), args.master)

    def loaded() -> bool:
        db = Sql("postgres", DST_DB)
        try:
            return db.run("SELECT count(*) FROM public.bench_cdc")[0][0] == SEED
        finally:
            db.close()

    try:
        wait_for(loaded, follower, "the full load of the seed rows", 300)
        warm_up(source, follower)
        time.sleep(args.settle)
        changes = list(ops(int(rate * seconds)))
        load, seen, stop = Load(), Seen(), threading.Event()
        since = datetime.now(UTC)
        poller = threading.Thread(target=poll, args=(stop, args.poll, seen, since))
        poller.start()
        drive(source, changes, rate, load)
        if load.error:
            raise SystemExit(f"the write load failed: {load.error}")
        poller.join(args.drain)
        stop.set()
        poller.join()
        code = follower.stop()
    finally:
        if follower.alive():
            follower.stop()
    drop_slots()
    ok, detail = compare(source)
    if not seen.sentinel_at:
        ok, detail = False, f"last change not on the target after {args.drain:.0f} s; {detail}"
    if seen.sentinel_at:  # every change is on the target
        applied = load.issued / (seen.sentinel_at - load.first)
    else:  # changes up to the highest change number seen (commit order) are
        applied = seen.applied / max(seen.applied_at - load.first, 1e-6)
    lat = sorted(seen.latencies) or [float("nan")]
    case = Case(source, rate, load.issued, load.issued / max(load.last - load.first, 1e-6),
                applied, statistics.median(lat), lat[int(0.95 * (len(lat) - 1))],
                lat[-1], code, ok and code == 0, detail, follower.summary())
    case.replay_auto, case.replay_batch = replay(changes)
    log(f"  offered {case.offered:,.0f}/s, applied {case.applied:,.0f}/s, latency p50 "
        f"{case.p50:.2f} s p95 {case.p95:.2f} s max {case.p_max:.2f} s ({len(seen.latencies):,} "
        f"row versions seen); exit {code}; {detail}\n  sparkdms: {case.meter}\n  replay "
        f"{case.replay_auto:,.0f}/s autocommit, {case.replay_batch:,.0f}/s in tx of {BATCH}")
    if code != 0:
        log(follower.tail())
    return case


# ----------------------------------------------------------------------------- report


def log(message: str) -> None:
    print(message, flush=True)


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True, check=False)  # fmt: skip
    return out.stdout.strip() or "unknown"


def machine(load_before: float) -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores (nproc), "
            f"{mem_gib:.0f} GiB RAM, load average {load_before:.1f} before the run")


def markdown(cases: list[Case], args: argparse.Namespace, load_before: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {stamp}: CDC under a steady write load, commit {git_commit()}", "",
             f"{machine(load_before)}; master `{args.master}`; {args.seconds:.0f} s of load per "
             f"case; one table, 50 % inserts / 25 % updates / 25 % deletes, one autocommit "
             f"statement each; `sparkdms run --follow` (full-load-and-cdc, "
             f"MinTransactionSize {BATCH}); target polled every {args.poll} s.", ""]
    if args.note:
        lines += [f"**{args.note}**", ""]
    lines += ["| Source → PostgreSQL | Offered /s | Changes | Applied /s | Latency p50 | p95 | max "
              "| Replay autocommit /s | vs replay | Replay tx /s | vs replay tx | Verified |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for c in cases:
        lines.append(
            f"| {c.source} @ {c.rate:,.0f}/s | {c.offered:,.0f} | {c.issued:,} | {c.applied:,.0f} "
            f"| {c.p50:.2f} s | {c.p95:.2f} s | {c.p_max:.2f} s | {c.replay_auto:,.0f} "
            f"| {c.applied / c.replay_auto:.2f}x | {c.replay_batch:,.0f} "
            f"| {c.applied / c.replay_batch:.2f}x | {'yes' if c.verified else '**NO**'} |")
    lines.append("")
    lines += [f"- {c.source} @ {c.rate:,.0f}/s: {c.detail}; exit {c.exit_code} after SIGTERM; "
              f"sparkdms: `{c.meter}`" for c in cases]
    return "\n".join(lines) + "\n"


def record(section: str) -> None:
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    RESULTS.write_text(existing.rstrip("\n") + "\n\n" + section)
    log(f"appended to {RESULTS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="postgres,mariadb", help="postgres,mariadb")
    parser.add_argument("--rates", default="200,1000", help="offered changes/s (comma list)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load per case")
    parser.add_argument("--poll", type=float, default=0.1, help="target poll interval (s)")
    parser.add_argument("--settle", type=float, default=2, help="wait after the warm-up (s)")
    parser.add_argument("--drain", type=float, default=180, help="max wait for the last change")
    parser.add_argument("--master", default="local[2]", help="Spark master for the follower")
    parser.add_argument("--note", default="", help="a line for results.md (e.g. other load)")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    cases = [run_case(s, float(r), args.seconds, args)
             for s in args.sources.split(",") for r in args.rates.split(",")]
    section = markdown(cases, args, load_before)
    log("\n" + section)
    if not args.no_record:
        record(section)
    drop_slots()
    with gen.connect("postgres") as conn:
        for db in (SRC_DB, DST_DB, REPLAY_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return 0 if all(c.verified for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
