"""Row-level judgement on canonical texts: the authority after checksums found a range
that differs. Equal texts are equal; otherwise floats compare within the documented
tolerance and JSON by structure (key order, spacing and number spelling ignored)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

SHOW_CHARS = 120  # characters of a long text shown in failure details


def float_value(text: str, digits: int) -> Decimal | None:
    """``150000000000000e0`` (mantissa of ``digits`` digits, decimal exponent) -> 1.5."""
    mantissa, sep, exponent = text.partition("e")
    if not sep:
        return None
    try:
        return Decimal(mantissa).scaleb(int(exponent) - (digits - 1))
    except (InvalidOperation, ValueError):
        return None


def same_float(a: str, b: str, digits: int) -> bool:
    """Equal when both round to the same ``digits`` significant digits, allowing one unit
    in the last digit for engines whose power/log functions differ by an ulp."""
    x, y = float_value(a, digits), float_value(b, digits)
    if x is None or y is None:
        return a == b
    unit = Decimal(1).scaleb(max(x.adjusted(), y.adjusted()) - (digits - 1))
    return abs(x - y) <= unit


def json_value(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def same_json(a: str, b: str, digits: int | None) -> bool:
    try:
        return json_value(a) == json_value(b)
    except ValueError:
        return a == b


SEMANTIC: dict[str, Callable[[str, str, int], bool]] = {
    "float": lambda a, b, d: same_float(a, b, d or 15),
    "json": lambda a, b, d: same_json(a, b, d),
}


def same(kind: str, a: str | None, b: str | None, digits: int | None = None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    judge = SEMANTIC.get(kind)
    return judge(a, b, digits or 0) if judge else False


def show(kind: str, value: str | None, digits: int | None = None) -> str | None:
    """A canonical text as a person reads it: floats as decimals, long texts cut."""
    if value is None:
        return None
    if kind == "float":
        number = float_value(value, digits or 15)
        if number is not None:
            return format(number.normalize(), "f") if abs(number.adjusted()) < 20 else str(number.normalize())
    if len(value) > SHOW_CHARS:
        return f"{value[:SHOW_CHARS]}... ({len(value):,} chars)"
    return value


def first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def describe(kind: str, a: str | None, b: str | None, digits: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"source": show(kind, a, digits), "target": show(kind, b, digits)}
    if a is not None and b is not None and (len(a) > SHOW_CHARS or len(b) > SHOW_CHARS):
        out["first_difference_at"] = first_difference(a, b)
    return out
