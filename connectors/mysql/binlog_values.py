"""Binlog row values (as python-mysql-replication decodes them) turned into the Python values
the full load reads for the same column (``MySQLConnector.read_expr`` and Spark's types of
the logical type), one converter per logical kind:

- integers as int, ``bigint unsigned`` as Decimal (Spark's decimal(20,0)), ``tinyint(1)``
  as bool, decimals as Decimal at full precision (beyond 38 digits as their exact text, as
  the full load carries them), floats as float;
- ``datetime`` as a naive datetime, ``timestamp`` as a UTC-aware datetime, ``date`` as date;
  zero dates (``0000-00-00``, ``2024-00-10``, a zero ``timestamp``) as None, or a
  ``ZeroDateError`` when the endpoint's ``options.zero_date`` is ``error``;
- ``time`` as MySQL's own text (``-838:59:59.500`` for ``time(3)``), a duration for another
  family with the fraction's trailing zeros cut (PostgreSQL's interval text);
- ``binary(n)`` padded back to n bytes (the binlog drops trailing zero bytes);
- ``bit(n)`` as n characters of 0/1, ``year`` as 4 digits, ``enum`` as text, ``set`` as its
  members in definition order joined by commas (the empty set as ''), JSON as text;
- MariaDB ``uuid`` / ``inet4`` / ``inet6`` as their text, geometry as bytes (WKB without the
  SRID prefix for another family).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.errors import TerminalError
from sparkdms.types import INTEGER_KINDS, LType, parse_native

# what python-mysql-replication's row["none_sources"] says of a None that is not NULL
EMPTY_SET = "empty set"
ZERO_DATES = ("out of date range", "out of datetime range", "out of datetime2 range")
SAME_FAMILY = ("", "mysql")  # peers that read MySQL's own wire forms


class ZeroDateError(TerminalError):
    """A zero date in a change the endpoint's ``options.zero_date: error`` refuses."""


@dataclass(frozen=True)
class ValueContext:
    column: Column
    peer: str = ""  # the target's family (TablePlan.peer)


Convert = Callable[[Any, ValueContext], Any]


def _text(v: Any, _: ValueContext) -> str:
    return v.decode("utf-8") if isinstance(v, bytes | bytearray) else str(v)


def _bytes(v: Any, _: ValueContext) -> bytes:
    # python-mysql-replication gives an empty binary value as ''
    return bytes(v) if isinstance(v, bytes | bytearray) else str(v).encode("latin-1")


def _raw(v: Any) -> Any:
    """MariaDB's binary-stored types (uuid, inet4, inet6): '' is their all-zero value."""
    return b"" if v == "" else v


def _fixed_bytes(v: Any, ctx: ValueContext) -> bytes:
    return _bytes(v, ctx).ljust(ctx.column.ltype.length or 0, b"\0")


def _timestamptz(v: Any, _: ValueContext) -> dt.datetime | None:
    if v == dt.datetime(1970, 1, 1):  # 0 seconds: the zero timestamp (the range starts at 1s)
        return None
    return v.replace(tzinfo=dt.UTC)


def _fsp(ctx: ValueContext) -> int:
    return ctx.column.ltype.precision or parse_native(ctx.column.native_type).int_arg(0) or 0


