"""The rows every engine must carry unchanged, and how values compare.

One table of a few dozen rows covers what goes wrong between engines: NULLs in every
nullable column, unicode beyond the BMP, quotes and backslashes, decimals using every digit
of their precision, timestamps with microseconds on both sides of the epoch, binary with
zero bytes, booleans, doubles at the ends of their range, dates.

Values are plain Python (int, str, Decimal, datetime without zone = UTC wall clock, bytes,
bool, float, date); ``canonical`` turns what an engine hands back into the same forms,
so that a harness may return its driver's values as they come.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sparkdms.plan import Condition, Filter
from sparkdms.types import INTEGER_KINDS, LType

TABLE = "contract_items"  # the table the contract creates on a source or a target
ROW_COUNT = 40


@dataclass(frozen=True)
class ContractColumn:
    """A column of the contract table: its logical type (what a target is asked to store),
    and the logical kinds a source's discovery may report for it."""

    name: str
    ltype: LType
    nullable: bool = True
    kinds: tuple[str, ...] = ()

    @property
    def accepted(self) -> tuple[str, ...]:
        return self.kinds or (self.ltype.kind,)


TEXT_KINDS = ("text", "varchar", "char", "citext")
BINARY_KINDS = ("blob", "varbinary", "binary")


def columns(decimal: tuple[int, int] = (28, 10)) -> tuple[ContractColumn, ...]:
    """The contract table's columns; ``decimal`` is the (precision, scale) the engine
    stores exactly (its widest exact decimal the contract asks for)."""
    precision, scale = decimal
    return (
        ContractColumn("id", LType("int64"), nullable=False, kinds=INTEGER_KINDS),
        ContractColumn("name", LType("text"), kinds=TEXT_KINDS),
        ContractColumn("amount", LType("decimal", precision=precision, scale=scale),
                       kinds=("decimal",)),
        ContractColumn("at", LType("timestamp", precision=6), kinds=("timestamp",)),
        ContractColumn("raw", LType("blob"), kinds=BINARY_KINDS),
        ContractColumn("flag", LType("boolean"), kinds=("boolean",)),
        ContractColumn("ratio", LType("float64"), kinds=("float64",)),
        ContractColumn("day", LType("date"), kinds=("date",)),
    )


# a second table, for keys: the primary key's order is not the columns' order
PAIRS = "contract_pairs"
PAIR_COLUMNS = (
    ContractColumn("k1", LType("int64"), nullable=False, kinds=INTEGER_KINDS),
    ContractColumn("k2", LType("int64"), nullable=False, kinds=INTEGER_KINDS),
    ContractColumn("v", LType("text"), kinds=TEXT_KINDS),
)
PAIR_KEY = ("k2", "k1")
PAIR_ROWS = [(1, 2, "a"), (2, 1, None), (1, 1, "ü")]

NAMES = ("plain ascii", "ünïcode ✓ — 中文 😀 𝄞", "O'Brien", 'back\\slash "quoted" %_', "",
         "tab\tnew\nline", "ẞ straße ǅ", "trailing space  ")


def _decimal(i: int, precision: int, scale: int) -> Decimal | None:
    if i % 9 == 0:
        return None
    digits = "1234567890" * 8
    whole = precision - scale
    pick = i % 5
    if pick == 0:  # every digit used: the widest value the type holds
        text = "9" * whole + ("." + "9" * scale if scale else "")
    elif pick == 1:  # the smallest step
        text = "0." + "0" * (scale - 1) + "1" if scale else "1"
    elif pick == 2:
        text = "0"
    else:  # many significant digits on both sides of the point
        rot = digits[i % 10:]
        text = rot[:whole] + ("." + rot[whole:whole + scale] if scale else "")
    sign = "-" if i % 2 else ""
    return Decimal(sign + text)


