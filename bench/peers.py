"""The peer tools a user would pick instead of sparkdms, run on the same pairs as the bench.

Installed by scripts/bench-peers.sh outside the repo and the project virtualenv (pgloader
from Debian; Sling's binary wheel and dlt in ~/.cache/sparkdms/bench-venv). For one pair
this module writes the peer's configuration (a pgloader load file, Sling's connections as
environment variables, a dlt pipeline script with the sql_database source) and runs it with
common.measure(). Passwords travel only in environment variables: pgloader's load file
reads them through its {{MUSTACHE}} templates, Sling and dlt read connection URLs from the
environment; nothing with a password is written to disk or printed.

A peer that is not installed or fails raises ``PeerError`` with its first error line; the
bench reports it in the table as failed, it is never dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote as urlquote

import gen_orders as gen
from common import ROOT, Measured, measure

CACHE = Path(os.environ.get("SPARKDMS_BENCH_CACHE", Path.home() / ".cache" / "sparkdms"))
VENV = CACHE / "bench-venv"
WORK = ROOT / "out" / "bench-peers"
INSTALL = "scripts/bench-peers.sh"


class PeerError(Exception):
    """A peer could not run: not installed, or exited non-zero (message: first error line)."""

    def __init__(self, message: str, measured: Measured | None = None) -> None:
        super().__init__(message)
        self.measured = measured


@dataclass(frozen=True)
class End:
    """One side of a pair: the engine, the database and the table."""

    engine: str  # "postgres" | "mariadb"
    database: str
    table: str = gen.TABLE

    @property
    def schema(self) -> str:
        return "public" if self.engine == "postgres" else self.database

    def params(self) -> dict:
        if self.engine == "postgres":
            p = gen.pg_params(self.database)
            return {**p, "database": p["dbname"]}
        return gen.my_params(self.database)

    def url(self, scheme: str) -> str:
        p = self.params()
        pw = urlquote(str(p["password"]), safe="")
        return f"{scheme}://{urlquote(p['user'], safe='')}:{pw}@{p['host']}:{p['port']}/{self.database}"


def secrets(*ends: End) -> list[str]:
    return [str(e.params()["password"]) for e in ends if e.params()["password"]]


def redact(text: str, hidden: list[str]) -> str:
    for secret in hidden:
        text = text.replace(secret, "***").replace(urlquote(secret, safe=""), "***")
    return text


def first_error(output: str, hidden: list[str]) -> str:
    """The first line that names an error, else the last line; passwords removed."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    pick = next((ln for ln in lines if re.search(r"error|fatal|exception|failed|denied", ln, re.I)),
                lines[-1] if lines else "no output")
    return redact(pick, hidden)[:200]


# --- versions ---------------------------------------------------------------------------

def sling_binary() -> Path | None:
    link = VENV / "bin" / "sling-bin"
    if link.exists():
        return link
    found = sorted(VENV.glob("lib/python*/site-packages/sling_linux_*/bin/sling-linux-*"))
    return found[0] if found else None


def _version_line(cmd: list[str], first: bool = False) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=sling_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0 if first else -1].strip() if out.returncode == 0 and text else None


def version(peer: str) -> str | None:
    """The installed version of a peer, or None when it is not installed."""
    if peer == "pgloader":
        exe = shutil.which("pgloader")
        line = _version_line([exe, "--version"], first=True) if exe else None
        return line.split('"')[1] if line and '"' in line else line
    if peer == "sling":
        exe = sling_binary()
        line = _version_line([str(exe), "--version"]) if exe else None
        return line.split()[-1] if line else None
    if peer == "spark-jdbc":
        line = _version_line([str(ROOT / ".venv" / "bin" / "python"), "-c",
                              "import pyspark; print(pyspark.__version__)"])
        return f"(PySpark {line})" if line else None
    if peer == "dlt":
        exe = VENV / "bin" / "dlt"
        line = _version_line([str(exe), "--version"]) if exe.exists() else None
        return line.split()[-1] if line else None
    raise ValueError(peer)


# --- one run per peer -------------------------------------------------------------------

PGLOADER_LOAD = """LOAD DATABASE
  FROM {src}
  INTO {dst}
  WITH include drop, create tables, create indexes, reset sequences{options}
{extra};
"""
# From PostgreSQL, pgloader's default prefetch (100,000 rows per reader) exhausts the 1 GiB
# heap of the Debian build ("Heap exhausted, game over") within seconds; 25,000 loads the
# 10M-row table. From MariaDB its defaults work and are kept.
PGLOADER_OPTIONS = {"postgres": ", prefetch rows = 25000", "mariadb": ""}
# MariaDB -> PostgreSQL: datetime stays a timestamp without time zone (pgloader's default is
# timestamptz), and the MariaDB database (pgloader's schema name) becomes public.
PGLOADER_FROM_MYSQL = """  CAST type datetime to timestamp drop default drop not null using zero-dates-to-null
  ALTER SCHEMA '{schema}' RENAME TO 'public'
"""


def _pgloader_url(end: End, variable: str) -> str:
    p = end.params()
    scheme = "pgsql" if end.engine == "postgres" else "mysql"
    ssl = "?sslmode=disable" if end.engine == "postgres" else ""
    return f"{scheme}://{p['user']}:{{{{{variable}}}}}@{p['host']}:{p['port']}/{end.database}{ssl}"


