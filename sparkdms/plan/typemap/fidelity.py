"""What a conversion does to values: exact, represented differently, or lossy.

``changes(src, target_native, target)`` parses the target's DDL type back through the
target's own table and compares it with the source's logical type. The result feeds
the assessment (with an example of what changes) and ``sparkdms plan`` warnings.

Levels:
  info     every value survives, but its form changes (uuid as text, JSON normalised)
  warning  a value or a behaviour can change (fractional seconds cut, case-insensitive
           text becomes case-sensitive, geometry as WKB); the assessment lists it
  error    values will be rejected or cannot be carried (see UnsupportedTypeError)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sparkdms.plan.typemap import Dialect
from sparkdms.types import INTEGER_RANGES, LOB_KINDS, STRING_KINDS, LType, parse_native

SPARK_FRACTION_DIGITS = 6  # Spark timestamps are microseconds


@dataclass(frozen=True)
class Change:
    level: str  # info | warning | error
    code: str  # short stable id: widened, precision, length, timezone, as-text, ...
    message: str
    example: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "code": self.code, "message": self.message,
                "example": self.example}


def _digits(t: LType) -> tuple[int | None, int | None]:
    """(integer digits, fractional digits) a decimal-like type holds; None = unbounded."""
    if t.kind == "decimal":
        if t.precision is None:
            return None, t.scale
        return t.precision - (t.scale or 0), t.scale or 0
    if t.kind in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[t.kind]
        return len(str(max(hi, -lo))), 0
    if t.kind == "money":
        return 15, 4
    return None, None


def _integer(src: LType, dst: LType) -> list[Change]:
    lo, hi = INTEGER_RANGES[src.kind]
    if dst.kind in INTEGER_RANGES:
        dlo, dhi = INTEGER_RANGES[dst.kind]
        if dlo <= lo and hi <= dhi:
            widened = src.kind.startswith("uint") and not dst.kind.startswith("uint")
            return [Change("info", "widened", f"unsigned {src.kind} widened to {dst.kind}")] \
                if widened else []
        bad = hi if hi > dhi else lo
        return [Change("warning", "range", f"{src.kind} values outside {dlo}..{dhi} are rejected",
                       f"{bad} -> rejected")]
    if dst.kind == "decimal":
        whole, _ = _digits(dst)
        if whole is None or whole >= len(str(max(hi, -lo))):
            return [Change("info", "widened", f"{src.kind} stored as {dst}")]
        return [Change("warning", "range", f"{src.kind} values with more than {whole} digits "
                       "are rejected", f"{hi} -> rejected")]
    if dst.kind == "boolean":
        return [Change("warning", "range", "integers stored as boolean: non-zero becomes true",
                       "2 -> true")]
    return _as_text(src, dst)


def _decimal(src: LType, dst: LType) -> list[Change]:
    if dst.kind in ("text", "varchar") or (dst.kind == "decimal" and dst.precision is None):
        return [] if dst.kind == "decimal" else \
            [Change("info", "as-text", f"{src} kept exactly as text in {dst}")]
    if dst.kind in ("float32", "float64"):
        return [Change("warning", "precision", f"exact {src} stored as binary floating point",
                       "0.1 -> 0.1000000000000000055511151231257827")]
    if dst.kind != "decimal" and dst.kind not in INTEGER_RANGES and dst.kind != "money":
        return _as_text(src, dst)
    whole, frac = _digits(src)
    dwhole, dfrac = _digits(dst)
    out = _as_text(src, dst) if src.kind == "money" and dst.kind == "decimal" else []
    if dfrac is not None and (frac is None or frac > dfrac):
        shown = frac if frac is not None else dfrac + 5
        example = "0." + "1" * shown + " -> " + ("0." + "1" * dfrac if dfrac else "0")
        out.append(Change("warning", "scale", f"{src} -> {dst}: more than {dfrac} fractional "
                          "digits cannot be stored (the load stops on such a value)", example))
    if dwhole is not None and (whole is None or whole > dwhole):
        out.append(Change("warning", "range", f"{src} -> {dst}: more than {dwhole} integer digits "
                          "cannot be stored (rejected)", f"{'9' * (dwhole + 1)} -> rejected"))
    return out


def _string(src: LType, dst: LType) -> list[Change]:
    if dst.kind not in (*STRING_KINDS, "citext"):
        return _as_text(src, dst)
    out = []
    if dst.length is not None and (src.length is None or src.length > dst.length):
        have = f"{src.length} characters" if src.length else "unbounded text"
        out.append(Change("warning", "length", f"{have} -> {dst}: longer values are rejected",
                          f"a {dst.length + 1}-character value -> rejected"))
    if src.kind == "char" and dst.kind != "char":
        out.append(Change("info", "padding", f"char({src.length}) -> {dst}: values keep the "
                          "trailing spaces the source padded them with"))
    if src.kind == "citext" and dst.kind != "citext":
        out.append(Change("warning", "case", "case-insensitive text becomes case-sensitive",
                          "'A@x.org' = 'a@x.org' is true on the source, false on the target"))
    return out


def _binary(src: LType, dst: LType) -> list[Change]:
    if dst.kind not in ("binary", "varbinary", "blob"):
        return _as_text(src, dst)
    if dst.length is not None and (src.length is None or src.length > dst.length):
        return [Change("warning", "length", f"{src} -> {dst}: longer values are rejected",
                       f"{dst.length + 1} bytes -> rejected")]
    if dst.kind == "binary" and src.kind != "binary":
        return [Change("info", "padding", f"{src} -> {dst}: shorter values are padded with 0x00")]
    return []


def _fraction(src: LType, dst: LType) -> list[Change]:
    out = []
    want = src.precision if src.precision is not None else 6
    have = dst.precision if dst.precision is not None else 6
    kept = min(have, SPARK_FRACTION_DIGITS)
    if want > kept:
        digits = "123456789"[:want]
        cut = digits[:kept]
        who = "Spark" if kept == SPARK_FRACTION_DIGITS and have >= want else str(dst)
        out.append(Change("warning", "precision", f"fractional seconds beyond {kept} digits are "
                          f"truncated ({who})", f"12:00:00.{digits} -> 12:00:00"
                          + (f".{cut}" if cut else "")))
    return out


def _temporal(src: LType, dst: LType) -> list[Change]:
    pair = (src.kind, dst.kind)
    if pair == ("timestamptz", "timestamp"):
        return [Change("info", "timezone", "instants are stored as UTC wall-clock time without "
                       "an offset", "2024-03-01 12:00:00+05:30 -> 2024-03-01 06:30:00"),
                *_fraction(src, dst)]
    if pair == ("timestamp", "timestamptz"):
        return [Change("info", "timezone", "wall-clock timestamps are read as UTC instants",
                       "2024-03-01 12:00:00 -> 2024-03-01 12:00:00+00"), *_fraction(src, dst)]
    if pair == ("date", "timestamp"):
        return [Change("info", "as-timestamp", "dates stored as timestamps at midnight")]
    if pair == ("timestamp", "date"):
        return [Change("warning", "precision", "the time of day is dropped",
                       "2024-03-01 12:30:00 -> 2024-03-01")]
    if src.kind == dst.kind or pair in (("time", "timetz"), ("timetz", "time")):
        return _fraction(src, dst)
    return _as_text(src, dst)


def _float(src: LType, dst: LType) -> list[Change]:
    if (src.kind, dst.kind) == ("float64", "float32"):
        return [Change("warning", "precision", "double precision stored as single precision",
                       "0.1 -> 0.100000001490116")]
    if dst.kind in ("float32", "float64"):
        return []
    if dst.kind == "decimal":
        return [Change("warning", "precision", f"binary floating point stored as {dst}; NaN and "
                       "infinities are rejected", "1e300 -> rejected")]
    return _as_text(src, dst)


# (source kind, target kind) -> (level, code, message) where the form changes
REPRESENTED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("json", "text"): ("info", "as-text", "JSON kept as text"),
    ("json", "document"): ("info", "json", "JSON stored as a native document"),
    ("document", "text"): ("info", "as-text", "document kept as JSON text"),
    ("uuid", "char"): ("info", "as-text", "UUID stored as 36-character text"),
    ("uuid", "varchar"): ("info", "as-text", "UUID stored as 36-character text"),
    ("uuid", "text"): ("info", "as-text", "UUID stored as text"),
    ("enum", "varchar"): ("info", "enum", "enum stored as text; members enforced by a CHECK"),
    ("enum", "text"): ("info", "enum", "enum stored as text"),
    ("set", "varchar"): ("info", "enum", "set stored as comma-separated text; members enforced "
                         "by a CHECK"),
    ("set", "text"): ("info", "enum", "set stored as comma-separated text"),
    ("array", "json"): ("info", "as-json", "array stored as a JSON array"),
    ("array", "text"): ("info", "as-json", "array stored as JSON text"),
    ("interval", "varchar"): ("info", "as-text", "interval stored as ISO 8601 duration text "
                              "(PostgreSQL style between PostgreSQL engines)"),
    ("interval", "text"): ("info", "as-text", "interval stored as ISO 8601 duration text"),
    ("timetz", "varchar"): ("info", "as-text", "time with offset stored as text"),
    ("timetz", "text"): ("info", "as-text", "time with offset stored as text"),
    ("time", "varchar"): ("info", "as-text", "time of day stored as text"),
    ("inet", "varchar"): ("info", "as-text", "network address stored as text"),
    ("inet", "text"): ("info", "as-text", "network address stored as text"),
    ("bit", "varchar"): ("info", "as-text", "bit string stored as text of 0/1"),
    ("bit", "text"): ("info", "as-text", "bit string stored as text of 0/1"),
    ("varbit", "varchar"): ("info", "as-text", "bit string stored as text of 0/1"),
    ("varbit", "text"): ("info", "as-text", "bit string stored as text of 0/1"),
    ("varbit", "bit"): ("warning", "padding", "variable bit string stored as fixed bit(n)"),
    ("bit", "boolean"): ("info", "as-boolean", "bit(1) stored as boolean"),
    ("year", "int16"): ("info", "as-number", "year stored as a number (0000 becomes 0)"),
    ("year", "int32"): ("info", "as-number", "year stored as a number (0000 becomes 0)"),
    ("year", "decimal"): ("info", "as-number", "year stored as a number"),
    ("money", "decimal"): ("info", "as-number", "money stored as a plain decimal (no currency "
                           "symbol or locale)"),
    ("xml", "text"): ("info", "as-text", "XML kept as text"),
    ("boolean", "decimal"): ("info", "as-number", "boolean stored as 0/1"),
    ("boolean", "int8"): ("info", "as-number", "boolean stored as 0/1"),
    ("boolean", "varchar"): ("info", "as-text", "boolean stored as text"),
    ("geometry", "blob"): ("warning", "geometry", "geometry stored as WKB bytes: spatial types, "
                           "functions and indexes are not available on the target"),
    ("geometry", "varbinary"): ("warning", "geometry", "geometry stored as WKB bytes: spatial "
                                "types, functions and indexes are not available on the target"),
}


def _as_text(src: LType, dst: LType) -> list[Change]:
    row = REPRESENTED.get((src.kind, dst.kind))
    if row is None and dst.kind in (*STRING_KINDS, "citext"):
        row = ("info", "as-text", f"{src.kind} stored as text")
    if row is None:
        return [Change("warning", "kind", f"{src} stored as {dst}: check the values")]
    level, code, message = row
    out = [Change(level, code, message)]
    if dst.length is not None and src.kind in ("json", "document", "array", "xml"):
        out.append(Change("warning", "length", f"{dst} may be too short for {src.kind} values"))
    return out


CHECKS: dict[str, Callable[[LType, LType], list[Change]]] = {
    **{k: _integer for k in INTEGER_RANGES},
    "decimal": _decimal, "money": _decimal,
    "char": _string, "varchar": _string, "text": _string, "citext": _string,
    "binary": _binary, "varbinary": _binary, "blob": _binary,
    "date": _temporal, "time": _temporal, "timetz": _temporal, "timestamp": _temporal,
    "timestamptz": _temporal, "float32": _float, "float64": _float,
}


def compare(src: LType, dst: LType) -> list[Change]:
    """What storing values of ``src`` in a column of logical type ``dst`` does to them."""
    if src == dst:
        return _fraction(src, dst) if src.kind in ("time", "timestamp", "timestamptz") else []
    if src.kind == "json" and dst.kind == "json":
        return []
    if src.kind == "array" and dst.kind == "array":
        return compare(src.element or LType("text"), dst.element or LType("text"))
    if src.kind in ("enum", "set") and dst.kind == src.kind:
        missing = set(src.values) - set(dst.values)
        return [Change("warning", "enum", f"members {sorted(missing)} are not allowed")] \
            if missing else []
    if src.kind == "bit" and dst.kind == "bit":
        return [] if (dst.length or 1) >= (src.length or 1) else \
            [Change("warning", "length", f"{src} -> {dst}: longer bit strings are rejected")]
    check = CHECKS.get(src.kind)
    if check is not None:
        return check(src, dst)
    if src.kind == dst.kind:
        return []
    return _as_text(src, dst)


def changes(src: LType, target_native: str, target: Dialect) -> list[Change]:
    """Compare a source logical type with the native DDL type chosen on ``target``."""
    lowered = target_native.lower()
    if src.kind == "unknown":
        return [Change("info", "override", f"{src.native} is read in its text form and stored as "
                       f"{target_native} (type_overrides)")]
    if src.kind == "citext" and ("_ci" in lowered or "nocase" in lowered or "citext" in lowered):
        return []
    dst = target.to_logical(target_native)
    if dst.kind == "unknown":
        return [Change("info", "override", f"target type {target_native} is not in the "
                       f"{target.name} type table; values are cast to text")]
    out = compare(src, dst)
    note = target.native_notes.get(parse_native(target_native).name)
    if note is not None:
        out.append(Change("info", *note))
    return out


def is_lob(t: LType) -> bool:
    """Text or binary without a small bound: LOB handling applies (AWS DMS LOB settings)."""
    if t.kind in LOB_KINDS:
        return True
    return t.kind in ("varchar", "varbinary") and (t.length is None or t.length > 65535)


def annotate(plan: Any, target: Any) -> Any:
    """The plan with a warning per lossy column conversion (``sparkdms plan`` prints them) and
    one task-level line counting them (``sparkdms run`` prints it and the report keeps it)."""
    from dataclasses import replace

    from sparkdms.plan.typemap import dialect

    try:
        tdialect = dialect(target.engine)
    except Exception:
        return plan
    tables, total = [], 0
    for tp in plan.tables:
        found = []
        for c in tp.columns:
            src = c.source
            if src is None or c.target_type == src.native_type:
                continue
            for ch in changes(src.ltype, c.target_type, tdialect):
                if ch.level != "info":
                    found.append(f"column {c.target_name}: {src.native_type} -> {c.target_type}: "
                                 f"{ch.message}")
        total += len(found)
        tables.append(replace(tp, warnings=(*tp.warnings, *found)) if found else tp)
    if not total:
        return plan
    note = (f"{total} type conversion(s) can change values (listed per table by sparkdms plan; "
            "sparkdms assess samples the data for them)")
    return replace(plan, tables=tuple(tables), warnings=(*plan.warnings, note))
