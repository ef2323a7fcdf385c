"""MySQL/MariaDB target: each Arrow batch written with ``LOAD DATA LOCAL INFILE`` instead of
row INSERTs, under the writer's per-partition transaction.

The batch becomes LOAD DATA's text form with Arrow compute only (no per-value Python):
tab-separated fields, one line per row, ``\\`` as the escape character (backslash, tab,
newline, carriage return and NUL escaped in text), NULL as ``\\N``, booleans as 1/0,
dates and timestamps as MySQL literals at microsecond precision, decimals in plain
notation, floats in their shortest round-trip form, binary as hex loaded through
``UNHEX``. The text goes to a temporary file in the worker's temp dir, deleted right after.

With LOCAL, the server cannot stop the client's upload, so data-interpretation and
duplicate-key errors become WARNINGS and rows are cut or skipped (MySQL: "LOCAL has the
same effect as IGNORE"). So every LOAD runs inside a SAVEPOINT, and a batch whose LOAD
left a warning, or loaded another number of rows than the batch holds, is rolled back to
it and written again through the INSERT path, which fails with the exact error (or feeds
the reject guard) as it always did. Columns whose Arrow type and target type have no text
form known to load exactly like the INSERT's literal (``TARGETS``) send the whole table
through INSERTs.
https://mariadb.com/kb/en/load-data-infile/
https://dev.mysql.com/doc/refman/8.0/en/load-data.html
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SAVEPOINT = "sdms_bulk"
NULL = "\\N"
# the escape character first: the later replacements add backslashes of their own
ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("\x00", "\\0"))
# the server refuses LOCAL (local_infile off, MariaDB 1148 / MySQL 3948), or the client does
LOCAL_REFUSED = frozenset({1148, 3948, 2068})
LOST = frozenset({2006, 2013, 2055})  # the connection is gone: no INSERT can follow either

# -- target column types (information_schema.COLUMNS.DATA_TYPE) ----------------------------
INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
NUMBERS = INTEGERS | {"decimal", "numeric", "float", "double", "real"}
STRINGS = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json"})
BINARIES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
TEMPORALS = frozenset({"date", "datetime", "timestamp"})
SPATIAL = frozenset({"geometry", "point", "linestring", "polygon", "multipoint",
                     "multilinestring", "multipolygon", "geometrycollection"})
UNHEX = "UNHEX({v})"
AS_NUMBER = "CAST({v} AS UNSIGNED)"  # a BIT column takes LOAD DATA text as bytes, not a number


# Arrow family -> target types whose LOAD DATA text stores what the INSERT's literal stores,
# and the SET expression a column needs (None: loaded as it is). Numbers into YEAR or ENUM
# are not here on purpose: a number means something else there than its text does.
NUMERIC_INTO: dict[str, str | None] = {**dict.fromkeys(NUMBERS | STRINGS), "bit": AS_NUMBER}
ANY = None  # every target type but the spatial ones, loaded as it is
TARGETS: dict[str, dict[str, str | None] | None] = {
    "null": ANY,
    "bool": NUMERIC_INTO,
    "int": NUMERIC_INTO,
    "decimal": NUMERIC_INTO,
    "float": dict.fromkeys(("float", "double", "real")),
    "text": ANY,
    "binary": dict.fromkeys(BINARIES, UNHEX),
    "date": dict.fromkeys(TEMPORALS),
    "timestamp": dict.fromkeys(TEMPORALS),
    "time": {"time": None},
    "duration": {"time": None},
}


# -- Arrow -> LOAD DATA text, per column (nulls stay null; NULL is written later) ----------
def _escaped(a: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    a = a.cast(pa.string()) if pa.types.is_large_string(a.type) else a
    for raw, escaped in ESCAPES:
        a = pc.replace_substring(a, raw, escaped)
    return a


def _bool(a: Any) -> Any:
    import pyarrow.compute as pc

    return pc.if_else(a, "1", "0")


def _cast(a: Any) -> Any:
    import pyarrow as pa

    return a.cast(pa.string())


def _float(a: Any) -> Any:
    """Shortest round-trip text of the value as a double (as PyMySQL's ``repr``): a float32
    is widened first, so a DOUBLE column gets the same value the INSERT gave it."""
    import pyarrow as pa

    return a.cast(pa.float64()).cast(pa.string())


def _decimal(a: Any) -> Any:
    """Plain notation with the column's scale (``format(d, 'f')`` as PyMySQL): Arrow writes
    small values with an exponent (0E-18), so those under 1 are written from 1 + |x|."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = a.cast(pa.string())
    scale = a.type.scale
    if scale <= 6:  # no exponent below an adjusted exponent of -6
        return text
    wide = a.cast(pa.decimal256(a.type.precision + 2, scale))
    magnitude = pc.abs(wide)
    one = pa.scalar(1, pa.decimal256(1, 0))
    shifted = pc.add(magnitude, one).cast(pa.decimal256(a.type.precision + 2, scale))
    digits = pc.utf8_slice_codeunits(shifted.cast(pa.string()), 1)  # "1.000..." -> ".000..."
    sign = pc.if_else(pc.less(wide, pa.scalar(0, pa.decimal256(1, 0))), "-0", "0")
    small = pc.binary_join_element_wise(sign, digits, "")
    return pc.if_else(pc.less(magnitude, one), small, text)


def _hex(a: Any) -> Any:
    """Uppercase hex of each value (numpy over the values buffer, no per-value Python)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    width = np.int64 if pa.types.is_large_binary(a.type) else np.int32
    bufs = a.buffers()
    offsets = np.frombuffer(bufs[1], width)[a.offset:a.offset + len(a) + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
    start, end = int(offsets[0]), int(offsets[-1])
    hexed = HEX_DIGITS[data[start:end]].reshape(-1)
    built = pa.Array.from_buffers(pa.large_string(), len(a),
                                  [None, pa.py_buffer((offsets - start) * 2),
                                   pa.py_buffer(hexed)])
    return pc.if_else(a.is_valid(), built, pa.scalar(None, pa.large_string())).cast(pa.string())


def _timestamp(a: Any) -> Any:
    """The wall clock of the array's time zone (what ``to_pylist`` gives PyMySQL), with six
    fractional digits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if a.type.tz is not None:
        a = pc.local_timestamp(a)
    return a.cast(pa.timestamp("us")).cast(pa.string())


def _time(a: Any) -> Any:
    import pyarrow as pa

    return a.cast(pa.time64("us")).cast(pa.string())


def _duration(a: Any) -> Any:
    """[-]HH:MM:SS.ffffff with as many hours as it takes (PyMySQL's ``escape_timedelta``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    us = a.cast(pa.duration("us")).cast(pa.int64())
    size = pc.abs(us)

    def part(unit: int, modulo: int | None) -> Any:
        whole = pc.divide(size, unit)  # integer division (of values >= 0)
        return whole if modulo is None else pc.subtract(whole, pc.multiply(
            pc.divide(whole, modulo), modulo))

    parts = [(part(3_600_000_000, None), 2), (part(60_000_000, 60), 2),
             (part(1_000_000, 60), 2), (part(1, 1_000_000), 6)]
    hh, mm, ss, frac = (pc.utf8_lpad(p.cast(pa.string()), w, "0") for p, w in parts)
    sign = pc.if_else(pc.less(us, 0), "-", "")
    return pc.binary_join_element_wise(sign, hh, ":", mm, ":", ss, ".", frac, "")


def _family(t: Any) -> str | None:
    import pyarrow as pa

    tests: tuple[tuple[str, Callable[[Any], bool]], ...] = (
        ("null", pa.types.is_null), ("bool", pa.types.is_boolean),
        ("int", pa.types.is_integer), ("float", pa.types.is_floating),
        ("decimal", pa.types.is_decimal),
        ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("binary", lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t)),
        ("date", pa.types.is_date),
        ("timestamp", lambda t: pa.types.is_timestamp(t) and t.unit in ("s", "ms", "us")),
        ("time", lambda t: pa.types.is_time(t) and t.unit in ("s", "ms", "us")),
        ("duration", lambda t: pa.types.is_duration(t) and t.unit in ("s", "ms", "us")),
    )
    return next((name for name, test in tests if test(t)), None)


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "null": _cast, "bool": _bool, "int": _cast, "float": _float, "decimal": _decimal,
    "text": _escaped, "binary": _hex, "date": _cast, "timestamp": _timestamp, "time": _time,
    "duration": _duration,
}


def _hex_digits() -> Any:
    import numpy as np

    return np.frombuffer(b"".join(b"%02X" % i for i in range(256)), np.uint8).reshape(256, 2)


HEX_DIGITS = _hex_digits()


def encode_column(a: Any) -> Any:
    """One column as LOAD DATA fields (a string array without nulls); KeyError for an
    Arrow type that has no text form here."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    family = _family(a.type)
    if family is None:
        raise KeyError(str(a.type))
    if family == "null":
        return pc.fill_null(pa.nulls(len(a), pa.string()), NULL)
    return pc.fill_null(ENCODERS[family](a), NULL)


def encode(batch: Any) -> Any:
    """The batch as LOAD DATA text: a string array of lines (each ends in a newline), whose
    values buffer, end to end, is the file's content."""
    import pyarrow.compute as pc

    fields = [encode_column(a) for a in batch.columns]
    fields[-1] = pc.binary_join_element_wise(fields[-1], "\n", "")
    return fields[0] if len(fields) == 1 else pc.binary_join_element_wise(*fields, "\t")


def text_bytes(lines: Any) -> memoryview:
    """The bytes of ``encode``'s lines, without a copy."""
    import numpy as np

    offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset:lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


# -- the load ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadPlan:
    """How one table's batches are loaded: the statement, its file name bound as a
    parameter."""

    sql: str


def column_setting(arrow_type: Any, target: str) -> tuple[bool, str | None]:
    """(loadable, SET expression template or None) of one column."""
    family = _family(arrow_type)
    if family is None:
        return False, None
    allowed = TARGETS[family]
    if allowed is ANY:
        return target not in SPATIAL or family == "null", None
    return target in allowed, allowed.get(target)


def load_sql(connector: Any, spec: Any, settings: list[str | None],
             extra: tuple[str, ...] = ()) -> str:
    """``LOAD DATA LOCAL INFILE %s INTO TABLE ...`` with a user variable per column that
    needs a SET expression, then the ``extra`` SET assignments; ``%`` of names doubled (the
    file name is the one parameter)."""
    targets, sets = [], list(extra)
    for i, (name, setting) in enumerate(zip(spec.columns, settings, strict=True)):
        q = connector.quote(name)
        if setting is None:
            targets.append(q)
        else:
            var = f"@sdms_v{i}"
            targets.append(var)
            sets.append(f"{q} = {setting.format(v=var)}")
    table = connector.qualify(spec.schema, spec.stage_table)
    rest = (f"INTO TABLE {table} CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
            f"({', '.join(targets)})" + (f" SET {', '.join(sets)}" if sets else ""))
    return "LOAD DATA LOCAL INFILE %s " + rest.replace("%", "%%")


def plan_load(connector: Any, cur: Any, spec: Any, batch: Any) -> LoadPlan | None:
    """The table's load, from its target column types; None: the table goes through
    INSERTs (a column without an exact text form, or bulk load turned off)."""
    if not connector.endpoint.options.get("bulk_load", True):
        return None
    cur.execute("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (spec.schema, spec.stage_table))
    types = {str(n).lower(): str(t).lower() for n, t in cur.fetchall()}
    settings: list[str | None] = []
    for name, field in zip(spec.columns, batch.schema, strict=True):
        ok, setting = column_setting(field.type, types.get(name.lower(), "?"))
        if not ok:
            log.info("table %s: column %s (%s into %s) is written with INSERTs",
                     spec.table_key, name, field.type, types.get(name.lower(), "?"))
            return None
        settings.append(setting)
    return LoadPlan(load_sql(connector, spec, settings))


@contextlib.contextmanager
def temp_file(content: memoryview) -> Iterator[str]:
    """The content in a file of the worker's temp dir, removed on the way out."""
    fd, path = tempfile.mkstemp(prefix="sdms-load-", suffix=".tsv")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def answering_file_requests(conn: Any) -> Iterator[None]:
    """The connection sends a local file only during our own LOAD DATA (``connect`` leaves
    it off; the capability itself is announced at connect time)."""
    conn._local_infile = True
    try:
        yield
    finally:
        conn._local_infile = False


class BulkWriter:
    """One attempt's bulk loads (one per connector instance, i.e. per task attempt):
    ``batches`` loaded, ``fallbacks`` redone through INSERTs and why."""

    def __init__(self, connector: Any) -> None:
        self.connector = connector
        self.plans: dict[str, LoadPlan | None] = {}
        self.batches = 0
        self.fallbacks: list[str] = []

    def plan(self, cur: Any, spec: Any, batch: Any) -> LoadPlan | None:
        key = f"{spec.schema}.{spec.stage_table}"
        if key not in self.plans:
            self.plans[key] = plan_load(self.connector, cur, spec, batch)
        return self.plans[key]

    def write(self, cur: Any, spec: Any, batch: Any) -> int | None:
        """Rows loaded; None: the batch was not loaded (nothing of it is in the table) and
        goes through INSERTs."""
        import pyarrow as pa

        plan = self.plan(cur, spec, batch)
        if plan is None or batch.num_rows == 0:
            return None if plan is None else 0
        try:
            text = text_bytes(encode(batch))
        except (KeyError, pa.ArrowException) as err:
            return self._fallback(spec, f"no text form ({err})")
        with temp_file(text) as path:
            del text
            return self._load(cur, spec, plan, path, batch.num_rows)

    def _load(self, cur: Any, spec: Any, plan: LoadPlan, path: str, rows: int) -> int | None:
        import pymysql

        cur.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            with answering_file_requests(cur.connection):
                cur.execute(plan.sql, (path,))
        except pymysql.err.MySQLError as err:
            code = err.args[0] if err.args and isinstance(err.args[0], int) else None
            if code in LOST:
                raise
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            if code in LOCAL_REFUSED:
                self.plans = dict.fromkeys(self.plans)  # every later batch: INSERTs
                log.warning("table %s: LOAD DATA LOCAL refused (%s); writing with INSERTs "
                            "(turn local_infile on in the server to load faster)",
                            spec.table_key, err)
            return self._fallback(spec, f"LOAD DATA failed: {err}")
        loaded, warnings = cur.rowcount, cur.warning_count
        if loaded != rows or warnings:
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            return self._fallback(spec, f"LOAD DATA loaded {loaded} of {rows} row(s) with "
                                        f"{warnings} warning(s)")
        cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        self.batches += 1
        return rows

    def _fallback(self, spec: Any, why: str) -> None:
        self.fallbacks.append(why)
        log.info("table %s: a batch is written again with INSERTs: %s", spec.table_key, why)
        return None


def writer_of(connector: Any) -> BulkWriter:
    """The connector instance's bulk writer (made on first use)."""
    found = connector.__dict__.get("_bulk_writer")
    if found is None:
        found = connector.__dict__["_bulk_writer"] = BulkWriter(connector)
    return found
