"""PostgreSQL as the source of a direct copy between engines: each partition's rows as the
neutral text stream (connectors/wire.py), made by the server's own text COPY.

One ``COPY (SELECT ...) TO STDOUT`` per partition, in text format, whose output already is
the stream's form: tab-separated, ``\\N`` for NULL, one line per row. The session fixes
the text of each form: ``DateStyle = ISO, YMD`` (dates ``YYYY-MM-DD``, timestamps
``YYYY-MM-DD HH:MM:SS[.ffffff]``), ``bytea_output = 'hex'`` (``\\x`` and hex, the
backslash escaped by COPY as the stream wants it), UTF8, ``extra_float_digits = 3`` (the
shortest exact digits of a float8; a real is cast to float8 first), ``TimeZone = UTC``
(an instant goes out ``AT TIME ZONE 'UTC'``, a timestamp without its offset). Booleans go
out as ``c::int`` (1/0); integers, numerics and text as their own output; the kinds Spark
carries as text as the DataFrame path's read expression (``read_expr``).

PostgreSQL's COPY also escapes backspace, form feed and vertical tab (``\\b``, ``\\f``,
``\\v``), which the stream does not allow (LOAD DATA would read ``\\f`` as ``f``): a block
where such an escape may be present is rewritten with those three as their raw bytes
(``raw_escapes``), an escaped backslash left as it is.

Values PostgreSQL prints that another engine has no value for (``infinity``, a BC date, a
year past 9999, a numeric ``NaN``) go out as PostgreSQL prints them: the target refuses
them and the table is redone through Spark rows.

The executor reads the COPY through psycopg, one message per row, and hands the target
blocks of whole rows of about ``CHUNK`` bytes; a COPY that fails part-way raises, so the
target's attempt never commits a partial partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sparkdms.connectors.base import TextStream
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.wire import WireColumn, wire_columns

from sparkdms.plan import TablePlan

APPLICATION = "sparkdms text copy"  # its sessions' application_name (pg_stat_activity)
CHUNK = 1 << 20
SESSION_SQL = ("SET DateStyle = 'ISO, YMD'", "SET extra_float_digits = 3",
               "SET TimeZone = 'UTC'",
               "SET bytea_output = 'hex'", "SET client_encoding = 'UTF8'",
               "SET IntervalStyle = 'postgres'", "SET max_parallel_workers_per_gather = 0",
               f"SET application_name = '{APPLICATION}'")

# form -> the SELECT's expression of a quoted column (COPY prints it in the stream's form)
TEXT: dict[str, Callable[[str], str]] = {
    "integer": lambda q: q,
    "decimal": lambda q: q,
    "boolean": lambda q: f"{q}::int",
    "text": lambda q: q,
    "date": lambda q: q,
    "timestamp": lambda q: q,
    "timestamptz": lambda q: f"({q} AT TIME ZONE 'UTC')",
    "binary": lambda q: q,
    "float": lambda q: f"CAST({q} AS float8)",
}

# COPY's escapes the stream has no place for, as their raw bytes
RAW = ((b"\\b", b"\x08"), (b"\\f", b"\x0c"), (b"\\v", b"\x0b"))
ESCAPED_BACKSLASH = b"\\\\"


def _raw(piece: bytes) -> bytes:
    for escape, raw in RAW:
        piece = piece.replace(escape, raw)
    return piece


def raw_escapes(block: bytes) -> bytes:
    """``block`` (whole lines of COPY text) with ``\\b``, ``\\f``, ``\\v`` as raw bytes.

    In COPY's text every backslash starts a two-byte escape, so the first ``\\\\`` in a
    block is an escaped backslash (were its first byte an escape's second, that escape would
    be an earlier ``\\\\``): split on them from the left, the pieces hold only escapes
    that start where they seem to, and the escaped backslashes are kept as they are."""
    if all(escape not in block for escape, _ in RAW):
        return block
    if ESCAPED_BACKSLASH not in block:
        return _raw(block)
    return ESCAPED_BACKSLASH.join(_raw(p) for p in block.split(ESCAPED_BACKSLASH))


def _value(connector: Any, plan: TablePlan, c: WireColumn) -> str:
    if c.form == "astext":  # the text the DataFrame path reads (``read_expr``)
        return connector.read_expr(plan.source.column(c.source), plan.peer)
    return TEXT[c.form](connector.quote(c.source))


def text_stream(connector: Any, plan: TablePlan) -> TextStream | None:
    """One COPY query per partition: the plan's filters and the partition's predicate."""
    cols = wire_columns(plan)
    if cols is None or any(c.form not in TEXT and c.form != "astext" for c in cols):
        return None
    select = ", ".join(_value(connector, plan, c) for c in cols)
    base = f"SELECT {select} FROM {connector.qualify(plan.source.schema, plan.source.name)}"
    queries = tuple(base + connector.where_sql(plan.filters, plan.source, [p] if p else [])
                    for p in sqlparts.predicates(plan.partitioning.parts))
    return TextStream(tuple(c.target for c in cols), queries)


# -- executor side -------------------------------------------------------------------------
def blocks(rows: Iterable[Any], size: int = CHUNK) -> Iterator[bytes]:
    """COPY's rows joined in blocks of about ``size`` bytes, escapes made the stream's."""
    from sparkdms.connectors.sql.direct import rebatched

    for block in rebatched(rows, size):
        yield raw_escapes(block)


def chunks(connector: Any, query: str) -> Iterator[bytes]:
    """The lines of ``query``'s rows through a text COPY on a session of its own; its
    connection is closed when the stream ends or is closed."""
    conn = connector.connect()
    try:
        with conn.cursor() as cur:
            for sql in SESSION_SQL:
                cur.execute(sql)
            with cur.copy(f"COPY ({query}) TO STDOUT") as copy:
                yield from blocks(copy)
        conn.rollback()
    finally:
        conn.close()