def time_text(v: dt.timedelta, fsp: int) -> str:
    """A TIME value as MySQL prints it: [-]H:MM:SS with ``fsp`` fraction digits, hours at
    least two digits (``-838:59:59.500000``, ``01:02:03``)."""
    micros = abs(v // dt.timedelta(microseconds=1))
    seconds, frac = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    text = f"{'-' if v < dt.timedelta(0) else ''}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + (f".{frac:06d}"[: fsp + 1] if fsp else "")


def _time(v: Any, ctx: ValueContext) -> str:
    return time_text(v, _fsp(ctx)) if isinstance(v, dt.timedelta) else str(v)


def _duration(v: Any, ctx: ValueContext) -> str:
    text = _time(v, ctx)
    if ctx.peer in SAME_FAMILY or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def _year(v: Any, _: ValueContext) -> str:
    return "0000" if int(v) in (0, 1900) else f"{int(v):04d}"


def _set(v: Any, ctx: ValueContext) -> str:
    if isinstance(v, str):
        return v
    order = {m: i for i, m in enumerate(ctx.column.ltype.values)}
    return ",".join(sorted(v, key=lambda m: (order.get(m, len(order)), m)))


def _bit(v: Any, ctx: ValueContext) -> str:
    if isinstance(v, int):
        v = format(v, "b")
    return str(v).zfill(ctx.column.ltype.length or 1)


def _plain_json(v: Any) -> Any:
    """MySQL's binary JSON as decoded (bytes for strings and keys) as plain JSON values."""
    if isinstance(v, bytes | bytearray):
        return v.decode("utf-8")
    if isinstance(v, Mapping):
        return {_plain_json(k): _plain_json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain_json(x) for x in v]
    return v


def _json(v: Any, ctx: ValueContext) -> str:
    if isinstance(v, str | bytes | bytearray):  # MariaDB: longtext as written
        return _text(v, ctx)
    return json.dumps(_plain_json(v), ensure_ascii=False)  # MySQL's binary JSON


def _uuid(v: Any, ctx: ValueContext) -> str:
    v = _raw(v)
    if isinstance(v, bytes | bytearray):
        return str(uuid.UUID(bytes=bytes(v).ljust(16, b"\0")))
    return _text(v, ctx)


def _inet(v: Any, ctx: ValueContext) -> str:
    v = _raw(v)
    if not isinstance(v, bytes | bytearray):
        return _text(v, ctx)
    raw = bytes(v)
    if parse_native(ctx.column.native_type).name == "inet4":
        return str(ipaddress.IPv4Address(raw.ljust(4, b"\0")))
    addr = ipaddress.IPv6Address(raw.ljust(16, b"\0"))
    mapped = addr.ipv4_mapped
    return f"::ffff:{mapped}" if mapped else addr.compressed


def _geometry(v: Any, ctx: ValueContext) -> bytes:
    raw = _bytes(v, ctx)  # MySQL's internal form: 4-byte SRID, then WKB
    return raw if ctx.peer in SAME_FAMILY else raw[4:]


def _int(v: Any, _: ValueContext) -> int:
    return int(v)


def _decimal(v: Any, ctx: ValueContext) -> Decimal | str:
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    # beyond Spark's 38 digits the full load carries the exact text (sparkdms.types)
    return format(d, "f") if ctx.column.ltype.precision is None \
        or ctx.column.ltype.precision > 38 else d


def _same(v: Any, _: ValueContext) -> Any:
    return v


CONVERTERS: dict[str, Convert] = {
    **{k: _int for k in INTEGER_KINDS},
    "uint64": lambda v, _: Decimal(int(v)),  # Spark's decimal(20,0)
    "boolean": lambda v, _: bool(v), "decimal": _decimal,
    "float32": lambda v, _: float(v), "float64": lambda v, _: float(v),
    "char": _text, "varchar": _text, "text": _text, "enum": _text, "set": _set,
    "binary": _fixed_bytes, "varbinary": _bytes, "blob": _bytes, "geometry": _geometry,
    "date": _same, "timestamp": _same, "timestamptz": _timestamptz,
    "time": _time, "interval": _duration, "year": _year, "bit": _bit, "json": _json,
    "uuid": _uuid, "inet": _inet,
}


def _generic(v: Any, _: ValueContext) -> Any:
    """A column the catalog does not know (added since, or of a table outside the plan):
    the decoded value, sets and durations as MySQL's text."""
    if isinstance(v, dt.timedelta):
        return time_text(v, 6 if v.microseconds else 0)
    if isinstance(v, set | frozenset):
        return ",".join(sorted(v))
    return v


_UNKNOWN = ValueContext(Column("?", "unknown", LType("unknown")))


class RowConverter:
    """Binlog row images of one table as {column: full-load value}, by the catalog's column
    types; a column the catalog lacks keeps its decoded value (the core sees the drift), a
    catalog column the image lacks is left out. ``zero_date`` is the endpoint's
    ``options.zero_date`` (``null`` or ``error``)."""

    def __init__(self, table: Table, peer: str = "", zero_date: str = "null") -> None:
        self.table = table
        self.zero_date = zero_date
        self.columns = {c.name: (ValueContext(c, peer), CONVERTERS.get(c.ltype.kind, _text))
                        for c in table.columns}

    def __call__(self, values: Mapping[str, Any],
                 none_sources: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in values.items():
            ctx, convert = self.columns.get(name, (_UNKNOWN, _generic))
            if value is None:
                out[name] = self._none(name, (none_sources or {}).get(name, ""))
                continue
            try:
                out[name] = convert(value, ctx)
            except (TypeError, ValueError) as err:
                raise TerminalError(f"table {self.table.qualified}, column {name}: binlog value "
                                    f"{value!r:.80} cannot be read as "
                                    f"{ctx.column.native_type}: {err}") from err
            if out[name] is None:
                self._zero(name, value)
        return out

    def _none(self, name: str, source: str) -> Any:
        if source == EMPTY_SET:
            return ""
        if source in ZERO_DATES:
            self._zero(name, "a zero date")
        return None

    def _zero(self, name: str, value: Any) -> None:
        if self.zero_date == "error":
            raise ZeroDateError(f"table {self.table.qualified}, column {name}: change with zero "
                                f"date ({value}); source.options.zero_date is 'error' (set it "
                                "to 'null' to apply them as NULL)")
