"""Fixtures for integration tests against the real servers of ``scripts/services.sh``.

Every test under ``tests/integration`` is marked ``integration``; a test that uses
``spark_master`` is also marked ``cluster``. A server that cannot be reached makes
the test FAIL, never skip: a skipped integration suite would hide a broken CI.

Endpoints are dicts with the task-file endpoint keys (``engine``, ``host``, ``port``,
``database``, ``user``, ``password``). Defaults are the fixed test credentials of
``scripts/services.sh``; override them with ``SPARKDMS_PG_{HOST,PORT,USER,PASSWORD,DATABASE}``
and ``SPARKDMS_MY_{ENGINE,HOST,PORT,USER,PASSWORD,DATABASE}``. Set
``SPARKDMS_KEEP_TEST_DBS=1`` to keep the per-test databases for inspection.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from psycopg import sql

Endpoint = dict[str, Any]

_HERE = Path(__file__).resolve().parent
_START_HINT = "Start the servers with `make services` (scripts/services.sh start)."
SPARK_MASTER = os.environ.get("SPARKDMS_SPARK_MASTER", "spark://127.0.0.1:7077")
SPARK_MASTER_UI = os.environ.get("SPARKDMS_SPARK_MASTER_UI", "http://127.0.0.1:8080")


def _endpoint_from_env(prefix: str, engine: str, port: int) -> Endpoint:
    def env(key: str, default: str) -> str:
        return os.environ.get(f"SPARKDMS_{prefix}_{key}", default)

    return {
        "engine": env("ENGINE", engine),
        "host": env("HOST", "127.0.0.1"),
        "port": int(env("PORT", str(port))),
        "database": env("DATABASE", "sparkdms"),
        "user": env("USER", "sparkdms"),
        "password": env("PASSWORD", "sparkdms_pw"),
    }


def _describe(endpoint: Endpoint) -> str:
    """Where an endpoint points, without its password."""
    return (
        f"{endpoint['engine']} at {endpoint['host']}:{endpoint['port']} "
        f"database {endpoint['database']!r} as user {endpoint['user']!r}"
    )


def _unique_db_name() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def _keep_test_dbs() -> bool:
    return os.environ.get("SPARKDMS_KEEP_TEST_DBS", "") not in ("", "0", "false")


# --------------------------------------------------------------------------- helpers


def pg_connect(endpoint: Endpoint, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg 3 connection to ``endpoint``; extra kwargs (e.g. autocommit=True) pass through."""
    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(
        host=endpoint["host"],
        port=int(endpoint["port"]),
        user=endpoint["user"],
        password=endpoint["password"],
        dbname=endpoint["database"],
        **kwargs,
    )


def my_connect(endpoint: Endpoint, **kwargs: Any) -> pymysql.connections.Connection:
    """A PyMySQL connection to ``endpoint`` (utf8mb4, LOCAL INFILE allowed); kwargs pass through."""
    kwargs.setdefault("connect_timeout", 5)
    kwargs.setdefault("charset", "utf8mb4")
    kwargs.setdefault("local_infile", True)
    return pymysql.connect(
        host=endpoint["host"],
        port=int(endpoint["port"]),
        user=endpoint["user"],
        password=endpoint["password"],
        database=endpoint["database"],
        **kwargs,
    )


# --------------------------------------------------------------------------- markers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, so only touch tests in this folder.
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
            if "spark_master" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.cluster)


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def _pg_server() -> Endpoint:
    endpoint = _endpoint_from_env("PG", "postgres", 5432)
    error = None
    try:
        with pg_connect(endpoint) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        error = str(exc).strip()
    if error is not None:  # failed outside the except block: no chained traceback noise
        pytest.fail(f"PostgreSQL unreachable: {_describe(endpoint)}: {error}\n{_START_HINT}", pytrace=False)
    return endpoint


@pytest.fixture(scope="session")
def _my_server() -> Endpoint:
    endpoint = _endpoint_from_env("MY", "mariadb", 3306)
    error = None
    try:
        with my_connect(endpoint) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
    except pymysql.MySQLError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(f"MariaDB unreachable: {_describe(endpoint)}: {error}\n{_START_HINT}", pytrace=False)
    return endpoint


@pytest.fixture
def pg_endpoint(_pg_server: Endpoint) -> Endpoint:
    """The PostgreSQL test server's maintenance database (a fresh copy per test)."""
    return dict(_pg_server)


@pytest.fixture
def my_endpoint(_my_server: Endpoint) -> Endpoint:
    """The MariaDB test server's default database (a fresh copy per test)."""
    return dict(_my_server)


