"""Rows -> DynamoDB items (the low-level AttributeValue form), on the executor.

Values: numbers are sent as their exact decimal text (``N``; never through a float), at most
38 significant digits and within DynamoDB's range (1E-130 .. 9.99..E+125), else the row is
refused; float NaN and infinity are refused (DynamoDB has no such numbers); a float is sent
as its shortest round-trip text. Text is ``S`` as is (an empty string is allowed except in a
key attribute), bytes ``B`` (empty allowed except in a key). Dates and timestamps are ISO
8601 text; a timestamp with time zone is written in UTC with ``Z``.

NULL: as AWS DMS does ("NULL data from the source are ignored on the target"), a NULL
column is left out of the item (absent attribute) -- in ``_doc`` too; validation reads an
absent attribute back as NULL. A NULL in a key column stops the table (KeyNullError).

A row the target cannot store (a value above, an item over 400 KB) raises ``Refused``
naming the column and value; the writer turns it into a reject (sparkdms.load.rejects) that
the task's ``DataErrorPolicy`` governs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sparkdms.connectors.dynamodb.mapping import DOC_ATTRIBUTE, TEMPLATE, Mapped, Shape

from sparkdms.errors import TerminalError

MAX_ITEM_BYTES = 400 * 1024
MAX_DIGITS = 38
EXPONENTS = (-130, 125)  # adjusted exponent range of a DynamoDB number
EXACT = Context(prec=100_000)  # normalize() without rounding (the default context has 28)


class Refused(ValueError):
    """The target cannot store this value; ``column`` and ``value`` name it."""

    def __init__(self, column: str | None, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


class KeyNullError(TerminalError):
    """A key attribute of an item would be NULL."""


def number_text(value: Any, column: str | None = None) -> str:
    """The exact ``N`` text of an int, Decimal, float or numeric text."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Refused(column, value, f"{value} is not a number DynamoDB can store "
                                         "(no NaN or infinity)")
        d = Decimal(repr(value))
    else:
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise Refused(column, value, "not a number") from None
    if not d.is_finite():
        raise Refused(column, value, f"{value} is not a number DynamoDB can store")
    if d.is_zero():
        return "0"
    d = d.normalize(EXACT)
    if len(d.as_tuple().digits) > MAX_DIGITS:
        raise Refused(column, value, f"more than {MAX_DIGITS} significant digits: a DynamoDB "
                                     "number would round it")
    if not EXPONENTS[0] <= d.adjusted() <= EXPONENTS[1]:
        raise Refused(column, value, "outside DynamoDB's number range (1E-130 to 9.9E+125)")
    plain = format(d, "f")
    return plain if len(plain) <= MAX_DIGITS + 3 else str(d)  # 1.5E+100, not 101 digits


def float32_text(value: float, column: str | None) -> str:
    import numpy as np

    if not math.isfinite(value):
        return number_text(value, column)
    return number_text(str(np.float32(value)), column)


def text_of(value: Any, kind: str) -> str:
    """The ``S`` text of a value (also what a ``${COLUMN}`` template inserts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None or kind == "timestamptz":
            utc = value.astimezone(dt.UTC) if value.tzinfo else value
            return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json_value(value: Any) -> dict[str, Any]:
    """A parsed JSON value as an AttributeValue (numbers exact, null as NULL)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_json_value(v) for v in value]}
    return {"M": {str(k): _json_value(v) for k, v in value.items()}}


def column_value(value: Any, native: str, kind: str, column: str) -> dict[str, Any] | None:
    """One column's AttributeValue; None for NULL (the attribute is left out)."""
    if value is None:
        return None
    if native == "N":
        text = float32_text(value, column) if kind == "float32" else number_text(value, column)
        return {"N": text}
    if native == "B":
        return {"B": bytes(value)}
    if native == "BOOL":
        return {"BOOL": bool(value)}
    if native == "M":
        try:
            parsed = json.loads(value, parse_float=Decimal) if isinstance(value, str) else value
        except ValueError:
            raise Refused(column, value, "not a JSON document") from None
        if not isinstance(parsed, dict):
            raise Refused(column, value, "a document attribute (M) needs a JSON object")
        try:
            return _json_value(parsed)
        except Refused as err:
            raise Refused(column, value, err.reason) from None
    return {"S": text_of(value, kind)}


def _fill(template: str, row: Sequence[Any], shape: Shape) -> str | None:
    """A ``${COLUMN}`` template filled from the row; None when every column it reads is
    NULL (the attribute is left out); other NULLs insert nothing."""
    cols = [m.group(1) for m in TEMPLATE.finditer(template)]
    values = {c: row[shape.index(c)] for c in cols}
    if cols and all(v is None for v in values.values()):
        return None
    return TEMPLATE.sub(lambda m: "" if values[m.group(1)] is None else
                        text_of(values[m.group(1)], shape.kinds[shape.index(m.group(1))]),
                        template)


