"""How a MySQL/MariaDB target stores a value exactly: the adaptations of a planned column
(``Target.adapt_column``)."""

from __future__ import annotations

from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.plan.typemap.resolve import Resolved, spark_literal
from sparkdms.types import LType, parse_native, spark_quote, spark_type

MYSQL_KEY_BYTES = 3072  # InnoDB index key limit (DYNAMIC row format)
MYSQL_LOBS = ("tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob",
              "longblob", "json")


def _mysql_bit(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """MySQL takes bit(n) values as numbers (a string would be stored as its bytes)."""
    if not r.target_type.lower().startswith("bit") or col.ltype.kind not in ("bit", "varbit"):
        return r
    return Resolved(LType("uint64"), r.target_type,
                    f"CAST(conv({spark_quote(col.name)}, 2, 10) AS DECIMAL(20,0))", r.override)


def _decimal_guard(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """Unbounded/wide decimals travel as exact text; a bounded target decimal would round
    extra fractional digits silently (MySQL does), so such a value stops the load."""
    dst = target.dialect.to_logical(r.target_type)
    src = col.ltype
    if src.kind != "decimal" or dst.kind != "decimal" or dst.precision is None:
        return r
    if spark_type(src).simpleString() != "string":  # type: ignore[attr-defined]
        return r
    if src.scale is not None and src.scale <= (dst.scale or 0) and src.precision is not None \
            and src.precision - src.scale <= dst.precision - (dst.scale or 0):
        return r
    scale, whole = dst.scale or 0, dst.precision - (dst.scale or 0)
    message = (f"table {table.qualified}, column {col.name}: a value has more than {scale} "
               f"fractional or {whole} integer digits and does not fit {r.target_type}; "
               f"add type_overrides {{\"{table.schema}.{table.name}.{col.name}\": \"...\"}} "
               "with a wider type")
    c = spark_quote(col.name)
    frac = f"[.][0-9]{{{scale}}}[0-9]*[1-9]" if scale else "[.][0-9]*[1-9]"
    expr = (f"CASE WHEN {c} RLIKE '{frac}' OR {c} RLIKE '^-?0*[1-9][0-9]{{{whole},}}' "
            f"THEN CAST(raise_error({spark_literal(message)}) AS STRING) ELSE {c} END")
    return Resolved(r.ltype, r.target_type, expr, r.override)


def key_columns(table: Table) -> dict[str, int]:
    """column -> the most columns of any key (PK, unique, index) it belongs to."""
    out: dict[str, int] = {}
    keys = [table.primary_key, *(i.columns for i in table.indexes),
            *(fk.columns for fk in table.foreign_keys)]
    for cols in keys:
        for c in cols:
            out[c] = max(out.get(c, 0), len(cols))
    return out


def _mysql_key_lob(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """InnoDB cannot index text/blob columns whole: a key column from another engine becomes
    varchar/varbinary sized to fit the 3072-byte key limit (longer values are rejected, never
    cut). Between MySQL engines the source's own prefix indexes apply (see connectors/mysql/objects.py)."""
    width = key_columns(table).get(col.name)
    base = parse_native(r.target_type).name
    if not width or base not in MYSQL_LOBS:
        return r
    chars = max(MYSQL_KEY_BYTES // 4 // width, 1)
    if base.endswith("blob"):
        return Resolved(LType("varbinary", length=chars * 4), f"varbinary({chars * 4})",
                        r.expression, r.override)
    collate = r.target_type[r.target_type.lower().find(" collate "):] \
        if " collate " in r.target_type.lower() else ""
    return Resolved(LType("varchar", length=chars), f"varchar({chars}){collate}", r.expression,
                    r.override)


STEPS = (_mysql_bit, _decimal_guard, _mysql_key_lob)
CROSS_FAMILY_ONLY = (_mysql_key_lob,)


def adapt(r: Resolved, table: Table, col: Column, target: Any, same_family: bool) -> Resolved:
    for step in STEPS:
        if not (same_family and step in CROSS_FAMILY_ONLY):
            r = step(r, table, col, target)
    return r


