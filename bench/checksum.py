"""An engine-neutral checksum of a table: one canonical text per row, hashed and summed on
the server in SQL, plus the row count.

Every value is rendered the same way on PostgreSQL and MariaDB, whatever column type a tool
chose for it: integers as plain digits, decimals with a fixed scale, timestamps as
``YYYY-MM-DD HH:MM:SS.ffffff`` (sessions in UTC, so a ``timestamptz`` target of a naive
source compares equal), booleans as 1/0, text as is, NULL as ``<null>``; the values are joined
with ``|`` and the row's md5, its first 15 hex digits as an integer (60 bits), is summed.
A changed value, a lost NULL, a lost microsecond or a lost/duplicated row changes the sum.

    count, total = checksum(conn, "postgres", relation("postgres", "public", "orders"),
                            named("postgres", ORDERS_COLUMNS))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# (column, kind) of bench_src.orders (bench/gen_orders.py), in table order
ORDERS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_id", "int"), ("amount", "dec2"), ("ordered_at", "ts"), ("customer", "text"),
    ("note", "text"), ("is_paid", "bool"), ("quantity", "int"), ("coupon_id", "int"))

# kind -> SQL rendering of one value {v} as text (NULL stays NULL), per dialect
CANONICAL: dict[str, dict[str, str]] = {
    "postgres": {
        "int": "(({v})::bigint)::text",
        "dec2": "round(({v})::numeric, 2)::text",
        "ts": "to_char({v}, 'YYYY-MM-DD HH24:MI:SS.US')",
        "text": "({v})::text",
        "bool": "CASE lower(({v})::text) WHEN 'true' THEN '1' WHEN 't' THEN '1' WHEN '1' THEN '1'"
                " WHEN 'false' THEN '0' WHEN 'f' THEN '0' WHEN '0' THEN '0' END",
    },
    "mariadb": {
        "int": "CAST(CAST({v} AS SIGNED) AS CHAR)",
        "dec2": "CAST(CAST({v} AS DECIMAL(30,2)) AS CHAR)",
        "ts": "DATE_FORMAT({v}, '%Y-%m-%d %H:%i:%s.%f')",
        "text": "CAST({v} AS CHAR)",
        # bit(1) (what Spark's JDBC writer creates for a boolean) reads as the byte 1 or 0
        "bool": "CASE lower(CAST({v} AS CHAR)) WHEN 'true' THEN '1' WHEN '1' THEN '1'"
                " WHEN 'false' THEN '0' WHEN '0' THEN '0' WHEN x'01' THEN '1'"
                " WHEN x'00' THEN '0' END",
    },
}
ROW_HASH = {
    "postgres": "('x' || substr(md5({row}), 1, 15))::bit(60)::bigint",
    "mariadb": "CAST(CONV(SUBSTRING(MD5({row}), 1, 15), 16, 10) AS UNSIGNED)",
}
NULL_TEXT = "<null>"  # no backslash: MariaDB and PostgreSQL read '\\N' differently
SESSION_UTC = {"postgres": "SET TIME ZONE 'UTC'", "mariadb": "SET time_zone = '+00:00'"}


def quote(dialect: str, name: str) -> str:
    q = '"' if dialect == "postgres" else "`"
    return q + name.replace(q, q + q) + q


def relation(dialect: str, schema: str, table: str) -> str:
    return f"{quote(dialect, schema)}.{quote(dialect, table)}"


def named(dialect: str, columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(quoted column, kind) for columns given by name."""
    return [(quote(dialect, name), kind) for name, kind in columns]


def checksum_sql(dialect: str, source: str, columns: Sequence[tuple[str, str]]) -> str:
    """``source``: a quoted relation or a parenthesised subquery with an alias;
    ``columns``: (SQL expression, kind) in the order that defines the row text."""
    values = [f"coalesce({CANONICAL[dialect][kind].format(v=expr)}, '{NULL_TEXT}')"
              for expr, kind in columns]
    row = f"concat_ws('|', {', '.join(values)})"
    return f"SELECT count(*), coalesce(sum({ROW_HASH[dialect].format(row=row)}), 0) FROM {source}"


def checksum(conn: Any, dialect: str, source: str,
             columns: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """(row count, checksum) over an open DB-API connection (psycopg or PyMySQL)."""
    with conn.cursor() as cur:
        cur.execute(SESSION_UTC[dialect])
        cur.execute(checksum_sql(dialect, source, columns))
        count, total = cur.fetchone()
    return int(count), int(total)