def _single(template: str) -> str | None:
    m = TEMPLATE.fullmatch(template)
    return m.group(1) if m else None


def _scalar(m: Mapped, template: str, dtype: str, row: Sequence[Any],
            shape: Shape) -> dict[str, Any] | None:
    one = _single(template)
    if one is not None and dtype in ("N", "B"):  # the column's own value, exactly
        i = shape.index(one)
        value = row[i]
        if value is None:
            return None
        if dtype == "B":
            return {"B": bytes(value) if not isinstance(value, str) else value.encode()}
        return {"N": number_text(value, one)}
    text = _fill(template, row, shape)
    if text is None:
        return None
    if dtype == "N":
        return {"N": number_text(text, m.name)}
    if dtype == "BOOL":
        if text.lower() not in ("true", "false", "1", "0", "t", "f"):
            raise Refused(m.name, text, "not a boolean")
        return {"BOOL": text.lower() in ("true", "1", "t")}
    if dtype == "B":
        return {"B": text.encode()}
    return {"S": text}


def _document(m: Mapped, node: Any, row: Sequence[Any], shape: Shape) -> dict[str, Any] | None:
    """DynamoDB JSON with template leaves: ``{"M": {"a": {"S": "${x}"}}}``."""
    if isinstance(node, dict) and len(node) == 1:
        (dtype, inner), = node.items()
        if dtype in ("M", "L"):
            return _document(m, inner, row, shape) if dtype == "M" or isinstance(inner, list) \
                else None
        if dtype in ("S", "N", "B", "BOOL") and isinstance(inner, str):
            return _scalar(m, inner, dtype, row, shape)
        if dtype == "NULL":
            return {"NULL": True}
    if isinstance(node, list):
        return {"L": [v for v in (_document(m, x, row, shape) for x in node) if v is not None]}
    if isinstance(node, dict):
        out = {k: _document(m, v, row, shape) for k, v in node.items()}
        return {"M": {k: v for k, v in out.items() if v is not None}}
    raise Refused(m.name, node, "unreadable document mapping")


def mapped_value(m: Mapped, row: Sequence[Any], shape: Shape) -> dict[str, Any] | None:
    if m.dtype in ("M", "L"):
        return _document(m, {m.dtype: m.value}, row, shape)
    return _scalar(m, m.value, m.dtype, row, shape)


def build_item(row: Sequence[Any], shape: Shape) -> dict[str, Any]:
    """The item of one row (raises Refused, or KeyNullError for a NULL key)."""
    item: dict[str, Any] = {}
    for c in shape.direct:
        i = shape.index(c)
        v = column_value(row[i], shape.natives[i], shape.kinds[i], c)
        if v is not None:
            item[c] = v
    if shape.doc:
        doc = {}
        for c in shape.doc:
            i = shape.index(c)
            v = column_value(row[i], shape.natives[i], shape.kinds[i], c)
            if v is not None:
                doc[c] = v
        item[DOC_ATTRIBUTE] = {"M": doc}
    for m in shape.mapped:
        v = mapped_value(m, row, shape)
        if v is not None:
            item[m.name] = v
    check_keys(item, shape)
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise Refused(None, None, f"item of {size:,} bytes is over DynamoDB's 400 KB item limit")
    return item


def check_keys(item: dict[str, Any], shape: Shape) -> None:
    for key, dtype in zip(shape.keys, shape.key_types, strict=True):
        value = item.get(key)
        if value is None:
            cols = next((m.columns for m in shape.mapped if m.name == key), (key,))
            raise KeyNullError(f"table {shape.label}: key column {', '.join(cols)} (key "
                               f"attribute {key} of DynamoDB table {shape.table}) is NULL in "
                               "a row; DynamoDB keys cannot be NULL")
        if dtype not in value:
            got = next(iter(value))
            raise Refused(key, None, f"key attribute {key} is {got}, the table's key is {dtype}")
        if value[dtype] in ("", b""):
            raise Refused(key, value[dtype], f"empty value in key attribute {key} (DynamoDB "
                                             "keys cannot be empty)")


def _value_size(v: dict[str, Any]) -> int:
    (dtype, inner), = v.items()
    if dtype == "S":
        return len(inner.encode("utf-8"))
    if dtype == "B":
        return len(inner)
    if dtype == "N":
        return (len(inner.replace("-", "").replace(".", "").strip("0")) + 1) // 2 + 1
    if dtype == "M":
        return 3 + sum(len(k.encode("utf-8")) + _value_size(x) + 1 for k, x in inner.items())
    if dtype == "L":
        return 3 + sum(_value_size(x) + 1 for x in inner)
    return 1  # BOOL, NULL


def item_size(item: dict[str, Any]) -> int:
    """The item's size as DynamoDB counts it (attribute names and values)."""
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in item.items())


def key_of(item: dict[str, Any], shape: Shape) -> tuple:
    return tuple(json.dumps(item.get(k), sort_keys=True, default=str) for k in shape.keys)