TIMESTAMPS = (
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999),  # just before the epoch
    dt.datetime(1970, 1, 1, 0, 0, 0, 1),
    dt.datetime(2000, 2, 29, 12, 0, 0),
    dt.datetime(2038, 1, 19, 3, 14, 8, 500000),  # past 32-bit seconds
    dt.datetime(2099, 12, 31, 23, 59, 59, 999999),
)


def _timestamp(i: int) -> dt.datetime | None:
    if i % 8 == 0:
        return None
    if i <= len(TIMESTAMPS):
        return TIMESTAMPS[i - 1]
    return dt.datetime(2001, 1, 1) + dt.timedelta(days=211 * i, seconds=3671 * i,
                                                   microseconds=(123457 * i) % 1_000_000)


def _binary(i: int) -> bytes | None:
    if i % 6 == 0:
        return None
    if i == 1:
        return b""
    return b"\x00\xff" + i.to_bytes(2, "big") + bytes(range(i % 7, 256, 37)) + b"sdms\x00"


def _flag(i: int) -> bool | None:
    return (None, True, False)[i % 3]


def _ratio(i: int) -> float | None:
    if i % 10 == 0:
        return None
    specials = {1: 1.0e300, 2: -2.5e-300, 3: 0.0, 4: 0.1}
    if i in specials:
        return specials[i]
    return (-1) ** i * i / 8


def _day(i: int) -> dt.date | None:
    if i % 11 == 0:
        return None
    return {1: dt.date(1970, 1, 1), 2: dt.date(2000, 2, 29), 3: dt.date(1900, 3, 1),
            4: dt.date(9999, 12, 31)}.get(i, dt.date(1990, 1, 1) + dt.timedelta(days=97 * i))


def rows(cols: Sequence[ContractColumn], count: int = ROW_COUNT,
         empty_strings: bool = True) -> list[tuple]:
    """The contract rows for ``columns(...)``: ids 1..count, every other column NULL in
    some rows. ``empty_strings=False`` for an engine that stores '' as NULL (Oracle)."""
    decimal = next(c.ltype for c in cols if c.name == "amount")
    out = []
    for i in range(1, count + 1):
        name = None if i % 7 == 0 else NAMES[i % len(NAMES)]
        if name == "" and not empty_strings:
            name = " "
        out.append((i, name, _decimal(i, decimal.precision or 28, decimal.scale or 0),
                    _timestamp(i), _binary(i), _flag(i), _ratio(i), _day(i)))
    return out


def old_rows(cols: Sequence[ContractColumn]) -> list[tuple]:
    """Rows a target table holds before a load (ids 101..105): a load must replace or keep
    them as its mode says, never mix them up with the new rows."""
    return [(100 + r[0], *r[1:]) for r in rows(cols, 5)]


# -- comparing values --------------------------------------------------------------------------

