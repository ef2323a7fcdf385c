"""Canonical text of a value, rendered as SQL: the neutral renderer every engine's SQL
renderer builds on (an engine that checksums in its own SQL ships a subclass, see
``SqlValidation`` in ``connectors/base.py``), and the Spark renderer.

For each value kind (see ``columns.VALUE_KINDS``) every renderer renders a value to the
same text when a correct migration kept it equal:

  int     decimal digits                          42, -7, 18446744073709551615
  dec     plain decimal, trailing zeros trimmed   12.5, -0.01, 0, 123456789.000000001
  float   m e x: m = value rounded to D significant digits as an integer, x the decimal
          exponent of the value (D = 15 for double, 7 for real): 1.5 -> 150000000000000e0
  bool    1 / 0
  str     the text as stored; char(n) and HandleCollationDiff drop trailing spaces
  bin     lowercase hex up to 32 bytes, else md5:<hex md5>:<length>
  date    YYYY-MM-DD
  ts      YYYY-MM-DD HH:MM:SS.ffffff in UTC, cut to the fewer fractional digits of the two sides
  time    HH:MM:SS.ffffff, cut likewise
  json    the engine's own text (PostgreSQL: jsonb text; MariaDB: the stored text);
          Spark: keys sorted (variant)
  uuid    lowercase text
  bit     binary digits without leading zeros

NULL is NULL. A row's text joins every column as ``<len>:<text>`` (strings) or
``<text>`` (the rest) with ``|``, NULL as ``#``, so no two different rows join to the same
text; its checksum is the first 60 bits of md5(row text), summed per key range.

Renderers return None when a side's physical type is not one they know for that kind:
that side is then compared through Spark (where the plan's own conversion applies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sparkdms.types import INTEGER_KINDS, LType, spark_quote
from sparkdms.validate.columns import STRING_KINDS, ColumnSpec

INT_KINDS = (*INTEGER_KINDS, "year")
TEXT_KINDS = ("char", "varchar", "text", "enum", "set", "xml", "inet", "interval", "array", "json",
              "uuid", "bit", "document")
BIN_KINDS = ("binary", "varbinary", "blob", "geometry")
BIN_INLINE = 32  # bytes shown as hex; longer values are rendered as md5 + length
NULL_MARK = "#"
# (spec, column reference, physical type, side) -> SQL of the canonical text, or None
KindRenderer = Callable[[ColumnSpec, str, LType, str], "str | None"]


def frac_len(base: int, digits: int | None) -> int | None:
    """Characters to keep of a ``...SS.ffffff`` rendering for ``digits`` fractional digits."""
    if digits is None or digits >= 6:
        return None
    return base + (digits + 1 if digits else 0)


class Renderer:
    """SQL building blocks of one engine; the value-kind renderers below use only these.
    An engine overrides the primitives and the ``r_<kind>`` renderers its SQL needs."""

    name = ""

    def __init__(self, quote: Callable[[str], str]) -> None:
        self.quote = quote

    # -- primitives ------------------------------------------------------------------------
    def text(self, expr: str) -> str:
        raise NotImplementedError

    def length(self, expr: str) -> str:
        raise NotImplementedError

    def concat(self, parts: list[str]) -> str:
        raise NotImplementedError

    def left(self, expr: str, n: int) -> str:
        return f"left({expr}, {n})"

    def rtrim(self, expr: str) -> str:
        return f"rtrim({expr})"

    def string(self, expr: str) -> str:
        """A column of a string kind as comparable text."""
        return self.text(expr)

    def hash60(self, text: str) -> str:
        raise NotImplementedError

    fast_hash = None  # an engine-specific hash, used when both sides are this engine
    # value kinds whose stored values ``native_row_hash`` hashes without rendering them
    native_kinds: frozenset[str] = frozenset()

    def native_row_hash(self, parts: list[str]) -> str | None:
        """A 64-bit hash of a row from its stored values (``parts``: column references, or
        canonical texts for the other columns), for two sides of this engine that hash
        alike (``SqlValidation.native_hash_key``) and store each such column in the same
        type: cheaper than rendering every value as text. None: the engine has none."""
        return None

    def intdiv(self, a: str, b: str) -> str:
        raise NotImplementedError

    def float_parts(self, ref: str) -> tuple[str, str, str, list[tuple[str, str]]]:
        """(x as double, log10, power function name, special cases [(condition, text)])."""
        raise NotImplementedError

    def bigint_text(self, expr: str) -> str:
        raise NotImplementedError

    # -- value-kind renderers (shared) -----------------------------------------------------
    def kinds(self) -> dict[str, KindRenderer]:
        return {"int": self.r_int, "dec": self.r_dec, "float": self.r_float, "bool": self.r_bool,
                "char": self.r_char, "str": self.r_str, "bit": self.r_bit, "bin": self.r_bin,
                "date": self.r_date, "time": self.r_time, "ts": self.r_ts, "json": self.r_json,
                "uuid": self.r_uuid}

    def render(self, spec: ColumnSpec, ref: str, phys: LType | None, side: str) -> str | None:
        if phys is None:
            return None
        renderer = self.kinds().get(spec.value_kind)
        value = renderer(spec, ref, phys, side) if renderer else None
        if value is None:
            return None
        if spec.value_kind in STRING_KINDS:
            if spec.trim:
                value = self.rtrim(value)
            if spec.empty_is_null:
                value = f"NULLIF({value}, '')"
        return value

    def r_int(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in INT_KINDS or (phys.kind == "decimal" and phys.scale == 0):
            return self.text(ref)
        if phys.kind == "boolean":
            return self.r_bool(spec, ref, phys, side)
        return None

    def r_bool(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in INT_KINDS:
            return f"CASE WHEN {ref} IS NULL THEN NULL WHEN {ref} <> 0 THEN '1' ELSE '0' END"
        if phys.kind == "boolean":
            return self.bool_text(ref)
        return None

    def bool_text(self, ref: str) -> str:
        return f"CASE WHEN {ref} THEN '1' WHEN NOT {ref} THEN '0' END"

    def r_float(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in ("float32", "float64"):
            return None
        digits = spec.digits or 15
        x, log10, power, special = self.float_parts(ref)
        e = f"CAST(floor({log10}(abs({x}))) AS {self.int_type})"
        s = f"({digits - 1} - {e})"
        half = self.intdiv(s, "2")
        scaled = (f"CASE WHEN {s} BETWEEN 0 AND 22 THEN {x} * {power}(10, {s}) "
                  f"WHEN {s} BETWEEN -22 AND -1 THEN {x} / {power}(10, -{s}) "
                  f"ELSE {x} * {power}(10, {half}) * {power}(10, {s} - {half}) END")
        mantissa = self.bigint_text(f"floor({scaled} + 0.5)")
        cases = " ".join(f"WHEN {cond} THEN '{txt}'" for cond, txt in special)
        joined = self.concat([mantissa, "'e'", self.text(e)])
        return f"CASE WHEN {x} IS NULL THEN NULL WHEN {x} = 0 THEN '0' {cases} ELSE {joined} END"

    int_type = "int"

    def r_char(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return self.r_str(spec, ref, phys, side)

    def r_str(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in TEXT_KINDS:
            return self.string(ref)
        return None

    def r_uuid(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in TEXT_KINDS:
            return f"lower({self.string(ref)})"
        return None

    def r_bit(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in TEXT_KINDS:
            return None
        trimmed = f"TRIM(LEADING '0' FROM {self.text(ref)})"
        return f"CASE WHEN {ref} IS NULL THEN NULL ELSE COALESCE(NULLIF({trimmed}, ''), '0') END"

    # an engine without a rendering of these kinds compares them through Spark
    def r_dec(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def r_bin(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def r_date(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def r_ts(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def r_time(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def r_json(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return None

    def cut(self, value: str, base: int, digits: int | None) -> str:
        n = frac_len(base, digits)
        return value if n is None else self.left(value, n)

    # -- row text and checksum -------------------------------------------------------------
    def part(self, spec: ColumnSpec, value: str) -> str:
        if spec.value_kind in STRING_KINDS:
            value = self.concat([self.text(self.length(value)), "':'", value])
        return f"COALESCE({value}, '{NULL_MARK}')"

    def row_text(self, parts: list[str]) -> str:
        joined: list[str] = []
        for i, p in enumerate(parts):
            if i:
                joined.append("'|'")
            joined.append(p)
        return self.concat(joined) if len(joined) > 1 else joined[0]


class SparkRenderer(Renderer):
    """Spark SQL over a DataFrame whose column types are given as logical types
    (see ``spark_ltype``)."""

    name = "spark"

    def __init__(self) -> None:
        super().__init__(spark_quote)

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS STRING)"

    def string(self, expr: str) -> str:
        return expr

    def length(self, expr: str) -> str:
        return f"char_length({expr})"

    def concat(self, parts: list[str]) -> str:
        return f"concat({', '.join(parts)})"

    def hash60(self, text: str) -> str:
        return f"CAST(conv(substr(md5({text}), 1, 15), 16, 10) AS BIGINT)"

    def intdiv(self, a: str, b: str) -> str:
        return f"({a} div {b})"

    def float_parts(self, ref: str) -> tuple[str, str, str, list[tuple[str, str]]]:
        x = f"CAST({ref} AS DOUBLE)"
        return x, "log10", "pow", [(f"isnan({x})", "NaN"), (f"{x} = double('Infinity')", "Inf"),
                                   (f"{x} = double('-Infinity')", "-Inf")]

    def bigint_text(self, expr: str) -> str:
        return f"CAST(CAST({expr} AS BIGINT) AS STRING)"

    def r_str(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return ref if phys.kind in TEXT_KINDS else self.text(ref)

    def r_dec(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in INT_KINDS:
            return self.text(ref)
        if phys.kind not in ("decimal", *TEXT_KINDS):
            return None
        value = ref if phys.kind in TEXT_KINDS else self.text(ref)
        return f"regexp_replace(regexp_replace({value}, '([.][0-9]*?)0+$', '$1'), '[.]$', '')"

    def r_bin(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in BIN_KINDS:
            return None
        return (f"CASE WHEN length({ref}) > {BIN_INLINE} THEN concat('md5:', md5({ref}), ':', "
                f"CAST(length({ref}) AS STRING)) ELSE lower(hex({ref})) END")

    def r_date(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind == "date":
            return f"date_format({ref}, 'yyyy-MM-dd')"
        return ref if phys.kind in TEXT_KINDS else None

    def r_ts(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in ("timestamp", "timestamptz"):
            return None
        return self.cut(f"date_format({ref}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')", 19, spec.digits)

    def r_time(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in TEXT_KINDS:
            return None
        fraction = f"CASE WHEN instr({ref}, '.') > 0 THEN substring_index({ref}, '.', -1) ELSE '' END"
        value = f"concat(substring_index({ref}, '.', 1), '.', rpad({fraction}, 6, '0'))"
        return f"CASE WHEN {ref} IS NULL THEN NULL ELSE {self.cut(value, 8, spec.digits)} END"

    def r_json(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in TEXT_KINDS:
            return None
        return f"coalesce(to_json(try_parse_json({ref})), {ref})"

    def row_text(self, parts: list[str]) -> str:
        return f"concat_ws('|', {', '.join(parts)})"


def spark_ltype(dtype: Any) -> LType:
    """The logical type a Spark column type carries (for the Spark renderers)."""
    name = type(dtype).__name__
    if name == "DecimalType":
        return LType("decimal", precision=dtype.precision, scale=dtype.scale)
    return LType(SPARK_KINDS.get(name, "text"))


SPARK_KINDS = {"ByteType": "int8", "ShortType": "int16", "IntegerType": "int32",
               "LongType": "int64", "FloatType": "float32", "DoubleType": "float64",
               "BooleanType": "boolean", "StringType": "text", "BinaryType": "blob",
               "DateType": "date", "TimestampType": "timestamptz",
               "TimestampNTZType": "timestamp", "VariantType": "json"}
