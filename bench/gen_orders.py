"""Generate the benchmark source table ``bench_src.public.orders`` in PostgreSQL, and the
same rows in MariaDB ``bench_src.orders``.

The rows are built server-side with ``generate_series`` and are a pure function of
the id, so every run (and every machine) produces byte-identical data and checksums.
The MariaDB copy is the PostgreSQL table's ``COPY ... TO`` text file loaded with
``LOAD DATA LOCAL INFILE`` (same values by construction; bench/checksum.py compares them):

    .venv/bin/python bench/gen_orders.py               # 2,000,000 rows, both servers
    .venv/bin/python bench/gen_orders.py --rows 50000 --only postgres

Connection: the test servers of scripts/services.sh, overridable with
SPARKDMS_PG_HOST / _PORT / _USER / _PASSWORD and SPARKDMS_MY_HOST / _PORT / _USER /
_PASSWORD (the same variables as the tests).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import pymysql
from psycopg import sql

SOURCE_DB = "bench_src"
TABLE = "orders"
CHUNK_ROWS = 500_000

# Column set: the types a typical OLTP table has, with NULLs in the nullable ones.
ORDERS_DDL = """
CREATE TABLE public.orders (
    order_id    bigint        NOT NULL,
    amount      numeric(12,2) NOT NULL,
    ordered_at  timestamp     NOT NULL,
    customer    varchar(64)   NOT NULL,
    note        text,
    is_paid     boolean       NOT NULL,
    quantity    integer,
    coupon_id   integer
)"""
ORDERS_PK = "ALTER TABLE public.orders ADD PRIMARY KEY (order_id)"

# Deterministic values derived from g; note is NULL for 10 % of rows and 32..128 chars
# otherwise, quantity NULL for 1/7, coupon_id set for 1/5.
INSERT_CHUNK = """
INSERT INTO public.orders
SELECT g,
       ((g * 7919) % 1000000) / 100.0,
       timestamp '2020-01-01' + ((g * 104729) % 157680000) * interval '1 second',
       'customer-' || lpad((g % 50000)::text, 5, '0'),
       CASE WHEN g % 10 = 0 THEN NULL ELSE repeat(md5(g::text), 1 + (g % 4)::int) END,
       g % 3 <> 0,
       CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 100)::int END,
       CASE WHEN g % 5 = 0 THEN (g % 1000)::int END
