"""The text stream of a direct copy between two engines (``Source.text_stream``): rows go
from the source's server to the target's without becoming Spark rows, in one form both
sides know, so neither engine knows the other.

The form: one line per row, ended by ``\\n``; values separated by a tab; NULL as ``\\N``;
inside a value only backslash, tab, newline and carriage return are escaped (``\\\\``,
``\\t``, ``\\n``, ``\\r``); every other byte is as it is (UTF-8). PostgreSQL's text COPY and
MySQL's LOAD DATA both read that subset the same way. Each value is written in the text form
of its column's logical kind (``FORMS``).

A column goes through the stream only when the DataFrame path would write the very same
value: a planned source column (renamed or not) with no expression, into a target type of the
same form that holds every value of the source type (``holds``). Any other column sends the
table through Spark rows. A value a target still refuses (a zero date, a string too long, a
NaN where the target has none) makes the whole table go through Spark rows again, where the
error policy applies row by row.

Instants (``timestamptz``) travel as their UTC wall clock: the sources print them in a UTC
session, and a target whose type keeps an instant reads them in one. Floats travel as the
shortest digits that read back as the same double; a single is widened to a double first, so
the target's rounding to a single returns the very value. The kinds Spark carries as text
(time, year, enum, set, json, uuid, inet, ...) travel as the text the source's DataFrame
read selects (``read_expr``), into a column of the same logical type: the target parses the
same text it would get from a Spark string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType

# logical kind -> form of its text in the stream
FORMS: dict[str, str] = {
    **dict.fromkeys(("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32",
                     "uint64"), "integer"),  # decimal digits, a leading minus
    "decimal": "decimal",  # plain notation (no exponent), the scale's fraction digits
    "boolean": "boolean",  # 1 or 0
    **dict.fromkeys(("char", "varchar", "text"), "text"),  # the characters
    "date": "date",  # YYYY-MM-DD
    "timestamp": "timestamp",  # YYYY-MM-DD HH:MM:SS, then . and fraction digits if any
    "timestamptz": "timestamptz",  # the instant's UTC wall clock, as a timestamp
    **dict.fromkeys(("binary", "varbinary", "blob"), "binary"),  # \x then hex digits
    # the double of the value in the fewest digits that read back as it (a float32 widened
    # to a double first: its own shortest digits could round another way through a double)
    **dict.fromkeys(("float32", "float64"), "float"),
    # kinds the DataFrame path carries as the source's own text (``Source.read_expr``): the
    # stream carries that very text, and the target parses it as it would Spark's string
    **dict.fromkeys(("time", "year", "enum", "set", "json", "uuid", "citext", "inet", "xml"),
                    "astext"),
}

# integer kinds: (smallest, largest) value
RANGES: dict[str, tuple[int, int]] = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
    "int64": (-2**63, 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint24": (0, 2**24 - 1), "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}
DEFAULT_FRACTION = 6  # a timestamp's fractional digits when its type does not say


def _holds_integer(src: LType, dst: LType) -> bool:
    (lo, hi), (dlo, dhi) = RANGES[src.kind], RANGES[dst.kind]
    return dlo <= lo and hi <= dhi


def _holds_decimal(src: LType, dst: LType) -> bool:
    """Unbounded into unbounded, or no fewer integer and fraction digits."""
    if dst.precision is None:
        return True
    if src.precision is None:
        return False
    return (dst.precision - (dst.scale or 0) >= src.precision - (src.scale or 0)
            and (dst.scale or 0) >= (src.scale or 0))


def _holds_length(src: LType, dst: LType) -> bool:
    """Unbounded text or binary, or a bounded one at least as long; into a fixed-length
    binary only the same type (the target would pad a shorter value)."""
    if dst.kind == "binary":
        return src == dst
    if dst.kind in ("text", "blob") or dst.length is None:
        return True
    return src.length is not None and src.length <= dst.length


def _holds_fraction(src: LType, dst: LType) -> bool:
    return (dst.precision if dst.precision is not None else DEFAULT_FRACTION) >= \
        (src.precision if src.precision is not None else DEFAULT_FRACTION)


def _holds_float(src: LType, dst: LType) -> bool:
    """A single into a single or a double, a double only into a double."""
    return src.kind == "float32" or dst.kind == "float64"


HOLDS: dict[str, Callable[[LType, LType], bool]] = {
    "integer": _holds_integer,
    "decimal": _holds_decimal,
    "boolean": lambda src, dst: True,
    "text": _holds_length,
    "date": lambda src, dst: True,
    "timestamp": _holds_fraction,
    "timestamptz": _holds_fraction,
    "binary": _holds_length,
    "float": _holds_float,
    "astext": lambda src, dst: src == dst,  # the same logical type: the DataFrame path's text
}


def _integer_into_decimal(src: LType, dst: LType) -> bool:
    """An integer's digits into a decimal with as many integer digits (or unbounded)."""
    lo, hi = RANGES[src.kind]
    digits = len(str(max(hi, -lo)))
    return dst.precision is None or dst.precision - (dst.scale or 0) >= digits


# (source form, target form) of a different form whose text the target reads as it is
ACROSS: dict[tuple[str, str], Callable[[LType, LType], bool]] = {
    ("integer", "decimal"): _integer_into_decimal,
}


def holds(src: LType, dst: LType) -> bool:
    """Every value of ``src`` goes into ``dst`` unchanged, in the source type's text form."""
    form, into = FORMS.get(src.kind), FORMS.get(dst.kind)
    if form is None or into is None:
        return False
    check = HOLDS[form] if form == into else ACROSS.get((form, into))
    return check is not None and check(src, dst)


@dataclass(frozen=True)
class WireColumn:
    """One column of the stream: the source column, its logical type there, and its form
    (the source type's: the target reads it into its own type, ``holds``)."""

    target: str
    source: str
    ltype: LType
    form: str


def wire_columns(plan: TablePlan) -> tuple[WireColumn, ...] | None:
    """The plan's columns as the stream carries them, in plan order; None when one of them
    cannot go through it (the table takes the DataFrame path)."""
    if plan.settings or plan.lob_limit is not None:
        return None
    out = [_wire(c) for c in plan.columns]
    return None if any(c is None for c in out) else tuple(c for c in out if c is not None)


def blocker(plan: TablePlan, forms: Iterable[str] | None = None) -> str | None:
    """Why the plan's table cannot go through the stream (None when it can): the rule,
    setting or first column that stops it. ``forms``: those the other side reads too."""
    if plan.settings:
        return "a table-settings rule applies to the table"
    if plan.lob_limit is not None:
        return "a LOB size limit applies to the table"
    allowed = None if forms is None else set(forms)
    for c in plan.columns:
        if c.expression is not None:
            return f"column {c.target_name} is computed ({c.expression})"
        if c.source is None:
            return f"column {c.target_name} has no source column"
        if not holds(c.source.ltype, c.ltype):
            return (f"column {c.target_name}: {c.source.native_type} into {c.target_type} "
                    "is not carried exactly as text")
        if allowed is not None and FORMS[c.source.ltype.kind] not in allowed:
            return (f"column {c.target_name}: its {FORMS[c.source.ltype.kind]} form is not "
                    "loaded directly")
    return None


def _wire(c: ColumnPlan) -> WireColumn | None:
    if c.source is None or c.expression is not None or not holds(c.source.ltype, c.ltype):
        return None
    return WireColumn(c.target_name, c.source.name, c.source.ltype, FORMS[c.source.ltype.kind])