def run_pgloader(src: End, dst: End) -> Measured:
    exe = shutil.which("pgloader")
    if exe is None or dst.engine != "postgres":
        raise PeerError(f"pgloader not installed (run {INSTALL})" if exe is None
                        else "pgloader writes only to PostgreSQL")
    extra = PGLOADER_FROM_MYSQL.format(schema=src.database) if src.engine == "mariadb" else ""
    load = WORK / f"pgloader-{src.engine}-to-{dst.engine}.load"
    load.write_text(PGLOADER_LOAD.format(src=_pgloader_url(src, "BENCH_SRC_PW"),
                                         dst=_pgloader_url(dst, "BENCH_DST_PW"), extra=extra,
                                         options=PGLOADER_OPTIONS[src.engine]))
    env = {**os.environ, "BENCH_SRC_PW": str(src.params()["password"]),
           "BENCH_DST_PW": str(dst.params()["password"])}
    return _checked(measure([exe, str(load)], env=env),
                    secrets(src, dst))


SLING_SCHEME = {"postgres": "postgresql", "mariadb": "mysql"}


def sling_env() -> dict[str, str]:
    home = CACHE / "sling-home"
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "SLING_HOME_DIR": str(home), "SLING_DISABLE_TELEMETRY": "true",
            "SLING_LOADED_AT_COLUMN": "false"}


def run_sling(src: End, dst: End) -> Measured:
    exe = sling_binary()
    if exe is None:
        raise PeerError(f"sling not installed (run {INSTALL})")
    suffix = {"postgres": "?sslmode=disable", "mariadb": ""}
    env = {**sling_env(),
           "BENCH_SRC": src.url(SLING_SCHEME[src.engine]) + suffix[src.engine],
           "BENCH_DST": dst.url(SLING_SCHEME[dst.engine]) + suffix[dst.engine]}
    cmd = [str(exe), "run", "--src-conn", "BENCH_SRC", "--src-stream", f"{src.schema}.{src.table}",
           "--tgt-conn", "BENCH_DST", "--tgt-object", f"{dst.schema}.{dst.table}",
           "--mode", "full-refresh"]
    return _checked(measure(cmd, env=env), secrets(src, dst))


DLT_PIPELINE = '''"""dlt pipeline of make bench (written by bench/peers.py): one table, sql_database."""
import os

import dlt
from dlt.sources.sql_database import sql_database

source = sql_database(credentials=os.environ["BENCH_SRC_URL"], schema=os.environ["BENCH_SRC_SCHEMA"],
                      table_names=[os.environ["BENCH_TABLE"]], backend="pyarrow",
                      chunk_size=100_000, reflection_level="full_with_precision")
if os.environ["BENCH_DST_ENGINE"] == "postgres":
    destination, file_format = dlt.destinations.postgres(credentials=os.environ["BENCH_DST_URL"]), "csv"
else:
    destination, file_format = dlt.destinations.sqlalchemy(credentials=os.environ["BENCH_DST_URL"]), None
pipeline = dlt.pipeline(pipeline_name="sparkdms_bench", destination=destination,
                        dataset_name=os.environ["BENCH_DST_SCHEMA"],
                        pipelines_dir=os.environ["BENCH_DLT_DIR"])
info = pipeline.run(source, write_disposition="replace", loader_file_format=file_format)
print(info)
'''
DLT_SOURCE_SCHEME = {"postgres": "postgresql+psycopg2", "mariadb": "mysql+pymysql"}
DLT_DEST_SCHEME = {"postgres": "postgresql", "mariadb": "mysql+pymysql"}


def run_dlt(src: End, dst: End) -> Measured:
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "dlt").exists():
        raise PeerError(f"dlt not installed (run {INSTALL})")
    script = WORK / "dlt_pipeline.py"
    script.write_text(DLT_PIPELINE)
    state = WORK / "dlt-state"
    shutil.rmtree(state, ignore_errors=True)
    env = {**os.environ, **gen.plain_tls_env(), "BENCH_SRC_URL": src.url(DLT_SOURCE_SCHEME[src.engine]),
           "BENCH_SRC_SCHEMA": src.schema, "BENCH_TABLE": src.table,
           "BENCH_DST_ENGINE": dst.engine, "BENCH_DST_URL": dst.url(DLT_DEST_SCHEME[dst.engine]),
           "BENCH_DST_SCHEMA": dst.schema, "BENCH_DLT_DIR": str(state),
           "RUNTIME__LOG_LEVEL": "WARNING", "RUNTIME__DLTHUB_TELEMETRY": "false"}
    return _checked(measure([str(python), str(script)], env=env), secrets(src, dst))


def run_spark_jdbc(src: End, dst: End) -> Measured:
    """Plain Spark (bench/spark_jdbc.py) with the project's virtualenv."""
    env = dict(os.environ, BENCH_KEY="order_id")
    for prefix, side in (("BENCH_SRC", src), ("BENCH_DST", dst)):
        p = side.params()
        values = {"engine": side.engine, "host": p["host"], "port": p["port"],
                  "database": side.database, "user": p["user"], "password": p["password"],
                  "table": f"{side.schema}.{side.table}"}
        env.update({f"{prefix}_{k.upper()}": str(v) for k, v in values.items()})
    python = ROOT / ".venv" / "bin" / "python"
    cmd = [str(python), str(ROOT / "bench" / "spark_jdbc.py")]
    return _checked(measure(cmd, env=env), secrets(src, dst))


RUNNERS = {"pgloader": run_pgloader, "sling": run_sling, "dlt": run_dlt,
           "spark-jdbc": run_spark_jdbc}


def run(peer: str, src: End, dst: End) -> Measured:
    """Run one peer from ``src`` into the (existing, empty) ``dst`` database."""
    WORK.mkdir(parents=True, exist_ok=True)
    return RUNNERS[peer](src, dst)


def _checked(result: Measured, hidden: list[str]) -> Measured:
    result.output = redact(result.output, hidden)
    if result.returncode != 0:
        raise PeerError(f"exit {result.returncode}: {first_error(result.output, hidden)}", result)
    return result
