"""Small builders for the rows of a dialect's type tables (native -> logical and back)."""

from __future__ import annotations

from collections.abc import Callable

from sparkdms.types import LType, NativeType

NativeRule = Callable[[NativeType], LType]
LogicalRule = Callable[[LType], str]


def fixed(kind: str, **fields: object) -> NativeRule:
    return lambda _n: LType(kind, **fields)  # type: ignore[arg-type]


def sized(kind: str, default: int | None = None) -> NativeRule:
    """``varchar(20)`` -> varchar(20); no argument (or ``max``) -> ``default``; 0 -> 1."""
    def rule(n: NativeType) -> LType:
        length = n.int_arg(0) if n.args else default
        return LType(kind, length=max(length, 1) if length is not None else None)

    return rule


def exact(kind: str) -> NativeRule:
    return lambda n: LType(kind, precision=n.int_arg(0), scale=n.int_arg(1) if n.args else None)


def timed(kind: str, default: int = 6) -> NativeRule:
    return lambda n: LType(kind, precision=n.int_arg(0) if n.args else default)


def members(kind: str) -> NativeRule:
    """``enum('a','b c')`` -> enum with its members; length is the longest member."""
    return lambda n: LType(kind, length=max((len(v) for v in n.args), default=1) or 1,
                           values=n.args)


def members_of(values: tuple[str, ...], kind: str = "enum") -> NativeRule:
    """A user-defined enum type (PostgreSQL ``CREATE TYPE ... AS ENUM``)."""
    return lambda _n: LType(kind, length=max((len(v) for v in values), default=1) or 1,
                            values=values)


def text_of(limit: int | None) -> NativeRule:
    return lambda _n: LType("text", length=limit)


def blob_of(limit: int | None) -> NativeRule:
    return lambda _n: LType("blob", length=limit)


def same(text: str) -> LogicalRule:
    return lambda _t: text


def sql_string(value: str) -> str:
    """A standard SQL string literal (quotes doubled); used inside CHECK constraints."""
    return "'" + value.replace("'", "''") + "'"


def set_length(t: LType) -> int:
    """Longest text a set column can hold: every member, comma separated."""
    return max(sum(len(v) for v in t.values) + max(len(t.values) - 1, 0), 1)


def frac(name: str, t: LType, limit: int = 6, default: int | None = None) -> str:
    """``time(3)``; the precision is capped at what the target keeps; ``default`` prints bare."""
    if t.precision is None:
        return name
    p = min(t.precision, limit)
    return name if p == default else f"{name}({p})"
