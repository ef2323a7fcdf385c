"""Generate the benchmark source table ``bench_src.public.orders`` in PostgreSQL.

The rows are built server-side with ``generate_series`` and are a pure function of
the id, so every run (and every machine) produces byte-identical data and checksums:

    .venv/bin/python bench/gen_orders.py               # 2,000,000 rows
    .venv/bin/python bench/gen_orders.py --rows 50000

Connection: the test server of scripts/services.sh, overridable with
SPARKDMS_PG_HOST / _PORT / _USER / _PASSWORD (the same variables as the tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import psycopg
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
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be >= 1")
    print(f"Generating {SOURCE_DB}.public.{TABLE} with {args.rows:,} rows")
    try:
        seconds = generate(args.rows)
    except psycopg.OperationalError as exc:
        print(f"error: {exc}\nStart the servers with `make services`.", file=sys.stderr)
        return 2
    print(f"Done in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