FROM generate_series({lo}::bigint, {hi}::bigint) AS g
"""


# The same table in MariaDB (booleans are TINYINT(1), timestamps DATETIME(6)).
MY_ORDERS_DDL = """
CREATE TABLE `orders` (
    order_id    BIGINT        NOT NULL PRIMARY KEY,
    amount      DECIMAL(12,2) NOT NULL,
    ordered_at  DATETIME(6)   NOT NULL,
    customer    VARCHAR(64)   NOT NULL,
    note        TEXT,
    is_paid     BOOLEAN       NOT NULL,
    quantity    INT,
    coupon_id   INT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""
# PostgreSQL text COPY of the orders with booleans as 1/0: LOAD DATA's default format
# (tab-separated, backslash escapes, \N for NULL) reads it as it is.
COPY_FOR_MARIADB = ("COPY (SELECT order_id, amount, ordered_at, customer, note, is_paid::int, "
                    "quantity, coupon_id FROM public.orders ORDER BY order_id) TO STDOUT")


def pg_params(database: str) -> dict[str, Any]:
    """Connection keywords for the benchmark server (password from the environment)."""
    return {
        "host": os.environ.get("SPARKDMS_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("SPARKDMS_PG_PORT", "5432")),
        "user": os.environ.get("SPARKDMS_PG_USER", "sparkdms"),
        "password": os.environ.get("SPARKDMS_PG_PASSWORD", "sparkdms_pw"),
        "dbname": database,
        "connect_timeout": 5,
    }


def connect(database: str, autocommit: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(**pg_params(database), autocommit=autocommit)


def my_params(database: str | None) -> dict[str, Any]:
    """PyMySQL keywords for the benchmark MariaDB (password from the environment)."""
    return {
        "host": os.environ.get("SPARKDMS_MY_HOST", "127.0.0.1"),
        "port": int(os.environ.get("SPARKDMS_MY_PORT", "3306")),
        "user": os.environ.get("SPARKDMS_MY_USER", "sparkdms"),
        "password": os.environ.get("SPARKDMS_MY_PASSWORD", "sparkdms_pw"),
        "database": database,
        "connect_timeout": 5,
    }


def my_connect(database: str | None = None) -> pymysql.connections.Connection:
    return pymysql.connect(**my_params(database), charset="utf8mb4", local_infile=True,
                           autocommit=True)


def my_recreate_database(name: str) -> None:
    quoted = "`" + name.replace("`", "``") + "`"
    with my_connect() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quoted}")
        cur.execute(f"CREATE DATABASE {quoted} CHARACTER SET utf8mb4")


def my_source_rows() -> int | None:
    """Rows in MariaDB bench_src.orders, or None when the table or database is missing."""
    with my_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = %s AND table_name = %s", (SOURCE_DB, TABLE))
        if not cur.fetchone()[0]:
            return None
        cur.execute(f"SELECT count(*) FROM `{SOURCE_DB}`.`{TABLE}`")
        return int(cur.fetchone()[0])


def plain_tls_env() -> dict[str, str]:
    """libpq's PGSSLMODE for the floors and the libpq peers: no TLS to a loopback server, as
    sparkdms connects there by default (connectors/postgres/tls.py), so no method pays it."""
    from sparkdms.connectors.postgres.tls import is_loopback

    return {"PGSSLMODE": "disable"} if is_loopback(pg_params("postgres")["host"]) else {}


def psql_env() -> dict[str, str]:
    """The environment for psql: the password travels in PGPASSWORD, never on a command line."""
    return {**os.environ, "PGPASSWORD": pg_params("postgres")["password"], **plain_tls_env()}


def psql_cmd(database: str, command: str) -> list[str]:
    p = pg_params(database)
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", p["host"], "-p", str(p["port"]),
            "-U", p["user"], "-d", database, "-c", command]  # fmt: skip


def generate_mariadb(log: Any = print) -> float:
    """(Re)create MariaDB bench_src.orders from the PostgreSQL source; returns seconds."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sparkdms-gen-") as tmp:
        path = Path(tmp) / "orders.tsv"
        with path.open("wb") as out:
            subprocess.run(psql_cmd(SOURCE_DB, COPY_FOR_MARIADB), stdout=out, env=psql_env(),
                           check=True)
        my_recreate_database(SOURCE_DB)
        with my_connect(SOURCE_DB) as conn, conn.cursor() as cur:
            cur.execute(MY_ORDERS_DDL)
            cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE `orders`", (str(path),))
            cur.execute("ANALYZE TABLE `orders`")
            cur.fetchall()
            cur.execute(f"SELECT count(*) FROM `{TABLE}`")
            log(f"  MariaDB {SOURCE_DB}.orders: {cur.fetchone()[0]:,} rows")
    return time.perf_counter() - started


def recreate_database(name: str) -> None:
    """Drop (closing its connections) and create an empty database."""
    with connect("postgres") as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def database_exists(name: str) -> bool:
    with connect("postgres") as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def source_rows() -> int | None:
    """Rows in bench_src.public.orders, or None when the table or database is missing."""
    if not database_exists(SOURCE_DB):
        return None
    with connect(SOURCE_DB) as conn:
        if conn.execute("SELECT to_regclass('public.orders')").fetchone()[0] is None:
            return None
        return int(conn.execute("SELECT count(*) FROM public.orders").fetchone()[0])


def generate(rows: int, log: Any = print) -> float:
    """(Re)create bench_src.public.orders with ``rows`` rows; returns the seconds taken."""
    started = time.perf_counter()
    recreate_database(SOURCE_DB)
    with connect(SOURCE_DB) as conn:
        conn.execute(ORDERS_DDL)
        for lo in range(1, rows + 1, CHUNK_ROWS):
            hi = min(lo + CHUNK_ROWS - 1, rows)
            # Bounds as literals: no parameters, so '%' stays the modulo operator.
            conn.execute(sql.SQL(INSERT_CHUNK).format(lo=sql.Literal(lo), hi=sql.Literal(hi)))
            log(f"  orders: {hi:,} / {rows:,} rows")
        conn.execute(ORDERS_PK)  # after the load, as pg_restore does: faster than row by row
        conn.execute("VACUUM (ANALYZE) public.orders")  # hint bits + stats: reads are not skewed
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('public.orders'))")
        log(f"  orders: {rows:,} rows, {size.fetchone()[0]} with its primary key")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows (default 2,000,000)")
    parser.add_argument("--only", choices=("postgres", "mariadb"), help="one server only")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be >= 1")
    started = time.perf_counter()
    try:
        if args.only != "mariadb":
            print(f"Generating {SOURCE_DB}.public.{TABLE} with {args.rows:,} rows")
            generate(args.rows)
        if args.only != "postgres":
            print(f"Copying {SOURCE_DB}.public.{TABLE} to MariaDB {SOURCE_DB}.{TABLE}")
            generate_mariadb()
    except (psycopg.OperationalError, pymysql.err.OperationalError) as exc:
        print(f"error: {exc}\nStart the servers with `make services`.", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    print(f"Done in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
