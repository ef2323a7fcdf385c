"""Small builders for the rows of a dialect's native -> logical table."""

from __future__ import annotations

from collections.abc import Callable

from sparkdms.types import LType, NativeType

NativeRule = Callable[[NativeType], LType]
LogicalRule = Callable[[LType], str]


def fixed(kind: str) -> NativeRule:
    return lambda _n: LType(kind)


def sized(kind: str, default: int | None = None) -> NativeRule:
    return lambda n: LType(kind, length=n.int_arg(0) if n.args else default)


def exact(kind: str) -> NativeRule:
    return lambda n: LType(kind, precision=n.int_arg(0), scale=n.int_arg(1) if n.args else None)


def timed(kind: str, default: int = 6) -> NativeRule:
    return lambda n: LType(kind, precision=n.int_arg(0) if n.args else default)