def canonical(ltype: LType, value: Any) -> Any:
    """One comparable form per logical type, whatever the driver or Spark handed back."""
    if value is None:
        return None
    kind = ltype.kind
    if kind in INTEGER_KINDS:
        return int(value)
    if kind == "decimal":
        return Decimal(str(value))  # Decimal equality ignores trailing zeros, not digits
    if kind in ("float32", "float64"):
        return float(value)
    if kind == "boolean":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "t", "true", "y", "yes")
        return bool(value)
    if kind in BINARY_KINDS:
        return bytes(value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if kind in ("timestamp", "timestamptz"):
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    return str(value) if kind in TEXT_KINDS else value


def canonical_rows(cols: Sequence[ContractColumn], data: Iterable[Sequence[Any]]) -> Counter:
    types = [c.ltype for c in cols]
    return Counter(tuple(canonical(t, v) for t, v in zip(types, row, strict=True)) for row in data)


def assert_same_rows(expected: Counter, actual: Counter, what: str) -> None:
    """Both ways: rows put in but missing, and rows read back that were never put in."""
    missing = expected - actual
    extra = actual - expected
    assert not missing and not extra, (
        f"{what}: {sum(missing.values())} row(s) missing (expected minus actual), "
        f"{sum(extra.values())} unexpected (actual minus expected)\n"
        f"  missing: {sorted(missing, key=repr)[:3]}\n  unexpected: {sorted(extra, key=repr)[:3]}")


# -- filters, evaluated in Python the way SQL's WHERE keeps rows --------------------------------

def _typed(ltype: LType, text: str) -> Any:
    kind = ltype.kind
    if kind in INTEGER_KINDS or kind == "decimal":
        return Decimal(text)
    if kind in ("float32", "float64"):
        return float(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind in ("timestamp", "timestamptz"):
        return dt.datetime.fromisoformat(text)
    return text


def _holds(cond: Condition, value: Any, ltype: LType) -> bool:
    op = cond.operator
    if op == "null":
        return value is None
    if op == "notnull":
        return value is not None
    if value is None:  # any comparison with NULL is unknown: the row is not kept
        return False
    v = [_typed(ltype, x) for x in cond.values]
    if ltype.kind in INTEGER_KINDS:
        value = Decimal(value)
    return {
        "eq": lambda: value == v[0], "noteq": lambda: value != v[0],
        "lte": lambda: value <= v[0], "gte": lambda: value >= v[0],
        "between": lambda: v[0] <= value <= v[1],
        "notbetween": lambda: not v[0] <= value <= v[1],
    }[op]()


def keep(cols: Sequence[ContractColumn], row: Sequence[Any], filters: Sequence[Filter]) -> bool:
    """True when the row passes every filter (ANDed), each filter's conditions ORed."""
    index = {c.name: i for i, c in enumerate(cols)}
    types = {c.name: c.ltype for c in cols}
    return all(any(_holds(cond, row[index[f.column]], types[f.column]) for cond in f.conditions)
               for f in filters)


def project(cols: Sequence[ContractColumn], data: Iterable[Sequence[Any]],
            names: Sequence[str]) -> list[tuple]:
    index = [next(i for i, c in enumerate(cols) if c.name == n) for n in names]
    return [tuple(row[i] for i in index) for row in data]


def only(cols: Sequence[ContractColumn], names: Sequence[str]) -> tuple[ContractColumn, ...]:
    by_name = {c.name: c for c in cols}
    return tuple(by_name[n] for n in names)


def f(column: str, *conditions: tuple[str, ...]) -> Filter:
    """``f("id", ("between", "5", "12"))``: one filter, its conditions ORed."""
    return Filter(column, tuple(Condition(op, tuple(vals)) for op, *vals in conditions))


@dataclass(frozen=True)
class FilterCase:
    """Filters a selection rule would give (values already checked for the column type),
    and the columns the plan reads (a filter may name a column the plan does not load)."""

    id: str
    filters: tuple[Filter, ...]
    columns: tuple[str, ...] = ()  # () = every column

    def with_columns(self, *names: str) -> FilterCase:
        return replace(self, columns=names)


FILTER_CASES = (
    FilterCase("between", (f("id", ("between", "5", "12")),)),
    FilterCase("notbetween", (f("id", ("notbetween", "5", "30")),)),
    FilterCase("ored-conditions", (f("id", ("lte", "3"), ("gte", "38")),)),
    FilterCase("anded-filters", (f("name", ("notnull",)), f("id", ("noteq", "2")))),
    FilterCase("null", (f("name", ("null",)),)),
    FilterCase("quoted-text", (f("name", ("eq", "O'Brien")),)),
    FilterCase("decimal-as-number", (f("amount", ("gte", "0")),)),
    FilterCase("boolean", (f("flag", ("eq", "true")),)),
    FilterCase("date", (f("day", ("lte", "2010-01-01")),)),
    FilterCase("timestamp", (f("at", ("gte", "2030-01-01 00:00:00")),)),
    FilterCase("column-not-loaded", (f("amount", ("between", "-1", "1")),), ("id", "name")),
)
