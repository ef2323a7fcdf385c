"""Amazon Redshift types <-> logical types: PostgreSQL's tables plus Redshift's rows.

https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html

Differences from PostgreSQL: no ``bytea`` (``varbyte``, up to 1,024,000 bytes), no
arrays/json/uuid/interval/inet columns (``super`` holds JSON and arrays; the others are
text), ``varchar`` stops at 65,535 bytes and ``text`` means ``varchar(256)`` (so text is
written as ``varchar(65535)``), decimals stop at 38 digits, no CHECK constraints.

Lengths: Redshift counts ``varchar(n)`` in bytes of UTF-8 and ``char(n)`` holds single-byte
characters only, while the other engines count characters. So a source ``varchar(n)`` or
``char(n)`` becomes ``varchar(4n)`` (four bytes per character at most, capped at 65,535), and
an enum or set ``varchar`` of its members' exact UTF-8 length. Text longer than 65,535 bytes
cannot be stored (the load stops on it naming the table; a column override to ``super`` holds
up to 16 MB of JSON).
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules
from sparkdms.connectors.postgres.types import LOGICAL_PG, NATIVE_PG, PG_RESERVED
from sparkdms.connectors.postgres.types import fallback as pg_fallback

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, fixed, frac, same, sized
from sparkdms.types import LType

MAX_VARCHAR = 65535


def _decimal(t: LType) -> str:
    if t.precision is None:
        return "numeric(38,10)"
    scale = min(t.scale or 0, 37)
    return f"numeric({min(max(t.precision, scale), 38)},{scale})"


UTF8_MAX = 4  # bytes per character at most


def _varchar(t: LType) -> str:
    """Character lengths as bytes (see above)."""
    return f"character varying({min(t.length * UTF8_MAX, MAX_VARCHAR)})" if t.length else \
        f"character varying({MAX_VARCHAR})"


def _members(t: LType, joined: bool) -> str:
    sizes = [len(v.encode()) for v in t.values]
    size = (sum(sizes) + max(len(sizes) - 1, 0)) if joined else max(sizes, default=0)
    if not size:
        return _varchar(t) if t.length else "character varying(255)"
    return f"character varying({min(max(size, 1), MAX_VARCHAR)})"


def _varbyte(t: LType) -> str:
    return f"varbyte({min(t.length, 1024000)})" if t.length else "varbyte(1024000)"


NATIVE_REDSHIFT: dict[str, NativeRule] = {
    **NATIVE_PG,
    "super": fixed("json"), "varbyte": sized("varbinary"), "varbinary": sized("varbinary"),
    "binary varying": sized("varbinary"), "geometry": fixed("geometry"),
    "geography": fixed("geometry"), "hllsketch": fixed("text"),
}

LOGICAL_REDSHIFT: dict[str, LogicalRule] = {
    **LOGICAL_PG,
    "uint64": same("numeric(20,0)"), "decimal": _decimal,
    "char": lambda t: _varchar(t.with_(length=t.length or 1)),
    "varchar": _varchar, "text": same(f"character varying({MAX_VARCHAR})"),
    "citext": same(f"character varying({MAX_VARCHAR})"),
    "binary": _varbyte, "varbinary": _varbyte, "blob": _varbyte, "geometry": _varbyte,
    "time": lambda t: frac("time", t, 6, 6), "timetz": lambda t: frac("timetz", t, 6, 6),
    "interval": same("character varying(64)"), "json": same("super"), "document": same("super"),
    "array": same("super"), "uuid": same("character(36)"), "xml": same(f"character varying({MAX_VARCHAR})"),
    "inet": same("character varying(43)"),
    "enum": lambda t: _members(t, joined=False),
    "set": lambda t: _members(t, joined=True),
    "bit": lambda t: f"character varying({t.length or 1})",
    "varbit": lambda t: f"character varying({t.length or MAX_VARCHAR})",
}

REDSHIFT = Dialect("redshift", NATIVE_REDSHIFT, LOGICAL_REDSHIFT, "redshift", pg_fallback,
                   check_constraints=False,
                   identifiers=IdentRules(127, "bytes", "lower", PG_RESERVED, ci_columns=True,
                                          ci_tables=True))