@pytest.fixture
def pg_db(pg_endpoint: Endpoint) -> Iterator[Endpoint]:
    """A new, empty PostgreSQL database for one test; it and any "<name>_*" databases the
    test created are dropped afterwards."""
    name = _unique_db_name()
    with pg_connect(pg_endpoint, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield {**pg_endpoint, "database": name}
    if _keep_test_dbs():
        print(f"kept PostgreSQL test database {name}")
        return
    with pg_connect(pg_endpoint, autocommit=True) as conn:
        # Also drops databases the test derived from this one ("<name>_dst", ...).
        derived = conn.execute(
            "SELECT datname FROM pg_database WHERE left(datname, %s) = %s",
            (len(name) + 1, f"{name}_"),
        ).fetchall()
        for db in [name, *(row[0] for row in derived)]:
            # FORCE: Spark executors or a failed test may still hold connections.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


@pytest.fixture
def my_db(my_endpoint: Endpoint) -> Iterator[Endpoint]:
    """A new, empty MariaDB database (utf8mb4) for one test; it and any "<name>_*" databases
    the test created are dropped afterwards."""
    name = _unique_db_name()  # [0-9a-z_] only, so backtick quoting is enough
    with my_connect(my_endpoint, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield {**my_endpoint, "database": name}
    if _keep_test_dbs():
        print(f"kept MariaDB test database {name}")
        return
    with my_connect(my_endpoint, autocommit=True) as conn, conn.cursor() as cur:
        # Also drops databases the test derived from this one ("<name>_dst", ...).
        cur.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE LEFT(schema_name, %s) = %s",
            (len(name) + 1, f"{name}_"),
        )
        for db in [name, *(row[0] for row in cur.fetchall())]:
            cur.execute("DROP DATABASE IF EXISTS `{}`".format(db.replace("`", "``")))


# --------------------------------------------------------------------------- Spark cluster


@pytest.fixture(params=["postgres", "mariadb"])
def target(request: pytest.FixtureRequest, pg_db: Endpoint, my_db: Endpoint) -> Iterator[Endpoint]:
    """A relational target endpoint, once per engine: a second PostgreSQL database beside
    ``pg_db`` (dropped afterwards), then ``my_db``."""
    yield my_db if request.param == "mariadb" else request.getfixturevalue("pg_dst")


@contextlib.contextmanager
def pg_beside(pg_db: Endpoint, suffix: str) -> Iterator[Endpoint]:
    """Another PostgreSQL database named after ``pg_db``, dropped afterwards."""
    dst = {**pg_db, "database": pg_db["database"] + suffix}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    try:
        yield dst
    finally:
        with pg_connect(pg_db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dst["database"]}" WITH (FORCE)')


@pytest.fixture
def pg_dst(pg_db: Endpoint) -> Iterator[Endpoint]:
    """A second PostgreSQL database beside ``pg_db``, dropped afterwards."""
    with pg_beside(pg_db, "_dst") as dst:
        yield dst


def drop_replication_slots(endpoint: Endpoint) -> None:
    """Drop the database's replication slots (a database with a slot cannot be dropped)."""
    with pg_connect(endpoint, autocommit=True) as conn:
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                     "WHERE database = current_database()")


@pytest.fixture
def src(request: pytest.FixtureRequest, pg_db: Endpoint) -> Iterator[Endpoint]:
    """``pg_db`` with the test module's ``SCHEMA`` run in it; its replication slots are dropped
    afterwards (a database with a slot cannot be dropped). A module may define its own."""
    with pg_connect(pg_db) as conn:
        conn.execute(request.module.SCHEMA)
    yield pg_db
    drop_replication_slots(pg_db)


@pytest.fixture
def dst(src: Endpoint, pg_dst: Endpoint) -> Endpoint:
    """A second PostgreSQL database, set up after ``src`` (so its slots are dropped last)."""
    return pg_dst


@pytest.fixture(scope="session")
def spark_master() -> str:
    """URL of the standalone master of scripts/spark-cluster.sh, once it has a live worker."""
    state: dict[str, Any] = {}
    error = None
    try:
        with urllib.request.urlopen(f"{SPARK_MASTER_UI}/json/", timeout=5) as response:
            state = json.load(response)
    except (OSError, ValueError) as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(
            f"Spark master UI {SPARK_MASTER_UI} unreachable ({error}). "
            "Start the cluster with `make cluster` (scripts/spark-cluster.sh start).",
            pytrace=False,
        )
    if int(state.get("aliveworkers", 0)) < 1 or state.get("status") != "ALIVE":
        pytest.fail(
            f"Spark master {SPARK_MASTER} is {state.get('status')} with "
            f"{state.get('aliveworkers', 0)} alive worker(s); restart it with "
            "`make cluster` (scripts/spark-cluster.sh start).",
            pytrace=False,
        )
    return SPARK_MASTER


@pytest.fixture
def every_driver(spark: Any) -> Any:
    """In-process runs reuse the process's one Spark session: a module whose tests run
    ``sparkdms`` in process starts it with every engine's driver (the ``spark`` fixture),
    whichever of its tests runs first, alone or in the suite."""
    return spark
